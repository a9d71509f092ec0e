// The seed's Example 2: output channels [0, U) with U = 2 stay a dense
// convolution; the remaining CO - U = 6 are grouped G = 2 ways over all
// input channels (co in range(U + 3*g, U + 3*(g+1)), ci in range(4*g, 4*(g+1))).
builtin.module {
  func.func @conv2d_peeled_grouped(%O: memref<8x6x6xf32>, %I: memref<8x8x8xf32>, %W: memref<8x8x3x3xf32>) {
    loopnest.for co %co in range(2) {
      loopnest.for ci %ci in range(8) {
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
    loopnest.for g %g in range(2) {
      loopnest.for co %co in range(%g * 3 + 2, %g * 3 + 5) {
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
