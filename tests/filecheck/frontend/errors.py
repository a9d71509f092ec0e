# Refusals: one line pointing into the Python source, exit code 1.
# RUN: not xdsl-group import %s --size N=8 --array A=N --array B=N 2>&1 | filecheck %s
# RUN: not xdsl-group import %s --array A=8 --array B=8 2>&1 | filecheck %s --check-prefix=SIZE
# RUN: not xdsl-group import %s --array A=N --array B=N 2>&1 | filecheck %s --check-prefix=SHAPE
# RUN: xdsl-group import %s --size N=8 --array A=N --array B=N --no-bounds-check | filecheck %s --check-prefix=NOCHECK
# RUN: not xdsl-group import %s --size N=8 --array A=N --array B=N,N 2>&1 | filecheck %s --check-prefix=RANK
# RUN: not xdsl-group import %s --size N=x 2>&1 | filecheck %s --check-prefix=USAGE
for i in range(N):
    for j in range(i, N):
        B[j - i] +=
            A[j + 1]

# CHECK: errors.py:11:13: error: 'loopnest.load' op: %A[%j + 1] reads out of bounds: index %j + 1 of dimension 0 takes values in [1, 8] but the dimension has size 8 (first at i = 0, j = 7)
# CHECK-NOT: Traceback

# SIZE: errors.py:8:16: error: unknown size 'N' (give it in sizes=/--size or assign it at the top of the source)

# SHAPE: {{^}}error: unknown size 'N' in the shape of array 'A'

# NOCHECK: loopnest.load %A[%{{.*}} + 1] : memref<8xf32>

# RANK: errors.py:10:9: error: array 'B' has 2 dimensions but is indexed with 1

# USAGE: error: argument --size/-s: expected NAME=INTEGER, got 'N=x'
