// The seed's grouped convolution: conv2d.mlir with its co and ci loops
// grouped G = 2 ways (group(2) on co, ci).  W keeps the dense layout; only
// its diagonal blocks W[g*4:(g+1)*4, g*4:(g+1)*4] are read.
builtin.module {
  func.func @conv2d_grouped(%O: memref<8x6x6xf32>, %I: memref<8x8x8xf32>, %W: memref<8x8x3x3xf32>) {
    loopnest.for g %g in range(2) {
      loopnest.for co %co in range(%g * 4, %g * 4 + 4) {
        loopnest.for ci %ci in range(%g * 4, %g * 4 + 4) {
          loopnest.for oh %oh in range(6) {
            loopnest.for ow %ow in range(6) {
              loopnest.for kh %kh in range(3) {
                loopnest.for kw %kw in range(3) {
                  %o = loopnest.load %O[%co, %oh, %ow] : memref<8x6x6xf32>
                  %i = loopnest.load %I[%ci, %oh + %kh, %ow + %kw] : memref<8x8x8xf32>
                  %w = loopnest.load %W[%co, %ci, %kh, %kw] : memref<8x8x3x3xf32>
                  %p = arith.mulf %i, %w : f32
                  %s = arith.addf %o, %p : f32
                  loopnest.store %s, %O[%co, %oh, %ow] : memref<8x6x6xf32>
                }
              }
            }
          }
        }
      }
    }
    func.return
  }
}
