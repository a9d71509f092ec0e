// A convolution as upstream MLIR writes it (batch 1, 8 -> 8 channels, 8x8
// input, 3x3 kernel).  conv_2d_nchw_fchw.affine.mlir is its lowering by
// `mlir-opt-22 --convert-linalg-to-affine-loops --mlir-print-op-generic`.
func.func @conv(%I: memref<1x8x8x8xf32>, %W: memref<8x8x3x3xf32>, %O: memref<1x8x6x6xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%I, %W : memref<1x8x8x8xf32>, memref<8x8x3x3xf32>) outs(%O : memref<1x8x6x6xf32>)
  return
}
