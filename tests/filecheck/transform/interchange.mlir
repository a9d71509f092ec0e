// transform.loopnest.interchange: a swap of two handles' loops, or a band
// reordered by `order` (positions of the handles, new outermost first); the
// results are the rebuilt loops, handle by handle.

// RUN: xdsl-opt %s -p 'loopnest-transform-interpreter,test-transform-dialect-erase-schedule' | filecheck %s

// order = [2, 0, 1] runs k, i, j; then swapping the results of i and j gives
// k, j, i (the reduction over k may be reordered without `strict`).
// CHECK-LABEL: func.func @mm(
// CHECK-NEXT:    loopnest.for k %[[K:.*]] in range(8) {
// CHECK-NEXT:      loopnest.for j %[[J:.*]] in range(8) {
// CHECK-NEXT:        loopnest.for i %[[I:.*]] in range(8) {
// CHECK-NEXT:          %{{.*}} = loopnest.load %{{.*}}[%[[I]], %[[K]]] : memref<8x8xf32>
builtin.module attributes {transform.with_named_sequence} {
  func.func @mm(%A: memref<8x8xf32>, %B: memref<8x8xf32>, %C: memref<8x8xf32>) {
    loopnest.for i %i in range(8) {
      loopnest.for j %j in range(8) {
        loopnest.for k %k in range(8) {
          %a = loopnest.load %A[%i, %k] : memref<8x8xf32>
          %b = loopnest.load %B[%k, %j] : memref<8x8xf32>
          %c = loopnest.load %C[%i, %j] : memref<8x8xf32>
          %p = arith.mulf %a, %b : f32
          %s = arith.addf %c, %p : f32
          loopnest.store %s, %C[%i, %j] : memref<8x8xf32>
        }
      }
    }
    func.return
  }
  transform.named_sequence @__transform_main(%root: !transform.any_op) {
    %i = transform.loopnest.match "i" in %root : (!transform.any_op) -> !transform.any_op
    %j = transform.loopnest.match "j" in %root : (!transform.any_op) -> !transform.any_op
    %k = transform.loopnest.match "k" in %root : (!transform.any_op) -> !transform.any_op
    %i2, %j2, %k2 = transform.loopnest.interchange %i, %j, %k {order = array<i64: 2, 0, 1>} : (!transform.any_op, !transform.any_op, !transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    transform.loopnest.interchange %i2, %j2 : (!transform.any_op, !transform.any_op) -> ()
    transform.yield
  }
}
