// RUN: xdsl-opt %s -p 'split-loops{loop=j factor=2 name=jj tail_name=jt}' | filecheck %s
// RUN: xdsl-opt %s -p 'split-loops{loop=i factor=4}' | filecheck %s --check-prefix=TAIL
// RUN: xdsl-opt %examples/conv2d_grouped.mlir -p 'split-loops{loop=co factor=3}' | filecheck %s --check-prefix=GROUPED
// RUN: xdsl-opt %s -p 'parallelize-loops{loop=i},split-loops{loop=i factor=4}' | filecheck %s --check-prefix=PAR

// Six iterations of step 2 in tiles of two: the outer loop steps by 4, the
// inner one runs the tile's iterations with the old step; no tail.

// CHECK-LABEL: func.func @copy
// CHECK-NEXT:    loopnest.for i %[[I:.*]] in range(10) {
// CHECK-NEXT:      loopnest.for j %[[J:.*]] in range(1, 13, 4) {
// CHECK-NEXT:        loopnest.for jj %[[JJ:.*]] in range(%[[J]], %[[J]] + 4, 2) {
// CHECK-NEXT:          %{{.*}} = loopnest.load %{{.*}}[%[[I]], %[[JJ]]] : memref<10x12xf32>
// CHECK-NEXT:          loopnest.store %{{.*}}, %{{.*}}[%[[I]], %[[JJ]] - 1] : memref<10x12xf32>
// CHECK-NEXT:        }
// CHECK-NEXT:      }
// CHECK-NEXT:    }
// CHECK-NEXT:    func.return

// Ten iterations in tiles of four: two tiles, then a tail of two.

// TAIL-LABEL: func.func @copy
// TAIL-NEXT:    loopnest.for i %[[I:.*]] in range(0, 8, 4) {
// TAIL-NEXT:      loopnest.for i_i %[[II:.*]] in range(%[[I]], %[[I]] + 4) {
// TAIL-NEXT:        loopnest.for j %[[J:.*]] in range(1, 12, 2) {
// TAIL-NEXT:          %{{.*}} = loopnest.load %{{.*}}[%[[II]], %[[J]]] : memref<10x12xf32>
// TAIL-NEXT:          loopnest.store %{{.*}}, %{{.*}}[%[[II]], %[[J]] - 1] : memref<10x12xf32>
// TAIL-NEXT:        }
// TAIL-NEXT:      }
// TAIL-NEXT:    }
// TAIL-NEXT:    loopnest.for i_tail %[[T:.*]] in range(8, 10) {
// TAIL-NEXT:      loopnest.for j %[[J2:.*]] in range(1, 12, 2) {
// TAIL-NEXT:        %{{.*}} = loopnest.load %{{.*}}[%[[T]], %[[J2]]] : memref<10x12xf32>
// TAIL-NEXT:        loopnest.store %{{.*}}, %{{.*}}[%[[T]], %[[J2]] - 1] : memref<10x12xf32>
// TAIL-NEXT:      }
// TAIL-NEXT:    }
// TAIL-NEXT:    func.return

// Bounds affine in an outer loop (a group's channels) split exactly: four
// channels per group, one tile of three and a tail of one.

// GROUPED-LABEL: func.func @conv2d_grouped
// GROUPED-NEXT:    loopnest.for g %[[G:.*]] in range(2) {
// GROUPED-NEXT:      loopnest.for co %[[CO:.*]] in range(%[[G]] * 4, %[[G]] * 4 + 3, 3) {
// GROUPED-NEXT:        loopnest.for co_i %[[COI:.*]] in range(%[[CO]], %[[CO]] + 3) {
// GROUPED-NEXT:          loopnest.for ci %{{.*}} in range(%[[G]] * 4, %[[G]] * 4 + 4) {
// GROUPED:                   loopnest.load %{{.*}}[%[[COI]], %{{.*}}, %{{.*}}] : memref<8x6x6xf32>
// GROUPED:             loopnest.for co_tail %[[CT:.*]] in range(%[[G]] * 4 + 3, %[[G]] * 4 + 4) {
// GROUPED-NEXT:          loopnest.for ci %{{.*}} in range(%[[G]] * 4, %[[G]] * 4 + 4) {
// GROUPED:                   loopnest.load %{{.*}}[%[[CT]], %{{.*}}, %{{.*}}] : memref<8x6x6xf32>

// The tiles and the tail of a parallel loop stay parallel; the inner loop
// is not marked.

// PAR-LABEL: func.func @copy
// PAR-NEXT:    loopnest.for i %{{.*}} in range(0, 8, 4) parallel {
// PAR-NEXT:      loopnest.for i_i %{{.*}} in range(%{{.*}}, %{{.*}} + 4) {
// PAR:         loopnest.for i_tail %{{.*}} in range(8, 10) parallel {

func.func @copy(%A: memref<10x12xf32>, %B: memref<10x12xf32>) {
  loopnest.for i %i in range(10) {
    loopnest.for j %j in range(1, 12, 2) {
      %v = loopnest.load %A[%i, %j] : memref<10x12xf32>
      loopnest.store %v, %B[%i, %j - 1] : memref<10x12xf32>
    }
  }
  func.return
}
