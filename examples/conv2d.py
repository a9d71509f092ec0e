# The seed's convolution as a Python function: the loop body is the slides'
# code verbatim; the annotations give each array's element type and shape.
CO = 8   # out_channels
CI = 8   # in_channels
OH = 6   # out_height
OW = 6   # out_width
KH = 3   # kernel_height
KW = 3   # kernel_width


def conv2d(O: f32[CO, OH, OW], I: f32[CI, OH + KH - 1, OW + KW - 1], W: f32[CO, CI, KH, KW]):
    for co in range(CO):           # out_channels
        for ci in range(CI):       # in_channels
            for oh in range(OH):   # out_height
                for ow in range(OW): # out_width
                    for kh in range(KH): # kernel_height
                        for kw in range(KW): # kernel width
                            O[co][oh][ow] +=
                                I[ci][oh+kh][ow+kw] *
                                W[co][ci][kh][kw]
