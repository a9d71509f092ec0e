# ARGS: import {}
# ERROR: a size must be an integer expression of sizes
def f(A: f32[2**70]):
    pass
