// RUN: xdsl-opt %s -p convert-loopnest-to-llvm --split-input-file --verify-diagnostics | filecheck %s

// Frees that could crash native code are refused before lowering.

func.func @twice(%A: memref<4xf32>) {
  %T = memref.alloc() : memref<4xf32>
  memref.dealloc %T : memref<4xf32>
  memref.dealloc %T : memref<4xf32>
  func.return
}
// CHECK: error: 'memref.dealloc' op: deallocates a buffer that is deallocated again

// -----

func.func @use_after_free(%A: memref<4xf32>) {
  %T = memref.alloc() : memref<4xf32>
  memref.dealloc %T : memref<4xf32>
  loopnest.for i %i in range(4) {
    %v = loopnest.load %T[%i] : memref<4xf32>
    loopnest.store %v, %A[%i] : memref<4xf32>
  }
  func.return
}
// CHECK: error: 'memref.dealloc' op: the buffer is used by 'loopnest.load' after it is deallocated

// -----

func.func @free_in_loop(%A: memref<4xf32>) {
  %T = memref.alloc() : memref<4xf32>
  loopnest.for i %i in range(4) {
    memref.dealloc %T : memref<4xf32>
  }
  func.return
}
// CHECK: error: 'memref.dealloc' op: must be in the block of the memref.alloc it frees (else it may run a different number of times)

// -----

func.func @free_argument(%A: memref<4xf32>) {
  memref.dealloc %A : memref<4xf32>
  func.return
}
// CHECK: error: 'memref.dealloc' op: deallocates a block argument; only buffers from memref.alloc can be freed

// -----

func.func @free_alloca() {
  %T = memref.alloca() : memref<4xf32>
  memref.dealloc %T : memref<4xf32>
  func.return
}
// CHECK: error: 'memref.dealloc' op: deallocates a memref.alloca; only buffers from memref.alloc can be freed

// -----

// Allocas live for the whole call: too much stack is refused.
func.func @big_stack() {
  %T = memref.alloca() : memref<1024x256xf32>
  %U = memref.alloca() : memref<2xf32>
  func.return
}
// CHECK: error: 'memref.alloca' op: the function's memref.alloca buffers need 1048584 bytes of stack, more than the 1048576 allowed; use memref.alloc

// -----

func.func @dynamic(%n: index) {
  %T = memref.alloc(%n) : memref<?xf32>
  func.return
}
// CHECK: error: 'memref.alloc' op: 'memref.alloc' with dynamic sizes or layout symbols is not supported; only static shapes are

// -----

func.func @malloc(%n: i64) {
  func.return
}
func.func @uses_heap() {
  %T = memref.alloc() : memref<4xf32>
  func.return
}
// CHECK: error: 'func.func' op: the module defines @malloc, which local buffers need from the C library

// -----

// One stack slot serves every execution of an alloca only if no buffer is
// carried from one execution to the next.
func.func @carried(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %first = memref.alloca() : memref<2xi32>
  cf.br ^loop(%c0, %first : index, memref<2xi32>)
^loop(%i: index, %prev: memref<2xi32>):
  %B = memref.alloca() : memref<2xi32>
  %v = memref.load %prev[%c0] : memref<2xi32>
  memref.store %v, %B[%c1] : memref<2xi32>
  %next = arith.addi %i, %c1 : index
  %done = arith.cmpi sge, %next, %n : index
  cf.cond_br %done, ^exit, ^loop(%next, %B : index, memref<2xi32>)
^exit:
  func.return
}
// CHECK: error: 'memref.alloca' op: the buffer is used by 'cf.br'; only a memref.alloca that is only loaded from and stored to is supported
