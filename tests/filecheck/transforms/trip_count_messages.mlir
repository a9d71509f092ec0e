// Trip-count refusals say what is wrong: a missing `count=`, and a loop
// under an empty range (constant bounds: it has a trip count and is
// transformed; bounds on enclosing loops: it has none, and says why).

// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'peel-loops{loop=co}' | filecheck %s --check-prefix=NOCOUNT
// RUN: xdsl-opt %s -p 'peel-loops{loop=b count=1}' | filecheck %s --check-prefix=PEEL
// RUN: xdsl-opt %s -p 'group-loops{loops=b groups=2}' | filecheck %s --check-prefix=GROUP
// RUN: xdsl-opt %s --verify-diagnostics -p 'peel-loops{loop=d count=1}' | filecheck %s --check-prefix=DEPENDENT
// RUN: xdsl-opt %s --verify-diagnostics -p 'group-loops{loops=d groups=2}' | filecheck %s --check-prefix=DEPENDENT-GROUP

// NOCOUNT: error: peel-loops needs count=<iterations to peel>
// NOCOUNT-NOT: cannot peel 0

// PEEL-LABEL: func.func @dead_constant
// PEEL-NEXT:    loopnest.for a %{{.*}} in range(0) {
// PEEL-NEXT:      loopnest.for b_peel %{{.*}} in range(1) {
// PEEL:           loopnest.for b %{{.*}} in range(1, 4) {

// GROUP-LABEL: func.func @dead_constant
// GROUP-NEXT:    loopnest.for a %{{.*}} in range(0) {
// GROUP-NEXT:      loopnest.for g %[[G:.*]] in range(2) {
// GROUP-NEXT:        loopnest.for b %{{.*}} in range(%[[G]] * 2, %[[G]] * 2 + 2) {

// DEPENDENT: error: 'loopnest.for' op (loop 'd'): cannot peel loop 'd': it never runs (an enclosing loop has an empty range) and its bounds depend on enclosing loops, so it has no trip count
// DEPENDENT-GROUP: error: 'loopnest.for' op (loop 'd'): cannot group loop 'd': it never runs (an enclosing loop has an empty range) and its bounds depend on enclosing loops, so it has no trip count
func.func @dead_constant(%A: memref<4xf32>) {
  loopnest.for a %a in range(0) {
    loopnest.for b %b in range(4) {
      %v = loopnest.load %A[%b] : memref<4xf32>
      loopnest.store %v, %A[%b] : memref<4xf32>
    }
  }
  func.return
}

func.func @dead_dependent(%A: memref<8xf32>) {
  loopnest.for c %c in range(3, 3) {
    loopnest.for d %d in range(%c, %c + 4) {
      %v = loopnest.load %A[%d] : memref<8xf32>
      loopnest.store %v, %A[%d] : memref<8xf32>
    }
  }
  func.return
}
