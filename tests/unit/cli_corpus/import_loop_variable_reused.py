# ARGS: import {}
# ERROR: loop variable 'i' is already the variable of an enclosing loop
def f(A: f32[4]):
    for i in range(4):
        for i in range(4):
            A[i] = 1.0
