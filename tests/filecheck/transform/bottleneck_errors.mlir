// Refusals of transform.loopnest.bottleneck: an error at the transform op
// and a note at the payload op; malformed ops are refused by the verifier;
// the op consumes its handles.

// RUN: xdsl-opt %s --split-input-file --verify-diagnostics -p 'loopnest-transform-interpreter' | filecheck %s

// Only the first layer's output channels: the second layer still reads all
// of T by its input channels.

// CHECK: error: 'transform.loopnest.bottleneck' op: cannot bottleneck loop 'co1' by 2: dimension 0 of %T would shrink to 4, but %T[ci2] indexes it by ci2, not by a bottlenecked loop
// CHECK-NEXT: note: 'loopnest.load' op: when applied to this loop
builtin.module attributes {transform.with_named_sequence} {
  func.func @two_layers(%T: memref<8xf32>, %O: memref<3xf32>) {
    loopnest.for co1 %co1 in range(8) {
      %t = loopnest.load %T[%co1] : memref<8xf32>
      loopnest.store %t, %T[%co1] : memref<8xf32>
    }
    loopnest.for co2 %co2 in range(3) {
      loopnest.for ci2 %ci2 in range(8) {
        %t = loopnest.load %T[%ci2] : memref<8xf32>
        loopnest.store %t, %O[%co2] : memref<3xf32>
      }
    }
    func.return
  }
  transform.named_sequence @__transform_main(%root: !transform.any_op) {
    %co1 = transform.loopnest.match "co1" in %root : (!transform.any_op) -> !transform.any_op
    %b = transform.loopnest.bottleneck %co1 {factor = 2 : i64} : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}

// -----

// CHECK: error: 'transform.loopnest.split' op: operand #0 (%co) is invalid: 'transform.loopnest.bottleneck' consumed it, or a loop enclosing its payload
// CHECK-NEXT: note: 'transform.loopnest.bottleneck' op: %co invalidated here
builtin.module attributes {transform.with_named_sequence} {
  func.func @f(%A: memref<8xf32>) {
    loopnest.for co %co in range(8) {
      %a = loopnest.load %A[%co] : memref<8xf32>
    }
    func.return
  }
  transform.named_sequence @__transform_main(%root: !transform.any_op) {
    %co = transform.loopnest.match "co" in %root : (!transform.any_op) -> !transform.any_op
    %b = transform.loopnest.bottleneck %co {factor = 2 : i64} : (!transform.any_op) -> !transform.any_op
    %o, %i, %t = transform.loopnest.split %co {factor = 2 : i64} : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// CHECK: error: 'transform.loopnest.bottleneck' op: factor must be positive, got 0
builtin.module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op) {
    %co = transform.loopnest.match "co" in %root : (!transform.any_op) -> !transform.any_op
    %b = transform.loopnest.bottleneck %co {factor = 0 : i64} : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}

// -----

// CHECK: error: 'transform.loopnest.bottleneck' op: takes at least one loop handle
builtin.module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op) {
    %b = transform.loopnest.bottleneck {factor = 2 : i64} : () -> !transform.any_op
    transform.yield
  }
}

// -----

// CHECK: error: 'transform.loopnest.bottleneck' op: operand #0 (%root) must hold 'loopnest.for' loops, it holds a 'builtin.module'
builtin.module attributes {transform.with_named_sequence} {
  func.func @f(%A: memref<8xf32>) {
    loopnest.for co %co in range(8) {
      %a = loopnest.load %A[%co] : memref<8xf32>
    }
    func.return
  }
  transform.named_sequence @__transform_main(%root: !transform.any_op) {
    %b = transform.loopnest.bottleneck %root {factor = 2 : i64} : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}
