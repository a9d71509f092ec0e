// RUN: xdsl-opt %examples/conv2d.mlir -p derive-gradients | filecheck %s
// RUN: xdsl-opt %s -p derive-gradients | filecheck %s --check-prefix=BODY
// RUN: xdsl-opt %examples/conv2d_peeled_grouped.mlir -p derive-gradients | filecheck %s --check-prefix=EX2
// RUN: xdsl-opt %examples/conv2d.mlir -p derive-gradients,loopnest-check-bounds,convert-loopnest-to-affine | filecheck %s --check-prefix=AFFINE

// @conv2d is kept; @conv2d_vjp follows it: @conv2d's arguments, dO, then dI
// and dW; the adjoint nest clones the statement's loops, bounds kept.
// CHECK-LABEL: func.func @conv2d(%O: memref<8x6x6xf32>, %I: memref<8x8x8xf32>, %W: memref<8x8x3x3xf32>) {
// CHECK:         loopnest.store
// CHECK:       func.return
// CHECK-LABEL: func.func @conv2d_vjp(%O: memref<8x6x6xf32>, %I: memref<8x8x8xf32>, %W: memref<8x8x3x3xf32>, %dO: memref<8x6x6xf32>, %dI: memref<8x8x8xf32>, %dW: memref<8x8x3x3xf32>) {
// CHECK-NEXT:    loopnest.for co %[[CO:.*]] in range(8) {
// CHECK-NEXT:      loopnest.for ci %[[CI:.*]] in range(8) {
// CHECK-NEXT:        loopnest.for oh %[[OH:.*]] in range(6) {
// CHECK-NEXT:          loopnest.for ow %[[OW:.*]] in range(6) {
// CHECK-NEXT:            loopnest.for kh %[[KH:.*]] in range(3) {
// CHECK-NEXT:              loopnest.for kw %[[KW:.*]] in range(3) {
// CHECK-NEXT:                %[[I:.*]] = loopnest.load %I[%[[CI]], %[[OH]] + %[[KH]], %[[OW]] + %[[KW]]] : memref<8x8x8xf32>
// CHECK-NEXT:                %[[W:.*]] = loopnest.load %W[%[[CO]], %[[CI]], %[[KH]], %[[KW]]] : memref<8x8x3x3xf32>
// CHECK-NEXT:                %[[G:.*]] = loopnest.load %dO[%[[CO]], %[[OH]], %[[OW]]] : memref<8x6x6xf32>
// CHECK-NEXT:                %[[GW:.*]] = arith.mulf %[[G]], %[[W]] : f32
// CHECK-NEXT:                %[[GI:.*]] = arith.mulf %[[G]], %[[I]] : f32
// CHECK-NEXT:                %[[DW:.*]] = loopnest.load %dW[%[[CO]], %[[CI]], %[[KH]], %[[KW]]] : memref<8x8x3x3xf32>
// CHECK-NEXT:                %[[DW2:.*]] = arith.addf %[[DW]], %[[GI]] : f32
// CHECK-NEXT:                loopnest.store %[[DW2]], %dW[%[[CO]], %[[CI]], %[[KH]], %[[KW]]] : memref<8x8x3x3xf32>
// CHECK-NEXT:                %[[DI:.*]] = loopnest.load %dI[%[[CI]], %[[OH]] + %[[KH]], %[[OW]] + %[[KW]]] : memref<8x8x8xf32>
// CHECK-NEXT:                %[[DI2:.*]] = arith.addf %[[DI]], %[[GW]] : f32
// CHECK-NEXT:                loopnest.store %[[DI2]], %dI[%[[CI]], %[[OH]] + %[[KH]], %[[OW]] + %[[KW]]] : memref<8x8x8xf32>
// CHECK-NEXT:              }
// CHECK-NEXT:            }
// CHECK-NEXT:          }
// CHECK-NEXT:        }
// CHECK-NEXT:      }
// CHECK-NEXT:    }
// CHECK-NEXT:    func.return
// CHECK-NEXT:  }

// Example 2: one adjoint nest per statement, each over its own domain (the
// dense part's co in range(2), the grouped part's g and shifted co, ci).
// EX2-LABEL: func.func @conv2d_peeled_grouped_vjp(
// EX2-NEXT:    loopnest.for co %{{.*}} in range(2) {
// EX2-NEXT:      loopnest.for ci %{{.*}} in range(8) {
// EX2:           loopnest.store %{{.*}}, %dI
// EX2:         loopnest.for g %[[G:.*]] in range(2) {
// EX2-NEXT:      loopnest.for co %{{.*}} in range(%[[G]] * 3 + 2, %[[G]] * 3 + 5) {
// EX2-NEXT:        loopnest.for ci %{{.*}} in range(%[[G]] * 4, %[[G]] * 4 + 4) {
// EX2:           loopnest.store %{{.*}}, %dI
// EX2:         func.return

// AFFINE-LABEL: func.func @conv2d_vjp(
// AFFINE:         affine.for
// AFFINE-NOT:     loopnest.{{for|load|store}}

