# ARGS: import {}
# ERROR: float literal 1.5 in an integer (i32) computation
def f(A: i32[4]):
    for i in range(4):
        A[i] = 1.5
