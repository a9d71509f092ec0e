# ARGS: import {} --size N=4 --size N=8 --array A=N
# ERROR: argument --size/-s: 'N' is given twice
# STATUS: 2
for i in range(N):
    A[i] = 1.0
