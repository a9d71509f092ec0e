// RUN: xdsl-opt %s -p 'auto-schedule{print_pipeline=true registers=16 vector_bits=256}' | filecheck %s
// RUN: xdsl-opt %examples/conv2d.mlir -p 'auto-schedule{print_pipeline=true registers=16 vector_bits=256}' | filecheck %s --check-prefix=SMALL

// 10 output channels, 41 columns, 16 vector registers of 8 floats: blocks
// of 4 channels x 24 columns (3 vectors) kept in registers inside the
// reduction loops (ci, kh, kw): the channel loop unrolled, the column loop
// vectorised (`vectorize(8)`: pieces of 8 lanes), channel-major.  The tails
// (2 channels, 17 columns: 8 + 8 + 1 lanes) are register blocks too.  The
// outermost loop running more than once that is provably parallel is
// marked.  The nest with two stores is not blocked, only marked.

// CHECK:       // auto-schedule: -p 'interchange-loops{order=co,oh,ow,ci,kh,kw},split-loops{loop=co factor=4},interchange-loops{order=oh,ow,ci,kh,kw,co_i},interchange-loops{order=oh,ow,ci,kh,kw,co_tail},split-loops{loop=ow factor=24},interchange-loops{order=ci,kh,kw,ow_i},interchange-loops{order=ci,kh,kw,ow_tail},interchange-loops{loops=ow_i,co_i},interchange-loops{loops=ow_i,co_tail},interchange-loops{loops=ow_tail,co_i},interchange-loops{loops=ow_tail,co_tail},parallelize-loops{loop=co},parallelize-loops{loop=i},vectorize-loops{loop=ow_i width=8},vectorize-loops{loop=ow_tail width=8},unroll-loops{loop=co_i factor=0},unroll-loops{loop=co_tail factor=0}'
// CHECK-LABEL: func.func @odd
// CHECK-NEXT:    loopnest.for co %[[CO:.*]] in range(0, 8, 4) parallel {
// CHECK-NEXT:      loopnest.for oh %[[OH:.*]] in range(2) {
// CHECK-NEXT:        loopnest.for ow %[[OW:.*]] in range(0, 24, 24) {
// CHECK-NEXT:          loopnest.for ci %{{.*}} in range(2) {
// CHECK-NEXT:            loopnest.for kh %{{.*}} in range(3) {
// CHECK-NEXT:              loopnest.for kw %{{.*}} in range(3) {
// CHECK-NEXT:                loopnest.for ow_i %[[C0:.*]] in range(%[[OW]], %[[OW]] + 24) vectorize(8) {
// CHECK-NEXT:                  %{{.*}} = loopnest.load %{{.*}}[%[[CO]], %[[OH]], %[[C0]]] : memref<10x2x41xf32>
// CHECK:                       loopnest.store %{{.*}}, %{{.*}}[%[[CO]], %[[OH]], %[[C0]]] : memref<10x2x41xf32>
// CHECK-NEXT:                }
// CHECK-NEXT:                loopnest.for ow_i %[[C1:.*]] in range(%[[OW]], %[[OW]] + 24) vectorize(8) {
// CHECK-NEXT:                  %{{.*}} = loopnest.load %{{.*}}[%[[CO]] + 1, %[[OH]], %[[C1]]] : memref<10x2x41xf32>
// CHECK:                     loopnest.for ow_i %[[C2:.*]] in range(%[[OW]], %[[OW]] + 24) vectorize(8) {
// CHECK-NEXT:                  %{{.*}} = loopnest.load %{{.*}}[%[[CO]] + 2, %[[OH]], %[[C2]]] : memref<10x2x41xf32>
// CHECK:                     loopnest.for ow_i %[[C3:.*]] in range(%[[OW]], %[[OW]] + 24) vectorize(8) {
// CHECK-NEXT:                  %{{.*}} = loopnest.load %{{.*}}[%[[CO]] + 3, %[[OH]], %[[C3]]] : memref<10x2x41xf32>
// CHECK:                       loopnest.store %{{.*}}, %{{.*}}[%[[CO]] + 3, %[[OH]], %[[C3]]] : memref<10x2x41xf32>
// CHECK-NEXT:                }
// CHECK-NEXT:              }
// CHECK-NEXT:            }
// CHECK-NEXT:          }
// CHECK-NEXT:        }
// CHECK-NEXT:        loopnest.for ci %{{.*}} in range(2) {
// CHECK-NEXT:          loopnest.for kh %{{.*}} in range(3) {
// CHECK-NEXT:            loopnest.for kw %{{.*}} in range(3) {
// CHECK-NEXT:              loopnest.for ow_tail %[[T0:.*]] in range(24, 41) vectorize(8) {
// CHECK-NEXT:                %{{.*}} = loopnest.load %{{.*}}[%[[CO]], %[[OH]], %[[T0]]] : memref<10x2x41xf32>
// CHECK:                   loopnest.for ow_tail %[[T1:.*]] in range(24, 41) vectorize(8) {
// CHECK-NEXT:                %{{.*}} = loopnest.load %{{.*}}[%[[CO]] + 1, %[[OH]], %[[T1]]] : memref<10x2x41xf32>
// CHECK:                   loopnest.for ow_tail %[[T2:.*]] in range(24, 41) vectorize(8) {
// CHECK-NEXT:                %{{.*}} = loopnest.load %{{.*}}[%[[CO]] + 2, %[[OH]], %[[T2]]] : memref<10x2x41xf32>
// CHECK:                   loopnest.for ow_tail %[[T3:.*]] in range(24, 41) vectorize(8) {
// CHECK-NEXT:                %{{.*}} = loopnest.load %{{.*}}[%[[CO]] + 3, %[[OH]], %[[T3]]] : memref<10x2x41xf32>
// CHECK:                     loopnest.store %{{.*}}, %{{.*}}[%[[CO]] + 3, %[[OH]], %[[T3]]] : memref<10x2x41xf32>
// CHECK-NEXT:              }
// CHECK-NEXT:            }
// CHECK-NEXT:          }
// CHECK-NEXT:        }
// CHECK-NEXT:      }
// CHECK-NEXT:    }
// CHECK-NEXT:    loopnest.for oh %[[OH2:.*]] in range(2) {
// CHECK-NEXT:      loopnest.for ow %[[OW2:.*]] in range(0, 24, 24) {
// CHECK-NEXT:        loopnest.for ci %{{.*}} in range(2) {
// CHECK-NEXT:          loopnest.for kh %{{.*}} in range(3) {
// CHECK-NEXT:            loopnest.for kw %{{.*}} in range(3) {
// CHECK-NEXT:              loopnest.for ow_i %[[D0:.*]] in range(%[[OW2]], %[[OW2]] + 24) vectorize(8) {
// CHECK-NEXT:                %{{.*}} = loopnest.load %{{.*}}[8, %[[OH2]], %[[D0]]] : memref<10x2x41xf32>
// CHECK:                   loopnest.for ow_i %[[D1:.*]] in range(%[[OW2]], %[[OW2]] + 24) vectorize(8) {
// CHECK-NEXT:                %{{.*}} = loopnest.load %{{.*}}[9, %[[OH2]], %[[D1]]] : memref<10x2x41xf32>
// CHECK:           loopnest.for ci %{{.*}} in range(2) {
// CHECK-NEXT:        loopnest.for kh %{{.*}} in range(3) {
// CHECK-NEXT:          loopnest.for kw %{{.*}} in range(3) {
// CHECK-NEXT:            loopnest.for ow_tail %[[E0:.*]] in range(24, 41) vectorize(8) {
// CHECK-NEXT:              %{{.*}} = loopnest.load %{{.*}}[8, %[[OH2]], %[[E0]]] : memref<10x2x41xf32>
// CHECK:                 loopnest.for ow_tail %[[E1:.*]] in range(24, 41) vectorize(8) {
// CHECK-NEXT:              %{{.*}} = loopnest.load %{{.*}}[9, %[[OH2]], %[[E1]]] : memref<10x2x41xf32>
// CHECK:                   loopnest.store %{{.*}}, %{{.*}}[9, %[[OH2]], %[[E1]]] : memref<10x2x41xf32>
// CHECK-NEXT:            }
// CHECK-NEXT:          }
// CHECK-NEXT:        }
// CHECK-NEXT:      }
// CHECK-NEXT:    }
// CHECK-NEXT:    func.return
// CHECK-LABEL: func.func @two_stores
// CHECK-NEXT:    loopnest.for i %{{.*}} in range(8) parallel {
// CHECK-NEXT:      loopnest.load
// CHECK-NEXT:      loopnest.store
// CHECK-NEXT:      loopnest.store
// CHECK-NEXT:    }

