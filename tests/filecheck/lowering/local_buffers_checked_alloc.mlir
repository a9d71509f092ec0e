// RUN: xdsl-opt %s -p 'convert-loopnest-to-llvm{checked-alloc=true}' | filecheck %s

// With checked-alloc (as the JIT lowers), a failed malloc calls the runtime's
// hook and returns instead of writing through a null pointer.

// CHECK:       llvm.func @xdsl_group_alloc_failed(i64)
// CHECK-LABEL: llvm.func @temp
// CHECK:       %[[N:.*]] = llvm.mlir.constant(32) : i64
// CHECK-NEXT:  %[[P:.*]] = llvm.call @malloc(%[[N]]) : (i64) -> !llvm.ptr
// CHECK-NEXT:  %[[A:.*]] = llvm.ptrtoint %[[P]] : !llvm.ptr to i64
// CHECK-NEXT:  %[[Z:.*]] = llvm.mlir.constant(0) : i64
// CHECK-NEXT:  %[[NULL:.*]] = llvm.icmp "eq" %[[A]], %[[Z]] : i64
// CHECK-NEXT:  llvm.cond_br %[[NULL]], ^[[FAIL:[a-z0-9_]+]], ^[[OK:[a-z0-9_]+]]
// CHECK-NEXT:  ^[[OK]]:
// CHECK-NEXT:  llvm.mlir.constant(0 : i8) : i8
// CHECK:       llvm.call @free
// CHECK:       ^[[FAIL]]:
// CHECK-NEXT:  llvm.call @xdsl_group_alloc_failed(%[[N]]) : (i64) -> ()
// CHECK-NEXT:  llvm.return
func.func @temp(%O: memref<8xf32>) {
  %T = memref.alloc() : memref<8xf32>
  loopnest.for i %i in range(8) {
    %v = loopnest.load %O[%i] : memref<8xf32>
    loopnest.store %v, %T[7 - %i] : memref<8xf32>
  }
  loopnest.for i %i in range(8) {
    %v = loopnest.load %T[%i] : memref<8xf32>
    loopnest.store %v, %O[%i] : memref<8xf32>
  }
  memref.dealloc %T : memref<8xf32>
  func.return
}
