// RUN: xdsl-opt %s --split-input-file --parsing-diagnostics | filecheck %s
// Errors the custom syntax reports while parsing.

func.func @semi_affine_bound(%A: memref<8xf32>) {
  loopnest.for i %i in range(4) {
    loopnest.for j %j in range(%i * %i) {
    }
  }
  func.return
}
// CHECK: parse-errors.mlir:6:35
// CHECK-NEXT: range(%i * %i)
// CHECK-NEXT: {{^ +\^$}}
// CHECK-NEXT: semi-affine expressions are not supported: '%i * %i' multiplies two non-constant expressions

// -----

func.func @semi_affine_index(%A: memref<8xf32>) {
  loopnest.for i %i in range(4) {
    %v = loopnest.load %A[%i floordiv %i] : memref<8xf32>
  }
  func.return
}
// CHECK: parse-errors.mlir:[[# @LINE - 4]]:30
// CHECK: semi-affine expressions are not supported: '%i floordiv %i': the right operand of floordiv is not an integer constant

// -----

func.func @iv_of_sibling_loop(%A: memref<8xf32>) {
  loopnest.for i %i in range(4) {
  }
  loopnest.for j %j in range(4) {
    %v = loopnest.load %A[%i] : memref<8xf32>
  }
  func.return
}
// CHECK: values used but not defined: [%i]

// -----

func.func @symbolic_step(%A: memref<8xf32>) {
  loopnest.for i %i in range(4) {
    loopnest.for j %j in range(0, 4, %i) {
    }
  }
  func.return
}
// CHECK: the step must be an integer constant

// -----

func.func @range_arity(%A: memref<8xf32>) {
  loopnest.for i %i in range(0, 4, 1, 1) {
  }
  func.return
}
// CHECK: range takes 1 to 3 arguments

// -----

func.func @missing_name(%A: memref<8xf32>) {
  loopnest.for %i in range(4) {
  }
  func.return
}
// CHECK: expected a loop name (identifier or string)

// -----

// Semi-affine maps in a loopnest op's attributes or types: xDSL's affine
// parser raises a plain exception on them; the loopnest syntax reports it.
func.func @semi_affine_attribute(%A: memref<8xf32>) {
  loopnest.for i %i in range(4) attributes {m = affine_map<(d0)[s0] -> (d0 * s0)>} {
  }
  func.return
}
// CHECK: parse-errors.mlir:[[# @LINE - 4]]:76
// CHECK: semi-affine expressions are not supported: 'd0 * s0' multiplies two non-constant expressions

// -----

func.func @semi_affine_layout(%A: memref<8xf32>) {
  loopnest.for i %i in range(4) {
    %v = loopnest.load %A[%i] : memref<8xf32, affine_map<(d0)[s0] -> (d0 floordiv s0)>>
  }
  func.return
}
// CHECK: parse-errors.mlir:[[# @LINE - 4]]:74
// CHECK: semi-affine expressions are not supported: 'd0 floordiv s0': the right operand of floordiv is not an integer constant