// The seed conv (8 channels, 6 columns): 6 columns are one vector (6 of 8
// lanes), so all 8 channels x 6 columns fit in 16 registers, the channel
// loop unrolled inside the reductions; oh is the parallel loop.

// SMALL:       // auto-schedule: -p 'interchange-loops{order=oh,ci,kh,kw,co,ow},parallelize-loops{loop=oh},vectorize-loops{loop=ow width=8},unroll-loops{loop=co factor=0}'
// SMALL-LABEL: func.func @conv2d
// SMALL-NEXT:    loopnest.for oh %[[OH:.*]] in range(6) parallel {
// SMALL-NEXT:      loopnest.for ci %{{.*}} in range(8) {
// SMALL-NEXT:        loopnest.for kh %{{.*}} in range(3) {
// SMALL-NEXT:          loopnest.for kw %{{.*}} in range(3) {
// SMALL-NEXT:            loopnest.for ow %[[W0:.*]] in range(6) vectorize(6) {
// SMALL-NEXT:              %{{.*}} = loopnest.load %{{.*}}[0, %[[OH]], %[[W0]]] : memref<8x6x6xf32>
// SMALL:                   %{{.*}} = loopnest.load %{{.*}}[1, %[[OH]], %{{.*}}] : memref<8x6x6xf32>
// SMALL:                   %{{.*}} = loopnest.load %{{.*}}[2, %[[OH]], %{{.*}}] : memref<8x6x6xf32>
// SMALL:                   %{{.*}} = loopnest.load %{{.*}}[3, %[[OH]], %{{.*}}] : memref<8x6x6xf32>
// SMALL:                   %{{.*}} = loopnest.load %{{.*}}[4, %[[OH]], %{{.*}}] : memref<8x6x6xf32>
// SMALL:                   %{{.*}} = loopnest.load %{{.*}}[5, %[[OH]], %{{.*}}] : memref<8x6x6xf32>
// SMALL:                   %{{.*}} = loopnest.load %{{.*}}[6, %[[OH]], %{{.*}}] : memref<8x6x6xf32>
// SMALL:                 loopnest.for ow %[[W7:.*]] in range(6) vectorize(6) {
// SMALL-NEXT:              %{{.*}} = loopnest.load %{{.*}}[7, %[[OH]], %[[W7]]] : memref<8x6x6xf32>
// SMALL:                   loopnest.store %{{.*}}, %{{.*}}[7, %[[OH]], %[[W7]]] : memref<8x6x6xf32>
// SMALL-NEXT:            }
// SMALL-NEXT:          }
// SMALL-NEXT:        }
// SMALL-NEXT:      }
// SMALL-NEXT:    }
// SMALL-NEXT:    func.return

