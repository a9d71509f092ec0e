// RUN: xdsl-opt %s --split-input-file --verify-diagnostics | filecheck %s

// Bounds, steps and every value the lowering computes for loops and indices
// must fit the 64-bit index type (magnitude at most 2**63 - 1), over the
// iterations that run: native code wraps around where the interpreter does
// not.

func.func @huge_bound(%A: memref<4xi32>) {
  loopnest.for i %i in range(99999999999999999999999) {
  }
  func.return
}

// CHECK: overflow.mlir:9:3: error: 'loopnest.for' op (loop 'i'): upper bound 99999999999999999999999 does not fit the 64-bit index type (at most 9223372036854775807 in magnitude)

// -----

// The native loop computes i + 2 = 2**63 after i = 2**63 - 2, wraps to a
// negative value, and goes on.
func.func @increment(%A: memref<4xi32>) {
  loopnest.for i %i in range(9223372036854775800, 9223372036854775807, 2) {
  }
  func.return
}

// CHECK: error: 'loopnest.for' op (loop 'i'): the increment %i + 2 after the last iteration overflows the 64-bit index type (at most 9223372036854775807 in magnitude): %i can be 9223372036854775806, so %i + 2 reaches 9223372036854775808

// -----

func.func @step(%A: memref<4xi32>) {
  loopnest.for i %i in range(0, 10, 9223372036854775808) {
  }
  func.return
}

// CHECK: error: 'loopnest.for' op (loop 'i'): step 9223372036854775808 does not fit the 64-bit index type (at most 9223372036854775807 in magnitude)

// -----

// Over the outer loop's range: j * 2**62 reaches 2**63 at j = 2.
func.func @outer_dependent(%A: memref<4xi32>) {
  loopnest.for j %j in range(3) {
    loopnest.for i %i in range(%j * 4611686018427387904, 1) {
    }
  }
  func.return
}

// CHECK: error: 'loopnest.for' op (loop 'i'): lower bound %j * 4611686018427387904 overflows the 64-bit index type (at most 9223372036854775807 in magnitude): it can reach 9223372036854775808

// -----

// Every intermediate value of an index: i * 2**62 wraps at i = 2 though the
// index itself would be 2.
func.func @intermediate(%A: memref<4xi32>, %v: i32) {
  loopnest.for i %i in range(3) {
    loopnest.store %v, %A[(%i * 4611686018427387904) floordiv 4611686018427387904] : memref<4xi32>
  }
  func.return
}

// CHECK: error: 'loopnest.store' op: index %i * 4611686018427387904 floordiv 4611686018427387904 overflows the 64-bit index type (at most 9223372036854775807 in magnitude): %i * 4611686018427387904 can reach 9223372036854775808

// -----

func.func @memref_size(%A: memref<4611686018427387904xi32>, %v: i32) {
  loopnest.store %v, %A[0] : memref<4611686018427387904xi32>
  func.return
}

// CHECK: error: 'loopnest.store' op: memref<4611686018427387904xi32> has 18446744073709551616 bytes, more than the 64-bit index type (at most 9223372036854775807 in magnitude) can address

// -----

// Right at the limit: the last increment reaches exactly 2**63 - 1.
// CHECK-LABEL: func.func @at_the_limit
// CHECK-NEXT:    loopnest.for i %[[I:.*]] in range(9223372036854775800, 9223372036854775806, 2) {
// CHECK-NEXT:      loopnest.store %{{.*}}, %{{.*}}[%[[I]] - 9223372036854775800] : memref<6xi32>
// CHECK:         loopnest.for j %{{.*}} in range(-9223372036854775807, -9223372036854775806) {
// CHECK:         loopnest.for k %{{.*}} in range(0, 10, 9223372036854775807) {
func.func @at_the_limit(%A: memref<6xi32>, %v: i32) {
  loopnest.for i %i in range(9223372036854775800, 9223372036854775806, 2) {
    loopnest.store %v, %A[%i - 9223372036854775800] : memref<6xi32>
  }
  loopnest.for j %j in range(-9223372036854775807, -9223372036854775806) {
  }
  loopnest.for k %k in range(0, 10, 9223372036854775807) {
  }
  func.return
}
