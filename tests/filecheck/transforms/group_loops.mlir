// RUN: xdsl-opt %examples/conv2d.mlir -p 'group-loops{loops=co,ci groups=4}' | filecheck %s --check-prefix=GCONV
// RUN: xdsl-opt %examples/conv2d.mlir -p 'group-loops{loops=co,ci groups=4 compact=true name=grp}' | filecheck %s --check-prefix=COMPACT
// RUN: xdsl-opt %examples/conv2d.mlir -p 'group-loops{loops=ci,co groups=2 compact=true}' | filecheck %s --check-prefix=FIRST
// RUN: xdsl-opt %examples/conv2d.mlir -p 'interchange-loops{order=co,oh,ci,ow,kh,kw},group-loops{loops=co,ci groups=2}' | filecheck %s --check-prefix=EX1
// RUN: xdsl-opt %examples/conv2d.mlir -p 'group-loops{loops=co,ci groups=1}' | diff - %examples/conv2d.mlir
// RUN: xdsl-opt %s -p 'group-loops{loops=j groups=2}' | filecheck %s
// RUN: xdsl-opt %s -p 'group-loops' | filecheck %s --check-prefix=ATTR

// The seed's grouped convolution: g around co, both co and ci restricted to
// group g (range(CO//G*g, CO//G*(g+1)) with CO = 8, G = 4).

// GCONV-LABEL: func.func @conv2d(%{{.*}}: memref<8x6x6xf32>, %{{.*}}: memref<8x8x8xf32>, %{{.*}}: memref<8x8x3x3xf32>) {
// GCONV-NEXT:    loopnest.for g %[[G:.*]] in range(4) {
// GCONV-NEXT:      loopnest.for co %[[CO:.*]] in range(%[[G]] * 2, %[[G]] * 2 + 2) {
// GCONV-NEXT:        loopnest.for ci %[[CI:.*]] in range(%[[G]] * 2, %[[G]] * 2 + 2) {
// GCONV-NEXT:          loopnest.for oh %[[OH:.*]] in range(6) {
// GCONV-NEXT:            loopnest.for ow %[[OW:.*]] in range(6) {
// GCONV-NEXT:              loopnest.for kh %[[KH:.*]] in range(3) {
// GCONV-NEXT:                loopnest.for kw %[[KW:.*]] in range(3) {
// GCONV-NEXT:                  %{{.*}} = loopnest.load %{{.*}}[%[[CO]], %[[OH]], %[[OW]]] : memref<8x6x6xf32>
// GCONV-NEXT:                  %{{.*}} = loopnest.load %{{.*}}[%[[CI]], %[[OH]] + %[[KH]], %[[OW]] + %[[KW]]] : memref<8x8x8xf32>
// GCONV-NEXT:                  %{{.*}} = loopnest.load %{{.*}}[%[[CO]], %[[CI]], %[[KH]], %[[KW]]] : memref<8x8x3x3xf32>

// compact=true: W is the only memref indexed by both co and ci; its ci
// dimension becomes group-local, PyTorch's [CO, CI/G, KH, KW] layout.

// COMPACT-LABEL: func.func @conv2d(%{{.*}}: memref<8x6x6xf32>, %{{.*}}: memref<8x8x8xf32>, %{{.*}}: memref<8x2x3x3xf32>) {
// COMPACT-NEXT:    loopnest.for grp %[[G:.*]] in range(4) {
// COMPACT-NEXT:      loopnest.for co %[[CO:.*]] in range(%[[G]] * 2, %[[G]] * 2 + 2) {
// COMPACT-NEXT:        loopnest.for ci %[[CI:.*]] in range(%[[G]] * 2, %[[G]] * 2 + 2) {
// COMPACT:               %{{.*}} = loopnest.load %{{.*}}[%[[CO]], %{{.*}}, %{{.*}}] : memref<8x6x6xf32>
// COMPACT-NEXT:          %{{.*}} = loopnest.load %{{.*}}[%[[CI]], %{{.*}}, %{{.*}}] : memref<8x8x8xf32>
// COMPACT-NEXT:          %{{.*}} = loopnest.load %{{.*}}[%[[CO]], %[[CI]] - %[[G]] * 2, %[[KH:.*]], %[[KW:.*]]] : memref<8x2x3x3xf32>

