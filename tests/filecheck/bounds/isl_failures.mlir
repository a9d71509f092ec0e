// RUN: xdsl-opt %s -p loopnest-check-bounds --split-input-file --verify-diagnostics | filecheck %s

// Out-of-bounds nests with strides, negative bounds and floordiv/ceildiv/mod
// on which isl's own optimisation misbehaves (lexmin raising, or returning
// an empty set; dim_min_val returning a value outside the set).  The
// refusal names the exact range and the first offending iteration.

// The issue's example: i takes -2 and 0; (k * 3 - i) floordiv 3 is -2 at
// i = -2, k = -2.
func.func @issue(%A: memref<7x5xi32>) {
  loopnest.for i %i in range(-2, 2, 2) {
    loopnest.for k %k in range(-2, 3) {
      %v = loopnest.load %A[(%k * 3 - %i) floordiv 3, (%i * 3 + 5) floordiv 2] : memref<7x5xi32>
    }
  }
  func.return
}

// CHECK: isl_failures.mlir:13:12: error: 'loopnest.load' op: %A[(%k * 3 - %i) floordiv 3, (%i * 3 + 5) floordiv 2] reads out of bounds: index (%k * 3 - %i) floordiv 3 of dimension 0 takes values in [-2, 2] but the dimension has size 7 (first at i = -2, k = -2)

// -----

// i takes -1 and 2; j starts at (i - 5) mod 2 + i - 3, i.e. -4 then 0; the
// first index is 5 at (-1, -4) and -4 at (2, 0).
func.func @mod_bounds(%A: memref<8x3xi32>) {
  loopnest.for i %i in range(-1, 4, 3) {
    loopnest.for j %j in range((%i - 5) mod 2 + %i - 3, (%i - 5) mod 2 + %i - 1, 2) {
      %v = loopnest.load %A[(%j * -3 - %i * 2 - 5) ceildiv 2, (%j * -1 - %i * 2 - 2) ceildiv 4 + 1] : memref<8x3xi32>
    }
  }
  func.return
}

// CHECK: error: 'loopnest.load' op: %A[(%j * -3 - %i * 2 - 5) ceildiv 2, (%j * -1 - %i * 2 - 2) ceildiv 4 + 1] reads out of bounds: index (%j * -3 - %i * 2 - 5) ceildiv 2 of dimension 0 takes values in [-4, 5] but the dimension has size 8 (first at i = 2, j = 0)

// -----

func.func @floordiv_bound(%A: memref<4x8xi32>) {
  loopnest.for i %i in range(-1, 5, 2) {
    loopnest.for j %j in range(%i * -2, %i * -2 + 5) {
      loopnest.for k %k in range(-3, (%j * -2 + %i * 2 + 3) floordiv 4) {
        %v = loopnest.load %A[(%k - %i - 1) ceildiv 3 + 2, %k * 3 + %i - 1] : memref<4x8xi32>
      }
    }
  }
  func.return
}

// CHECK: error: 'loopnest.load' op: %A[(%k - %i - 1) ceildiv 3 + 2, %k * 3 + %i - 1] reads out of bounds: index %k * 3 + %i - 1 of dimension 1 takes values in [-11, 14] but the dimension has size 8 (first at i = -1, j = 2, k = -3)

// -----

// The same shapes in bounds are accepted unchanged.
// CHECK-LABEL: func.func @in_bounds
// CHECK-NEXT:    loopnest.for i %[[I:.*]] in range(-2, 2, 2) {
// CHECK-NEXT:      loopnest.for k %[[K:.*]] in range(-2, 3) {
// CHECK-NEXT:        %{{.*}} = loopnest.load %{{.*}}[(%[[K]] * 3 - %[[I]]) floordiv 3 + 2, (%[[I]] * 3 + 5) floordiv 2 + 1, %[[K]] mod 3] : memref<5x5x3xi32>
func.func @in_bounds(%A: memref<5x5x3xi32>) {
  loopnest.for i %i in range(-2, 2, 2) {
    loopnest.for k %k in range(-2, 3) {
      %v = loopnest.load %A[(%k * 3 - %i) floordiv 3 + 2, (%i * 3 + 5) floordiv 2 + 1, %k mod 3] : memref<5x5x3xi32>
    }
  }
  func.return
}
