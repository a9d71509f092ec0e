# ARGS: import {}
# ERROR: unsupported statement 'while'
def f(A: f32[4]):
    while True:
        A[0] = 1.0