// The first listed loop keeps its dimension: with loops=ci,co the co
// dimension of W shrinks instead (g still goes around the outermost, co).

// FIRST-LABEL: func.func @conv2d(%{{.*}}: memref<8x6x6xf32>, %{{.*}}: memref<8x8x8xf32>, %{{.*}}: memref<4x8x3x3xf32>) {
// FIRST-NEXT:    loopnest.for g %[[G:.*]] in range(2) {
// FIRST-NEXT:      loopnest.for co %[[CO:.*]] in range(%[[G]] * 4, %[[G]] * 4 + 4) {
// FIRST-NEXT:        loopnest.for ci %[[CI:.*]] in range(%[[G]] * 4, %[[G]] * 4 + 4) {
// FIRST:                 %{{.*}} = loopnest.load %{{.*}}[%[[CO]] - %[[G]] * 4, %[[CI]], %{{.*}}, %{{.*}}] : memref<4x8x3x3xf32>

// The seed's Example 1 order, then grouping: co and ci are not adjacent (oh is
// between them); g goes around co.

// EX1-LABEL: func.func @conv2d(
// EX1-NEXT:    loopnest.for g %[[G:.*]] in range(2) {
// EX1-NEXT:      loopnest.for co %{{.*}} in range(%[[G]] * 4, %[[G]] * 4 + 4) {
// EX1-NEXT:        loopnest.for oh %{{.*}} in range(6) {
// EX1-NEXT:          loopnest.for ci %{{.*}} in range(%[[G]] * 4, %[[G]] * 4 + 4) {
// EX1-NEXT:            loopnest.for ow %{{.*}} in range(6) {

// Grouping one loop is strip-mining.  The lower bound stays exact when it is
// affine in an outer loop; a step counts in iterations (4 iterations, 2 per
// group, 4 apart in value).

// CHECK-LABEL: func.func @strip_mine
// CHECK-NEXT:    loopnest.for i %[[I:.*]] in range(4) {
// CHECK-NEXT:      loopnest.for g %[[G:.*]] in range(2) {
// CHECK-NEXT:        loopnest.for j %[[J:.*]] in range(%[[I]] + %[[G]] * 4, %[[I]] + %[[G]] * 4 + 4, 2) {
// CHECK-NEXT:          %{{.*}} = loopnest.load %{{.*}}[%[[I]], %[[J]]] : memref<16x16xf32>
// CHECK-NEXT:        }
// CHECK-NEXT:      }
// CHECK-NEXT:    }
func.func @strip_mine(%A: memref<16x16xf32>) {
  loopnest.for i %i in range(4) {
    loopnest.for j %j in range(%i, %i + 8, 2) {
      %a = loopnest.load %A[%i, %j] : memref<16x16xf32>
    }
  }
  func.return
}

// Without loops=/groups=, the pass applies requests recorded on loops as
// `loopnest.group = G` (the attribute is consumed).  A nest without the
// requested loops is left alone.

// ATTR-LABEL: func.func @strip_mine
// ATTR-NEXT:    loopnest.for i %{{.*}} in range(4) {
// ATTR-NEXT:      loopnest.for j %{{.*}} in range(%{{.*}}, %{{.*}} + 8, 2) {
// ATTR-LABEL: func.func @requested
// ATTR-NEXT:    loopnest.for g %[[G:.*]] in range(2) {
// ATTR-NEXT:      loopnest.for a %{{.*}} in range(%[[G]] * 2, %[[G]] * 2 + 2) {
// ATTR-NEXT:        loopnest.for b %{{.*}} in range(%[[G]] * 3, %[[G]] * 3 + 3) {
// ATTR-NOT:     loopnest.group

// CHECK-LABEL: func.func @requested
// CHECK-NEXT:    loopnest.for a
func.func @requested(%A: memref<4x6xf32>) {
  loopnest.for a %a in range(4) attributes {loopnest.group = 2 : i64} {
    loopnest.for b %b in range(6) attributes {loopnest.group = 2 : i64} {
      %v = loopnest.load %A[%a, %b] : memref<4x6xf32>
    }
  }
  func.return
}
