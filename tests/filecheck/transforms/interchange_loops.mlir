// RUN: xdsl-opt %examples/conv2d.mlir -p 'interchange-loops{order=co,oh,ci,ow,kh,kw strict=true}' | filecheck %s --check-prefix=EX1
// RUN: xdsl-opt %examples/conv2d.mlir -p 'interchange-loops{loops=ci,oh strict=true}' | filecheck %s --check-prefix=EX1
// RUN: xdsl-opt %examples/conv2d.mlir -p 'interchange-loops{order=co,oh,ow,kh,kw,ci}' | filecheck %s --check-prefix=REDUCE
// RUN: xdsl-opt %examples/conv2d.mlir -p 'interchange-loops{order=co,ci,kh,kw,oh,ow strict=true}' | filecheck %s --check-prefix=OWINNER
// RUN: xdsl-opt %s -p 'interchange-loops{loops=i,j}' | filecheck %s

// The seed's Example 1: the parallel loop oh moves across the reduction loop
// ci.  O's dependences are carried by ci, kh and kw only, so this is legal
// even with strict=true.

// EX1-LABEL: func.func @conv2d(
// EX1-NEXT:    loopnest.for co %[[CO:.*]] in range(8) {
// EX1-NEXT:      loopnest.for oh %[[OH:.*]] in range(6) {
// EX1-NEXT:        loopnest.for ci %[[CI:.*]] in range(8) {
// EX1-NEXT:          loopnest.for ow %[[OW:.*]] in range(6) {
// EX1-NEXT:            loopnest.for kh %[[KH:.*]] in range(3) {
// EX1-NEXT:              loopnest.for kw %[[KW:.*]] in range(3) {
// EX1-NEXT:                %[[O:.*]] = loopnest.load %{{.*}}[%[[CO]], %[[OH]], %[[OW]]] : memref<8x6x6xf32>
// EX1-NEXT:                %[[I:.*]] = loopnest.load %{{.*}}[%[[CI]], %[[OH]] + %[[KH]], %[[OW]] + %[[KW]]] : memref<8x8x8xf32>
// EX1-NEXT:                %[[W:.*]] = loopnest.load %{{.*}}[%[[CO]], %[[CI]], %[[KH]], %[[KW]]] : memref<8x8x3x3xf32>
// EX1-NEXT:                %[[P:.*]] = arith.mulf %[[I]], %[[W]] : f32
// EX1-NEXT:                %[[S:.*]] = arith.addf %[[O]], %[[P]] : f32
// EX1-NEXT:                loopnest.store %[[S]], %{{.*}}[%[[CO]], %[[OH]], %[[OW]]] : memref<8x6x6xf32>
// EX1-NEXT:              }
// EX1-NEXT:            }
// EX1-NEXT:          }
// EX1-NEXT:        }
// EX1-NEXT:      }
// EX1-NEXT:    }
// EX1-NEXT:    func.return

// Moving ci inside kh and kw reorders the reduction into O (the sum over
// (ci, kh, kw) runs in another order): accepted by default (reassociation),
// refused with strict=true (see interchange_loops_errors.mlir).

// REDUCE-LABEL: func.func @conv2d(
// REDUCE-NEXT:    loopnest.for co %{{.*}} in range(8) {
// REDUCE-NEXT:      loopnest.for oh %{{.*}} in range(6) {
// REDUCE-NEXT:        loopnest.for ow %{{.*}} in range(6) {
// REDUCE-NEXT:          loopnest.for kh %{{.*}} in range(3) {
// REDUCE-NEXT:            loopnest.for kw %{{.*}} in range(3) {
// REDUCE-NEXT:              loopnest.for ci %{{.*}} in range(8) {

// Moving the parallel loops oh, ow inside the reduction loops keeps the order
// of the reduction over (ci, kh, kw): legal even with strict=true.

// OWINNER-LABEL: func.func @conv2d(
// OWINNER-NEXT:    loopnest.for co %{{.*}} in range(8) {
// OWINNER-NEXT:      loopnest.for ci %{{.*}} in range(8) {
// OWINNER-NEXT:        loopnest.for kh %{{.*}} in range(3) {
// OWINNER-NEXT:          loopnest.for kw %{{.*}} in range(3) {
// OWINNER-NEXT:            loopnest.for oh %{{.*}} in range(6) {
// OWINNER-NEXT:              loopnest.for ow %{{.*}} in range(6) {

// A dependence of distance (1, 1) stays positive under interchange; the loop
// in between stays in place and bounds over outer loops are kept.

// CHECK-LABEL: func.func @stencil_1_1
// CHECK-NEXT:    loopnest.for t %[[T:.*]] in range(2) {
// CHECK-NEXT:      loopnest.for j %[[J:.*]] in range(%[[T]], 9) {
// CHECK-NEXT:        loopnest.for k %[[K:.*]] in range(2) {
// CHECK-NEXT:          loopnest.for i %[[I:.*]] in range(1, 10) {
// CHECK-NEXT:            %[[A:.*]] = loopnest.load %{{.*}}[%[[I]] - 1, %[[J]] - 1, %[[K]]] : memref<10x10x2xf32>
// CHECK-NEXT:            loopnest.store %[[A]], %{{.*}}[%[[I]], %[[J]], %[[K]]] : memref<10x10x2xf32>
func.func @stencil_1_1(%A: memref<10x10x2xf32>) {
  loopnest.for t %t in range(2) {
    loopnest.for i %i in range(1, 10) {
      loopnest.for k %k in range(2) {
        loopnest.for j %j in range(%t, 9) {
          %a = loopnest.load %A[%i - 1, %j - 1, %k] : memref<10x10x2xf32>
          loopnest.store %a, %A[%i, %j, %k] : memref<10x10x2xf32>
        }
      }
    }
  }
  func.return
}

// A function without the requested loops is left alone.

// CHECK-LABEL: func.func @untouched
// CHECK-NEXT:    loopnest.for p %{{.*}} in range(4) {
// CHECK-NEXT:      loopnest.for q %{{.*}} in range(4) {
func.func @untouched(%A: memref<4x4xf32>) {
  loopnest.for p %p in range(4) {
    loopnest.for q %q in range(4) {
      %a = loopnest.load %A[%p, %q] : memref<4x4xf32>
      loopnest.store %a, %A[%q, %p] : memref<4x4xf32>
    }
  }
  func.return
}
