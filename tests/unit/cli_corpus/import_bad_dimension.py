# ARGS: import {} --size N=4 --array A=N,,N
# ERROR: array 'A': bad dimension ''
for i in range(N):
    A[i] = 1.0
