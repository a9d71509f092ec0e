// RUN: xdsl-opt %s -p convert-loopnest-to-llvm --split-input-file | filecheck %s
// RUN: xdsl-opt %s -p loopnest-finalize-memref-to-llvm --split-input-file --verify-diagnostics | filecheck %s --check-prefix=STRUCTURED

// In the whole pipeline, the accesses the bounds proof covers (loopnest
// load/store) get no run-time check; a `memref.load` with an index read from
// memory does, and is reported under its own name; a `loopnest.in_bounds`
// mark written in the input is not trusted.

// CHECK:       builtin.module attributes {loopnest.runtime_errors = [["IndexError", "error: 'memref.load' op: index of dimension 0 of %A (memref<4xf32>) is out of bounds [0, 4)"]]}
// CHECK-LABEL: llvm.func @gather
func.func @gather(%O: memref<4xf32>, %A: memref<4xf32>, %idx: memref<4xi64>) {
  loopnest.for i %i in range(4) {
    // CHECK:      llvm.cond_br %{{.*}}, ^[[BODY:bb[0-9]+]], ^{{.*}}
    // CHECK-NEXT: ^[[BODY]]:
    // CHECK-NEXT: %[[P:.*]] = llvm.extractvalue %{{.*}}[1]
    // CHECK-NEXT: %[[G:.*]] = llvm.getelementptr inbounds %[[P]][%i]
    // CHECK-NEXT: %[[K:.*]] = llvm.load %[[G]] : !llvm.ptr -> i64
    %k = loopnest.load %idx[%i] : memref<4xi64>
    %j = arith.index_cast %k : i64 to index
    // CHECK-NEXT: %[[FOUR:.*]] = llvm.mlir.constant(4) : i64
    // CHECK-NEXT: %[[BAD:.*]] = llvm.icmp "uge" %[[K]], %[[FOUR]] : i64
    // CHECK-NEXT: llvm.cond_br %[[BAD]], ^[[FAIL:.*]], ^[[OK:.*]]
    // CHECK-NEXT: ^[[OK]]:
    // CHECK-NEXT: llvm.extractvalue
    // CHECK-NEXT: llvm.getelementptr inbounds %{{.*}}[%[[K]]]
    // CHECK-NEXT: %[[V:.*]] = llvm.load
    %v = memref.load %A[%j] {loopnest.in_bounds} : memref<4xf32>
    // CHECK-NEXT: llvm.extractvalue
    // CHECK-NEXT: llvm.getelementptr inbounds %{{.*}}[%i]
    // CHECK-NEXT: llvm.store %[[V]]
    loopnest.store %v, %O[%i] : memref<4xf32>
  }
  func.return
  // CHECK:      ^[[FAIL]]:
  // CHECK-NEXT: %[[E:.*]] = llvm.mlir.addressof @loopnest_runtime_error : !llvm.ptr
  // CHECK-NEXT: %[[C:.*]] = llvm.mlir.constant(1 : i32) : i32
  // CHECK-NEXT: llvm.store %[[C]], %[[E]] : i32, !llvm.ptr
  // CHECK-NEXT: llvm.return
}

// -----

// A checked access must be in a function body in CFG form (checks branch).

func.func @structured(%A: memref<4xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %A[%i] : memref<4xf32>
  }
  func.return
}
// STRUCTURED: error: 'memref.load' op: this op needs a run-time check, which needs unstructured control flow: lower structured loops first (convert-scf-to-cf)
