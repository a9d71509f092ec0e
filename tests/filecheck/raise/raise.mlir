// RUN: xdsl-opt %s -p raise-affine-to-loopnest --split-input-file 2>/dev/null | filecheck %s
// RUN: xdsl-opt %s -p raise-affine-to-loopnest --split-input-file 2>&1 >/dev/null | filecheck %s --check-prefix=WARN

// Bounds over enclosing IVs, a step, affine.apply and memref accesses.
// CHECK-LABEL: func.func @bounds
// CHECK-NEXT:    loopnest.for i0 %[[G:.*]] in range(4) {
// CHECK-NEXT:      loopnest.for i1 %[[I:.*]] in range(%[[G]] * 4, %[[G]] * 4 + 4, 2) {
// CHECK-NEXT:        %[[V:.*]] = loopnest.load %{{.*}}[%[[I]] floordiv 2 + 1] : memref<16xf32>
// CHECK-NEXT:        %[[D:.*]] = arith.addf %[[V]], %[[V]] : f32
// CHECK-NEXT:        loopnest.store %[[D]], %{{.*}}[%[[I]]] : memref<16xf32>
// CHECK-NEXT:      }
// CHECK-NEXT:    }
// CHECK-NEXT:    func.return
func.func @bounds(%A: memref<16xf32>) {
  affine.for %g = 0 to 4 {
    affine.for %i = affine_map<(d0) -> (d0 * 4)>(%g) to affine_map<(d0) -> (d0 * 4 + 4)>(%g) step 2 {
      %c1 = arith.constant 1 : index
      %j = affine.apply affine_map<(d0)[s0] -> (d0 floordiv 2 + s0)>(%i)[%c1]
      %v = memref.load %A[%j] : memref<16xf32>
      %d = arith.addf %v, %v : f32
      memref.store %d, %A[%i] : memref<16xf32>
    }
  }
  func.return
}

// -----

// The short form `affine.load %A[%i, %j + 1]` parses to a symbol-only map
// over the IVs: raised as dims.
// CHECK-LABEL: func.func @short_form
// CHECK-NEXT:    loopnest.for i0 %[[I:.*]] in range(4) {
// CHECK-NEXT:      loopnest.for i1 %[[J:.*]] in range(%[[I]], 4) {
// CHECK-NEXT:        %[[V:.*]] = loopnest.load %{{.*}}[%[[I]], %[[J]] + 1] : memref<4x5xf32>
// CHECK-NEXT:        loopnest.store %[[V]], %{{.*}}[%[[J]], %[[I]]] : memref<4x5xf32>
func.func @short_form(%A: memref<4x5xf32>) {
  affine.for %i = 0 to 4 {
    affine.for %j = %i to 4 {
      %v = affine.load %A[%i, %j + 1] : memref<4x5xf32>
      affine.store %v, %A[%j, %i] : memref<4x5xf32>
    }
  }
  func.return
}

// -----

// Names from `loopnest.name` are kept and reserved; the others are numbered
// i<k> in pre-order, skipping taken names.
// CHECK-LABEL: func.func @names
// CHECK-NEXT:    loopnest.for i1 %{{.*}} in range(2) {
// CHECK-NEXT:      loopnest.for i0 %{{.*}} in range(2) {
// CHECK-NEXT:        loopnest.for i2 %{{.*}} in range(2) {
// CHECK:         loopnest.for co %{{.*}} in range(2) {
// CHECK-NEXT:      loopnest.for i3 %{{.*}} in range(2) {
func.func @names(%A: memref<2x2x2xf32>, %v: f32) {
  affine.for %a = 0 to 2 {
    affine.for %b = 0 to 2 {
      affine.for %c = 0 to 2 {
        affine.store %v, %A[%a, %b, %c] : memref<2x2x2xf32>
      }
    } {loopnest.name = "i0"}
  }
  affine.for %d = 0 to 2 {
    affine.for %e = 0 to 2 {
      affine.store %v, %A[%d, %e, %e] : memref<2x2x2xf32>
    }
  } {loopnest.name = "co"}
  func.return
}

// -----

// Left alone, with the reason on stderr: iter_args.
// CHECK-LABEL: func.func @iter_args
// CHECK:         affine.for
// CHECK-NOT:     loopnest.for
// WARN: warning: 'affine.for' op (loop 'i0' in @iter_args): not raised to loopnest: loop 'i0' carries values (iter_args)
func.func @iter_args(%A: memref<8xf32>, %z: f32) -> f32 {
  %s = affine.for %i = 0 to 8 iter_args(%acc = %z) -> (f32) {
    %v = affine.load %A[%i] : memref<8xf32>
    %n = arith.addf %acc, %v : f32
    affine.yield %n : f32
  }
  func.return %s : f32
}

// -----

// A min upper bound.
// CHECK-LABEL: func.func @min_bound
// CHECK:         affine.for
// WARN: warning: 'affine.for' op (loop 'i0' in @min_bound): not raised to loopnest: loop 'i1' has a min of 2 expressions as its upper bound
func.func @min_bound(%A: memref<8xf32>, %v: f32) {
  affine.for %i = 0 to 8 step 4 {
    affine.for %j = %i to min affine_map<(d0) -> (d0 + 4, 6)>(%i) {
      affine.store %v, %A[%j] : memref<8xf32>
    }
  }
  func.return
}

// -----

// A symbol bound to a function argument.
// CHECK-LABEL: func.func @symbol
// CHECK:         affine.for
// WARN: warning: 'affine.for' op (loop 'i0' in @symbol): not raised to loopnest: 'affine.for' uses %n, which is not an affine function of the nest's induction variables and constants (symbols bound to other values cannot be expressed in loopnest)
func.func @symbol(%A: memref<8xf32>, %v: f32, %n: index) {
  affine.for %i = 0 to %n {
    affine.store %v, %A[%i] : memref<8xf32>
  }
  func.return
}

// -----

// A non-affine index (product of two IVs through arith).  The inner nest is
// then tried on its own and raised.
// CHECK-LABEL: func.func @non_affine
// CHECK:         affine.for
// CHECK:           memref.load
// CHECK:         loopnest.for i2
// WARN: warning: 'affine.for' op (loop 'i0' in @non_affine): not raised to loopnest: 'memref.load' uses %{{.*}}, which is not an affine function of the nest's induction variables and constants
func.func @non_affine(%A: memref<64xf32>, %B: memref<8xf32>) {
  affine.for %i = 0 to 8 {
    affine.for %j = 0 to 8 {
      %k = arith.muli %i, %j : index
      %v = memref.load %A[%k] : memref<64xf32>
      memref.store %v, %B[%j] : memref<8xf32>
    }
  }
  affine.for %i = 0 to 8 {
    %v = memref.load %B[%i] : memref<8xf32>
    memref.store %v, %B[%i] : memref<8xf32>
  }
  func.return
}

// -----

// An op loopnest cannot express; the inner loop alone is raised.
// CHECK-LABEL: func.func @call
// CHECK:         affine.for
// CHECK-NEXT:      func.call @f()
// CHECK-NEXT:      loopnest.for i1 %{{.*}} in range(8) {
// WARN: warning: 'affine.for' op (loop 'i0' in @call): not raised to loopnest: its body contains 'func.call', which loopnest cannot express
func.func private @f()
func.func @call(%A: memref<8xf32>, %v: f32) {
  affine.for %i = 0 to 8 {
    func.call @f() : () -> ()
    affine.for %j = 0 to 8 {
      affine.store %v, %A[%j] : memref<8xf32>
    }
  }
  func.return
}
