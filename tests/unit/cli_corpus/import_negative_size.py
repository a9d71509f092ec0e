# ARGS: import {} --size N=-4 --array A=N
# ERROR: size N must be non-negative, got -4
# STATUS: 2
for i in range(N):
    A[i] = 1.0