func.func @odd(%O: memref<10x2x41xf32>, %I: memref<2x4x43xf32>, %W: memref<10x2x3x3xf32>) {
  loopnest.for co %co in range(10) {
    loopnest.for ci %ci in range(2) {
      loopnest.for oh %oh in range(2) {
        loopnest.for ow %ow in range(41) {
          loopnest.for kh %kh in range(3) {
            loopnest.for kw %kw in range(3) {
              %o = loopnest.load %O[%co, %oh, %ow] : memref<10x2x41xf32>
              %i = loopnest.load %I[%ci, %oh + %kh, %ow + %kw] : memref<2x4x43xf32>
              %w = loopnest.load %W[%co, %ci, %kh, %kw] : memref<10x2x3x3xf32>
              %p = arith.mulf %i, %w : f32
              %s = arith.addf %o, %p : f32
              loopnest.store %s, %O[%co, %oh, %ow] : memref<10x2x41xf32>
            }
          }
        }
      }
    }
  }
  func.return
}
func.func @two_stores(%A: memref<8xf32>, %B: memref<8xf32>) {
  loopnest.for i %i in range(8) {
    %v = loopnest.load %A[%i] : memref<8xf32>
    loopnest.store %v, %B[%i] : memref<8xf32>
    loopnest.store %v, %A[%i] : memref<8xf32>
  }
  func.return
}
