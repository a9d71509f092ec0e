// The schedule of the transform-dialect extension's introduction, as
// written: peel two output channels, group the rest, swap oh and ow in the
// grouped nest.  It prints what the equivalent pass pipeline prints, except
// that the interchange acts only where its handles point (the grouped nest):
// the pipeline's `interchange-loops{loops=oh,ow}` would also swap the peeled
// nest, so the equal pipeline names the grouped band, `order=co,ci,ow,oh`.

// RUN: xdsl-opt %s -p 'loopnest-transform-interpreter,test-transform-dialect-erase-schedule' > %t.script
// RUN: xdsl-opt %s -p 'peel-loops{loop=co count=2},group-loops{loops=co,ci groups=2},interchange-loops{order=co,ci,ow,oh},test-transform-dialect-erase-schedule' > %t.pipeline
// RUN: filecheck %s --input-file %t.script
// RUN: xdsl-opt %s -p 'peel-loops{loop=co count=2},group-loops{loops=co,ci groups=2},interchange-loops{loops=oh,ow}' | filecheck %s --check-prefix=EVERYWHERE
// RUN: diff %t.script %t.pipeline
// (`diff` last: after lit's built-in `diff`, later commands see lit's own PYTHONPATH.)

// The peeled nest keeps oh outside ow; the grouped nest runs ow outside oh.
// CHECK:      builtin.module attributes {transform.with_named_sequence} {
// CHECK-NEXT:   func.func @conv2d(
// CHECK-NEXT:     loopnest.for co_peel %{{.*}} in range(2) {
// CHECK-NEXT:       loopnest.for ci %{{.*}} in range(8) {
// CHECK-NEXT:         loopnest.for oh %{{.*}} in range(6) {
// CHECK-NEXT:           loopnest.for ow %{{.*}} in range(6) {
// CHECK:          loopnest.for g %[[G:.*]] in range(2) {
// CHECK-NEXT:       loopnest.for co %{{.*}} in range(%[[G]] * 3 + 2, %[[G]] * 3 + 5) {
// CHECK-NEXT:         loopnest.for ci %{{.*}} in range(%[[G]] * 4, %[[G]] * 4 + 4) {
// CHECK-NEXT:           loopnest.for ow %{{.*}} in range(6) {
// CHECK-NEXT:             loopnest.for oh %{{.*}} in range(6) {
// CHECK-NOT:  transform.
// CHECK:      func.return

// The pass swaps every nest holding both loops, the peeled one too.
// EVERYWHERE:      loopnest.for co_peel %{{.*}} in range(2) {
// EVERYWHERE-NEXT:   loopnest.for ci %{{.*}} in range(8) {
// EVERYWHERE-NEXT:     loopnest.for ow %{{.*}} in range(6) {
// EVERYWHERE-NEXT:       loopnest.for oh %{{.*}} in range(6) {

builtin.module attributes {transform.with_named_sequence} {
  func.func @conv2d(%O: memref<8x6x6xf32>, %I: memref<8x8x8xf32>, %W: memref<8x8x3x3xf32>) {
    loopnest.for co %co in range(8) {
      loopnest.for ci %ci in range(8) {
        loopnest.for oh %oh in range(6) {
          loopnest.for ow %ow in range(6) {
            loopnest.for kh %kh in range(3) {
              loopnest.for kw %kw in range(3) {
                %o = loopnest.load %O[%co, %oh, %ow] : memref<8x6x6xf32>
                %i = loopnest.load %I[%ci, %oh + %kh, %ow + %kw] : memref<8x8x8xf32>
                %w = loopnest.load %W[%co, %ci, %kh, %kw] : memref<8x8x3x3xf32>
                %p = arith.mulf %i, %w : f32
                %s = arith.addf %o, %p : f32
                loopnest.store %s, %O[%co, %oh, %ow] : memref<8x6x6xf32>
              }
            }
          }
        }
      }
    }
    func.return
  }
  transform.named_sequence @__transform_main(%root: !transform.any_op) {
    %co = transform.loopnest.match "co" in %root : (!transform.any_op) -> !transform.any_op
    %peeled, %rest = transform.loopnest.peel %co {count = 2 : i64} : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %ci = transform.loopnest.match "ci" in %rest : (!transform.any_op) -> !transform.any_op
    %g = transform.loopnest.group %rest, %ci {groups = 2 : i64} : (!transform.any_op, !transform.any_op) -> !transform.any_op
    %oh = transform.loopnest.match "oh" in %g : (!transform.any_op) -> !transform.any_op
    %ow = transform.loopnest.match "ow" in %g : (!transform.any_op) -> !transform.any_op
    transform.loopnest.interchange %oh, %ow : (!transform.any_op, !transform.any_op) -> ()
    transform.yield
  }
}
