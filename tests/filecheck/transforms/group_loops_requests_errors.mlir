// RUN: xdsl-opt %s --split-input-file --verify-diagnostics -p 'group-loops' | filecheck %s

// CHECK: error: 'loopnest.for' op (loop 'a'): the loops marked 'loopnest.group' under loop 'a' ask for different numbers of groups (2, 4)
func.func @mismatch(%A: memref<4x4xf32>) {
  loopnest.for a %a in range(4) attributes {loopnest.group = 2 : i64} {
    loopnest.for b %b in range(4) attributes {loopnest.group = 4 : i64} {
      %v = loopnest.load %A[%a, %b] : memref<4x4xf32>
    }
  }
  func.return
}

// -----

// CHECK: error: 'loopnest.for' op (loop 'a'): cannot group the loops marked 'loopnest.group' under loop 'a': they do not lie on one path
func.func @two_paths(%A: memref<4x4xf32>) {
  loopnest.for a %a in range(4) attributes {loopnest.group = 2 : i64} {
    loopnest.for b %b in range(4) attributes {loopnest.group = 2 : i64} {
      %v = loopnest.load %A[%a, %b] : memref<4x4xf32>
    }
    loopnest.for c %c in range(4) attributes {loopnest.group = 2 : i64} {
      %v = loopnest.load %A[%c, %a] : memref<4x4xf32>
    }
  }
  func.return
}

// -----

// CHECK: error: 'loopnest.for' op (loop 'a'): 'loopnest.group' must be an integer (the number of groups), got "two"
func.func @not_a_number(%A: memref<4xf32>) {
  loopnest.for a %a in range(4) attributes {loopnest.group = "two"} {
    %v = loopnest.load %A[%a] : memref<4xf32>
  }
  func.return
}

// -----

// CHECK: error: 'loopnest.for' op (loop 'a'): cannot group into 0 groups: groups must be at least 1
func.func @zero(%A: memref<4xf32>) {
  loopnest.for a %a in range(4) attributes {loopnest.group = 0 : i64} {
    %v = loopnest.load %A[%a] : memref<4xf32>
  }
  func.return
}
