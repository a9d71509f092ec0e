// RUN: xdsl-opt %s --split-input-file --verify-diagnostics -p 'bottleneck-loops{loop=c factor=2}' | filecheck %s
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'bottleneck-loops{loop=co factor=3}' | filecheck %s --check-prefix=DIV
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'bottleneck-loops{loop=oh factor=2}' | filecheck %s --check-prefix=EXPR
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'bottleneck-loops{loop=co factor=0}' | filecheck %s --check-prefix=ZERO
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'bottleneck-loops{loop=co factor=-2}' | filecheck %s --check-prefix=NEG
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'bottleneck-loops{loop=co}' | filecheck %s --check-prefix=NOFACTOR
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'bottleneck-loops{factor=2}' | filecheck %s --check-prefix=NOLOOP
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'bottleneck-loops{loop=cx factor=2}' | filecheck %s --check-prefix=UNKNOWN
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'group-loops{loops=co,ci groups=2},bottleneck-loops{loop=co factor=2}' | filecheck %s --check-prefix=GROUPED

// DIV: conv2d.mlir:3:5: error: 'loopnest.for' op (loop 'co'): cannot bottleneck loop 'co' by 3: its trip count N = 8 is not divisible by the factor B = 3
// EXPR: conv2d.mlir:10:22: error: 'loopnest.load' op: cannot bottleneck loop 'oh' by 2: index 1 of %I[ci, oh + kh, ow + kw] uses 'oh' in the expression oh + kh, not as the index itself, so shrinking it would change more than the bottleneck
// ZERO: error: bottleneck-loops: factor must be positive, got 0
// NEG: error: bottleneck-loops: factor must be positive, got -2
// NOFACTOR: error: bottleneck-loops needs factor=<shrink factor>
// NOLOOP: error: bottleneck-loops needs loop=<name>
// UNKNOWN: error: bottleneck-loops loop=: no loop named 'cx' in the module (loops: ci, co, kh, kw, oh, ow)
// GROUPED: error: 'loopnest.for' op (loop 'co'): cannot bottleneck loop 'co' by 2: it must run over range(0, N) with step 1 and a constant N >= 1, it runs over range(g * 4, g * 4 + 4)

// CHECK: error: 'loopnest.for' op (loop 'c'): cannot bottleneck loop 'c' by 2: it must run over range(0, N) with step 1 and a constant N >= 1, it runs over range(2, 8)
func.func @offset(%A: memref<8xf32>) {
  loopnest.for c %c in range(2, 8) {
    %v = loopnest.load %A[%c] : memref<8xf32>
  }
  func.return
}

// -----

// CHECK: error: 'loopnest.for' op (loop 'c'): cannot bottleneck loop 'c' by 2: it must run over range(0, N) with step 1 and a constant N >= 1, it runs over range(0, 8, 2)
func.func @step(%A: memref<8xf32>) {
  loopnest.for c %c in range(0, 8, 2) {
    %v = loopnest.load %A[%c] : memref<8xf32>
  }
  func.return
}

// -----

// CHECK: error: 'loopnest.for' op (loop 'c'): cannot bottleneck loop 'c' by 2: it must run over range(0, N) with step 1 and a constant N >= 1, it runs over range(0, 0)
func.func @empty(%A: memref<0xf32>) {
  loopnest.for c %c in range(0) {
    %v = loopnest.load %A[%c] : memref<0xf32>
  }
  func.return
}

// -----

// CHECK: error: 'loopnest.for' op (loop 'x'): cannot bottleneck loop 'c' by 2: its induction variable is used in the bounds of loop 'x' (range(c, 8)), so shrinking it would change more than the bottleneck
func.func @triangular(%A: memref<8x8xf32>) {
  loopnest.for c %c in range(8) {
    loopnest.for x %x in range(%c, 8) {
      %v = loopnest.load %A[%c, %x] : memref<8x8xf32>
    }
  }
  func.return
}

// -----

// CHECK: error: 'arith.index_cast' op: cannot bottleneck loop 'c' by 2: its induction variable is used by 'arith.index_cast', not only as an index
func.func @value(%A: memref<8xi64>) {
  loopnest.for c %c in range(8) {
    %i = arith.index_cast %c : index to i64
    loopnest.store %i, %A[%c] : memref<8xi64>
  }
  func.return
}

// -----

// CHECK: error: 'loopnest.store' op: cannot bottleneck loop 'c' by 2: its induction variable is stored as a value into %A[c]
func.func @stored(%A: memref<8xindex>) {
  loopnest.for c %c in range(8) {
    loopnest.store %c, %A[%c] : memref<8xindex>
  }
  func.return
}

