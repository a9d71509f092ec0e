// RUN: xdsl-opt %s -p loopnest-convert-func-to-llvm,reconcile-unrealized-casts --split-input-file | filecheck %s

// A memref argument is expanded to its descriptor's fields (MLIR's calling
// convention); an `llvm.noalias` argument attribute marks its pointers.

// CHECK-LABEL: llvm.func @f
// CHECK-SAME:  (%A_allocated: !llvm.ptr {llvm.noalias}, %A_aligned: !llvm.ptr {llvm.noalias}, %A_offset: i64, %A_size0: i64, %A_size1: i64, %A_stride0: i64, %A_stride1: i64,
// CHECK-SAME:  %B_allocated: !llvm.ptr, %B_aligned: !llvm.ptr, %B_offset: i64, %B_size0: i64, %B_stride0: i64)
// CHECK-NEXT:  %[[U:.*]] = llvm.mlir.undef : !llvm.struct<(!llvm.ptr, !llvm.ptr, i64, !llvm.array<2 x i64>, !llvm.array<2 x i64>)>
// CHECK-NEXT:  %{{.*}} = llvm.insertvalue %A_allocated, %[[U]][0]
// CHECK:       llvm.insertvalue %A_stride1, %{{.*}}[4, 1]
// CHECK:       llvm.return
func.func @f(%A: memref<2x3xf32> {llvm.noalias}, %B: memref<4xf32>) {
  func.return
}

// -----

// Scalars keep their types (index becomes i64); a single result is returned.

// CHECK-LABEL: llvm.func @g
// CHECK-SAME:  (%n: i64, %x: f32) -> i64
// CHECK-NEXT:  llvm.return %n : i64
func.func @g(%n: index, %x: f32) -> index {
  func.return %n : index
}
