# ARGS: import {} -o {tmp}/no/out.mlir
# ERROR: does not exist
def f(A: f32[4]):
    for i in range(4):
        A[i] = 1.0
