// RUN: xdsl-opt %s --split-input-file --verify-diagnostics -p derive-gradients | filecheck %s

// CHECK: error: 'arith.divf' op: division is not differentiated (its gradient divides by the divisor's square); gradients support loopnest loads and stores of f32/f64, arith.constant, addf, subf, mulf, negf, maximumf, minimumf, select and cmpf (in loop 'i', line {{[0-9]+}})
func.func @divide(%O: memref<4xf32>, %A: memref<4xf32>, %B: memref<4xf32>) {
  loopnest.for i %i in range(4) {
    %a = loopnest.load %A[%i] : memref<4xf32>
    %b = loopnest.load %B[%i] : memref<4xf32>
    %q = arith.divf %a, %b : f32
    loopnest.store %q, %O[%i] : memref<4xf32>
  }
  func.return
}

// -----

// A recurrence reads the output it writes: refused, not differentiated wrongly.
// CHECK: error: 'loopnest.load' op: load of %A[i - 1] (line {{[0-9]+}}) reads output %A, which the function writes; only the accumulation of the element a statement stores to may read an output (refused: the gradient would depend on the order of the writes)
func.func @recurrence(%A: memref<8xf32>, %B: memref<8xf32>) {
  loopnest.for i %i in range(1, 8) {
    %p = loopnest.load %A[%i - 1] : memref<8xf32>
    %b = loopnest.load %B[%i] : memref<8xf32>
    %v = arith.mulf %p, %b : f32
    loopnest.store %v, %A[%i] : memref<8xf32>
  }
  func.return
}

// -----

// CHECK: error: 'math.exp' op: 'math.exp' is not in the differentiable class; gradients support loopnest loads and stores of f32/f64, arith.constant, addf, subf, mulf, negf, maximumf, minimumf, select and cmpf (in loop 'i', line {{[0-9]+}})
func.func @exponential(%O: memref<4xf32>, %A: memref<4xf32>) {
  loopnest.for i %i in range(4) {
    %a = loopnest.load %A[%i] : memref<4xf32>
    %r = math.exp %a : f32
    loopnest.store %r, %O[%i] : memref<4xf32>
  }
  func.return
}

// -----

// CHECK: error: 'func.func' op: @count argument #0 (%O) has type memref<4xi32>; gradients are derived for memrefs of f32 or f64 only
func.func @count(%O: memref<4xi32>, %A: memref<4xi32>) {
  loopnest.for i %i in range(4) {
    %a = loopnest.load %A[%i] : memref<4xi32>
    loopnest.store %a, %O[%i] : memref<4xi32>
  }
  func.return
}

// -----

// Every iteration overwrites O[0]: only the last write counts, so the
// gradient is not the statement's adjoint over its whole domain.
// CHECK: error: 'loopnest.store' op: store to %O[0] (line {{[0-9]+}}) overwrites some element of %O in more than one iteration; the gradient of an overwrite needs each element written once
func.func @last_write(%O: memref<1xf32>, %A: memref<4xf32>) {
  loopnest.for i %i in range(4) {
    %a = loopnest.load %A[%i] : memref<4xf32>
    loopnest.store %a, %O[0] : memref<1xf32>
  }
  func.return
}

// -----

// An overwrite and an accumulation of the same elements (O[2], O[3]).
// CHECK: error: 'loopnest.store' op: store to %O[i] (line {{[0-9]+}}) overwrites elements of %O that store to %O[j] (line {{[0-9]+}}) also writes (e.g. %O[{{[23]}}]); the gradient of an overwrite needs each element written once
func.func @overwrite_and_accumulate(%O: memref<4xf32>, %A: memref<4xf32>) {
  loopnest.for j %j in range(2, 4) {
    %o = loopnest.load %O[%j] : memref<4xf32>
    %a = loopnest.load %A[%j] : memref<4xf32>
    %s = arith.addf %o, %a : f32
    loopnest.store %s, %O[%j] : memref<4xf32>
  }
  loopnest.for i %i in range(4) {
    %a = loopnest.load %A[%i] : memref<4xf32>
    loopnest.store %a, %O[%i] : memref<4xf32>
  }
  func.return
}

// -----

// The accumulated value is also a factor: that reads the output.
// CHECK: error: 'loopnest.load' op: load of %O[i] (line {{[0-9]+}}) reads output %O, which the function writes; only the accumulation of the element a statement stores to may read an output (refused: the gradient would depend on the order of the writes)
func.func @square_accumulate(%O: memref<4xf32>, %A: memref<4xf32>) {
  loopnest.for i %i in range(4) {
    loopnest.for k %k in range(4) {
      %o = loopnest.load %O[%i] : memref<4xf32>
      %a = loopnest.load %A[%k] : memref<4xf32>
      %p = arith.mulf %o, %a : f32
      %s = arith.addf %o, %p : f32
      loopnest.store %s, %O[%i] : memref<4xf32>
    }
  }
  func.return
}

// -----

// A write to the accumulated element between its load and its store.
// CHECK: error: 'loopnest.store' op: store to %O[i] (line {{[0-9]+}}) writes %O between the load and the store of an accumulation
func.func @clobbered(%O: memref<4xf32>, %A: memref<4xf32>) {
  loopnest.for i %i in range(4) {
    %o = loopnest.load %O[%i] : memref<4xf32>
    loopnest.for k %k in range(1) {
      %b = loopnest.load %A[%k] : memref<4xf32>
      loopnest.store %b, %O[%i] : memref<4xf32>
    }
    %a = loopnest.load %A[%i] : memref<4xf32>
    %s = arith.addf %o, %a : f32
    loopnest.store %s, %O[%i] : memref<4xf32>
  }
  func.return
}

// -----

// CHECK: error: 'func.func' op: cannot add @copy_vjp: the module already has a function of that name
func.func @copy(%O: memref<4xf32>, %A: memref<4xf32>) {
  loopnest.for i %i in range(4) {
    %a = loopnest.load %A[%i] : memref<4xf32>
    loopnest.store %a, %O[%i] : memref<4xf32>
  }
  func.return
}
func.func @copy_vjp() {
  func.return
}
