# ARGS: import {}
# ERROR: unsupported augmented assignment '//='
def f(A: f32[4]):
    for i in range(4):
        A[i] //= 2.0
