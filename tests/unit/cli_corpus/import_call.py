# ARGS: import {}
# ERROR: loops must iterate over range(...)
def f(A: f32[4]):
    for i in enumerate(A):
        A[0] = 1.0
