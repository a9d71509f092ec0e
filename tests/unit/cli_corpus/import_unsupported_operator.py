# ARGS: import {}
# ERROR: unsupported expression 'A[i] ** 2'
def f(A: f32[4]):
    for i in range(4):
        A[i] = A[i] ** 2
