// RUN: xdsl-opt %s --split-input-file --verify-diagnostics -p 'interchange-loops{loops=i,j}' | filecheck %s
// RUN: xdsl-opt %s --split-input-file --verify-diagnostics -p 'interchange-loops{order=j,i}' | filecheck %s --check-prefix=ORDER
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'interchange-loops{order=co,oh,ow,kh,kw,ci strict=true}' | filecheck %s --check-prefix=STRICT
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'interchange-loops{loops=co,nope}' | filecheck %s --check-prefix=UNKNOWN
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'interchange-loops{order=co,ow,ci}' | filecheck %s --check-prefix=BAND
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'interchange-loops{loops=co}' | filecheck %s --check-prefix=ONE
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'interchange-loops{loops=co,ci order=co,ci}' | filecheck %s --check-prefix=BOTH
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'group-loops{loops=co,ci groups=2},interchange-loops{loops=g,co}' | filecheck %s --check-prefix=STRUCT

// STRICT: error: 'loopnest.for' op (loop 'co'): cannot permute loops 'ci', 'oh', 'ow', 'kh', 'kw': it would reverse the anti dependence from the load of %O[co, oh, ow] (line 9) to the store to %O[co, oh, ow] (line 14), distance (0, +, 0, 0, *, *) over loops (co, ci, oh, ow, kh, kw), e.g. ({{.*}}) (a reduction; strict=true forbids reordering it)
// UNKNOWN: error: interchange-loops loops=: no loop named 'nope' in the module (loops: ci, co, kh, kw, oh, ow)
// BAND: error: 'loopnest.for' op (loop 'ci'): cannot reorder loops 'co', 'ow', 'ci': they do not form a perfectly nested band (the band from loop 'co' is 'co', 'ci')
// ONE: error: interchange-loops: loops= takes two loop names, got 1
// BOTH: error: interchange-loops takes either loops=A,B (swap two loops) or order=L1,L2,... (a permutation of a band)
// STRUCT: error: 'loopnest.for' op (loop 'co'): cannot move loop 'co' outside loop 'g': its bounds use the induction variable of 'g'

// The stencil A[i][j] = A[i-1][j+1] has a dependence of distance (1, -1):
// interchanging i and j would read values not yet computed.

// CHECK: error: 'loopnest.for' op (loop 'i'): cannot permute loops 'i', 'j': it would reverse the flow dependence from the store to %A[i, j] (line {{[0-9]+}}) to the load of %A[i - 1, j + 1] (line {{[0-9]+}}), distance (1, -1) over loops (i, j)
// ORDER: error: 'loopnest.for' op (loop 'i'): cannot permute loops 'i', 'j': it would reverse the flow dependence from the store to %A[i, j] (line {{[0-9]+}}) to the load of %A[i - 1, j + 1] (line {{[0-9]+}}), distance (1, -1) over loops (i, j)
func.func @stencil(%A: memref<10x10xf32>) {
  loopnest.for i %i in range(1, 10) {
    loopnest.for j %j in range(0, 9) {
      %a = loopnest.load %A[%i - 1, %j + 1] : memref<10x10xf32>
      %b = loopnest.load %A[%i, %j] : memref<10x10xf32>
      %s = arith.addf %a, %b : f32
      loopnest.store %s, %A[%i, %j] : memref<10x10xf32>
    }
  }
  func.return
}

// -----

// An anti dependence of distance (1, -1): the load of A[i+1][j-1] must read
// the old value before iteration (i+1, j-1) overwrites it.

// CHECK: error: 'loopnest.for' op (loop 'i'): cannot permute loops 'i', 'j': it would reverse the anti dependence from the load of %A[i + 1, j - 1] (line {{[0-9]+}}) to the store to %A[i, j] (line {{[0-9]+}}), distance (1, -1) over loops (i, j)
// ORDER: distance (1, -1) over loops (i, j)
func.func @anti(%A: memref<10x10xf32>, %B: memref<10x10xf32>) {
  loopnest.for i %i in range(0, 9) {
    loopnest.for j %j in range(1, 10) {
      %a = loopnest.load %A[%i + 1, %j - 1] : memref<10x10xf32>
      loopnest.store %a, %A[%i, %j] : memref<10x10xf32>
    }
  }
  func.return
}

