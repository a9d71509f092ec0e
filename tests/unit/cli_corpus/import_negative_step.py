# ARGS: import {}
# ERROR: the step of range must be a positive constant
def f(A: f32[4]):
    for i in range(3, -1, -1):
        A[i] = 1.0
