# ARGS: import {} --size N=4 --array A=N --dtype f16
# ERROR: argument --dtype: invalid choice: 'f16'
# STATUS: 2
for i in range(N):
    A[i] = 1.0
