# ARGS: import {} --dtype f64
# ERROR: (--dtype) applies to arrays shaped by arrays=/--array
def f(A: f32[4]):
    for i in range(4):
        A[i] = 1.0
