# ARGS: import {} -o {tmp}/out.mlir
# ERROR: writes out of bounds
def f(A: f32[4]):
    for i in range(5):
        A[i] = 1.0
