# ARGS: import {} --size N=4 --array A=4 --array A=8
# ERROR: argument --array/-a: 'A' is given twice
# STATUS: 2
for i in range(N):
    A[i] = 1.0
