// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'split-loops{loop=co factor=0}' | filecheck %s --check-prefix=ZERO
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'split-loops{loop=co factor=-2}' | filecheck %s --check-prefix=NEG
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'split-loops{loop=co factor=9}' | filecheck %s --check-prefix=BIG
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'split-loops{loop=cx factor=2}' | filecheck %s --check-prefix=UNKNOWN
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'split-loops{loop=co}' | filecheck %s --check-prefix=NOFACTOR
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'split-loops{loop=co factor=2 name=kw}' | filecheck %s --check-prefix=CLASH
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'split-loops{loop=co factor=2 name=co}' | filecheck %s --check-prefix=SAME
// RUN: xdsl-opt %s --verify-diagnostics -p 'split-loops{loop=b factor=2}' | filecheck %s

// ZERO: error: split-loops: factor must be positive, got 0
// NEG: error: split-loops: factor must be positive, got -2
// BIG: error: 'loopnest.for' op (loop 'co'): cannot split loop 'co' by 9: it runs 8 times, fewer than one tile
// UNKNOWN: error: split-loops loop=: no loop named 'cx' in the module (loops: ci, co, kh, kw, oh, ow)
// NOFACTOR: error: split-loops needs factor=<iterations per tile>
// CLASH: error: 'loopnest.for' op (loop 'co'): cannot name the inner loop 'kw': a loop of that name already encloses or is inside loop 'co'
// SAME: error: 'loopnest.for' op (loop 'co'): cannot split loop 'co': the inner loop needs a name other than 'co'

// CHECK: error: 'loopnest.for' op (loop 'b'): cannot split loop 'b': its trip count is not constant
func.func @triangular(%A: memref<4x4xf32>) {
  loopnest.for a %a in range(4) {
    loopnest.for b %b in range(%a, 4) {
      %v = loopnest.load %A[%a, %b] : memref<4x4xf32>
    }
  }
  func.return
}
