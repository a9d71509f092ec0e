// A refused script from the stock xdsl-opt: non-zero exit, nothing on
// stdout, two diagnostic lines on stderr (the transform op, the payload
// loop), no Python traceback; a module without the entry point is refused.

// RUN: not xdsl-opt %s -p 'loopnest-transform-interpreter' > %t.out 2> %t.err
// RUN: wc -c < %t.out | filecheck %s --check-prefix=EMPTY
// RUN: filecheck %s --check-prefix=ERR --input-file %t.err
// RUN: wc -l < %t.err | filecheck %s --check-prefix=TWOLINES
// RUN: not xdsl-opt %s -p 'loopnest-transform-interpreter{entry_point=main}' 2>&1 | filecheck %s --check-prefix=ENTRY

// EMPTY: {{^ *0$}}
// ERR-NOT: Traceback
// ERR: refusal_cli.mlir:[[# @LINE + 18]]:3: error: 'transform.loopnest.interchange' op: cannot permute loops 'i', 'j': it would reverse the flow dependence
// ERR-NEXT: refusal_cli.mlir:[[# @LINE + 6]]:3: note: 'loopnest.for' op (loop 'i'): when applied to this loop
// ERR-NOT: Traceback
// TWOLINES: {{^ *2$}}
// ENTRY: error: loopnest-transform-interpreter: no transform.named_sequence @main in the module
builtin.module attributes {transform.with_named_sequence} {
func.func @stencil(%A: memref<10x10xf32>) {
  loopnest.for i %i in range(1, 10) {
    loopnest.for j %j in range(0, 9) {
      %a = loopnest.load %A[%i - 1, %j + 1] : memref<10x10xf32>
      loopnest.store %a, %A[%i, %j] : memref<10x10xf32>
    }
  }
  func.return
}
transform.named_sequence @__transform_main(%root: !transform.any_op) {
  %i = transform.loopnest.match "i" in %root : (!transform.any_op) -> !transform.any_op
  %j = transform.loopnest.match "j" in %root : (!transform.any_op) -> !transform.any_op
  transform.loopnest.interchange %i, %j : (!transform.any_op, !transform.any_op) -> ()
  transform.yield
}
}
