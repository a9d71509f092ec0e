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
