# ARGS: run {} --func f
# ERROR: is Python source, not MLIR: translate it first with 'xdsl-group import
def f(A: f32[4]):
    for i in range(4):
        A[i] = 1.0
