# ARGS: import {} --size N=4 --array A
# ERROR: expected NAME=D0,D1,..., got 'A'
# STATUS: 2
for i in range(N):
    A[i] = 1.0
