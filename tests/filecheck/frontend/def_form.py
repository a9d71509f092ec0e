# RUN: xdsl-group import %s | filecheck %s
# RUN: xdsl-group import %s --size CO=4 | filecheck %s --check-prefix=SMALL
# RUN: xdsl-group import %s | xdsl-opt -p loopnest-check-bounds | filecheck %s

CO = 8
CI = 8
OH = 6
OW = 6


def conv2d(O: f32[CO, OH, OW], I: f32[CI, OH + 2, OW + 2], W: f32[CO, CI, 3, 3]):
    for co in range(CO):
        for ci in range(CI):
            for oh in range(OH):
                for ow in range(OW):
                    for kh in range(3):
                        for kw in range(3):
                            O[co][oh][ow] +=
                                I[ci][oh+kh][ow+kw] *
                                W[co][ci][kh][kw]

# CHECK-LABEL: func.func @conv2d(%O: memref<8x6x6xf32>, %I: memref<8x8x8xf32>, %W: memref<8x8x3x3xf32>) {
# CHECK-NEXT:    loopnest.for co %[[CO:.*]] in range(8) {
# CHECK-NEXT:      loopnest.for ci %[[CI:.*]] in range(8) {
# CHECK-NEXT:        loopnest.for oh %[[OH:.*]] in range(6) {
# CHECK-NEXT:          loopnest.for ow %[[OW:.*]] in range(6) {
# CHECK-NEXT:            loopnest.for kh %[[KH:.*]] in range(3) {
# CHECK-NEXT:              loopnest.for kw %[[KW:.*]] in range(3) {
# CHECK-NEXT:                %[[OLD:.*]] = loopnest.load %O[%[[CO]], %[[OH]], %[[OW]]] : memref<8x6x6xf32>
# CHECK-NEXT:                %[[X:.*]] = loopnest.load %I[%[[CI]], %[[OH]] + %[[KH]], %[[OW]] + %[[KW]]] : memref<8x8x8xf32>
# CHECK-NEXT:                %[[Y:.*]] = loopnest.load %W[%[[CO]], %[[CI]], %[[KH]], %[[KW]]] : memref<8x8x3x3xf32>
# CHECK-NEXT:                %[[P:.*]] = arith.mulf %[[X]], %[[Y]] : f32
# CHECK-NEXT:                %[[S:.*]] = arith.addf %[[OLD]], %[[P]] : f32
# CHECK-NEXT:                loopnest.store %[[S]], %O[%[[CO]], %[[OH]], %[[OW]]] : memref<8x6x6xf32>
# CHECK-NEXT:              }

# SMALL: func.func @conv2d(%O: memref<4x6x6xf32>, %I: memref<8x8x8xf32>, %W: memref<4x8x3x3xf32>)
# SMALL: loopnest.for co %{{.*}} in range(4)
