// RUN: xdsl-opt %s | xdsl-opt | filecheck %s
// RUN: xdsl-opt %s --print-op-generic | xdsl-opt | filecheck %s
// RUN: xdsl-opt %examples/conv2d.mlir | diff - %examples/conv2d.mlir

// CHECK-LABEL: func.func @bounds
func.func @bounds(%A: memref<16x16xf32>) {
  // CHECK-NEXT: loopnest.for g %[[G:.*]] in range(4) {
  loopnest.for g %g in range(0, 4) {
    // CHECK-NEXT: loopnest.for i %[[I:.*]] in range(%[[G]] * 4, %[[G]] * 4 + 4) {
    loopnest.for i %i in range(%g * 4, %g * 4 + 4, 1) {
      // CHECK-NEXT: loopnest.for "j 2" %[[J:.*]] in range(%[[I]] floordiv 2, 16, 3) {
      loopnest.for "j 2" %j in range(%i floordiv 2, 16, 3) {
        // CHECK-NEXT: %[[V:.*]] = loopnest.load %{{.*}}[%[[I]], %[[J]] + 1 - %[[I]] floordiv 2] : memref<16x16xf32>
        %v = loopnest.load %A[%i, %j + 1 - %i floordiv 2] : memref<16x16xf32>
        // CHECK-NEXT: loopnest.store %[[V]], %{{.*}}[%[[I]], %[[J]]] : memref<16x16xf32>
        loopnest.store %v, %A[%i, %j] : memref<16x16xf32>
      // CHECK-NEXT: }
      }
    }
  }
  func.return
}

// The `parallel` marker: printed after the range, before any attributes;
// generic form `parallel` (a unit property).
// CHECK-LABEL: func.func @parallel_marker
func.func @parallel_marker(%A: memref<64x8xf32>) {
  // CHECK-NEXT: loopnest.for co %[[CO:.*]] in range(64) parallel {
  loopnest.for co %co in range(64) parallel {
    // CHECK-NEXT: loopnest.for i %[[I:.*]] in range(%[[CO]] floordiv 8, 8, 2) parallel attributes {tag = 1 : i64} {
    loopnest.for i %i in range(%co floordiv 8, 8, 2) parallel attributes {tag = 1} {
      // CHECK-NEXT: loopnest.for parallel %{{.*}} in range(1) {
      loopnest.for "parallel" %p in range(1) {
        %v = loopnest.load %A[%co, %i] : memref<64x8xf32>
        loopnest.store %v, %A[%co, %i] : memref<64x8xf32>
      }
    }
  }
  func.return
}

// The `vectorize(W)` marker: after `parallel`, before any attributes;
// generic form `vector_width = W : index`.
// CHECK-LABEL: func.func @vector_marker
func.func @vector_marker(%A: memref<4x8xf32>) {
  // CHECK-NEXT: loopnest.for i %[[I:.*]] in range(4) {
  loopnest.for i %i in range(4) {
    // CHECK-NEXT: loopnest.for j %[[J:.*]] in range(8) parallel vectorize(4) attributes {tag = 2 : i64} {
    loopnest.for j %j in range(8) parallel vectorize(4) attributes {tag = 2} {
      %v = loopnest.load %A[%i, %j] : memref<4x8xf32>
      loopnest.store %v, %A[%i, %j] : memref<4x8xf32>
    }
  }
  func.return
}
