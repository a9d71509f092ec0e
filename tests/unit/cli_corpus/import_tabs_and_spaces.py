# ARGS: import {}
# ERROR: inconsistent use of tabs and spaces
def f(A: f32[4]):
    for i in range(4):
	A[i] = 1.0
