# ARGS: import {}
# ERROR: indirect
def f(A: f32[4], B: f32[4]):
    for i in range(4):
        A[B[i]] = 1.0