// -----

// Only part of the loops a dependence crosses is shown by its direction: a
// dependence whose i distance is positive and j distance is any negative
// number is still reversed.

// CHECK: error: 'loopnest.for' op (loop 'i'): cannot permute loops 'i', 'j': it would reverse the flow dependence from the store to %A[i] (line {{[0-9]+}}) to the load of %A[i - 1] (line {{[0-9]+}}), distance (1, -) over loops (i, j), e.g. (1, {{-[0-9]+}})
// ORDER: distance (1, -) over loops (i, j)
func.func @direction(%A: memref<10xf32>, %B: memref<10x10xf32>) {
  loopnest.for i %i in range(1, 10) {
    loopnest.for j %j in range(0, 10) {
      %a = loopnest.load %A[%i - 1] : memref<10xf32>
      loopnest.store %a, %B[%i, %j] : memref<10x10xf32>
      %b = loopnest.load %B[%i, 9 - %j] : memref<10x10xf32>
      loopnest.store %b, %A[%i] : memref<10xf32>
    }
  }
  func.return
}

// -----

// CHECK: error: 'loopnest.for' op (loop 'j'): cannot move loop 'j' outside loop 'i': its bounds use the induction variable of 'i'
// ORDER: error: 'loopnest.for' op (loop 'j'): cannot move loop 'j' outside loop 'i'
func.func @triangular(%A: memref<10x10xf32>) {
  loopnest.for i %i in range(10) {
    loopnest.for j %j in range(%i, 10) {
      %a = loopnest.load %A[%i, %j] : memref<10x10xf32>
      loopnest.store %a, %A[%j, %i] : memref<10x10xf32>
    }
  }
  func.return
}

// -----

// CHECK: error: 'loopnest.for' op (loop 'i'): cannot interchange loops 'i' and 'j': they are not perfectly nested (the body of loop 'i' holds more than the next loop)
// ORDER: error: 'loopnest.for' op (loop 'i'): cannot reorder loops 'j', 'i': they do not form a perfectly nested band (the band from loop 'i' is 'i')
func.func @imperfect(%A: memref<10x10xf32>) {
  loopnest.for i %i in range(10) {
    %z = arith.constant 0.0 : f32
    loopnest.for j %j in range(10) {
      loopnest.store %z, %A[%i, %j] : memref<10x10xf32>
    }
  }
  func.return
}

// -----

// CHECK: error: 'loopnest.for' op (loop 'i'): cannot interchange loops 'i' and 'j': neither encloses the other anywhere in the module
// ORDER: error: 'loopnest.for' op (loop 'j'): cannot reorder loops 'j', 'i': no nest in the module contains all of them
func.func @siblings(%A: memref<10xf32>) {
  loopnest.for j %j in range(10) {
    %a = loopnest.load %A[%j] : memref<10xf32>
  }
  loopnest.for i %i in range(10) {
    %a = loopnest.load %A[%i] : memref<10xf32>
  }
  func.return
}

// -----

// Memory effects outside loopnest accesses are not analysed: refuse.

// CHECK: error: 'loopnest.for' op (loop 'i'): cannot permute loops 'i', 'j': the nest contains 'memref.store', whose memory effects are unknown
// ORDER: error: 'loopnest.for' op (loop 'i'): cannot permute loops 'i', 'j': the nest contains 'memref.store'
func.func @effects(%A: memref<10x10xf32>) {
  loopnest.for i %i in range(10) {
    loopnest.for j %j in range(10) {
      %z = arith.constant 0.0 : f32
      memref.store %z, %A[%i, %j] : memref<10x10xf32>
    }
  }
  func.return
}
