// RUN: xdsl-opt %s -p 'auto-schedule{print_pipeline=true registers=16 vector_bits=256}' | filecheck %s
// RUN: xdsl-opt %examples/conv2d.mlir -p 'auto-schedule{print_pipeline=true registers=16 vector_bits=256}' | filecheck %s --check-prefix=SMALL

// 10 output channels, 41 columns, 16 vector registers: blocks of 4
// channels x 24 columns (3 vectors) kept in registers inside the reduction
// loops (ci, kh, kw), unrolled (96 copies, channel-major, so contiguous
// columns are adjacent).  The tails (2 channels, 17 columns) are register
// blocks too, unrolled the same way.  The outermost loop running more than
// once that is provably parallel is marked.  The nest with two stores is not
// blocked, only marked.

// CHECK:       // auto-schedule: -p 'interchange-loops{order=co,oh,ow,ci,kh,kw},split-loops{loop=co factor=4},interchange-loops{order=oh,ow,ci,kh,kw,co_i},interchange-loops{order=oh,ow,ci,kh,kw,co_tail},split-loops{loop=ow factor=24},interchange-loops{order=ci,kh,kw,ow_i},interchange-loops{order=ci,kh,kw,ow_tail},interchange-loops{loops=ow_i,co_i},interchange-loops{loops=ow_i,co_tail},interchange-loops{loops=ow_tail,co_i},interchange-loops{loops=ow_tail,co_tail},parallelize-loops{loop=co},parallelize-loops{loop=i},unroll-loops{loop=ow_i factor=0},unroll-loops{loop=ow_tail factor=0},unroll-loops{loop=co_i factor=0},unroll-loops{loop=co_tail factor=0}'
// CHECK-LABEL: func.func @odd
// CHECK-NEXT:    loopnest.for co %[[CO:.*]] in range(0, 8, 4) parallel {
// CHECK-NEXT:      loopnest.for oh %[[OH:.*]] in range(2) {
// CHECK-NEXT:        loopnest.for ow %[[OW:.*]] in range(0, 24, 24) {
// CHECK-NEXT:          loopnest.for ci %{{.*}} in range(2) {
// CHECK-NEXT:            loopnest.for kh %{{.*}} in range(3) {
// CHECK-NEXT:              loopnest.for kw %{{.*}} in range(3) {
// CHECK-NEXT:                %{{.*}} = loopnest.load %{{.*}}[%[[CO]], %[[OH]], %[[OW]]] : memref<10x2x41xf32>
// CHECK:                     loopnest.store %{{.*}}, %{{.*}}[%[[CO]], %[[OH]], %[[OW]]] : memref<10x2x41xf32>
// CHECK-NEXT:                %{{.*}} = loopnest.load %{{.*}}[%[[CO]], %[[OH]], %[[OW]] + 1] : memref<10x2x41xf32>
// CHECK:                     loopnest.store %{{.*}}, %{{.*}}[%[[CO]] + 1, %[[OH]], %[[OW]]] : memref<10x2x41xf32>
// CHECK:                     loopnest.store %{{.*}}, %{{.*}}[%[[CO]] + 3, %[[OH]], %[[OW]] + 23] : memref<10x2x41xf32>
// CHECK-NEXT:              }
// CHECK-NEXT:            }
// CHECK-NEXT:          }
// CHECK-NEXT:        }
// CHECK-NEXT:        loopnest.for ci %{{.*}} in range(2) {
// CHECK-NEXT:          loopnest.for kh %{{.*}} in range(3) {
// CHECK-NEXT:            loopnest.for kw %{{.*}} in range(3) {
// CHECK-NEXT:              %{{.*}} = loopnest.load %{{.*}}[%[[CO]], %[[OH]], 24] : memref<10x2x41xf32>
// CHECK:                   loopnest.store %{{.*}}, %{{.*}}[%[[CO]] + 3, %[[OH]], 40] : memref<10x2x41xf32>
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
// CHECK-NEXT:              %{{.*}} = loopnest.load %{{.*}}[8, %[[OH2]], %[[OW2]]] : memref<10x2x41xf32>
// CHECK:                   loopnest.store %{{.*}}, %{{.*}}[9, %[[OH2]], %[[OW2]] + 23] : memref<10x2x41xf32>
// CHECK-NEXT:            }
// CHECK:           loopnest.for ci %{{.*}} in range(2) {
// CHECK-NEXT:        loopnest.for kh %{{.*}} in range(3) {
// CHECK-NEXT:          loopnest.for kw %{{.*}} in range(3) {
// CHECK-NEXT:            %{{.*}} = loopnest.load %{{.*}}[8, %[[OH2]], 24] : memref<10x2x41xf32>
// CHECK:                 loopnest.store %{{.*}}, %{{.*}}[9, %[[OH2]], 40] : memref<10x2x41xf32>
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

// The seed conv (8 channels, 6 columns): 6 columns take two registers a
// row (4 + 2 floats), so blocks of 4 channels x 6 fit in 16 registers,
// unrolled inside the reductions; co is the parallel loop.

// SMALL:       // auto-schedule: -p 'interchange-loops{order=co,oh,ci,kh,kw,ow},split-loops{loop=co factor=4},interchange-loops{order=oh,ci,kh,kw,co_i,ow},parallelize-loops{loop=co},unroll-loops{loop=ow factor=0},unroll-loops{loop=co_i factor=0}'
// SMALL-LABEL: func.func @conv2d
// SMALL-NEXT:    loopnest.for co %[[CO:.*]] in range(0, 8, 4) parallel {
// SMALL-NEXT:      loopnest.for oh %[[OH:.*]] in range(6) {
// SMALL-NEXT:        loopnest.for ci %{{.*}} in range(8) {
// SMALL-NEXT:          loopnest.for kh %{{.*}} in range(3) {
// SMALL-NEXT:            loopnest.for kw %{{.*}} in range(3) {
// SMALL-NEXT:              %{{.*}} = loopnest.load %{{.*}}[%[[CO]], %[[OH]], 0] : memref<8x6x6xf32>
// SMALL:                   loopnest.store %{{.*}}, %{{.*}}[%[[CO]], %[[OH]], 1] : memref<8x6x6xf32>
// SMALL:                   loopnest.store %{{.*}}, %{{.*}}[%[[CO]] + 3, %[[OH]], 5] : memref<8x6x6xf32>
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
