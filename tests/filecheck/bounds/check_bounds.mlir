// RUN: xdsl-opt %s -p loopnest-check-bounds --split-input-file --verify-diagnostics | filecheck %s

// The seed's conv at consistent sizes is in bounds: unchanged.
// CHECK-LABEL: func.func @conv2d
// CHECK-NEXT:    loopnest.for co %[[CO:.*]] in range(8) {
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

// -----

// One row too few in the input: oh + kh reaches 6.
func.func @short_input(%O: memref<4x4x4xf32>, %I: memref<4x5x6xf32>) {
  loopnest.for oh %oh in range(4) {
    loopnest.for kh %kh in range(3) {
      loopnest.for ow %ow in range(4) {
        %i = loopnest.load %I[%oh, %oh + %kh, %ow] : memref<4x5x6xf32>
        loopnest.store %i, %O[%oh, %oh, %ow] : memref<4x4x4xf32>
      }
    }
  }
  func.return
}

// CHECK: check_bounds.mlir:{{[0-9]+}}:14: error: 'loopnest.load' op: %I[%oh, %oh + %kh, %ow] reads out of bounds: index %oh + %kh of dimension 1 takes values in [0, 5] but the dimension has size 5 (first at oh = 3, kh = 2, ow = 0)

// -----

// Negative indices are caught too, on writes.
func.func @negative(%A: memref<8xf32>, %v: f32) {
  loopnest.for i %i in range(8) {
    loopnest.store %v, %A[%i - 1] : memref<8xf32>
  }
  func.return
}

// CHECK: error: 'loopnest.store' op: %A[%i - 1] writes out of bounds: index %i - 1 of dimension 0 takes values in [-1, 6] but the dimension has size 8 (first at i = 0)

// -----

// Triangular: j - i stays in [0, 7] only because j >= i.  A box over i and j
// would give [-7, 7] and wrongly refuse.
// CHECK-LABEL: func.func @triangular
func.func @triangular(%A: memref<8xf32>, %B: memref<8x8xf32>) {
  loopnest.for i %i in range(8) {
    loopnest.for j %j in range(%i, 8) {
      %v = loopnest.load %A[%j - %i] : memref<8xf32>
      loopnest.store %v, %B[%i, %j] : memref<8x8xf32>
    }
  }
  func.return
}

// -----

// Strided: i takes 0, 4, 8, so i + 1 <= 9 fits a dimension of 10; a box
// i <= 9 would wrongly refuse.
// CHECK-LABEL: func.func @strided
func.func @strided(%A: memref<10xf32>, %v: f32) {
  loopnest.for i %i in range(0, 10, 4) {
    loopnest.store %v, %A[%i + 1] : memref<10xf32>
  }
  func.return
}

// -----

// Grouped: the offset of co inside its group is in [0, 2) only because of the
// coupling with g (floordiv bounds); a box would give co - 2 * g in [-6, 7].
// CHECK-LABEL: func.func @grouped
func.func @grouped(%Wg: memref<8x2xf32>, %v: f32) {
  loopnest.for g %g in range(4) {
    loopnest.for co %co in range(%g * 2, %g * 2 + 2) {
      loopnest.for q %q in range(%co floordiv 2 * 2, %co floordiv 2 * 2 + 2) {
        loopnest.store %v, %Wg[%co, %q - %g * 2] : memref<8x2xf32>
      }
    }
  }
  func.return
}

// -----

// The seed's Example 2 remainder taken literally, with CO = all 8 output
// channels after U = 2 peeled ones: co runs to 9 on 8 channels.
func.func @peeled_literal(%O: memref<8x4x4xf32>, %I: memref<8x6x6xf32>, %W: memref<8x8x3x3xf32>) {
  loopnest.for g %g in range(2) {
    loopnest.for co %co in range(%g * 4 + 2, %g * 4 + 6) {
      loopnest.for ci %ci in range(%g * 4, %g * 4 + 4) {
        loopnest.for oh %oh in range(4) {
          loopnest.for ow %ow in range(4) {
            loopnest.for kh %kh in range(3) {
              loopnest.for kw %kw in range(3) {
                %o = loopnest.load %O[%co, %oh, %ow] : memref<8x4x4xf32>
                %i = loopnest.load %I[%ci, %oh + %kh, %ow + %kw] : memref<8x6x6xf32>
                %w = loopnest.load %W[%co, %ci, %kh, %kw] : memref<8x8x3x3xf32>
                %p = arith.mulf %i, %w : f32
                %s = arith.addf %o, %p : f32
                loopnest.store %s, %O[%co, %oh, %ow] : memref<8x4x4xf32>
              }
            }
          }
        }
      }
    }
  }
  func.return
}

// CHECK: error: 'loopnest.load' op: %O[%co, %oh, %ow] reads out of bounds: index %co of dimension 0 takes values in [2, 9] but the dimension has size 8 (first at g = 1, co = 8, ci = 4, oh = 0, ow = 0, kh = 0, kw = 0)
