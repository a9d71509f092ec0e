# ARGS: import {}
# ERROR: invalid syntax
def f(A: f32[4]):
    for i in range(4):
        A[i] +=
