// RUN: xdsl-opt %examples/conv2d.mlir -p 'peel-loops{loop=co count=2}' | filecheck %s --check-prefix=FRONT
// RUN: xdsl-opt %examples/conv2d.mlir -p 'peel-loops{loop=co count=2 side=back name=tail}' | filecheck %s --check-prefix=BACK
// RUN: xdsl-opt %examples/conv2d.mlir -p 'peel-loops{loop=co count=2},group-loops{loops=co,ci groups=2}' | filecheck %s --check-prefix=EX2
// RUN: xdsl-opt %s -p 'peel-loops{loop=j count=1}' | filecheck %s
// RUN: xdsl-opt %s -p 'peel-loops{loop=j count=1 side=back}' | filecheck %s --check-prefix=STEPBACK

// FRONT-LABEL: func.func @conv2d(
// FRONT-NEXT:    loopnest.for co_peel %[[P:.*]] in range(2) {
// FRONT-NEXT:      loopnest.for ci %{{.*}} in range(8) {
// FRONT:             %{{.*}} = loopnest.load %{{.*}}[%[[P]], %{{.*}}, %{{.*}}] : memref<8x6x6xf32>
// FRONT:             loopnest.store %{{.*}}, %{{.*}}[%[[P]], %{{.*}}, %{{.*}}] : memref<8x6x6xf32>
// FRONT:         loopnest.for co %[[CO:.*]] in range(2, 8) {
// FRONT-NEXT:      loopnest.for ci %{{.*}} in range(8) {
// FRONT:             %{{.*}} = loopnest.load %{{.*}}[%[[CO]], %{{.*}}, %{{.*}}] : memref<8x6x6xf32>
// FRONT:             loopnest.store %{{.*}}, %{{.*}}[%[[CO]], %{{.*}}, %{{.*}}] : memref<8x6x6xf32>
// FRONT:         func.return

// BACK-LABEL: func.func @conv2d(
// BACK-NEXT:    loopnest.for co %[[CO:.*]] in range(6) {
// BACK:           loopnest.store %{{.*}}, %{{.*}}[%[[CO]], %{{.*}}, %{{.*}}] : memref<8x6x6xf32>
// BACK:         loopnest.for tail %[[T:.*]] in range(6, 8) {
// BACK:           loopnest.store %{{.*}}, %{{.*}}[%[[T]], %{{.*}}, %{{.*}}] : memref<8x6x6xf32>
// BACK:         func.return

// The seed's Example 2: output channels [0, U) stay a dense convolution, the
// remaining CO - U = 6 are grouped 2 ways (range(U + 3*g, U + 3*(g+1))) over
// input channels grouped the same way.

// EX2-LABEL: func.func @conv2d(
// EX2-NEXT:    loopnest.for co_peel %{{.*}} in range(2) {
// EX2-NEXT:      loopnest.for ci %{{.*}} in range(8) {
// EX2-NEXT:        loopnest.for oh %{{.*}} in range(6) {
// EX2-NEXT:          loopnest.for ow %{{.*}} in range(6) {
// EX2-NEXT:            loopnest.for kh %{{.*}} in range(3) {
// EX2-NEXT:              loopnest.for kw %{{.*}} in range(3) {
// EX2:           loopnest.for g %[[G:.*]] in range(2) {
// EX2-NEXT:      loopnest.for co %{{.*}} in range(%[[G]] * 3 + 2, %[[G]] * 3 + 5) {
// EX2-NEXT:        loopnest.for ci %{{.*}} in range(%[[G]] * 4, %[[G]] * 4 + 4) {
// EX2-NEXT:          loopnest.for oh %{{.*}} in range(6) {
// EX2-NEXT:            loopnest.for ow %{{.*}} in range(6) {
// EX2-NEXT:              loopnest.for kh %{{.*}} in range(3) {
// EX2-NEXT:                loopnest.for kw %{{.*}} in range(3) {

// Peeling counts iterations, not values: with step 2, one iteration is the
// value %i.  Bounds affine in outer loops stay exact.

// CHECK-LABEL: func.func @step
// CHECK-NEXT:    loopnest.for i %[[I:.*]] in range(4) {
// CHECK-NEXT:      loopnest.for j_peel %[[P:.*]] in range(%[[I]], %[[I]] + 2, 2) {
// CHECK-NEXT:        %{{.*}} = loopnest.load %{{.*}}[%[[I]], %[[P]]] : memref<16x16xf32>
// CHECK-NEXT:      }
// CHECK-NEXT:      loopnest.for j %[[J:.*]] in range(%[[I]] + 2, %[[I]] + 7, 2) {
// CHECK-NEXT:        %{{.*}} = loopnest.load %{{.*}}[%[[I]], %[[J]]] : memref<16x16xf32>
// CHECK-NEXT:      }
// CHECK-NEXT:    }

// The last iteration of range(i, i + 7, 2) is i + 6.

// STEPBACK-LABEL: func.func @step
// STEPBACK-NEXT:    loopnest.for i %[[I:.*]] in range(4) {
// STEPBACK-NEXT:      loopnest.for j %{{.*}} in range(%[[I]], %[[I]] + 6, 2) {
// STEPBACK:           loopnest.for j_peel %{{.*}} in range(%[[I]] + 6, %[[I]] + 7, 2) {
func.func @step(%A: memref<16x16xf32>) {
  loopnest.for i %i in range(4) {
    loopnest.for j %j in range(%i, %i + 7, 2) {
      %a = loopnest.load %A[%i, %j] : memref<16x16xf32>
    }
  }
  func.return
}

// A function without the loop is left alone.

// CHECK-LABEL: func.func @other
// CHECK-NEXT:    loopnest.for k %{{.*}} in range(4) {
// CHECK-NEXT:      %{{.*}} = loopnest.load
// CHECK-NEXT:    }
func.func @other(%A: memref<4xf32>) {
  loopnest.for k %k in range(4) {
    %a = loopnest.load %A[%k] : memref<4xf32>
  }
  func.return
}
