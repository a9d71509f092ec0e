# ARGS: import {}
# ERROR: unknown size 'N'
def f(A: f32[N]):
    pass
