# ARGS: import {} -o {}
# ERROR: would overwrite the input
def f(A: f32[4]):
    for i in range(4):
        A[i] = 1.0
