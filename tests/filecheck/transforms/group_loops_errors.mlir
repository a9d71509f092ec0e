// RUN: xdsl-opt %s --split-input-file --verify-diagnostics -p 'group-loops{loops=a,b groups=2}' | filecheck %s
// RUN: xdsl-opt %s --split-input-file --verify-diagnostics -p 'group-loops{loops=a,b groups=2 compact=true}' | filecheck %s --check-prefixes=CHECK,COMPACT
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'group-loops{loops=co,ci groups=3}' | filecheck %s --check-prefix=DIV
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'group-loops{loops=co,ci groups=0}' | filecheck %s --check-prefix=ZERO
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'group-loops{loops=co,cx groups=2}' | filecheck %s --check-prefix=UNKNOWN
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'group-loops{loops=co,ci groups=2 name=kh}' | filecheck %s --check-prefix=CLASH
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'group-loops{loops=co,ci}' | filecheck %s --check-prefix=HALF
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'group-loops' | filecheck %s --check-prefix=NONE
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'peel-loops{loop=co count=2},group-loops{loops=co,ci groups=2 compact=true}' | filecheck %s --check-prefix=SHARED

// DIV: error: 'loopnest.for' op (loop 'co'): cannot group loop 'co' 3 ways: its trip count 8 is not divisible by 3
// ZERO: error: cannot group into 0 groups: groups must be at least 1
// UNKNOWN: error: group-loops loops=: no loop named 'cx' in the module (loops: ci, co, kh, kw, oh, ow)
// CLASH: error: 'loopnest.for' op (loop 'co'): cannot name the group loop 'kh': a loop of that name already encloses or is inside loop 'co'
// HALF: error: group-loops takes loops= and groups= together
// NONE: error: group-loops needs loops=... and groups=..., or loops carrying a 'loopnest.group' request; the module has neither
// SHARED: error: 'loopnest.for' op (loop 'co'): compact=true cannot shrink %W: it is also used outside the grouped nest (by 'loopnest.load')

// CHECK: error: 'loopnest.for' op (loop 'a'): cannot group loops 'a', 'b': under loop 'a' they do not lie on one path (each must enclose or be enclosed by the others, once)
func.func @two_paths(%A: memref<4x4xf32>) {
  loopnest.for a %a in range(4) {
    loopnest.for b %b in range(4) {
      %v = loopnest.load %A[%a, %b] : memref<4x4xf32>
    }
    loopnest.for b %b in range(4) {
      %v = loopnest.load %A[%b, %a] : memref<4x4xf32>
    }
  }
  func.return
}

// -----

// CHECK: error: 'loopnest.for' op (loop 'a'): cannot group loops 'a', 'b': no nest in the module contains all of them on one path
func.func @siblings(%A: memref<4xf32>) {
  loopnest.for a %a in range(4) {
    %v = loopnest.load %A[%a] : memref<4xf32>
  }
  loopnest.for b %b in range(4) {
    %v = loopnest.load %A[%b] : memref<4xf32>
  }
  func.return
}

// -----

// CHECK: error: 'loopnest.for' op (loop 'b'): cannot group loop 'b' 2 ways: its trip count 3 is not divisible by 2
func.func @indivisible(%A: memref<4x4xf32>) {
  loopnest.for a %a in range(4) {
    loopnest.for b %b in range(1, 4) {
      %v = loopnest.load %A[%a, %b] : memref<4x4xf32>
    }
  }
  func.return
}

// -----

// CHECK: error: 'loopnest.for' op (loop 'b'): cannot group loop 'b': its trip count is not constant
func.func @triangular(%A: memref<4x4xf32>) {
  loopnest.for a %a in range(4) {
    loopnest.for b %b in range(%a, 4) {
      %v = loopnest.load %A[%a, %b] : memref<4x4xf32>
    }
  }
  func.return
}

// -----

// CHECK: error: 'loopnest.for' op (loop 'a'): cannot name the group loop 'g': a loop of that name already encloses or is inside loop 'a'
func.func @clash(%A: memref<4x4xf32>) {
  loopnest.for g %g in range(2) {
    loopnest.for a %a in range(4) {
      loopnest.for b %b in range(4) {
        %v = loopnest.load %A[%a, %b] : memref<4x4xf32>
      }
    }
  }
  func.return
}

// -----

// COMPACT: error: 'loopnest.for' op (loop 'a'): compact=true cannot shrink %T: it is not an argument of the function
func.func @local() {
  %T = memref.alloc() : memref<4x4xf32>
  loopnest.for a %a in range(4) {
    loopnest.for b %b in range(4) {
      %v = loopnest.load %T[%a, %b] : memref<4x4xf32>
    }
  }
  func.return
}

// -----

// COMPACT: error: 'loopnest.for' op (loop 'a'): compact=true cannot shrink %A: dimension 1 of size 9 is not divisible by 2 groups
func.func @odd_dim(%A: memref<4x9xf32>) {
  loopnest.for a %a in range(4) {
    loopnest.for b %b in range(8) {
      %v = loopnest.load %A[%a, %b] : memref<4x9xf32>
    }
  }
  func.return
}

// -----

// b - 4*g + 2 ranges over [2, 6): it would not fit the shrunk size 5.
// COMPACT: error: 'loopnest.for' op (loop 'a'): compact=true cannot shrink %A: its group-local indices would leave the shrunk shape 4x5
func.func @misfit(%A: memref<4x10xf32>) {
  loopnest.for a %a in range(4) {
    loopnest.for b %b in range(8) {
      %v = loopnest.load %A[%a, %b + 2] : memref<4x10xf32>
    }
  }
  func.return
}

// -----

// COMPACT: error: 'loopnest.for' op (loop 'a'): compact=true cannot shrink %A: dimension 1 is indexed by several grouped loops ('a', 'b')
func.func @mixed(%A: memref<4x12xf32>) {
  loopnest.for a %a in range(4) {
    loopnest.for b %b in range(8) {
      %v = loopnest.load %A[%a, %a + %b] : memref<4x12xf32>
    }
  }
  func.return
}

// -----

// COMPACT: error: 'loopnest.for' op (loop 'a'): compact=true cannot shrink %A: @callee is called in the module and its signature would change
func.func @callee(%A: memref<4x4xf32>) {
  loopnest.for a %a in range(4) {
    loopnest.for b %b in range(4) {
      %v = loopnest.load %A[%a, %b] : memref<4x4xf32>
    }
  }
  func.return
}
func.func @caller(%A: memref<4x4xf32>) {
  func.call @callee(%A) : (memref<4x4xf32>) -> ()
  func.return
}

// -----

// Group g uses A[a][b] for a in [2g, 2g+2), b in [4g, 4g+4); group-locally
// A[a floordiv 4][b - 4g] would let groups 0 and 1 share row 0.
// COMPACT: error: 'loopnest.for' op (loop 'a'): compact=true cannot shrink %A: different groups would share elements of the shrunk memref
func.func @shared(%A: memref<1x8xf32>) {
  loopnest.for a %a in range(4) {
    loopnest.for b %b in range(8) {
      %v = loopnest.load %A[%a floordiv 4, %b] : memref<1x8xf32>
    }
  }
  func.return
}
