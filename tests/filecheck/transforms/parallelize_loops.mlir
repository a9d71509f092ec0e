// RUN: xdsl-opt %examples/conv2d.mlir -p 'parallelize-loops{loop=co}' | filecheck %s
// RUN: xdsl-opt %examples/conv2d.mlir -p 'parallelize-loops{loop=ow},parallelize-loops{loop=oh}' | filecheck %s --check-prefix=INNER
// RUN: xdsl-opt %s -p 'parallelize-loops{loop=j}' | filecheck %s --check-prefix=STENCIL
// RUN: xdsl-opt %s -p 'parallelize-loops{loop=q},interchange-loops{loops=p,q}' | filecheck %s --check-prefix=MOVED
// RUN: xdsl-opt %examples/conv2d.mlir -p 'parallelize-loops{loop=co},interchange-loops{loops=oh,ow}' | filecheck %s --check-prefix=KEPT

// Output channels write disjoint elements: co is parallel.

// CHECK-LABEL: func.func @conv2d
// CHECK-NEXT:    loopnest.for co %{{.*}} in range(8) parallel {
// CHECK-NEXT:      loopnest.for ci %{{.*}} in range(8) {

// INNER-LABEL: func.func @conv2d
// INNER-NEXT:    loopnest.for co %{{.*}} in range(8) {
// INNER-NEXT:      loopnest.for ci %{{.*}} in range(8) {
// INNER-NEXT:        loopnest.for oh %{{.*}} in range(6) parallel {
// INNER-NEXT:          loopnest.for ow %{{.*}} in range(6) parallel {
// INNER-NEXT:            loopnest.for kh %{{.*}} in range(3) {

// A (1, -1) stencil: i carries the dependence, so j's iterations (for one
// i) are independent.

// STENCIL-LABEL: func.func @stencil
// STENCIL-NEXT:    loopnest.for i %{{.*}} in range(1, 8) {
// STENCIL-NEXT:      loopnest.for j %{{.*}} in range(7) parallel {

// Interchange keeps the marker only where the loops around the loop stay
// the same set.  In a (1, 1) stencil q is parallel under p; outside p it
// carries the dependence, and it loses the marker.  co (not moved) keeps it.

// MOVED-LABEL: func.func @diagonal
// MOVED-NEXT:    loopnest.for q %{{.*}} in range(1, 8) {
// MOVED-NEXT:      loopnest.for p %{{.*}} in range(1, 8) {

// KEPT-LABEL: func.func @conv2d
// KEPT-NEXT:    loopnest.for co %{{.*}} in range(8) parallel {
// KEPT-NEXT:      loopnest.for ci %{{.*}} in range(8) {
// KEPT-NEXT:        loopnest.for ow %{{.*}} in range(6) {
// KEPT-NEXT:          loopnest.for oh %{{.*}} in range(6) {

func.func @stencil(%A: memref<8x8xf32>) {
  loopnest.for i %i in range(1, 8) {
    loopnest.for j %j in range(7) {
      %v = loopnest.load %A[%i - 1, %j + 1] : memref<8x8xf32>
      loopnest.store %v, %A[%i, %j] : memref<8x8xf32>
    }
  }
  func.return
}

func.func @diagonal(%A: memref<8x8xf32>) {
  loopnest.for p %p in range(1, 8) {
    loopnest.for q %q in range(1, 8) {
      %v = loopnest.load %A[%p - 1, %q - 1] : memref<8x8xf32>
      loopnest.store %v, %A[%p, %q] : memref<8x8xf32>
    }
  }
  func.return
}
