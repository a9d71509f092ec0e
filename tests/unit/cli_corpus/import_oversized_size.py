# ARGS: import {} --size N=99999999999999999999 --array A=4
# ERROR: does not fit in the index type
for i in range(N):
    A[i] = 1.0
