// RUN: xdsl-opt %examples/conv2d.mlir -p 'interchange-loops{order=co,ci,oh,kh,kw,ow},vectorize-loops{loop=ow width=4}' | filecheck %s
// RUN: xdsl-opt %examples/conv2d.mlir -p 'interchange-loops{order=co,ci,oh,kh,kw,ow},vectorize-loops{loop=ow}' | filecheck %s --check-prefix=WHOLE
// RUN: xdsl-opt %examples/conv2d.mlir -p 'interchange-loops{order=co,ci,oh,kh,kw,ow},vectorize-loops{loop=ow width=64}' | filecheck %s --check-prefix=WHOLE
// RUN: xdsl-opt %s -p 'split-loops{loop=j factor=4},vectorize-loops{loop=j_i width=4},vectorize-loops{loop=j_tail}' | filecheck %s --check-prefix=SPLIT
// RUN: xdsl-opt %s -p 'vectorize-loops{loop=j},interchange-loops{loops=i,j}' | filecheck %s --check-prefix=MOVED
// RUN: xdsl-opt %s -p 'vectorize-loops{loop=j},unroll-loops{loop=i factor=2}' | filecheck %s --check-prefix=UNROLLED
// RUN: xdsl-opt %s -p 'vectorize-loops{loop=j}' | xdsl-opt | filecheck %s --check-prefix=ROUNDTRIP

// The output columns of the convolution, innermost, in vectors of 4: the
// marker is all that changes; the lowering does the rest.

// CHECK-LABEL: func.func @conv2d
// CHECK:             loopnest.for kw %{{.*}} in range(3) {
// CHECK-NEXT:          loopnest.for ow %[[OW:.*]] in range(6) vectorize(4) {
// CHECK-NEXT:            %o = loopnest.load %O[%co, %oh, %[[OW]]] : memref<8x6x6xf32>

// Width 0 (the default) or a width past the trip count: one vector.

// WHOLE-LABEL: func.func @conv2d
// WHOLE:         loopnest.for ow %{{.*}} in range(6) vectorize(6) {

// Split, then each piece vectorised: tiles of 4 and the tail of 2.

// SPLIT-LABEL: func.func @axpy
// SPLIT-NEXT:    loopnest.for i %{{.*}} in range(3) {
// SPLIT-NEXT:      loopnest.for j %[[J:.*]] in range(0, 8, 4) {
// SPLIT-NEXT:        loopnest.for j_i %{{.*}} in range(%[[J]], %[[J]] + 4) vectorize(4) {
// SPLIT:           loopnest.for j_tail %{{.*}} in range(8, 10) vectorize(2) {

// Interchange keeps the marker only where the loops around the loop stay
// the same set: j moved outside i loses it.

// MOVED-LABEL: func.func @axpy
// MOVED-NEXT:    loopnest.for j %{{.*}} in range(10) {
// MOVED-NEXT:      loopnest.for i %{{.*}} in range(3) {

// Unrolling the loop around it copies the vectorised loop.

// UNROLLED-LABEL: func.func @axpy
// UNROLLED-NEXT:    loopnest.for i %{{.*}} in range(0, 2, 2) {
// UNROLLED-NEXT:      loopnest.for j %{{.*}} in range(10) vectorize(10) {
// UNROLLED:           loopnest.for j %{{.*}} in range(10) vectorize(10) {
// UNROLLED:         loopnest.for i_tail %{{.*}} in range(2, 3) {
// UNROLLED-NEXT:      loopnest.for j %{{.*}} in range(10) vectorize(10) {

// ROUNDTRIP-LABEL: func.func @axpy
// ROUNDTRIP-NEXT:    loopnest.for i %{{.*}} in range(3) {
// ROUNDTRIP-NEXT:      loopnest.for j %{{.*}} in range(10) vectorize(10) {

func.func @axpy(%Y: memref<3x10xf32>, %X: memref<3x12xf32>, %A: memref<3xf32>) {
  loopnest.for i %i in range(3) {
    loopnest.for j %j in range(10) {
      %x = loopnest.load %X[%i, %j + 2] : memref<3x12xf32>
      %a = loopnest.load %A[%i] : memref<3xf32>
      %y = loopnest.load %Y[%i, %j] : memref<3x10xf32>
      %p = arith.mulf %a, %x : f32
      %s = arith.addf %y, %p : f32
      loopnest.store %s, %Y[%i, %j] : memref<3x10xf32>
    }
  }
  func.return
}