// -----

// CHECK: error: 'loopnest.load' op: cannot bottleneck loop 'c' by 2: dimension 0 of %A has size 10, not the loop's trip count 8, so it cannot shrink with the loop
func.func @size(%A: memref<10xf32>) {
  loopnest.for c %c in range(8) {
    %v = loopnest.load %A[%c] : memref<10xf32>
  }
  func.return
}

// -----

// CHECK: error: 'loopnest.load' op: cannot bottleneck loop 'c' by 2: dimension 0 of %A is dynamic, not the loop's trip count 8, so it cannot shrink with the loop
func.func @dynamic(%A: memref<?xf32>) {
  loopnest.for c %c in range(8) {
    %v = loopnest.load %A[%c] : memref<?xf32>
  }
  func.return
}

// -----

// The array the first nest writes by c is read by x in the next: shrinking
// it would change what the second nest reads.

// CHECK: error: 'loopnest.load' op: cannot bottleneck loop 'c' by 2: dimension 0 of %T would shrink to 4, but %T[x] indexes it by x, not by a bottlenecked loop
func.func @other_loop(%T: memref<8xf32>, %A: memref<8xf32>) {
  loopnest.for c %c in range(8) {
    %a = loopnest.load %A[%c] : memref<8xf32>
    loopnest.store %a, %T[%c] : memref<8xf32>
  }
  loopnest.for x %x in range(8) {
    %t = loopnest.load %T[%x] : memref<8xf32>
  }
  func.return
}

// -----

// CHECK: error: 'loopnest.store' op: cannot bottleneck loop 'c' by 2: dimension 0 of %A would shrink to 4, but %A[7] indexes it by 7, not by a bottlenecked loop
func.func @constant_index(%A: memref<8xf32>) {
  loopnest.for c %c in range(8) {
    %a = loopnest.load %A[%c] : memref<8xf32>
    loopnest.store %a, %A[7] : memref<8xf32>
  }
  func.return
}

// -----

// CHECK: error: 'loopnest.load' op: cannot bottleneck loop 'c' by 2: dimension 0 of %T is indexed by bottlenecked loops of different trip counts (8 and 4)
func.func @two_trips(%T: memref<8xf32>) {
  loopnest.for c %c in range(8) {
    %a = loopnest.load %T[%c] : memref<8xf32>
  }
  loopnest.for c %c in range(4) {
    %a = loopnest.load %T[%c] : memref<8xf32>
  }
  func.return
}

// -----

// CHECK: error: 'loopnest.load' op: cannot bottleneck loop 'c' by 2: dimension 0 of %T would shrink, but %T is not an argument of the function
func.func @local(%A: memref<8xf32>) {
  %T = memref.alloc() : memref<8xf32>
  loopnest.for c %c in range(8) {
    %t = loopnest.load %T[%c] : memref<8xf32>
    loopnest.store %t, %A[%c] : memref<8xf32>
  }
  memref.dealloc %T : memref<8xf32>
  func.return
}

// -----

// CHECK: error: 'loopnest.load' op: cannot bottleneck loop 'c' by 2: dimension 0 of %A would shrink, but %A has a non-default layout
func.func @strided(%A: memref<8xf32, strided<[2]>>) {
  loopnest.for c %c in range(8) {
    %a = loopnest.load %A[%c] : memref<8xf32, strided<[2]>>
  }
  func.return
}

// -----

// CHECK: error: 'func.call' op: cannot bottleneck loop 'c' by 2: dimension 0 of %A would shrink, but @callee is called in the module and its signature would change
func.func @callee(%A: memref<8xf32>) {
  loopnest.for c %c in range(8) {
    %a = loopnest.load %A[%c] : memref<8xf32>
  }
  func.return
}
func.func @caller(%A: memref<8xf32>) {
  func.call @callee(%A) : (memref<8xf32>) -> ()
  func.return
}

// -----

// CHECK: error: 'func.call' op: cannot bottleneck loop 'c' by 2: dimension 0 of %A would shrink, but %A is also used by 'func.call'
func.func private @external(memref<8xf32>)
func.func @passes_on(%A: memref<8xf32>) {
  loopnest.for c %c in range(8) {
    %a = loopnest.load %A[%c] : memref<8xf32>
  }
  func.call @external(%A) : (memref<8xf32>) -> ()
  func.return
}
