// Lower linalg.conv_2d_nchw_fchw with upstream MLIR now (custom and generic
// printing), raise it, and check it like the checked-in lowering.
// REQUIRES: mlir-opt-22
// RUN: mlir-opt-22 --convert-linalg-to-affine-loops --mlir-print-op-generic %S/inputs/conv_2d_nchw_fchw.linalg.mlir | xdsl-opt -p raise-affine-to-loopnest | filecheck %S/conv_linalg.mlir
// RUN: mlir-opt-22 --convert-linalg-to-affine-loops %S/inputs/conv_2d_nchw_fchw.linalg.mlir | xdsl-opt -p raise-affine-to-loopnest | filecheck %S/conv_linalg.mlir
