// RUN: xdsl-opt %examples/conv2d.mlir -p 'interchange-loops{order=co,ci,oh,kh,kw,ow},vectorize-loops{loop=ow width=4},convert-loopnest-to-affine' | filecheck %s
// RUN: xdsl-opt %examples/conv2d.mlir -p 'interchange-loops{order=co,ci,oh,kh,kw,ow},vectorize-loops{loop=ow},convert-loopnest-to-affine' | filecheck %s --check-prefix=MASKED
// RUN: xdsl-opt %examples/conv2d.mlir -p 'interchange-loops{order=co,ci,oh,kh,kw,ow},vectorize-loops{loop=ow},convert-loopnest-to-llvm{noalias=true}' | filecheck %s --check-prefix=LLVM

// Six output columns in vectors of 4: a piece of 4 and one of 2, each
// access one vector load or store at the piece's first column; the weight
// (independent of ow) is loaded once and broadcast, the 2-lane piece
// taking the first lanes of the 4-lane broadcast.

// CHECK-LABEL: func.func @conv2d
// CHECK:         affine.for %kw = 0 to 3 {
// CHECK-NEXT:      %[[C0:.*]] = arith.constant 0 : index
// CHECK-NEXT:      %[[C4:.*]] = arith.constant 4 : index
// CHECK-NEXT:      %[[O0:.*]] = vector.load %O[%co, %oh, %[[C0]]] {loopnest.in_bounds} : memref<8x6x6xf32>, vector<4xf32>
// CHECK-NEXT:      %[[O1:.*]] = vector.load %O[%co, %oh, %[[C4]]] {loopnest.in_bounds} : memref<8x6x6xf32>, vector<2xf32>
// CHECK-NEXT:      %[[IH0:.*]] = affine.apply affine_map<(d0, d1) -> ((d0 + d1))> (%oh, %kh)
// CHECK-NEXT:      %[[IW0:.*]] = affine.apply affine_map<(d0, d1) -> ((d0 + d1))> (%[[C0]], %kw)
// CHECK-NEXT:      %[[I0:.*]] = vector.load %I[%ci, %[[IH0]], %[[IW0]]] {loopnest.in_bounds} : memref<8x8x8xf32>, vector<4xf32>
// CHECK-NEXT:      %[[IH1:.*]] = affine.apply affine_map<(d0, d1) -> ((d0 + d1))> (%oh, %kh)
// CHECK-NEXT:      %[[IW1:.*]] = affine.apply affine_map<(d0, d1) -> ((d0 + d1))> (%[[C4]], %kw)
// CHECK-NEXT:      %[[I1:.*]] = vector.load %I[%ci, %[[IH1]], %[[IW1]]] {loopnest.in_bounds} : memref<8x8x8xf32>, vector<2xf32>
// CHECK-NEXT:      %w = memref.load %W[%co, %ci, %kh, %kw] : memref<8x8x3x3xf32>
// CHECK-NEXT:      %[[W4:.*]] = vector.broadcast %w : f32 to vector<4xf32>
// CHECK-NEXT:      %[[P0:.*]] = arith.mulf %[[I0]], %[[W4]] : vector<4xf32>
// CHECK-NEXT:      %[[W2:.*]] = vector.shuffle %[[W4]], %[[W4]] [0, 1] : vector<4xf32>, vector<4xf32>
// CHECK-NEXT:      %[[P1:.*]] = arith.mulf %[[I1]], %[[W2]] : vector<2xf32>
// CHECK-NEXT:      %[[S0:.*]] = arith.addf %[[O0]], %[[P0]] : vector<4xf32>
// CHECK-NEXT:      %[[S1:.*]] = arith.addf %[[O1]], %[[P1]] : vector<2xf32>
// CHECK-NEXT:      vector.store %[[S0]], %O[%co, %oh, %[[C0]]] {loopnest.in_bounds} : memref<8x6x6xf32>, vector<4xf32>
// CHECK-NEXT:      vector.store %[[S1]], %O[%co, %oh, %[[C4]]] {loopnest.in_bounds} : memref<8x6x6xf32>, vector<2xf32>
// CHECK-NEXT:    } {loopnest.name = "kw"}

// One vector of 6 (not a power of two): the input, which the loop does not
// write, is a masked load of 8 lanes narrowed to 6; the output stays a
// plain load of 6, which LLVM keeps in registers across the reductions.

// MASKED-LABEL: func.func @conv2d
// MASKED:          %[[C0:.*]] = arith.constant 0 : index
// MASKED-NEXT:     %[[O:.*]] = vector.load %O[%co, %oh, %[[C0]]] {loopnest.in_bounds} : memref<8x6x6xf32>, vector<6xf32>
// MASKED:          %[[MASK:.*]] = arith.constant dense<[true, true, true, true, true, true, false, false]> : vector<8xi1>
// MASKED-NEXT:     %[[PASS:.*]] = arith.constant dense<0.000000e+00> : vector<8xf32>
// MASKED-NEXT:     %[[WIDE:.*]] = vector.maskedload %I[%ci, %{{.*}}, %{{.*}}], %[[MASK]], %[[PASS]] {loopnest.in_bounds} : memref<8x8x8xf32>, vector<8xi1>, vector<8xf32> into vector<8xf32>
// MASKED-NEXT:     %{{.*}} = vector.shuffle %[[WIDE]], %[[WIDE]] [0, 1, 2, 3, 4, 5] : vector<8xf32>, vector<8xf32>

// The native form: element-aligned vector loads and stores, and LLVM 22's
// three-operand masked load.

// LLVM-LABEL: llvm.func @conv2d
// LLVM:         %{{.*}} = llvm.load %{{.*}} {alignment = 4 : i64} : !llvm.ptr -> vector<6xf32>
// LLVM:         %[[WIDE:.*]] = llvm.call_intrinsic "llvm.masked.load.v8f32.p0"(%{{.*}}, %{{.*}}, %{{.*}}) : (!llvm.ptr, vector<8xi1>, vector<8xf32>) -> vector<8xf32>
// LLVM-NEXT:    %{{.*}} = llvm.shufflevector %[[WIDE]], %[[WIDE]] [0, 1, 2, 3, 4, 5] : vector<8xf32>
// LLVM:         %[[B:.*]] = llvm.insertelement %w, %{{.*}}[%{{.*}} : i32] : vector<6xf32>
// LLVM-NEXT:    %{{.*}} = llvm.shufflevector %[[B]], %{{.*}} [0, 0, 0, 0, 0, 0] : vector<6xf32>
// LLVM:         llvm.store %{{.*}}, %{{.*}} {alignment = 4 : i64} : vector<6xf32>, !llvm.ptr
