// RUN: xdsl-opt %examples/conv2d.mlir -p 'bottleneck-loops{loop=co factor=2},loopnest-check-bounds' | filecheck %s --check-prefix=OUTCH
// RUN: xdsl-opt %examples/conv2d.mlir -p 'bottleneck-loops{loop=ci factor=4},loopnest-check-bounds' | filecheck %s --check-prefix=INCH
// RUN: xdsl-opt %examples/conv2d.mlir -p 'bottleneck-loops{loop=co factor=2},group-loops{loops=co,ci groups=2 compact=true},loopnest-check-bounds' | filecheck %s --check-prefix=GROUP
// RUN: xdsl-opt %examples/conv2d.mlir -p 'bottleneck-loops{loop=co factor=1}' | filecheck %s --check-prefix=ONE
// RUN: xdsl-opt %s -p 'bottleneck-loops{loop=c factor=4},loopnest-check-bounds' | filecheck %s

// On the output channels: O and W keep their first CO/B = 4 channels, I is
// left alone.

// OUTCH-LABEL: func.func @conv2d(
// OUTCH-SAME:      %[[O:[^:]*]]: memref<4x6x6xf32>, %[[I:[^:]*]]: memref<8x8x8xf32>, %[[W:[^:]*]]: memref<4x8x3x3xf32>) {
// OUTCH-NEXT:    loopnest.for co %[[CO:.*]] in range(4) {
// OUTCH-NEXT:      loopnest.for ci %[[CI:.*]] in range(8) {
// OUTCH:             %{{.*}} = loopnest.load %[[O]][%[[CO]], %{{.*}}, %{{.*}}] : memref<4x6x6xf32>
// OUTCH-NEXT:        %{{.*}} = loopnest.load %[[I]][%[[CI]], %{{.*}}, %{{.*}}] : memref<8x8x8xf32>
// OUTCH-NEXT:        %{{.*}} = loopnest.load %[[W]][%[[CO]], %[[CI]], %{{.*}}, %{{.*}}] : memref<4x8x3x3xf32>
// OUTCH:             loopnest.store %{{.*}}, %[[O]][%[[CO]], %{{.*}}, %{{.*}}] : memref<4x6x6xf32>

// On the input channels: I and W keep their first CI/B = 2 channels.

// INCH-LABEL: func.func @conv2d(
// INCH-SAME:      %{{[^:]*}}: memref<8x6x6xf32>, %[[I:[^:]*]]: memref<2x8x8xf32>, %[[W:[^:]*]]: memref<8x2x3x3xf32>) {
// INCH-NEXT:    loopnest.for co %[[CO:.*]] in range(8) {
// INCH-NEXT:      loopnest.for ci %[[CI:.*]] in range(2) {
// INCH:             %{{.*}} = loopnest.load %[[I]][%[[CI]], %{{.*}}, %{{.*}}] : memref<2x8x8xf32>
// INCH-NEXT:        %{{.*}} = loopnest.load %[[W]][%[[CO]], %[[CI]], %{{.*}}, %{{.*}}] : memref<8x2x3x3xf32>

// A bottleneck then a grouping of what remains (G = 2 divides CO/B = 4).

// GROUP-LABEL: func.func @conv2d(
// GROUP-SAME:      memref<4x6x6xf32>, %{{[^:]*}}: memref<8x8x8xf32>, %{{[^:]*}}: memref<4x4x3x3xf32>) {
// GROUP-NEXT:    loopnest.for g %[[G:.*]] in range(2) {
// GROUP-NEXT:      loopnest.for co %{{.*}} in range(%[[G]] * 2, %[[G]] * 2 + 2) {
// GROUP-NEXT:        loopnest.for ci %{{.*}} in range(%[[G]] * 4, %[[G]] * 4 + 4) {

// factor=1 is the identity.

// ONE-LABEL: func.func @conv2d(
// ONE-SAME:      memref<8x6x6xf32>, %{{[^:]*}}: memref<8x8x8xf32>, %{{[^:]*}}: memref<8x8x3x3xf32>) {
// ONE-NEXT:    loopnest.for co %{{.*}} in range(8) {

// Depthwise: c indexes every array; all three shrink, argument names and
// attributes stay.

