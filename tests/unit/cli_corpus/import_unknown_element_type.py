# ARGS: import {}
# ERROR: unknown element type 'f16'
def f(A: f16[4]):
    pass
