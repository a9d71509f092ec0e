// RUN: xdsl-opt %s -p 'loopnest-finalize-memref-to-llvm,loopnest-convert-func-to-llvm{noalias=true},reconcile-unrealized-casts' | filecheck %s

// MLIR's memref calling convention (3 + 2N arguments per memref); accesses
// use the aligned pointer, static strides folded, nsw/nuw and inbounds.

// CHECK-LABEL: llvm.func @copy
// CHECK-SAME:  (%[[AA:[a-zA-Z0-9_]+]]: !llvm.ptr {llvm.noalias}, %[[AP:[a-zA-Z0-9_]+]]: !llvm.ptr {llvm.noalias}, %A_offset: i64, %A_size0: i64, %A_size1: i64, %A_stride0: i64, %A_stride1: i64,
// CHECK-SAME:  %B_allocated: !llvm.ptr {llvm.noalias}, %B_aligned: !llvm.ptr {llvm.noalias}, %B_offset: i64, %B_size0: i64, %B_size1: i64, %B_stride0: i64, %B_stride1: i64, %[[I:[a-zA-Z0-9_]+]]: i64, %[[J:[a-zA-Z0-9_]+]]: i64)
func.func @copy(%A: memref<4x8xf32>, %B: memref<4x8xf32>, %i: index, %j: index) {
  // CHECK:      %[[U:.*]] = llvm.mlir.undef : !llvm.struct<(!llvm.ptr, !llvm.ptr, i64, !llvm.array<2 x i64>, !llvm.array<2 x i64>)>
  // CHECK-NEXT: %[[D0:.*]] = llvm.insertvalue %[[AA]], %[[U]][0]
  // CHECK-NEXT: %[[D1:.*]] = llvm.insertvalue %[[AP]], %[[D0]][1]
  // CHECK:      %[[P:.*]] = llvm.extractvalue %{{.*}}[1]
  // CHECK-NEXT: %[[C8:.*]] = llvm.mlir.constant(8) : i64
  // CHECK-NEXT: %[[ROW:.*]] = llvm.mul %[[I]], %[[C8]] overflow<nsw,nuw> : i64
  // CHECK-NEXT: %[[LIN:.*]] = llvm.add %[[ROW]], %[[J]] overflow<nsw,nuw> : i64
  // CHECK-NEXT: %[[GEP:.*]] = llvm.getelementptr inbounds %[[P]][%[[LIN]]] : (!llvm.ptr, i64) -> !llvm.ptr, f32
  // CHECK-NEXT: %[[V:.*]] = llvm.load %[[GEP]] : !llvm.ptr -> f32
  %v = memref.load %A[%i, %j] : memref<4x8xf32>
  // CHECK:      llvm.store %[[V]], %{{.*}} : f32, !llvm.ptr
  memref.store %v, %B[%j, %i] : memref<4x8xf32>
  // CHECK-NEXT: llvm.return
  func.return
}

