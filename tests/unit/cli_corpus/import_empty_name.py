# ARGS: import {} --size N=4 --array A=N --name ''
# ERROR: argument --name: expected a Python identifier, got ''
# STATUS: 2
for i in range(N):
    A[i] = 1.0
