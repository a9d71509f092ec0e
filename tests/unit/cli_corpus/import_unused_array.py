# ARGS: import {} --array B=4
# ERROR: the shape of 'B' (arrays=/--array) is not used
def f(A: f32[4]):
    for i in range(4):
        A[i] = 1.0
