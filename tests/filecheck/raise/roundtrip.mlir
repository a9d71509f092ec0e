// loopnest -> affine -> loopnest gives the program back, names included.
// RUN: xdsl-opt %examples/conv2d.mlir -p convert-loopnest-to-affine,raise-affine-to-loopnest | diff - %examples/conv2d.mlir
// RUN: xdsl-opt %examples/conv2d.mlir -p convert-loopnest-to-affine{affine-accesses=true},raise-affine-to-loopnest | filecheck %s
// RUN: xdsl-opt %examples/conv2d.mlir -p convert-loopnest-to-affine{affine-accesses=true} | xdsl-opt -p raise-affine-to-loopnest | filecheck %s

// CHECK:      loopnest.for co %[[CO:.*]] in range(8) {
// CHECK-NEXT:   loopnest.for ci %[[CI:.*]] in range(8) {
// CHECK-NEXT:     loopnest.for oh %[[OH:.*]] in range(6) {
// CHECK-NEXT:       loopnest.for ow %[[OW:.*]] in range(6) {
// CHECK-NEXT:         loopnest.for kh %[[KH:.*]] in range(3) {
// CHECK-NEXT:           loopnest.for kw %[[KW:.*]] in range(3) {
// CHECK-NEXT:             loopnest.load %{{.*}}[%[[CO]], %[[OH]], %[[OW]]]
// CHECK-NEXT:             loopnest.load %{{.*}}[%[[CI]], %[[OH]] + %[[KH]], %[[OW]] + %[[KW]]]
