// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'unroll-loops{loop=co factor=-1}' | filecheck %s --check-prefix=NEG
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'unroll-loops{loop=cx factor=2}' | filecheck %s --check-prefix=UNKNOWN
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'unroll-loops{loop=co}' | filecheck %s --check-prefix=NOFACTOR
// RUN: xdsl-opt %s --verify-diagnostics -p 'unroll-loops{loop=b factor=0}' | filecheck %s
// RUN: xdsl-opt %s --verify-diagnostics -p 'unroll-loops{loop=b factor=2}' | filecheck %s --check-prefix=PARTIAL

// NEG: error: unroll-loops: factor must be 0 (fully) or positive, got -1
// UNKNOWN: error: unroll-loops loop=: no loop named 'cx' in the module (loops: ci, co, kh, kw, oh, ow)
// NOFACTOR: error: unroll-loops needs factor=<copies, or 0 to unroll fully>

// A triangular loop has no constant trip count: no full unroll, and no
// partial one either (the remainder would vary with %a).

// CHECK: error: 'loopnest.for' op (loop 'b'): cannot unroll loop 'b' fully: its trip count is not constant
// PARTIAL: error: 'loopnest.for' op (loop 'b'): cannot unroll loop 'b': its trip count is not constant
func.func @triangular(%A: memref<4x4xf32>) {
  loopnest.for a %a in range(4) {
    loopnest.for b %b in range(%a, 4) {
      %v = loopnest.load %A[%a, %b] : memref<4x4xf32>
    }
  }
  func.return
}
