# ARGS: import {} --size N=4 --array A=N --name 1x
# ERROR: argument --name: expected a Python identifier
# STATUS: 2
for i in range(N):
    A[i] = 1.0
