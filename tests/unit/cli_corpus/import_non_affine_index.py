# ARGS: import {}
# ERROR: is not affine
def f(A: f32[16]):
    for i in range(4):
        A[i * i] = 1.0
