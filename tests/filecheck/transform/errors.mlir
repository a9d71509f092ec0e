// Every refusal of a transform.loopnest op: a diagnostic at the transform
// op, and a note at the payload loop when a transformation refused it (as
// MLIR reports a definite failure); malformed ops are refused by the verifier.

// RUN: xdsl-opt %s --split-input-file --verify-diagnostics -p 'loopnest-transform-interpreter' | filecheck %s

// CHECK: error: 'transform.loopnest.peel' op: cannot peel 6 iterations of loop 'i': it runs 6 times, so nothing would remain
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
    %a, %b = transform.loopnest.peel %i {count = 6 : i64} : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// CHECK: error: 'transform.loopnest.peel' op: count must be positive, got 0
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
    %a, %b = transform.loopnest.peel %i {count = 0 : i64} : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// CHECK: error: 'transform.loopnest.peel' op: side must be "front" or "back", got "middle"
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
    %a, %b = transform.loopnest.peel %i {count = 1 : i64, side = "middle"} : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// CHECK: error: 'transform.loopnest.peel' op: cannot name the peeled loop 'j': a loop of that name already encloses or is inside loop 'i'
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
    %a, %b = transform.loopnest.peel %i {count = 1 : i64, name = "j"} : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// CHECK: error: 'transform.loopnest.match' op (loop 'k'): no loop named 'k' in the payload of %root (loops: i, j)
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
    %k = transform.loopnest.match "k" in %root : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}

// -----

// CHECK: error: 'transform.loopnest.match' op (loop 'j'): operand #0 (%i) is invalid: 'transform.loopnest.peel' consumed it, or a loop enclosing its payload
// CHECK-NEXT: note: 'transform.loopnest.peel' op: %i invalidated here
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
    %a, %b = transform.loopnest.peel %i {count = 1 : i64} : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %j = transform.loopnest.match "j" in %i : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}

// -----

// CHECK: error: 'transform.loopnest.interchange' op: operand #1 (%j) is invalid: 'transform.loopnest.peel' consumed it, or a loop enclosing its payload
// CHECK-NEXT: note: 'transform.loopnest.peel' op: %j invalidated here
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
    %j = transform.loopnest.match "j" in %root : (!transform.any_op) -> !transform.any_op
    %a, %b = transform.loopnest.peel %i {count = 1 : i64} : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.loopnest.interchange %b, %j : (!transform.any_op, !transform.any_op) -> ()
    transform.yield
  }
}

// -----

// CHECK: error: 'transform.loopnest.group' op: cannot group loop 'i' 4 ways: its trip count 6 is not divisible by 4
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
    %j = transform.loopnest.match "j" in %root : (!transform.any_op) -> !transform.any_op
    %g = transform.loopnest.group %i, %j {groups = 4 : i64} : (!transform.any_op, !transform.any_op) -> !transform.any_op
    transform.yield
  }
}

// -----

// CHECK: error: 'transform.loopnest.group' op: groups must be at least 1, got 0
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
    %g = transform.loopnest.group %i {groups = 0 : i64} : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}

// -----

// CHECK: error: 'transform.loopnest.group' op: operand #0 (%root) must hold 'loopnest.for' loops, it holds a 'builtin.module'
// CHECK-NEXT: note: 'builtin.module' op: this payload op
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
    %g = transform.loopnest.group %root {groups = 2 : i64} : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}

// -----

// CHECK: error: 'transform.loopnest.group' op: operands #0 and #1 hold the same loop 'i'
// CHECK-NEXT: note: 'loopnest.for' op (loop 'i'): this loop
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
    %g = transform.loopnest.group %i, %i {groups = 2 : i64} : (!transform.any_op, !transform.any_op) -> !transform.any_op
    transform.yield
  }
}

// -----

// CHECK: error: 'transform.loopnest.interchange' op: cannot permute loops 'i', 'j': it would reverse the flow dependence from the store to %A[i, j] {{.*}} to the load of %A[i - 1, j + 1] {{.*}}, distance (1, -1) over loops (i, j)
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
    %j = transform.loopnest.match "j" in %root : (!transform.any_op) -> !transform.any_op
    transform.loopnest.interchange %i, %j : (!transform.any_op, !transform.any_op) -> ()
    transform.yield
  }
}

// -----

// CHECK: error: 'transform.loopnest.interchange' op: order must be a permutation of 0..1 (one entry per handle), got [0, 0]
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
    %j = transform.loopnest.match "j" in %root : (!transform.any_op) -> !transform.any_op
    transform.loopnest.interchange %i, %j {order = array<i64: 0, 0>} : (!transform.any_op, !transform.any_op) -> ()
    transform.yield
  }
}

// -----

// CHECK: error: 'transform.loopnest.interchange' op: swaps two loop handles, got 1 (give order = array<i64: ...> to reorder a band)
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
    transform.loopnest.interchange %i : (!transform.any_op) -> ()
    transform.yield
  }
}

// -----

// CHECK: error: 'transform.loopnest.interchange' op: cannot reorder the loops of %l, %i_rest: they do not form a perfectly nested band (the band from loop 'i' is 'i')
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
    %j = transform.loopnest.match "j" in %root : (!transform.any_op) -> !transform.any_op
    %i_peel, %i_rest = transform.loopnest.peel %i {count = 1 : i64} : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %j2 = transform.loopnest.match "j" in %i_rest : (!transform.any_op) -> !transform.any_op
    %k, %l = transform.loopnest.peel %j2 {count = 1 : i64} : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.loopnest.interchange %l, %i_rest {order = array<i64: 0, 1>} : (!transform.any_op, !transform.any_op) -> ()
    transform.yield
  }
}

// -----

// A pass applied by the script consumes its target, as in MLIR.
// CHECK: error: 'transform.loopnest.match' op (loop 'i'): operand #0 (%root) is invalid: 'transform.apply_registered_pass' consumed it, or a loop enclosing its payload
// CHECK-NEXT: note: 'transform.apply_registered_pass' op: %root invalidated here
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
    %m = transform.apply_registered_pass "peel-loops" with options = {loop = "i", count = 1 : i64} to %root : (!transform.any_op) -> !transform.any_op
    %i = transform.loopnest.match "i" in %root : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}

// -----

// CHECK: error: 'transform.apply_registered_pass' op: transform.apply_registered_pass applies to builtin.module targets only, got a 'loopnest.for'
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
    %m = transform.apply_registered_pass "peel-loops" to %i : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}

// -----

// A pass the script applies refuses: the error names the transform op.
// CHECK: error: 'transform.apply_registered_pass' op: cannot peel 6 iterations of loop 'i': it runs 6 times, so nothing would remain
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
    %m = transform.apply_registered_pass "peel-loops" with options = {loop = "i", count = 6 : i64} to %root : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}
