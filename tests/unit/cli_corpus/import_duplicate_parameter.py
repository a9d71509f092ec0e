# ARGS: import {}
# ERROR: duplicate array name 'A'
def f(A: f32[4], A: f32[4]):
    pass
