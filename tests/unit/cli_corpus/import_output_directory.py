# ARGS: import {} -o {tmp}
# ERROR: it is a directory
def f(A: f32[4]):
    for i in range(4):
        A[i] = 1.0
