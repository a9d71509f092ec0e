// REQUIRES: mlir-22
// Our llvm-dialect output is accepted by MLIR 22's own translator.
// RUN: xdsl-opt %examples/conv2d.mlir -p convert-loopnest-to-llvm | mlir-translate-22 --mlir-to-llvmir | filecheck %s --check-prefix=DENSE
// RUN: xdsl-opt %examples/conv2d_grouped.mlir -p 'convert-loopnest-to-llvm{noalias=true}' | mlir-translate-22 --mlir-to-llvmir | filecheck %s --check-prefix=GROUPED
// RUN: xdsl-opt %examples/conv2d_peeled_grouped.mlir -p convert-loopnest-to-llvm --print-op-generic | mlir-translate-22 --mlir-to-llvmir | filecheck %s --check-prefix=PEELED
// RUN: xdsl-opt %examples/conv2d.mlir -p 'interchange-loops{order=co,ci,oh,kh,kw,ow},vectorize-loops{loop=ow},convert-loopnest-to-llvm{noalias=true}' | mlir-translate-22 --mlir-to-llvmir | filecheck %s --check-prefix=VECTOR
// RUN: xdsl-opt %s -p 'loopnest-finalize-memref-to-llvm,loopnest-convert-arith-to-llvm,loopnest-convert-func-to-llvm{noalias=true},reconcile-unrealized-casts' | mlir-translate-22 --mlir-to-llvmir | filecheck %s

// DENSE-LABEL: define void @conv2d(ptr %0, ptr %1, i64 %2,
// DENSE:         getelementptr inbounds float, ptr
// DENSE:         fmul float
// DENSE:         fadd float

// GROUPED-LABEL: define void @conv2d_grouped(ptr noalias %0, ptr noalias %1,
// GROUPED:         mul nuw nsw i64

// A vectorised loop: vector loads and stores, LLVM 22's masked load.
// VECTOR-LABEL: define void @conv2d(
// VECTOR:         load <6 x float>, ptr %{{.*}}, align 4
// VECTOR:         call <8 x float> @llvm.masked.load.v8f32.p0(ptr %{{.*}}, <8 x i1> <i1 true, i1 true, i1 true, i1 true, i1 true, i1 true, i1 false, i1 false>, <8 x float> zeroinitializer)
// VECTOR:         store <6 x float> %{{.*}}, ptr %{{.*}}, align 4

// PEELED-LABEL: define void @conv2d_peeled_grouped(

// CHECK-LABEL: define float @scalar(ptr noalias %0, ptr noalias %1, i64 %2, i64 %3, i64 %4, i64 %5)
func.func @scalar(%A: memref<4xf32>, %i: index) -> f32 {
  // CHECK: %[[P:.*]] = extractvalue {{.*}}, 1
  // CHECK: getelementptr inbounds float, ptr %[[P]], i64 %5
  %v = memref.load %A[%i] : memref<4xf32>
  %two = arith.constant 2.0 : f32
  // CHECK: fmul float
  %w = arith.mulf %v, %two : f32
  func.return %w : f32
}
