// transform.loopnest.bottleneck: the paper's bottleneck between two layers,
// the first one's output channels and the second one's input channels
// shrinking together with the activation between them; the result handle
// holds the shrunk loops.

// RUN: xdsl-opt %s -p 'loopnest-transform-interpreter,test-transform-dialect-erase-schedule,loopnest-check-bounds' | filecheck %s

// CHECK-LABEL: func.func @two_layers(
// CHECK-SAME:      %[[I:[^:]*]]: memref<6x5xf32>, %[[W1:[^:]*]]: memref<4x6xf32>, %[[T:[^:]*]]: memref<4x5xf32>, %[[W2:[^:]*]]: memref<3x4xf32>, %[[O:[^:]*]]: memref<3x5xf32>) {
// CHECK-NEXT:    loopnest.for co1 %[[CO1:.*]] in range(0, 4, 2) {
// CHECK-NEXT:      loopnest.for co1_i %[[CO1I:.*]] in range(%[[CO1]], %[[CO1]] + 2) {
// CHECK-NEXT:        loopnest.for ci1 %[[CI1:.*]] in range(6) {
// CHECK-NEXT:          loopnest.for x %[[X:.*]] in range(5) {
// CHECK-NEXT:            %{{.*}} = loopnest.load %[[I]][%[[CI1]], %[[X]]] : memref<6x5xf32>
// CHECK-NEXT:            %{{.*}} = loopnest.load %[[W1]][%[[CO1I]], %[[CI1]]] : memref<4x6xf32>
// CHECK-NEXT:            %{{.*}} = loopnest.load %[[T]][%[[CO1I]], %[[X]]] : memref<4x5xf32>
// CHECK:                 loopnest.store %{{.*}}, %[[T]][%[[CO1I]], %[[X]]] : memref<4x5xf32>
// CHECK:         loopnest.for co2 %[[CO2:.*]] in range(3) {
// CHECK-NEXT:      loopnest.for ci2 %[[CI2:.*]] in range(4) {
// CHECK-NEXT:        loopnest.for x %[[X2:.*]] in range(5) {
// CHECK-NEXT:          %{{.*}} = loopnest.load %[[T]][%[[CI2]], %[[X2]]] : memref<4x5xf32>
// CHECK-NEXT:          %{{.*}} = loopnest.load %[[W2]][%[[CO2]], %[[CI2]]] : memref<3x4xf32>
// CHECK-NOT:   transform.
builtin.module attributes {transform.with_named_sequence} {
  func.func @two_layers(%I: memref<6x5xf32>, %W1: memref<8x6xf32>, %T: memref<8x5xf32>, %W2: memref<3x8xf32>, %O: memref<3x5xf32>) {
    loopnest.for co1 %co1 in range(8) {
      loopnest.for ci1 %ci1 in range(6) {
        loopnest.for x %x in range(5) {
          %i = loopnest.load %I[%ci1, %x] : memref<6x5xf32>
          %w = loopnest.load %W1[%co1, %ci1] : memref<8x6xf32>
          %t = loopnest.load %T[%co1, %x] : memref<8x5xf32>
          %p = arith.mulf %i, %w : f32
          %s = arith.addf %t, %p : f32
          loopnest.store %s, %T[%co1, %x] : memref<8x5xf32>
        }
      }
    }
    loopnest.for co2 %co2 in range(3) {
      loopnest.for ci2 %ci2 in range(8) {
        loopnest.for x %x in range(5) {
          %t = loopnest.load %T[%ci2, %x] : memref<8x5xf32>
          %w = loopnest.load %W2[%co2, %ci2] : memref<3x8xf32>
          %o = loopnest.load %O[%co2, %x] : memref<3x5xf32>
          %p = arith.mulf %t, %w : f32
          %s = arith.addf %o, %p : f32
          loopnest.store %s, %O[%co2, %x] : memref<3x5xf32>
        }
      }
    }
    func.return
  }
  transform.named_sequence @__transform_main(%root: !transform.any_op) {
    %co1 = transform.loopnest.match "co1" in %root : (!transform.any_op) -> !transform.any_op
    %ci2 = transform.loopnest.match "ci2" in %root : (!transform.any_op) -> !transform.any_op
    %b = transform.loopnest.bottleneck %co1, %ci2 {factor = 2 : i64} : (!transform.any_op, !transform.any_op) -> !transform.any_op
    // %b holds the shrunk co1 and ci2; split co1 through a match inside the
    // first layer's loops only.
    %c = transform.loopnest.match "co1" in %b : (!transform.any_op) -> !transform.any_op
    %outer, %inner, %tail = transform.loopnest.split %c {factor = 2 : i64} : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}
