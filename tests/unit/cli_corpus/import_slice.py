# ARGS: import {}
# ERROR: slices are not supported
def f(A: f32[4]):
    A[0:2] = 1.0
