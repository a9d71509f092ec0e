# ARGS: import {}
# ERROR: mixed types are not supported
def f(A: f32[4], B: i32[4]):
    for i in range(4):
        A[i] = B[i]
