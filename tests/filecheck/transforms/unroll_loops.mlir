// RUN: xdsl-opt %s -p 'unroll-loops{loop=i factor=4}' | filecheck %s
// RUN: xdsl-opt %s -p 'unroll-loops{loop=j factor=0}' | filecheck %s --check-prefix=FULL
// RUN: xdsl-opt %s -p 'unroll-loops{loop=i factor=1}' | filecheck %s --check-prefix=ONE
// RUN: xdsl-opt %s -p 'parallelize-loops{loop=i},unroll-loops{loop=i factor=4}' | filecheck %s --check-prefix=PAR

// Six iterations (step 2) by four: one iteration of four copies, then a
// remainder loop of two.  Copy k shifts %i by 2k in every index and in the
// bounds of the inner loop; copies keep the body's order.

// CHECK-LABEL: func.func @shift
// CHECK-NEXT:    loopnest.for i %[[I:.*]] in range(1, 9, 8) {
// CHECK-NEXT:      loopnest.for j %[[J0:.*]] in range(%[[I]], %[[I]] + 2) {
// CHECK-NEXT:        %[[V0:.*]] = loopnest.load %{{.*}}[%[[I]]] : memref<12xf32>
// CHECK-NEXT:        %[[W0:.*]] = arith.addf %[[V0]], %[[V0]] : f32
// CHECK-NEXT:        loopnest.store %[[W0]], %{{.*}}[%[[I]] - 1, %[[J0]]] : memref<12x12xf32>
// CHECK-NEXT:      }
// CHECK-NEXT:      loopnest.for j %[[J1:.*]] in range(%[[I]] + 2, %[[I]] + 4) {
// CHECK-NEXT:        %[[V1:.*]] = loopnest.load %{{.*}}[%[[I]] + 2] : memref<12xf32>
// CHECK-NEXT:        %[[W1:.*]] = arith.addf %[[V1]], %[[V1]] : f32
// CHECK-NEXT:        loopnest.store %[[W1]], %{{.*}}[%[[I]] + 1, %[[J1]]] : memref<12x12xf32>
// CHECK-NEXT:      }
// CHECK-NEXT:      loopnest.for j %{{.*}} in range(%[[I]] + 4, %[[I]] + 6) {
// CHECK-NEXT:        loopnest.load %{{.*}}[%[[I]] + 4] : memref<12xf32>
// CHECK:           loopnest.for j %{{.*}} in range(%[[I]] + 6, %[[I]] + 8) {
// CHECK-NEXT:        loopnest.load %{{.*}}[%[[I]] + 6] : memref<12xf32>
// CHECK:           }
// CHECK-NEXT:    }
// CHECK-NEXT:    loopnest.for i_tail %[[T:.*]] in range(9, 12, 2) {
// CHECK-NEXT:      loopnest.for j %{{.*}} in range(%[[T]], %[[T]] + 2) {
// CHECK-NEXT:        loopnest.load %{{.*}}[%[[T]]] : memref<12xf32>
// CHECK:         func.return

// Fully: the loop is gone, copy k uses its lower bound %i plus k.

// FULL-LABEL: func.func @shift
// FULL-NEXT:    loopnest.for i %[[I:.*]] in range(1, 12, 2) {
// FULL-NEXT:      %[[V0:.*]] = loopnest.load %{{.*}}[%[[I]]] : memref<12xf32>
// FULL-NEXT:      %[[W0:.*]] = arith.addf %[[V0]], %[[V0]] : f32
// FULL-NEXT:      loopnest.store %[[W0]], %{{.*}}[%[[I]] - 1, %[[I]]] : memref<12x12xf32>
// FULL-NEXT:      %[[V1:.*]] = loopnest.load %{{.*}}[%[[I]]] : memref<12xf32>
// FULL-NEXT:      %[[W1:.*]] = arith.addf %[[V1]], %[[V1]] : f32
// FULL-NEXT:      loopnest.store %[[W1]], %{{.*}}[%[[I]] - 1, %[[I]] + 1] : memref<12x12xf32>
// FULL-NEXT:    }
// FULL-NEXT:    func.return

// ONE-LABEL: func.func @shift
// ONE-NEXT:    loopnest.for i %{{.*}} in range(1, 12, 2) {
// ONE-NEXT:      loopnest.for j %{{.*}} in range(%{{.*}}, %{{.*}} + 2) {
// ONE-NEXT:        loopnest.load
// ONE-NEXT:        arith.addf
// ONE-NEXT:        loopnest.store
// ONE-NEXT:      }
// ONE-NEXT:    }

// PAR-LABEL: func.func @shift
// PAR-NEXT:    loopnest.for i %{{.*}} in range(1, 9, 8) parallel {
// PAR:         loopnest.for i_tail %{{.*}} in range(9, 12, 2) parallel {

func.func @shift(%A: memref<12xf32>, %B: memref<12x12xf32>) {
  loopnest.for i %i in range(1, 12, 2) {
    loopnest.for j %j in range(%i, %i + 2) {
      %v = loopnest.load %A[%i] : memref<12xf32>
      %w = arith.addf %v, %v : f32
      loopnest.store %w, %B[%i - 1, %j] : memref<12x12xf32>
    }
  }
  func.return
}
