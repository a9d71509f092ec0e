// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'vectorize-loops{loop=kw}' | filecheck %s --check-prefix=REDUCTION
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'vectorize-loops{loop=oh}' | filecheck %s --check-prefix=OUTER
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'interchange-loops{order=co,ci,oh,ow,kw,kh},vectorize-loops{loop=kh}' | filecheck %s --check-prefix=STRIDE
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'vectorize-loops{loop=cx}' | filecheck %s --check-prefix=UNKNOWN
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'vectorize-loops' | filecheck %s --check-prefix=NOLOOP
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'vectorize-loops{loop=kw width=-1}' | filecheck %s --check-prefix=WIDTH
// RUN: xdsl-opt %s --verify-diagnostics -p 'vectorize-loops{loop=j}' | filecheck %s
// RUN: xdsl-opt %s --verify-diagnostics -p 'vectorize-loops{loop=q}' | filecheck %s --check-prefix=STEP
// RUN: xdsl-opt %s --verify-diagnostics -p 'vectorize-loops{loop=t}' | filecheck %s --check-prefix=TRIANGLE
// RUN: xdsl-opt %s --verify-diagnostics -p 'vectorize-loops{loop=m}' | filecheck %s --check-prefix=MAX
// RUN: xdsl-opt %s --verify-diagnostics -p 'vectorize-loops{loop=v}' | filecheck %s --check-prefix=VALUE
// RUN: xdsl-opt %s --verify-diagnostics -p 'vectorize-loops{loop=s}' | filecheck %s --check-prefix=SHIFT

// A reduction loop: every iteration writes the same output element.

// REDUCTION: error: 'loopnest.for' op (loop 'kw'): cannot vectorize loop 'kw': 'loopnest.store' to '%O' does not use 'kw': every iteration writes the same element
// OUTER: error: 'loopnest.for' op (loop 'oh'): cannot vectorize loop 'oh': it is not innermost: loop 'ow' is inside it

// kh innermost indexes the input's rows: not contiguous.

// STRIDE: error: 'loopnest.for' op (loop 'kh'): cannot vectorize loop 'kh': 'loopnest.load' of '%I' is not contiguous in 'kh' (only the last index may use it, with coefficient 1)
// UNKNOWN: error: vectorize-loops loop=: no loop named 'cx' in the module (loops: ci, co, kh, kw, oh, ow)
// NOLOOP: error: vectorize-loops needs loop=<name>
// WIDTH: error: vectorize-loops: width must be 0 (the whole loop) or positive, got -1

// A recurrence: each iteration of j reads what the one before wrote, so
// lanes in lockstep would read stale values.

// CHECK: error: 'loopnest.for' op (loop 'j'): cannot vectorize loop 'j': it carries the flow dependence from the store to %A[i, j] (line 34) to the load of %A[i, j - 1] (line 33), distance (0, 1) over loops (i, j)
func.func @recurrence(%A: memref<8x8xf32>) {
  loopnest.for i %i in range(8) {
    loopnest.for j %j in range(1, 8) {
      %v = loopnest.load %A[%i, %j - 1] : memref<8x8xf32>
      loopnest.store %v, %A[%i, %j] : memref<8x8xf32>
    }
  }
  func.return
}

// STEP: error: 'loopnest.for' op (loop 'q'): cannot vectorize loop 'q': its step is 2, not 1
func.func @step(%A: memref<8xf32>) {
  loopnest.for q %q in range(0, 8, 2) {
    %v = loopnest.load %A[%q] : memref<8xf32>
    loopnest.store %v, %A[%q] : memref<8xf32>
  }
  func.return
}

// TRIANGLE: error: 'loopnest.for' op (loop 't'): cannot vectorize loop 't': its trip count is not constant
func.func @triangle(%A: memref<8x8xf32>) {
  loopnest.for r %r in range(8) {
    loopnest.for t %t in range(%r) {
      %v = loopnest.load %A[%r, %t] : memref<8x8xf32>
      loopnest.store %v, %A[%t, %r] : memref<8x8xf32>
    }
  }
  func.return
}

// MAX: error: 'loopnest.for' op (loop 'm'): cannot vectorize loop 'm': 'arith.maximumf' has no element-wise vector form here
func.func @max(%A: memref<8xf32>, %B: memref<8xf32>) {
  loopnest.for m %m in range(8) {
    %a = loopnest.load %A[%m] : memref<8xf32>
    %b = loopnest.load %B[%m] : memref<8xf32>
    %c = arith.maximumf %a, %b : f32
    loopnest.store %c, %A[%m] : memref<8xf32>
  }
  func.return
}

// VALUE: error: 'loopnest.for' op (loop 'v'): cannot vectorize loop 'v': 'arith.index_cast' uses the induction variable 'v' as a value
func.func @iota(%A: memref<8xi64>) {
  loopnest.for v %v in range(8) {
    %c = arith.index_cast %v : index to i64
    loopnest.store %c, %A[%v] : memref<8xi64>
  }
  func.return
}

// SHIFT: error: 'loopnest.for' op (loop 's'): cannot vectorize loop 's': 'arith.shli' has no element-wise vector form here
func.func @shift(%A: memref<8xi32>, %n: i32) {
  loopnest.for s %s in range(8) {
    %a = loopnest.load %A[%s] : memref<8xi32>
    %b = arith.shli %a, %n : i32
    loopnest.store %b, %A[%s] : memref<8xi32>
  }
  func.return
}
