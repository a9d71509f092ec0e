"""The seed's loop code blocks, verbatim (trailing spaces included).

The code blocks of the slides are the specification of the notation.
"""

CONV = """\
for co in range(CO):           # out_channels
    for ci in range(CI):       # in_channels
        for oh in range(OH):   # out_height
            for ow in range(OW): # out_width
                for kh in range(KH): # kernel_height
                    for kw in range(KW): # kernel width
                        O[co][oh][ow] +=
                            I[ci][oh+kh][ow+kw] *
                            W[co][ci][kh][kw]
"""

CONV_PLAIN = """\
for co in range(CO):
    for ci in range(CI):
        for oh in range(OH):
            for ow in range(OW):
                for kh in range(KH):
                    for kw in range(KW):
                        O[co][oh][ow] +=
                            I[ci][oh+kh][ow+kw] *
                            W[co][ci][kh][kw]
"""

GROUPED = """\
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
"""

EXAMPLE1 = """\
for co in range(CO):      # out_channels
  for oh in range(OH):    # out_height
    for ci in range(CI):  # in_channels
      for ow in range(OW): # out_width
        for kh in range(KH): # kernel_height
          for kw in range(KW):
            O[co][oh][ow] +=
              I[ci][oh+kh][ow+kw] *
              W[co][ci][kh][kw]
"""

EXAMPLE2_REMAINDER = """\
for co in range(U, CO):  
    for ci in range(CI):  
        for oh in range(OH):  
            for ow in range(OW):  
                for kh in range(KH):  
                    for kw in range(KW):  
                        O[co][oh][ow] +=  
                            I[ci][oh+kh][ow+kw] *  
                            W[co][ci][kh][kw]
"""

EXAMPLE2_GROUPED_REMAINDER = """\
for g in range(G):  
    for co in range(U+CO//G*g, U+CO//G*(g+1)):  
        for ci in range(CI//G*g, CI//G*(g+1)):  
            for oh in range(OH):  
                for ow in range(OW):  
                    for kh in range(KH):  
                        for kw in range(KW):  
                            O[co][oh][ow] +=  
                                I[ci][oh+kh][ow+kw] *  
                                W[co][ci][kh][kw]
"""
