// transform.loopnest.group: options as group-loops (groups, name, compact);
// the result is the new group loop, a handle for the next step.

// RUN: xdsl-opt %s -p 'loopnest-transform-interpreter,test-transform-dialect-erase-schedule' | filecheck %s

// i and k are grouped under `grp`; A, indexed by both, is compacted along k
// (the second handle); then j, matched inside `grp`, is strip-mined.
// CHECK-LABEL: func.func @mm(%{{.*}}: memref<8x4xf32>, %{{.*}}: memref<8x8xf32>, %{{.*}}: memref<8x8xf32>) {
// CHECK-NEXT:    loopnest.for grp %[[G:.*]] in range(2) {
// CHECK-NEXT:      loopnest.for i %[[I:.*]] in range(%[[G]] * 4, %[[G]] * 4 + 4) {
// CHECK-NEXT:        loopnest.for g %[[G2:.*]] in range(4) {
// CHECK-NEXT:          loopnest.for j %{{.*}} in range(%[[G2]] * 2, %[[G2]] * 2 + 2) {
// CHECK-NEXT:            loopnest.for k %[[K:.*]] in range(%[[G]] * 4, %[[G]] * 4 + 4) {
// CHECK-NEXT:              %{{.*}} = loopnest.load %{{.*}}[%[[I]], %[[K]] - %[[G]] * 4] : memref<8x4xf32>
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
    %k = transform.loopnest.match "k" in %root : (!transform.any_op) -> !transform.any_op
    %grp = transform.loopnest.group %i, %k {groups = 2 : i64, name = "grp", compact} : (!transform.any_op, !transform.any_op) -> !transform.any_op
    %j = transform.loopnest.match "j" in %grp : (!transform.any_op) -> !transform.any_op
    %g = transform.loopnest.group %j {groups = 4 : i64} : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}