// A body with sub, neg, a constant, a shared operand and an overwrite
// (each element of %Y written once): the adjoint of y = -(a*a) - 2*b.
func.func @poly(%Y: memref<4xf64>, %A: memref<4xf64>, %B: memref<5xf64>) {
  loopnest.for i %i in range(4) {
    %a = loopnest.load %A[%i] : memref<4xf64>
    %b = loopnest.load %B[%i + 1] : memref<5xf64>
    %c = arith.constant 2.0 : f64
    %aa = arith.mulf %a, %a : f64
    %n = arith.negf %aa : f64
    %cb = arith.mulf %c, %b : f64
    %y = arith.subf %n, %cb : f64
    loopnest.store %y, %Y[%i] : memref<4xf64>
  }
  func.return
}
// BODY-LABEL: func.func @poly_vjp(%Y: memref<4xf64>, %A: memref<4xf64>, %B: memref<5xf64>, %dY: memref<4xf64>, %dA: memref<4xf64>, %dB: memref<5xf64>) {
// BODY-NEXT:    loopnest.for i %[[I:.*]] in range(4) {
// BODY-NEXT:      %[[A:.*]] = loopnest.load %A[%[[I]]] : memref<4xf64>
// BODY-NEXT:      %[[C:.*]] = arith.constant 2.000000e+00 : f64
// BODY-NEXT:      %[[G:.*]] = loopnest.load %dY[%[[I]]] : memref<4xf64>
// BODY-NEXT:      %[[NG:.*]] = arith.negf %[[G]] : f64
// BODY-NEXT:      %[[GC:.*]] = arith.mulf %[[NG]], %[[C]] : f64
// BODY-NEXT:      %[[NG2:.*]] = arith.negf %[[G]] : f64
// BODY-NEXT:      %[[X1:.*]] = arith.mulf %[[NG2]], %[[A]] : f64
// BODY-NEXT:      %[[X2:.*]] = arith.mulf %[[NG2]], %[[A]] : f64
// BODY-NEXT:      %[[SUM:.*]] = arith.addf %[[X1]], %[[X2]] : f64
// BODY-NEXT:      %[[DB:.*]] = loopnest.load %dB[%[[I]] + 1] : memref<5xf64>
// BODY-NEXT:      %[[DB2:.*]] = arith.addf %[[DB]], %[[GC]] : f64
// BODY-NEXT:      loopnest.store %[[DB2]], %dB[%[[I]] + 1] : memref<5xf64>
// BODY-NEXT:      %[[DA:.*]] = loopnest.load %dA[%[[I]]] : memref<4xf64>
// BODY-NEXT:      %[[DA2:.*]] = arith.addf %[[DA]], %[[SUM]] : f64
// BODY-NEXT:      loopnest.store %[[DA2]], %dA[%[[I]]] : memref<4xf64>
// BODY-NEXT:    }
// BODY-NEXT:    func.return

// ReLU-like bodies: the gradient is routed through the comparison, 0 elsewhere.
func.func @relu(%Y: memref<4xf32>, %X: memref<4xf32>) {
  loopnest.for i %i in range(4) {
    %x = loopnest.load %X[%i] : memref<4xf32>
    %z = arith.constant 0.0 : f32
    %r = arith.maximumf %x, %z : f32
    loopnest.store %r, %Y[%i] : memref<4xf32>
  }
  func.return
}
// BODY-LABEL: func.func @relu_vjp(%Y: memref<4xf32>, %X: memref<4xf32>, %dY: memref<4xf32>, %dX: memref<4xf32>) {
// BODY-NEXT:    loopnest.for i %[[I:.*]] in range(4) {
// BODY-NEXT:      %[[X:.*]] = loopnest.load %X[%[[I]]] : memref<4xf32>
// BODY-NEXT:      %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// BODY-NEXT:      %[[G:.*]] = loopnest.load %dY[%[[I]]] : memref<4xf32>
// BODY-NEXT:      %[[GT:.*]] = arith.cmpf ogt, %[[X]], %[[Z]] : f32
// BODY-NEXT:      %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// BODY-NEXT:      %[[GX:.*]] = arith.select %[[GT]], %[[G]], %[[ZERO]] : f32
// BODY-NEXT:      %[[DX:.*]] = loopnest.load %dX[%[[I]]] : memref<4xf32>
// BODY-NEXT:      %[[DX2:.*]] = arith.addf %[[DX]], %[[GX]] : f32
// BODY-NEXT:      loopnest.store %[[DX2]], %dX[%[[I]]] : memref<4xf32>
// BODY-NEXT:    }
// BODY-NEXT:    func.return

// No gradient reaches an input (a constant store, a select between
// constants): no adjoint nest.
func.func @flags(%F: memref<4xf32>, %X: memref<4xf32>) {
  loopnest.for i %i in range(4) {
    %x = loopnest.load %X[%i] : memref<4xf32>
    %z = arith.constant 0.0 : f32
    %one = arith.constant 1.0 : f32
    %c = arith.cmpf ogt, %x, %z : f32
    %f = arith.select %c, %one, %z : f32
    loopnest.store %f, %F[%i] : memref<4xf32>
  }
  func.return
}
// BODY-LABEL: func.func @flags_vjp(%F: memref<4xf32>, %X: memref<4xf32>, %dF: memref<4xf32>, %dX: memref<4xf32>) {
// BODY-NEXT:    func.return
// BODY-NEXT:  }
