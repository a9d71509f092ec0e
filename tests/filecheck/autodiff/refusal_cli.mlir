// A refused derivation from the stock xdsl-opt: non-zero exit, nothing on
// stdout (not even @f), one diagnostic line on stderr, no traceback.

// RUN: not xdsl-opt %s -p derive-gradients > %t.out 2> %t.err
// RUN: wc -c < %t.out | filecheck %s --check-prefix=EMPTY
// RUN: filecheck %s --check-prefix=ERR --input-file %t.err
// RUN: wc -l < %t.err | filecheck %s --check-prefix=ONELINE

// EMPTY: {{^ *0$}}
// ERR-NOT: Traceback
// ERR: refusal_cli.mlir:[[# @LINE + 9]]:10: error: 'loopnest.load' op: load of %A[i - 1] (line [[# @LINE + 9]]) reads output %A
// ERR-NOT: Traceback
// ONELINE: {{^ *1$}}

func.func @fine(%O: memref<4xf32>, %B: memref<4xf32>) {
  func.return
}
func.func @prefix_product(%A: memref<8xf32>, %B: memref<8xf32>) {
  loopnest.for i %i in range(1, 8) {
    %p = loopnest.load %A[%i - 1] : memref<8xf32>
    %b = loopnest.load %B[%i] : memref<8xf32>
    %v = arith.mulf %p, %b : f32
    loopnest.store %v, %A[%i] : memref<8xf32>
  }
  func.return
}
