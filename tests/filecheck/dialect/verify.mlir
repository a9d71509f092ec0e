// RUN: xdsl-opt %s --split-input-file --verify-diagnostics | filecheck %s
// Every verifier rule of the loopnest dialect, with its message.  (Each chunk
// numbers its lines from 1, so only the first checks a location.)

func.func @bound_not_iv(%A: memref<8xf32>, %n: index) {
  loopnest.for i %i in range(%n) {
  }
  func.return
}
// CHECK: verify.mlir:6:3: error: 'loopnest.for' op (loop 'i'): bound uses %n, which is not the induction variable of an enclosing loopnest.for

// -----

func.func @index_not_iv(%A: memref<8xf32>) {
  %c = arith.constant 1 : index
  loopnest.for i %i in range(4) {
    %v = loopnest.load %A[%i + %c] : memref<8xf32>
  }
  func.return
}
// CHECK: error: 'loopnest.load' op: index uses %c, which is not the induction variable of an enclosing loopnest.for

// -----

func.func @bound_divides_by_negative(%A: memref<8xf32>) {
  loopnest.for i %i in range(4) {
    "loopnest.for"(%i) <{loop_name = "j", lower_bound = affine_map<(d0) -> (0)>, upper_bound = affine_map<(d0) -> (d0 floordiv -2)>, step = 1 : index}> ({
    ^bb0(%j: index):
      "loopnest.yield"() : () -> ()
    }) : (index) -> ()
  }
  func.return
}
// CHECK: error: 'loopnest.for' op (loop 'j'): bound is not affine: '(d0 floordiv -2)' divides by '-2'; the divisor must be a positive constant

// -----

func.func @index_mod_zero(%A: memref<8xf32>) {
  loopnest.for i %i in range(4) {
    %v = loopnest.load %A[%i mod 0] : memref<8xf32>
  }
  func.return
}
// CHECK: error: 'loopnest.load' op: index is not affine: '(d0 mod 0)' divides by '0'; the divisor must be a positive constant

// -----

func.func @index_with_symbols(%A: memref<8xf32>) {
  loopnest.for i %i in range(4) {
    %v = "loopnest.load"(%A, %i) <{map = affine_map<()[s0] -> (s0)>}> : (memref<8xf32>, index) -> f32
  }
  func.return
}
// CHECK: error: 'loopnest.load' op: index map ()[s0] -> (s0) has symbols; loopnest uses dims bound to induction variables only

// -----

func.func @load_rank(%A: memref<8x8xf32>) {
  loopnest.for i %i in range(4) {
    %v = loopnest.load %A[%i] : memref<8x8xf32>
  }
  func.return
}
// CHECK: error: 'loopnest.load' op: indexes a memref of rank 2 with 1 index

// -----

func.func @store_rank(%A: memref<8xf32>, %v: f32) {
  loopnest.for i %i in range(4) {
    loopnest.store %v, %A[%i, %i] : memref<8xf32>
  }
  func.return
}
// CHECK: error: 'loopnest.store' op: indexes a memref of rank 1 with 2 indices

// -----

func.func @store_type(%A: memref<8xf32>, %v: f64) {
  loopnest.for i %i in range(4) {
    "loopnest.store"(%v, %A, %i) <{map = affine_map<(d0) -> (d0)>}> : (f64, memref<8xf32>, index) -> ()
  }
  func.return
}
// CHECK: error: 'loopnest.store' op: stored value of type f64 does not match the element type of memref<8xf32>

// -----

func.func @empty_name(%A: memref<8xf32>) {
  loopnest.for "" %i in range(4) {
  }
  func.return
}
// CHECK: error: 'loopnest.for' op (loop ''): the loop name is empty

// -----

func.func @duplicate_name(%A: memref<8xf32>) {
  loopnest.for i %i in range(4) {
    loopnest.for j %j in range(4) {
      loopnest.for i %k in range(4) {
      }
    }
  }
  func.return
}
// CHECK: error: 'loopnest.for' op (loop 'i'): loop name 'i' is already used by an enclosing loop; loop names must be unique along each path of a nest

// -----

func.func @zero_step(%A: memref<8xf32>) {
  loopnest.for i %i in range(0, 4, 0) {
  }
  func.return
}
// CHECK: error: 'loopnest.for' op (loop 'i'): step 0 is not positive

// -----

func.func @negative_step(%A: memref<8xf32>) {
  loopnest.for i %i in range(4, 0, -1) {
  }
  func.return
}
// CHECK: error: 'loopnest.for' op (loop 'i'): step -1 is not positive

// -----

func.func @zero_width(%A: memref<8xf32>) {
  loopnest.for i %i in range(8) vectorize(0) {
  }
  func.return
}
// CHECK: error: 'loopnest.for' op (loop 'i'): the vector width 0 is not positive

// -----

func.func @two_result_bound(%A: memref<8xf32>) {
  "loopnest.for"() <{loop_name = "i", lower_bound = affine_map<() -> (0, 1)>, upper_bound = affine_map<() -> (4)>, step = 1 : index}> ({
  ^bb0(%i: index):
    "loopnest.yield"() : () -> ()
  }) : () -> ()
  func.return
}
// CHECK: error: 'loopnest.for' op (loop 'i'): lower bound map () -> (0, 1) must have one result

// -----

func.func @no_iv(%A: memref<8xf32>) {
  "loopnest.for"() <{loop_name = "i", lower_bound = affine_map<() -> (0)>, upper_bound = affine_map<() -> (4)>, step = 1 : index}> ({
    "loopnest.yield"() : () -> ()
  }) : () -> ()
  func.return
}
// CHECK: error: 'loopnest.for' op (loop 'i'): the body must have exactly one index argument (the induction variable)
