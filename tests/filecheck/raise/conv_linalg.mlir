// The checked-in lowering of linalg.conv_2d_nchw_fchw (inputs/) by MLIR 22,
// raised.  conv_linalg_mlir_opt.mlir checks the same against a fresh lowering.
// RUN: xdsl-opt %S/inputs/conv_2d_nchw_fchw.affine.mlir -p raise-affine-to-loopnest | filecheck %s

// Loops n, f, oh, ow, c, kh, kw are named i0..i6 in pre-order.
// CHECK-LABEL: func.func @conv(
// CHECK-SAME:      %[[I:.*]]: memref<1x8x8x8xf32>, %[[W:.*]]: memref<8x8x3x3xf32>, %[[O:.*]]: memref<1x8x6x6xf32>)
// CHECK-NEXT:    loopnest.for i0 %[[N:.*]] in range(1) {
// CHECK-NEXT:      loopnest.for i1 %[[F:.*]] in range(8) {
// CHECK-NEXT:        loopnest.for i2 %[[OH:.*]] in range(6) {
// CHECK-NEXT:          loopnest.for i3 %[[OW:.*]] in range(6) {
// CHECK-NEXT:            loopnest.for i4 %[[C:.*]] in range(8) {
// CHECK-NEXT:              loopnest.for i5 %[[KH:.*]] in range(3) {
// CHECK-NEXT:                loopnest.for i6 %[[KW:.*]] in range(3) {
// CHECK-NEXT:                  %[[X:.*]] = loopnest.load %[[I]][%[[N]], %[[C]], %[[OH]] + %[[KH]], %[[OW]] + %[[KW]]] : memref<1x8x8x8xf32>
// CHECK-NEXT:                  %[[Y:.*]] = loopnest.load %[[W]][%[[F]], %[[C]], %[[KH]], %[[KW]]] : memref<8x8x3x3xf32>
// CHECK-NEXT:                  %[[Z:.*]] = loopnest.load %[[O]][%[[N]], %[[F]], %[[OH]], %[[OW]]] : memref<1x8x6x6xf32>
// CHECK-NEXT:                  %[[P:.*]] = arith.mulf %[[X]], %[[Y]] : f32
// CHECK-NEXT:                  %[[S:.*]] = arith.addf %[[Z]], %[[P]] : f32
// CHECK-NEXT:                  loopnest.store %[[S]], %[[O]][%[[N]], %[[F]], %[[OH]], %[[OW]]] : memref<1x8x6x6xf32>
// CHECK-NEXT:                }
// CHECK-NOT:     affine.
