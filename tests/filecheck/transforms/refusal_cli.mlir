// A refusal from the stock xdsl-opt: non-zero exit, nothing on stdout, one
// diagnostic line on stderr pointing at the loop, no Python traceback.

// RUN: not xdsl-opt %s -p 'interchange-loops{loops=i,j}' > %t.out 2> %t.err
// RUN: wc -c < %t.out | filecheck %s --check-prefix=EMPTY
// RUN: filecheck %s --check-prefix=ERR --input-file %t.err
// RUN: wc -l < %t.err | filecheck %s --check-prefix=ONELINE
// RUN: not xdsl-opt %s -p 'peel-loops{loop=i count=2},group-loops{loops=i,j groups=4}' 2>&1 | filecheck %s --check-prefix=PIPE
// RUN: not xdsl-opt %s -p 'group-loops{loops=i,j groups=abc}' 2>&1 | filecheck %s --check-prefix=OPTION
// RUN: not xdsl-opt %s -p 'peel-loops{loop=i cont=2}' 2>&1 | filecheck %s --check-prefix=OPTION2

// EMPTY: {{^ *0$}}
// ERR-NOT: Traceback
// ERR: refusal_cli.mlir:[[# @LINE + 10]]:3: error: 'loopnest.for' op (loop 'i'): cannot permute loops 'i', 'j': it would reverse the flow dependence
// ERR-NOT: Traceback
// ONELINE: {{^ *1$}}
// PIPE: error: 'loopnest.for' op (loop 'i'): cannot group loop 'i' 4 ways: its trip count 7 is not divisible by 4
// PIPE-NOT: builtin.module
// OPTION-NOT: Traceback
// OPTION: error: invalid pass pipeline: Incompatible types: given ('abc',), expected int | None
// OPTION-NOT: Traceback
// OPTION2: error: invalid pass pipeline: Provided arguments ["cont"] not found in expected arguments ["loop", "count", "side", "new_name"]
func.func @stencil(%A: memref<10x10xf32>) {
  loopnest.for i %i in range(1, 10) {
    loopnest.for j %j in range(0, 9) {
      %a = loopnest.load %A[%i - 1, %j + 1] : memref<10x10xf32>
      loopnest.store %a, %A[%i, %j] : memref<10x10xf32>
    }
  }
  func.return
}
