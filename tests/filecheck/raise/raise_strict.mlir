// With strict=true a nest that cannot be raised is an error and nothing changes.
// RUN: xdsl-opt %s -p 'raise-affine-to-loopnest{strict=true}' --split-input-file --verify-diagnostics | filecheck %s

func.func @iter_args(%A: memref<8xf32>, %z: f32) -> f32 {
  %s = affine.for %i = 0 to 8 iter_args(%acc = %z) -> (f32) {
    %v = affine.load %A[%i] : memref<8xf32>
    %n = arith.addf %acc, %v : f32
    affine.yield %n : f32
  }
  func.return %s : f32
}

// CHECK: error: 'affine.for' op: (loop 'i0' in @iter_args) cannot be raised to loopnest: loop 'i0' carries values (iter_args)

// -----

func.func @alloca(%v: f32) {
  affine.for %i = 0 to 8 {
    %A = memref.alloca() : memref<8xf32>
    affine.store %v, %A[%i] : memref<8xf32>
  }
  func.return
}

// CHECK: error: 'affine.for' op: (loop 'i0' in @alloca) cannot be raised to loopnest: its body contains 'memref.alloca', which loopnest cannot express

// -----

// A raisable nest before a refused one stays affine too: strict mode changes
// nothing unless everything can be raised.
func.func @all_or_nothing(%A: memref<8xf32>, %v: f32, %n: index) {
  affine.for %i = 0 to 8 {
    affine.store %v, %A[%i] : memref<8xf32>
  }
  affine.for %i = 0 to 8 {
    affine.store %v, %A[%i * 2 - %n] : memref<8xf32>
  }
  func.return
}

// CHECK: error: 'affine.for' op: (loop 'i1' in @all_or_nothing) cannot be raised to loopnest: 'affine.store' uses %n, which is not an affine function of the nest's induction variables and constants (symbols bound to other values cannot be expressed in loopnest)

// -----

// Raisable: a round trip from loopnest through affine keeps the names.
// CHECK-LABEL: func.func @ok
// CHECK-NEXT:    loopnest.for co %{{.*}} in range(8) {
func.func @ok(%A: memref<8xf32>, %v: f32) {
  affine.for %i = 0 to 8 {
    affine.store %v, %A[%i] : memref<8xf32>
  } {loopnest.name = "co"}
  func.return
}
