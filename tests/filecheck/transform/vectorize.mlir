// transform.loopnest.vectorize: the marker by handle, the same as
// vectorize-loops; the handle stays valid (marking replaces nothing).

// RUN: xdsl-opt %s -p 'loopnest-transform-interpreter,test-transform-dialect-erase-schedule' | filecheck %s
// RUN: xdsl-opt %s -p 'loopnest-transform-interpreter,test-transform-dialect-erase-schedule' > %t.script
// RUN: xdsl-opt %s -p 'split-loops{loop=j factor=4},vectorize-loops{loop=j_i width=4},vectorize-loops{loop=j_tail},test-transform-dialect-erase-schedule' > %t.passes
// RUN: cmp %t.script %t.passes

// CHECK-LABEL: func.func @copy
// CHECK-NEXT:    loopnest.for i %{{.*}} in range(10) {
// CHECK-NEXT:      loopnest.for j %[[J:.*]] in range(0, 4, 4) {
// CHECK-NEXT:        loopnest.for j_i %{{.*}} in range(%[[J]], %[[J]] + 4) vectorize(4) {
// CHECK:           loopnest.for j_tail %{{.*}} in range(4, 6) vectorize(2) {
// CHECK-NOT:   transform.
builtin.module attributes {transform.with_named_sequence} {
  func.func @copy(%A: memref<10x6xf32>, %B: memref<10x6xf32>) {
    loopnest.for i %i in range(10) {
      loopnest.for j %j in range(6) {
        %v = loopnest.load %A[%i, %j] : memref<10x6xf32>
        loopnest.store %v, %B[%i, %j] : memref<10x6xf32>
      }
    }
    func.return
  }
  transform.named_sequence @__transform_main(%root: !transform.any_op) {
    %j = transform.loopnest.match "j" in %root : (!transform.any_op) -> !transform.any_op
    %outer, %inner, %tail = transform.loopnest.split %j {factor = 4 : i64} : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    transform.loopnest.vectorize %inner {width = 4 : i64} : !transform.any_op
    transform.loopnest.vectorize %tail : !transform.any_op
    transform.loopnest.vectorize %tail : !transform.any_op
    transform.yield
  }
}
