# ARGS: import {} --size 1bad=3 --array A=4
# ERROR: expected NAME=INTEGER, got '1bad=3'
# STATUS: 2
for i in range(N):
    A[i] = 1.0
