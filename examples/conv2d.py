# The seed's convolution, verbatim, with its sizes.
CO = 8
CI = 8
OH = 6
OW = 6
KH = 3
KW = 3

for co in range(CO):           # out_channels
    for ci in range(CI):       # in_channels
        for oh in range(OH):   # out_height
            for ow in range(OW): # out_width
                for kh in range(KH): # kernel_height
                    for kw in range(KW): # kernel width
                        O[co][oh][ow] +=
                            I[ci][oh+kh][ow+kw] *
                            W[co][ci][kh][kw]
