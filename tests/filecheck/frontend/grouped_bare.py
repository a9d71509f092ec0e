# The seed's grouped convolution as bare loop code: shapes and sizes on the
# command line; bounds built from `CO//G*g`.
# RUN: xdsl-group import %s --size CO=8 --size CI=4 --size OH=4 --size OW=4 --size KH=3 --size KW=3 --size G=2 \
# RUN:   --array O=CO,OH,OW --array I=CI,OH+KH-1,OW+KW-1 --array W=CO,CI,KH,KW --name gconv | filecheck %s
for g in range(G):
    for co in range(CO//G*g, CO//G*(g+1)):
        for ci in range(CI//G*g, CI//G*(g+1)):
            for oh in range(OH):
                for ow in range(OW):
                    for kh in range(KH):
                        for kw in range(KW):
                            O[co][oh][ow] +=
                                I[ci][oh+kh][ow+kw] *
                                W[co][ci][kh][kw]

# CHECK-LABEL: func.func @gconv(%O: memref<8x4x4xf32>, %I: memref<4x6x6xf32>, %W: memref<8x4x3x3xf32>) {
# CHECK-NEXT:    loopnest.for g %[[G:.*]] in range(2) {
# CHECK-NEXT:      loopnest.for co %[[CO:.*]] in range(%[[G]] * 4, %[[G]] * 4 + 4) {
# CHECK-NEXT:        loopnest.for ci %[[CI:.*]] in range(%[[G]] * 2, %[[G]] * 2 + 2) {
