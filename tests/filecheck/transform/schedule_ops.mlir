// transform.loopnest.split, unroll and parallelize: the handles split
// returns (outer, inner, tail), a schedule built from them, and the same
// schedule by passes.

// RUN: xdsl-opt %s -p 'loopnest-transform-interpreter,test-transform-dialect-erase-schedule' | filecheck %s
// RUN: xdsl-opt %s -p 'loopnest-transform-interpreter,test-transform-dialect-erase-schedule' > %t.script
// RUN: xdsl-opt %s -p 'split-loops{loop=i factor=4},parallelize-loops{loop=i},parallelize-loops{loop=i_tail},unroll-loops{loop=i_i factor=0},test-transform-dialect-erase-schedule' > %t.passes
// RUN: cmp %t.script %t.passes

// CHECK-LABEL: func.func @copy
// CHECK-NEXT:    loopnest.for i %[[I:.*]] in range(0, 8, 4) parallel {
// CHECK-NEXT:      loopnest.for j %[[J0:.*]] in range(6) {
// CHECK-NEXT:        %{{.*}} = loopnest.load %{{.*}}[%[[I]], %[[J0]]] : memref<10x6xf32>
// CHECK-NEXT:        loopnest.store %{{.*}}, %{{.*}}[%[[I]], %[[J0]]] : memref<10x6xf32>
// CHECK-NEXT:      }
// CHECK-NEXT:      loopnest.for j %[[J1:.*]] in range(6) {
// CHECK-NEXT:        %{{.*}} = loopnest.load %{{.*}}[%[[I]] + 1, %[[J1]]] : memref<10x6xf32>
// CHECK:           loopnest.for j %{{.*}} in range(6) {
// CHECK-NEXT:        %{{.*}} = loopnest.load %{{.*}}[%[[I]] + 2, %{{.*}}] : memref<10x6xf32>
// CHECK:           loopnest.for j %{{.*}} in range(6) {
// CHECK-NEXT:        %{{.*}} = loopnest.load %{{.*}}[%[[I]] + 3, %{{.*}}] : memref<10x6xf32>
// CHECK:         loopnest.for i_tail %[[T:.*]] in range(8, 10) parallel {
// CHECK-NEXT:      loopnest.for j %{{.*}} in range(6) {
// CHECK-NEXT:        %{{.*}} = loopnest.load %{{.*}}[%[[T]], %{{.*}}] : memref<10x6xf32>
// CHECK:         func.return
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
    %i = transform.loopnest.match "i" in %root : (!transform.any_op) -> !transform.any_op
    %outer, %inner, %tail = transform.loopnest.split %i {factor = 4 : i64} : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    // Marking replaces nothing: %outer stays valid.
    transform.loopnest.parallelize %outer : !transform.any_op
    transform.loopnest.parallelize %tail : !transform.any_op
    transform.loopnest.parallelize %outer : !transform.any_op
    transform.loopnest.unroll %inner {factor = 0 : i64} : !transform.any_op
    transform.yield
  }
}
