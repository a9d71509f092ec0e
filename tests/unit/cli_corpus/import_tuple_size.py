# ARGS: import {}
# ERROR: assign one size per statement
N, M = 4, 5
def f(A: f32[N]):
    pass
