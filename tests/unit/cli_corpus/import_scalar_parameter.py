# ARGS: import {}
# ERROR: parameter 'n': expected an annotation like f32[N, M]
def f(A: f32[4], n: int):
    pass
