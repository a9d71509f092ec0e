# ARGS: import {}
# ERROR: integer literal 99999999999 does not fit in i32
def f(A: i32[4]):
    for i in range(4):
        A[i] = 99999999999
