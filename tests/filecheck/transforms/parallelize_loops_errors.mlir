// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'parallelize-loops{loop=ci}' | filecheck %s --check-prefix=CI
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'parallelize-loops{loop=kh}' | filecheck %s --check-prefix=KH
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'parallelize-loops{loop=kw}' | filecheck %s --check-prefix=KW
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'parallelize-loops{loop=cx}' | filecheck %s --check-prefix=UNKNOWN
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'parallelize-loops' | filecheck %s --check-prefix=NOLOOP
// RUN: xdsl-opt %s --verify-diagnostics -p 'parallelize-loops{loop=i}' | filecheck %s

// The reduction loops of the convolution race on the output element.

// CI: error: 'loopnest.for' op (loop 'ci'): cannot parallelize loop 'ci': it carries the flow dependence from the store to %O[co, oh, ow] (line 14) to the load of %O[co, oh, ow] (line 9), distance (0, +, 0, 0, *, *) over loops (co, ci, oh, ow, kh, kw), e.g. (0, 1, 0, 0, 0, 0) (a reduction: its iterations would race on one element)
// KH: error: 'loopnest.for' op (loop 'kh'): cannot parallelize loop 'kh': it carries the flow dependence from the store to %O[co, oh, ow] (line 14) to the load of %O[co, oh, ow] (line 9), distance (0, 0, 0, 0, +, *)
// KW: error: 'loopnest.for' op (loop 'kw'): cannot parallelize loop 'kw': it carries the flow dependence
// UNKNOWN: error: parallelize-loops loop=: no loop named 'cx' in the module (loops: ci, co, kh, kw, oh, ow)
// NOLOOP: error: parallelize-loops needs loop=<name>

// The outer loop of a (1, -1) stencil carries the dependence.

// CHECK: error: 'loopnest.for' op (loop 'i'): cannot parallelize loop 'i': it carries the flow dependence from the store to %A[i, j] (line 23) to the load of %A[i - 1, j + 1] (line 22), distance (1, -1) over loops (i, j)
func.func @stencil(%A: memref<8x8xf32>) {
  loopnest.for i %i in range(1, 8) {
    loopnest.for j %j in range(7) {
      %v = loopnest.load %A[%i - 1, %j + 1] : memref<8x8xf32>
      loopnest.store %v, %A[%i, %j] : memref<8x8xf32>
    }
  }
  func.return
}
