# ARGS: import {} --array A=N,N,N,N,N,N --size N=10000000
# ERROR: more than the index type (64 bits) can address
for i in range(N):
    A[i, 0, 0, 0, 0, 0] = 1.0
