// Handles holding several loops pair nest by nest, as the passes do: after
// a peel, "kh" and "kw" hold the loops of both nests and the swap applies
// in each; a nest without a loop of every handle is left alone.

// RUN: xdsl-opt %s -p 'loopnest-transform-interpreter,test-transform-dialect-erase-schedule' | filecheck %s

// CHECK-LABEL: func.func @conv
// CHECK-NEXT:    loopnest.for co_peel %{{.*}} in range(2) {
// CHECK-NEXT:      loopnest.for ci %{{.*}} in range(4) {
// CHECK-NEXT:        loopnest.for kw %{{.*}} in range(3) {
// CHECK-NEXT:          loopnest.for kh %{{.*}} in range(3) {
// CHECK:         loopnest.for g %[[G:.*]] in range(2) {
// CHECK-NEXT:      loopnest.for co %{{.*}} in range(%[[G]] + 2, %[[G]] + 3) {
// CHECK-NEXT:        loopnest.for ci %{{.*}} in range(%[[G]] * 2, %[[G]] * 2 + 2) {
// CHECK-NEXT:          loopnest.for kw %{{.*}} in range(3) {
// CHECK-NEXT:            loopnest.for kh %{{.*}} in range(3) {
// CHECK-NOT:     loopnest.for g
builtin.module attributes {transform.with_named_sequence} {
  func.func @conv(%O: memref<4x4xf32>, %I: memref<4x6xf32>, %W: memref<4x4x3x3xf32>) {
    loopnest.for co %co in range(4) {
      loopnest.for ci %ci in range(4) {
        loopnest.for kh %kh in range(3) {
          loopnest.for kw %kw in range(3) {
            %o = loopnest.load %O[%co, %kh] : memref<4x4xf32>
            %i = loopnest.load %I[%ci, %kh + %kw] : memref<4x6xf32>
            %w = loopnest.load %W[%co, %ci, %kh, %kw] : memref<4x4x3x3xf32>
            %p = arith.mulf %i, %w : f32
            %s = arith.addf %o, %p : f32
            loopnest.store %s, %O[%co, %kh] : memref<4x4xf32>
          }
        }
      }
    }
    func.return
  }
  transform.named_sequence @__transform_main(%root: !transform.any_op) {
    %co = transform.loopnest.match "co" in %root : (!transform.any_op) -> !transform.any_op
    %peeled, %rest = transform.loopnest.peel %co {count = 2 : i64} : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %kh = transform.loopnest.match "kh" in %root : (!transform.any_op) -> !transform.any_op
    %kw = transform.loopnest.match "kw" in %root : (!transform.any_op) -> !transform.any_op
    transform.loopnest.interchange %kh, %kw : (!transform.any_op, !transform.any_op) -> ()
    // "ci" is in both nests, "co" only in the rest: the peeled nest stays.
    %co2 = transform.loopnest.match "co" in %root : (!transform.any_op) -> !transform.any_op
    %ci = transform.loopnest.match "ci" in %root : (!transform.any_op) -> !transform.any_op
    %g = transform.loopnest.group %co2, %ci {groups = 2 : i64} : (!transform.any_op, !transform.any_op) -> !transform.any_op
    transform.yield
  }
}
