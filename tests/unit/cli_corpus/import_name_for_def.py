# ARGS: import {} --name g
# ERROR: (--name) applies to bare loop code; a def keeps its own name
def f(A: f32[4]):
    for i in range(4):
        A[i] = 1.0
