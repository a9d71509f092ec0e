# ARGS: import {}
# ERROR: function 'f' is defined twice
def f(A: f32[4]):
    pass


def f(B: f32[4]):
    pass
