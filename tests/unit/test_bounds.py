"""The static bounds check is exact: it refuses a program iff some iteration
really indexes outside an array (checked against brute-force enumeration).
The in-bounds programs also check the frontend's translation: they compute
what Python computes on the same source."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import xdsl_group
from xdsl_group.analysis.bounds import access_violations
from xdsl_group.analysis.polyhedral import collect_accesses
from xdsl_group.frontend import from_python

# Terms of affine expressions: (coefficient of i, coefficient of j, constant, divisor).
coef = st.integers(-2, 2)


def index_values(n):
    """The values the read and the write index take (by enumeration)."""
    reads, writes = [], []
    for i in range(n["lb_i"], n["ub_i"], n["step_i"]):
        lo = (n["a"] * i + n["c"]) // n["d"]
        for j in range(lo, lo + n["span"], n["step_j"]):
            reads.append((n["p"] * i + n["q"] * j + n["r"]) // n["k"])
            writes.append(n["p2"] * i + n["q2"] * j + n["r2"])
    return reads, writes


@st.composite
def nests(draw):
    """A 2-deep nest whose inner bounds depend on the outer variable, with a
    read and a write of 1-D arrays through affine (floordiv) indices.  Half of
    the nests get arrays fitted to the indices they use (plus some slack), so
    in-bounds and out-of-bounds programs are both common."""
    lb_i = draw(st.integers(0, 3))
    ub_i = lb_i + draw(st.integers(1, 5))
    step_i = draw(st.integers(1, 3))
    a, c = draw(coef), draw(st.integers(-2, 4))
    d = draw(st.integers(1, 3))
    span = draw(st.integers(1, 4))
    step_j = draw(st.integers(1, 2))
    p, q, r, k = draw(coef), draw(coef), draw(st.integers(-3, 6)), draw(st.integers(1, 3))
    p2, q2, r2 = draw(coef), draw(coef), draw(st.integers(-3, 6))
    op = draw(st.sampled_from(["=", "+=", "-=", "*="]))
    scale = draw(st.sampled_from(["", "-", "2.5 * ", "-A[0] * "]))
    n = dict(lb_i=lb_i, ub_i=ub_i, step_i=step_i, a=a, c=c, d=d, span=span,
             step_j=step_j, p=p, q=q, r=r, k=k, p2=p2, q2=q2, r2=r2, op=op,
             scale=scale, size_a=draw(st.integers(1, 12)), size_b=draw(st.integers(1, 12)))
    mode = draw(st.sampled_from(["fit", "fit", "off by one", "free"]))
    if mode != "free":
        # Shift the indices to start at 0 and fit the arrays to them, or miss
        # by one element at one end of one array.
        reads, writes = index_values(n)
        n["r"] -= min(reads) * k
        n["r2"] -= min(writes)
        reads, writes = index_values(n)
        n["size_a"] = max(reads) + 1 + draw(st.integers(0, 2))
        n["size_b"] = max(writes) + 1 + draw(st.integers(0, 2))
        if mode == "off by one":
            which = draw(st.sampled_from(["low a", "high a", "low b", "high b"]))
            if which == "low a":
                n["r"] -= k
            elif which == "high a":
                n["size_a"] = max(max(reads), 1)  # A[0] is read too
            elif which == "low b":
                n["r2"] -= 1
            else:
                n["size_b"] = max(max(writes), 1)
    return n


def source(n) -> str:
    lo_j = f"({n['a']}*i + {n['c']}) // {n['d']}"
    return f"""
for i in range({n['lb_i']}, {n['ub_i']}, {n['step_i']}):
    for j in range({lo_j}, {lo_j} + {n['span']}, {n['step_j']}):
        B[{n['p2']}*i + {n['q2']}*j + {n['r2']}] {n['op']} {n['scale']}A[({n['p']}*i + {n['q']}*j + {n['r']}) // {n['k']}] + 1
"""


def brute_force_in_bounds(n) -> bool:
    reads, writes = index_values(n)
    return all(0 <= x < n["size_a"] for x in reads) and all(
        0 <= x < n["size_b"] for x in writes
    )


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(nests())
def test_bounds_check_is_exact(n):
    arrays = {"A": (n["size_a"],), "B": (n["size_b"],)}
    src = source(n)
    module = from_python(src, arrays=arrays, check_bounds=False)
    refused = any(access_violations(a) for a in collect_accesses(module))
    assert refused == (not brute_force_in_bounds(n)), src
    if refused:
        with pytest.raises(xdsl_group.LoopnestError, match="out of bounds"):
            from_python(src, arrays=arrays)
    else:
        # In bounds: the imported program computes what Python computes on
        # the same (test-generated) source.
        rng = np.random.default_rng(0)
        A = rng.integers(-4, 5, n["size_a"]).astype(np.float64)
        B = rng.integers(-4, 5, n["size_b"]).astype(np.float64)
        A_py, B_py = A.copy(), B.copy()
        exec(src, {"A": A_py, "B": B_py})  # noqa: S102 - our own generated code
        xdsl_group.interpret(from_python(src, arrays=arrays, dtype="f64"), "kernel", A, B)
        np.testing.assert_array_equal(A, A_py)
        np.testing.assert_array_equal(B, B_py)


def test_reported_range_and_first_iteration():
    src = "for i in range(0, 9, 4):\n    A[i + 1] = 1.0\n"
    with pytest.raises(xdsl_group.LoopnestError) as info:
        from_python(src, arrays={"A": (9,)}, filename="k.py")
    assert str(info.value) == (
        "k.py:2:5: error: 'loopnest.store' op: %A[%i + 1] writes out of bounds: "
        "index %i + 1 of dimension 0 takes values in [1, 9] but the dimension "
        "has size 9 (first at i = 8)"
    )


def test_empty_loops_are_in_bounds():
    from_python("for i in range(4, 2):\n    A[i + 100] = 1.0\n", arrays={"A": (1,)})
