// RUN: xdsl-opt %s -p 'loopnest-finalize-memref-to-llvm,loopnest-convert-arith-to-llvm,loopnest-convert-cf-to-llvm,loopnest-convert-func-to-llvm,reconcile-unrealized-casts' | filecheck %s

// Function-local buffers: memref.alloc calls malloc, memref.dealloc frees the
// allocated pointer, memref.alloca is a slot in the entry block; every new
// buffer is zero-filled where it is allocated.

// CHECK:      llvm.func @free(!llvm.ptr)
// CHECK-NEXT: llvm.func @malloc(i64) -> !llvm.ptr

// CHECK-LABEL: llvm.func @heap
func.func @heap(%i: index) {
  // CHECK:      %[[N:.*]] = llvm.mlir.constant(96) : i64
  // CHECK-NEXT: %[[P:.*]] = llvm.call @malloc(%[[N]]) : (i64) -> !llvm.ptr
  // CHECK-NEXT: %[[Z:.*]] = llvm.mlir.constant(0 : i8) : i8
  // CHECK-NEXT: %[[S:.*]] = llvm.mlir.constant(96) : i64
  // CHECK-NEXT: %[[F:.*]] = llvm.mlir.constant(false) : i1
  // CHECK-NEXT: llvm.call_intrinsic "llvm.memset.p0.i64"(%[[P]], %[[Z]], %[[S]], %[[F]]) : (!llvm.ptr, i8, i64, i1) -> ()
  // CHECK-NEXT: %[[U:.*]] = llvm.mlir.undef : !llvm.struct<(!llvm.ptr, !llvm.ptr, i64, !llvm.array<2 x i64>, !llvm.array<2 x i64>)>
  // CHECK-NEXT: %[[D0:.*]] = llvm.insertvalue %[[P]], %[[U]][0]
  // CHECK-NEXT: %[[D1:.*]] = llvm.insertvalue %[[P]], %[[D0]][1]
  // CHECK-NEXT: %[[OFF:.*]] = llvm.mlir.constant(0) : i64
  // CHECK-NEXT: %[[D2:.*]] = llvm.insertvalue %[[OFF]], %[[D1]][2]
  // CHECK-NEXT: %[[S0:.*]] = llvm.mlir.constant(3) : i64
  // CHECK-NEXT: %[[D3:.*]] = llvm.insertvalue %[[S0]], %[[D2]][3, 0]
  // CHECK-NEXT: %[[S1:.*]] = llvm.mlir.constant(8) : i64
  // CHECK-NEXT: %[[D4:.*]] = llvm.insertvalue %[[S1]], %[[D3]][3, 1]
  // CHECK-NEXT: %[[T0:.*]] = llvm.mlir.constant(8) : i64
  // CHECK-NEXT: %[[D5:.*]] = llvm.insertvalue %[[T0]], %[[D4]][4, 0]
  // CHECK-NEXT: %[[T1:.*]] = llvm.mlir.constant(1) : i64
  // CHECK-NEXT: %[[D:[0-9]+]] = llvm.insertvalue %[[T1]], %[[D5]][4, 1]
  %T = memref.alloc() : memref<3x8xf32>
  // CHECK:      %[[AL:.*]] = llvm.extractvalue %[[D]][1]
  // CHECK:      llvm.getelementptr inbounds %[[AL]]
  // CHECK-NEXT: %[[V:.*]] = llvm.load
  %v = memref.load %T[%i, %i] : memref<3x8xf32>
  // CHECK:      llvm.store %[[V]]
  memref.store %v, %T[%i, %i] : memref<3x8xf32>
  // CHECK-NEXT: %[[A:.*]] = llvm.extractvalue %[[D]][0]
  // CHECK-NEXT: llvm.call @free(%[[A]]) : (!llvm.ptr) -> ()
  // CHECK-NEXT: llvm.return
  memref.dealloc %T : memref<3x8xf32>
  func.return
}

// With an alignment, MLIR's scheme: over-allocate by it, round the address up.
// CHECK-LABEL: llvm.func @aligned
func.func @aligned() {
  // CHECK:      %[[N:.*]] = llvm.mlir.constant(128) : i64
  // CHECK-NEXT: %[[P:.*]] = llvm.call @malloc(%[[N]]) : (i64) -> !llvm.ptr
  // CHECK-NEXT: %[[I:.*]] = llvm.ptrtoint %[[P]] : !llvm.ptr to i64
  // CHECK-NEXT: %[[B:.*]] = llvm.mlir.constant(63) : i64
  // CHECK-NEXT: %[[S:.*]] = llvm.add %[[I]], %[[B]] : i64
  // CHECK-NEXT: %[[M:.*]] = llvm.mlir.constant(-64) : i64
  // CHECK-NEXT: %[[R:.*]] = llvm.and %[[S]], %[[M]] : i64
  // CHECK-NEXT: %[[AL:.*]] = llvm.inttoptr %[[R]] : i64 to !llvm.ptr
  // CHECK:      llvm.call_intrinsic "llvm.memset.p0.i64"(%[[AL]], %{{.*}}, %{{.*}}, %{{.*}})
  // CHECK:      llvm.insertvalue %[[P]], %{{.*}}[0]
  // CHECK-NEXT: llvm.insertvalue %[[AL]], %{{.*}}[1]
  %T = memref.alloc() {alignment = 64 : i64} : memref<4x4xf32>
  memref.dealloc %T : memref<4x4xf32>
  func.return
}

// An alloca in a loop is hoisted into the entry block (the stack does not grow
// per iteration); it is cleared where the memref.alloca was.
// CHECK-LABEL: llvm.func @stack
// CHECK-NEXT:  %[[N:.*]] = llvm.mlir.constant(5) : i64
// CHECK-NEXT:  %[[SLOT:.*]] = llvm.alloca %[[N]] x i32 {alignment = 16 : i64} : (i64) -> !llvm.ptr
// CHECK:       llvm.br ^[[LOOP:[a-z0-9_]+]]
// CHECK:       ^[[LOOP]](%{{.*}}: i64):
// CHECK-NEXT:  %{{.*}} = llvm.mlir.constant(0 : i8) : i8
// CHECK-NEXT:  %[[S:.*]] = llvm.mlir.constant(20) : i64
// CHECK-NEXT:  %{{.*}} = llvm.mlir.constant(false) : i1
// CHECK-NEXT:  llvm.call_intrinsic "llvm.memset.p0.i64"(%[[SLOT]], %{{.*}}, %[[S]], %{{.*}})
// CHECK-NOT:   llvm.alloca
// CHECK:       llvm.return
func.func @stack(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  cf.br ^loop(%c0 : index)
^loop(%i: index):
  %B = memref.alloca() : memref<5xi32>
  %x = arith.index_cast %i : index to i32
  memref.store %x, %B[%c0] : memref<5xi32>
  %next = arith.addi %i, %c1 : index
  %done = arith.cmpi sge, %next, %n : index
  cf.cond_br %done, ^exit, ^loop(%next : index)
^exit:
  func.return
}
