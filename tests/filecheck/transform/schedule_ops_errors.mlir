// Refusals of transform.loopnest.split, unroll and parallelize: an error at
// the transform op and a note at the payload loop; malformed ops are refused
// by the verifier; unroll and split consume their handle.

// RUN: xdsl-opt %s --split-input-file --verify-diagnostics -p 'loopnest-transform-interpreter' | filecheck %s

// CHECK: error: 'transform.loopnest.parallelize' op: cannot parallelize loop 'i': it carries the flow dependence from the store to %A[i, j] (line 14) to the load of %A[i - 1, j + 1] (line 13), distance (1, -1) over loops (i, j)
// CHECK-NEXT: note: 'loopnest.for' op (loop 'i'): when applied to this loop
builtin.module attributes {transform.with_named_sequence} {
  func.func @s(%A: memref<8x8xf32>) {
    loopnest.for i %i in range(1, 7) {
      loopnest.for j %j in range(1, 7) {
        %v = loopnest.load %A[%i - 1, %j + 1] : memref<8x8xf32>
        loopnest.store %v, %A[%i, %j] : memref<8x8xf32>
      }
    }
    func.return
  }
  transform.named_sequence @__transform_main(%root: !transform.any_op) {
    %i = transform.loopnest.match "i" in %root : (!transform.any_op) -> !transform.any_op
    transform.loopnest.parallelize %i : !transform.any_op
    transform.yield
  }
}

// -----

// CHECK: error: 'transform.loopnest.unroll' op: cannot unroll loop 'j' fully: its trip count is not constant
// CHECK-NEXT: note: 'loopnest.for' op (loop 'j'): when applied to this loop
builtin.module attributes {transform.with_named_sequence} {
  func.func @s(%A: memref<8x8xf32>) {
    loopnest.for i %i in range(8) {
      loopnest.for j %j in range(%i, 8) {
        %v = loopnest.load %A[%i, %j] : memref<8x8xf32>
      }
    }
    func.return
  }
  transform.named_sequence @__transform_main(%root: !transform.any_op) {
    %j = transform.loopnest.match "j" in %root : (!transform.any_op) -> !transform.any_op
    transform.loopnest.unroll %j {factor = 0 : i64} : !transform.any_op
    transform.yield
  }
}

// -----

// CHECK: error: 'transform.loopnest.split' op: cannot split loop 'i' by 9: it runs 8 times, fewer than one tile
// CHECK-NEXT: note: 'loopnest.for' op (loop 'i'): when applied to this loop
builtin.module attributes {transform.with_named_sequence} {
  func.func @s(%A: memref<8xf32>) {
    loopnest.for i %i in range(8) {
      %v = loopnest.load %A[%i] : memref<8xf32>
    }
    func.return
  }
  transform.named_sequence @__transform_main(%root: !transform.any_op) {
    %i = transform.loopnest.match "i" in %root : (!transform.any_op) -> !transform.any_op
    %a, %b, %c = transform.loopnest.split %i {factor = 9 : i64} : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// CHECK: error: 'transform.loopnest.split' op: factor must be positive, got -1
builtin.module attributes {transform.with_named_sequence} {
  func.func @s(%A: memref<8xf32>) {
    loopnest.for i %i in range(8) {
      %v = loopnest.load %A[%i] : memref<8xf32>
    }
    func.return
  }
  transform.named_sequence @__transform_main(%root: !transform.any_op) {
    %i = transform.loopnest.match "i" in %root : (!transform.any_op) -> !transform.any_op
    %a, %b, %c = transform.loopnest.split %i {factor = -1 : i64} : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// CHECK: error: 'transform.loopnest.unroll' op: factor must be 0 (fully) or positive, got -2
builtin.module attributes {transform.with_named_sequence} {
  func.func @s(%A: memref<8xf32>) {
    loopnest.for i %i in range(8) {
      %v = loopnest.load %A[%i] : memref<8xf32>
    }
    func.return
  }
  transform.named_sequence @__transform_main(%root: !transform.any_op) {
    %i = transform.loopnest.match "i" in %root : (!transform.any_op) -> !transform.any_op
    transform.loopnest.unroll %i {factor = -2 : i64} : !transform.any_op
    transform.yield
  }
}

// -----

// CHECK: error: 'transform.loopnest.parallelize' op: operand #0 (%i) is invalid: 'transform.loopnest.unroll' consumed it, or a loop enclosing its payload
// CHECK-NEXT: note: 'transform.loopnest.unroll' op: %i invalidated here
builtin.module attributes {transform.with_named_sequence} {
  func.func @s(%A: memref<8xf32>) {
    loopnest.for i %i in range(8) {
      %v = loopnest.load %A[%i] : memref<8xf32>
    }
    func.return
  }
  transform.named_sequence @__transform_main(%root: !transform.any_op) {
    %i = transform.loopnest.match "i" in %root : (!transform.any_op) -> !transform.any_op
    transform.loopnest.unroll %i {factor = 2 : i64} : !transform.any_op
    transform.loopnest.parallelize %i : !transform.any_op
    transform.yield
  }
}

// -----

// CHECK: error: 'transform.loopnest.vectorize' op: cannot vectorize loop 'i': it is not innermost: loop 'j' is inside it
// CHECK-NEXT: note: 'loopnest.for' op (loop 'i'): when applied to this loop
builtin.module attributes {transform.with_named_sequence} {
  func.func @v(%A: memref<8x8xf32>) {
    loopnest.for i %i in range(8) {
      loopnest.for j %j in range(8) {
        %v = loopnest.load %A[%i, %j] : memref<8x8xf32>
        loopnest.store %v, %A[%i, %j] : memref<8x8xf32>
      }
    }
    func.return
  }
  transform.named_sequence @__transform_main(%root: !transform.any_op) {
    %i = transform.loopnest.match "i" in %root : (!transform.any_op) -> !transform.any_op
    transform.loopnest.vectorize %i : !transform.any_op
    transform.yield
  }
}

// -----

// CHECK: error: 'transform.loopnest.vectorize' op: width must be 0 (the whole loop) or positive, got -4
builtin.module attributes {transform.with_named_sequence} {
  func.func @w(%A: memref<8xf32>) {
    loopnest.for i %i in range(8) {
      %v = loopnest.load %A[%i] : memref<8xf32>
      loopnest.store %v, %A[%i] : memref<8xf32>
    }
    func.return
  }
  transform.named_sequence @__transform_main(%root: !transform.any_op) {
    %i = transform.loopnest.match "i" in %root : (!transform.any_op) -> !transform.any_op
    transform.loopnest.vectorize %i {width = -4 : i64} : !transform.any_op
    transform.yield
  }
}
