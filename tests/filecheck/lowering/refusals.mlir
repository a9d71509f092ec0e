// RUN: xdsl-opt %s -p convert-loopnest-to-llvm --split-input-file --verify-diagnostics | filecheck %s

// loopnest accesses are proven in bounds statically: one that may leave its memref is refused.
builtin.module {
  func.func @shifted(%A: memref<8xf32>) {
    loopnest.for i %i in range(8) {
      %v = loopnest.load %A[%i + 1] : memref<8xf32>
      loopnest.store %v, %A[%i] : memref<8xf32>
    }
    func.return
  }
}
// CHECK: refusals.mlir:7:12: error: 'loopnest.load' op: %A[%i + 1] reads out of bounds: index %i + 1 of dimension 0 takes values in [1, 8] but the dimension has size 8 (first at i = 7)

// -----

// A dependent bound: j runs up to i + 2, so A[j] reaches index 9 of 8.
builtin.module {
  func.func @triangular(%A: memref<8xf32>) {
    loopnest.for i %i in range(8) {
      loopnest.for j %j in range(%i, %i + 3) {
        %v = loopnest.load %A[%j] : memref<8xf32>
        loopnest.store %v, %A[%i] : memref<8xf32>
      }
    }
    func.return
  }
}
// CHECK: error: 'loopnest.load' op: %A[%j] reads out of bounds: index %j of dimension 0 takes values in [0, 9] but the dimension has size 8 (first at i = 6, j = 8)

// -----

// An op with no lowering to the llvm dialect is named.
builtin.module {
  func.func @exp(%A: memref<4xf32>) {
    loopnest.for i %i in range(4) {
      %v = loopnest.load %A[%i] : memref<4xf32>
      %e = math.exp %v : f32
      loopnest.store %e, %A[%i] : memref<4xf32>
    }
    func.return
  }
}
// CHECK: error: 'math.exp' op: unsupported op 'math.exp': no lowering to the llvm dialect

// -----

// A dynamic memref cannot use static strides.
func.func @dynamic(%A: memref<?xf32>, %i: index) -> f32 {
  %v = memref.load %A[%i] : memref<?xf32>
  func.return %v : f32
}
// CHECK: error: 'memref.load' op: memref type memref<?xf32> has dynamic sizes; only static shapes are supported

// -----

// An unsupported arith op is named by loopnest-convert-arith-to-llvm.
func.func @fptosi(%x: f32) -> i32 {
  %i = arith.fptosi %x : f32 to i32
  func.return %i : i32
}
// CHECK: error: 'arith.fptosi' op: unsupported op 'arith.fptosi': loopnest-convert-arith-to-llvm has no lowering for it

// -----

// Calls are not lowered by loopnest-convert-func-to-llvm.
func.func @callee() {
  func.return
}
func.func @caller() {
  func.call @callee() : () -> ()
  func.return
}
// CHECK: error: 'func.call' op: unsupported op 'func.call': loopnest-convert-func-to-llvm lowers func.func and func.return only

// -----

// affine.min/max bounds are not lowered by loopnest-convert-affine-to-scf.
func.func @min(%i: index) -> index {
  %m = "affine.min"(%i) <{map = affine_map<(d0) -> (d0, 4)>}> : (index) -> index
  func.return %m : index
}
// CHECK: error: 'affine.min' op: unsupported op 'affine.min': loopnest-convert-affine-to-scf lowers affine.for/apply/load/store only

// -----

func.func @assert(%c: i1) {
  cf.assert %c, "never"
  func.return
}
// CHECK: error: 'cf.assert' op: unsupported op 'cf.assert': loopnest-convert-cf-to-llvm lowers cf.br and cf.cond_br only

// -----

// A vectorize(W) marker the loop no longer satisfies (here written by hand
// on a loop with a loop inside) is refused, not lowered as a plain loop.
builtin.module {
  func.func @marked_outer(%A: memref<4x4xf32>) {
    loopnest.for i %i in range(4) vectorize(4) {
      loopnest.for j %j in range(4) {
        %v = loopnest.load %A[%i, %j] : memref<4x4xf32>
        loopnest.store %v, %A[%i, %j] : memref<4x4xf32>
      }
    }
    func.return
  }
}

// CHECK: error: 'loopnest.for' op (loop 'i'): loop 'i' is marked vectorize(4) but cannot be vectorised: it is not innermost: loop 'j' is inside it
