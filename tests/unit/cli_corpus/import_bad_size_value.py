# ARGS: import {} --size N=x --array A=4
# ERROR: expected NAME=INTEGER, got 'N=x'
# STATUS: 2
for i in range(N):
    A[i] = 1.0