// CHECK-LABEL: func.func @depthwise(
// CHECK-SAME:      %[[O:[^:]*]]: memref<2x4x4xf32> {llvm.noalias}, %[[I:[^:]*]]: memref<2x6x6xf32>, %[[W:[^:]*]]: memref<2x3x3xf32> {llvm.readonly}) {
// CHECK-NEXT:    loopnest.for c %[[C:.*]] in range(2) {
// CHECK-NEXT:      loopnest.for oh %{{.*}} in range(4) {
// CHECK:               %{{.*}} = loopnest.load %[[O]][%[[C]], %{{.*}}, %{{.*}}] : memref<2x4x4xf32>
// CHECK-NEXT:          %{{.*}} = loopnest.load %[[I]][%[[C]], %{{.*}}, %{{.*}}] : memref<2x6x6xf32>
// CHECK-NEXT:          %{{.*}} = loopnest.load %[[W]][%[[C]], %{{.*}}, %{{.*}}] : memref<2x3x3xf32>
func.func @depthwise(%O: memref<8x4x4xf32> {llvm.noalias}, %I: memref<8x6x6xf32>, %W: memref<8x3x3xf32> {llvm.readonly}) {
  loopnest.for c %c in range(8) {
    loopnest.for oh %oh in range(4) {
      loopnest.for ow %ow in range(4) {
        loopnest.for kh %kh in range(3) {
          loopnest.for kw %kw in range(3) {
            %o = loopnest.load %O[%c, %oh, %ow] : memref<8x4x4xf32>
            %i = loopnest.load %I[%c, %oh + %kh, %ow + %kw] : memref<8x6x6xf32>
            %w = loopnest.load %W[%c, %kh, %kw] : memref<8x3x3xf32>
            %p = arith.mulf %i, %w : f32
            %s = arith.addf %o, %p : f32
            loopnest.store %s, %O[%c, %oh, %ow] : memref<8x4x4xf32>
          }
        }
      }
    }
  }
  func.return
}

// Two nests named c in one function share T, each indexing it by its own c:
// T shrinks once, consistently, and both loops shrink.

// CHECK-LABEL: func.func @shared(
// CHECK-SAME:      %[[T:[^:]*]]: memref<2x3xf32>, %[[A:[^:]*]]: memref<2x3xf32>, %[[B:[^:]*]]: memref<3xf32>) {
// CHECK-NEXT:    loopnest.for c %[[C1:.*]] in range(2) {
// CHECK-NEXT:      loopnest.for x %[[X1:.*]] in range(3) {
// CHECK-NEXT:        %{{.*}} = loopnest.load %[[A]][%[[C1]], %[[X1]]] : memref<2x3xf32>
// CHECK-NEXT:        loopnest.store %{{.*}}, %[[T]][%[[C1]], %[[X1]]] : memref<2x3xf32>
// CHECK-NEXT:      }
// CHECK-NEXT:    }
// CHECK-NEXT:    loopnest.for c %[[C2:.*]] in range(2) {
// CHECK-NEXT:      loopnest.for x %[[X2:.*]] in range(3) {
// CHECK-NEXT:        %{{.*}} = loopnest.load %[[T]][%[[C2]], %[[X2]]] : memref<2x3xf32>
// CHECK-NEXT:        %{{.*}} = loopnest.load %[[B]][%[[X2]]] : memref<3xf32>
func.func @shared(%T: memref<8x3xf32>, %A: memref<8x3xf32>, %B: memref<3xf32>) {
  loopnest.for c %c in range(8) {
    loopnest.for x %x in range(3) {
      %a = loopnest.load %A[%c, %x] : memref<8x3xf32>
      loopnest.store %a, %T[%c, %x] : memref<8x3xf32>
    }
  }
  loopnest.for c %c in range(8) {
    loopnest.for x %x in range(3) {
      %t = loopnest.load %T[%c, %x] : memref<8x3xf32>
      %b = loopnest.load %B[%x] : memref<3xf32>
      %s = arith.addf %t, %b : f32
      loopnest.store %s, %T[%c, %x] : memref<8x3xf32>
    }
  }
  func.return
}

// An array indexed twice by the loop (a diagonal) shrinks in both
// dimensions; a loop nested under another keeps its place.

// CHECK-LABEL: func.func @diagonal(
// CHECK-SAME:      %[[D:[^:]*]]: memref<2x2xf32>, %[[V:[^:]*]]: memref<5x2xf32>) {
// CHECK-NEXT:    loopnest.for r %[[R:.*]] in range(5) {
// CHECK-NEXT:      loopnest.for c %[[C:.*]] in range(2) {
// CHECK-NEXT:        %{{.*}} = loopnest.load %[[D]][%[[C]], %[[C]]] : memref<2x2xf32>
// CHECK-NEXT:        loopnest.store %{{.*}}, %[[V]][%[[R]], %[[C]]] : memref<5x2xf32>
func.func @diagonal(%D: memref<8x8xf32>, %V: memref<5x8xf32>) {
  loopnest.for r %r in range(5) {
    loopnest.for c %c in range(8) {
      %d = loopnest.load %D[%c, %c] : memref<8x8xf32>
      loopnest.store %d, %V[%r, %c] : memref<5x8xf32>
    }
  }
  func.return
}
