# ARGS: import {}
# ERROR: has a dimension of size 0
def f(A: f32[0]):
    pass
