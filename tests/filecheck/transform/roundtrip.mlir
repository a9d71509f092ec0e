// The transform.loopnest ops print as they parse (options in the attribute
// dictionary, as given), and print-parse-print is stable.

// RUN: xdsl-opt %s | filecheck %s
// RUN: xdsl-opt %s | xdsl-opt | filecheck %s

// CHECK:      %co = transform.loopnest.match "co" in %root : (!transform.any_op) -> !transform.any_op
// CHECK-NEXT: %p, %r = transform.loopnest.peel %co {count = 2 : i64, side = "front"} : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
// CHECK-NEXT: %p2, %r2 = transform.loopnest.peel %r {count = 1 : i64, side = "back", name = "tail"} : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
// CHECK-NEXT: %ci = transform.loopnest.match "ci" in %r2 : (!transform.any_op) -> !transform.any_op
// CHECK-NEXT: %g = transform.loopnest.group %r2, %ci {groups = 2 : i64, name = "grp", compact} : (!transform.any_op, !transform.any_op) -> !transform.any_op
// CHECK-NEXT: transform.loopnest.interchange %co, %ci : (!transform.any_op, !transform.any_op) -> ()
// CHECK-NEXT: %a, %b, %c = transform.loopnest.interchange %co, %ci, %g {order = array<i64: 2, 0, 1>, strict} : (!transform.any_op, !transform.any_op, !transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
builtin.module attributes {transform.with_named_sequence} {
  func.func @f(%A: memref<4xf32>) {
    loopnest.for co %co in range(4) {
      %v = loopnest.load %A[%co] : memref<4xf32>
    }
    func.return
  }
  transform.named_sequence @__transform_main(%root: !transform.any_op) {
    %co = transform.loopnest.match "co" in %root : (!transform.any_op) -> !transform.any_op
    %p, %r = transform.loopnest.peel %co {count = 2 : i64, side = "front"} : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %p2, %r2 = transform.loopnest.peel %r {count = 1 : i64, side = "back", name = "tail"} : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %ci = transform.loopnest.match "ci" in %r2 : (!transform.any_op) -> !transform.any_op
    %g = transform.loopnest.group %r2, %ci {groups = 2 : i64, name = "grp", compact} : (!transform.any_op, !transform.any_op) -> !transform.any_op
    transform.loopnest.interchange %co, %ci : (!transform.any_op, !transform.any_op) -> ()
    %a, %b, %c = transform.loopnest.interchange %co, %ci, %g {order = array<i64: 2, 0, 1>, strict} : (!transform.any_op, !transform.any_op, !transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}
