// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'peel-loops{loop=co count=0}' | filecheck %s --check-prefix=ZERO
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'peel-loops{loop=co count=-1}' | filecheck %s --check-prefix=NEG
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'peel-loops{loop=co count=8}' | filecheck %s --check-prefix=ALL
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'peel-loops{loop=cx count=2}' | filecheck %s --check-prefix=UNKNOWN
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'peel-loops{loop=co count=2 side=middle}' | filecheck %s --check-prefix=SIDE
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'peel-loops{loop=co count=2 name=kw}' | filecheck %s --check-prefix=CLASH
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'peel-loops{count=2}' | filecheck %s --check-prefix=NOLOOP
// RUN: xdsl-opt %s --verify-diagnostics -p 'peel-loops{loop=b count=1}' | filecheck %s

// ZERO: error: 'loopnest.for' op (loop 'co'): cannot peel 0 iterations: count must be positive
// NEG: error: 'loopnest.for' op (loop 'co'): cannot peel -1 iterations: count must be positive
// ALL: error: 'loopnest.for' op (loop 'co'): cannot peel 8 iterations of loop 'co': it runs 8 times, so nothing would remain
// UNKNOWN: error: peel-loops loop=: no loop named 'cx' in the module (loops: ci, co, kh, kw, oh, ow)
// SIDE: error: peel-loops: side must be 'front' or 'back', got 'middle'
// CLASH: error: 'loopnest.for' op (loop 'co'): cannot name the peeled loop 'kw': a loop of that name already encloses or is inside loop 'co'
// NOLOOP: error: peel-loops needs loop=<name>

// CHECK: error: 'loopnest.for' op (loop 'b'): cannot peel loop 'b': its trip count is not constant
func.func @triangular(%A: memref<4x4xf32>) {
  loopnest.for a %a in range(4) {
    loopnest.for b %b in range(%a, 4) {
      %v = loopnest.load %A[%a, %b] : memref<4x4xf32>
    }
  }
  func.return
}
