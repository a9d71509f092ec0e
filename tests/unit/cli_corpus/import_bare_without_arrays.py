# ARGS: import {} --size N=4
# ERROR: bare loop code needs the arrays' shapes
for i in range(N):
    A[i] = 1.0
