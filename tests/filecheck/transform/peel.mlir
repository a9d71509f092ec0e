// transform.loopnest.peel: both results are handles (peeled loops, rest),
// a handle holding several loops peels each, and consuming a handle keeps
// the handles to loops around its loops valid.

// RUN: xdsl-opt %s -p 'loopnest-transform-interpreter,test-transform-dialect-erase-schedule' | filecheck %s

// CHECK-LABEL: func.func @copy
// CHECK-NEXT:    loopnest.for i %{{.*}} in range(5) {
// CHECK-NEXT:      loopnest.for j_peel %{{.*}} in range(1) {
// CHECK:           loopnest.for j %{{.*}} in range(1, 6) {
// CHECK:         loopnest.for tail %{{.*}} in range(5, 8) {
// CHECK-NEXT:      loopnest.for j_peel %{{.*}} in range(1) {
// CHECK:           loopnest.for j2 %{{.*}} in range(1, 3) {
// CHECK:           loopnest.for j %{{.*}} in range(3, 6) {
// CHECK:         func.return
// CHECK-NOT:   transform.
builtin.module attributes {transform.with_named_sequence} {
  func.func @copy(%A: memref<8x6xf32>, %B: memref<8x6xf32>) {
    loopnest.for i %i in range(8) {
      loopnest.for j %j in range(6) {
        %v = loopnest.load %A[%i, %j] : memref<8x6xf32>
        loopnest.store %v, %B[%i, %j] : memref<8x6xf32>
      }
    }
    func.return
  }
  transform.named_sequence @__transform_main(%root: !transform.any_op) {
    %i = transform.loopnest.match "i" in %root : (!transform.any_op) -> !transform.any_op
    %tail, %head = transform.loopnest.peel %i {count = 3 : i64, side = "back", name = "tail"} : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    // The j of both nests: each is peeled.
    %j = transform.loopnest.match "j" in %root : (!transform.any_op) -> !transform.any_op
    %j_peeled, %j_rest = transform.loopnest.peel %j {count = 1 : i64} : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    // %tail encloses the consumed loops: still valid; only its nest's j.
    %j_tail = transform.loopnest.match "j" in %tail : (!transform.any_op) -> !transform.any_op
    %a, %b = transform.loopnest.peel %j_tail {count = 2 : i64, name = "j2"} : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}
