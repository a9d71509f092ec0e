# ARGS: import {}
# ERROR: the function cannot return a value
def f(A: f32[4]) -> f32:
    return A[0]
