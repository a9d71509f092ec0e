"""The static bounds check is exact: it refuses a program iff some iteration
really indexes outside an array (checked against brute-force enumeration).
The in-bounds programs also check the frontend's translation: they compute
what Python computes on the same source."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
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


# --------------------------------------------------------------------------
# Fuzz: strided, negative and floordiv/ceildiv/mod nests, written in MLIR.
#
# The generator above goes through the frontend (1-D arrays, non-negative
# outer bounds, `//` only); this one builds the dialect's own syntax so that
# every affine form is reached, with multi-dimensional arrays.  The oracle
# enumerates the iterations in plain Python from the drawn parameters.
# --------------------------------------------------------------------------

# Expressions: ("c", v) | ("iv", k) | ("add", a, b) | ("mul", a, c)
#            | ("floordiv" | "ceildiv" | "mod", a, c)
IVS = ("i", "j", "k")


def ev(e, env):
    match e:
        case ("c", v):
            return v
        case ("iv", k):
            return env[k]
        case ("add", a, b):
            return ev(a, env) + ev(b, env)
        case ("mul", a, c):
            return ev(a, env) * c
        case ("floordiv", a, c):
            return ev(a, env) // c
        case ("ceildiv", a, c):
            return -(-ev(a, env) // c)
        case ("mod", a, c):
            return ev(a, env) % c
    raise AssertionError(e)


def mlir_expr(e) -> str:
    match e:
        case ("c", v):
            return str(v)
        case ("iv", k):
            return f"%{IVS[k]}"
        case ("add", a, b):
            return f"({mlir_expr(a)} + {mlir_expr(b)})"
        case (op, a, c):
            return f"({mlir_expr(a)} {'*' if op == 'mul' else op} {c})"
    raise AssertionError(e)


@st.composite
def affine_exprs(draw, n_ivs: int, nested: bool = True):
    """c0 + sum(ck * ivk), possibly under floordiv/ceildiv/mod, possibly
    plus a second such term."""
    e = ("c", draw(st.integers(-5, 5)))
    for k in range(n_ivs):
        c = draw(st.integers(-3, 3))
        if c:
            e = ("add", ("mul", ("iv", k), c), e)
    if draw(st.booleans()):
        e = (draw(st.sampled_from(["floordiv", "ceildiv", "mod"])), e, draw(st.integers(1, 4)))
        if nested and draw(st.integers(0, 3)) == 0:
            e = ("add", e, draw(affine_exprs(n_ivs, nested=False)))
    return e


def iterations(loops):
    def walk(k, env):
        if k == len(loops):
            yield tuple(env)
            return
        lb, ub, step = loops[k]
        for v in range(ev(lb, env), ev(ub, env), step):
            yield from walk(k + 1, [*env, v])

    yield from walk(0, [])


@st.composite
def mlir_nests(draw):
    """1 to 3 loops with strides and (possibly negative, outer-dependent)
    floordiv/mod bounds, and 1 or 2 accesses of 1-D or 2-D arrays.  Most
    index dimensions are shifted to start at 0 and their arrays fitted to
    them (exactly, one too small or one too large), so both outcomes are
    common and out-of-bounds accesses are often off by one."""
    loops = []
    for k in range(draw(st.integers(1, 3))):
        lb = draw(affine_exprs(k)) if k and draw(st.booleans()) else ("c", draw(st.integers(-4, 3)))
        if draw(st.integers(0, 3)):  # mostly non-empty
            ub = ("add", lb, ("c", draw(st.integers(1, 6))))
        else:
            ub = draw(affine_exprs(k)) if k else ("c", draw(st.integers(-3, 6)))
        loops.append((lb, ub, draw(st.integers(1, 3))))
    points = list(iterations(loops))
    accesses = []
    for _ in range(draw(st.integers(1, 2))):
        indices, shape = [], []
        for _ in range(draw(st.integers(1, 2))):
            e = draw(affine_exprs(len(loops)))
            values = [ev(e, p) for p in points]
            if values and draw(st.integers(0, 3)):
                e = ("add", e, ("c", -min(values)))
                span = max(values) - min(values) + 1
                shape.append(max(1, span + draw(st.sampled_from([0, 0, 1, -1]))))
            else:
                shape.append(draw(st.integers(1, 8)))
            indices.append(e)
        accesses.append((tuple(indices), tuple(shape), draw(st.booleans())))
    return loops, accesses


def mlir_source(loops, accesses) -> str:
    def ty(shape):
        return f"memref<{'x'.join(map(str, shape))}xi32>"

    args = ", ".join(f"%A{n}: {ty(shape)}" for n, (_, shape, _) in enumerate(accesses))
    lines = [f"func.func @f({args}) {{", "  %one = arith.constant 1 : i32"]
    for k, (lb, ub, step) in enumerate(loops):
        pad = "  " * (k + 1)
        lines.append(
            f"{pad}loopnest.for {IVS[k]} %{IVS[k]} in range({mlir_expr(lb)}, "
            f"{mlir_expr(ub)}, {step}) {{"
        )
    pad = "  " * (len(loops) + 1)
    for n, (indices, shape, write) in enumerate(accesses):
        at = f"%A{n}[{', '.join(map(mlir_expr, indices))}] : {ty(shape)}"
        lines.append(f"{pad}loopnest.store %one, {at}" if write else f"{pad}%v{n} = loopnest.load {at}")
    lines += ["  " * k + "}" for k in range(len(loops), 0, -1)]
    return "\n".join([*lines, "  func.return", "}"])


def expected_violations(loops, indices, shape):
    """{dim: (low, high, first offending iteration)} by enumeration."""
    points = list(iterations(loops))
    out = {}
    for d, (e, size) in enumerate(zip(indices, shape)):
        values = [ev(e, p) for p in points]
        bad = [p for p, v in zip(points, values) if not 0 <= v < size]
        if bad:
            out[d] = (min(values), max(values), min(bad))
    return out


def _sum(*terms):
    e = terms[0]
    for t in terms[1:]:
        e = ("add", e, t)
    return e


def _lin(*coeffs_then_const):
    """`_lin(a, b, c)` is a*i + b*j + c."""
    *coeffs, const = coeffs_then_const
    return _sum(*[("mul", ("iv", k), c) for k, c in enumerate(coeffs) if c], ("c", const))


# Nests on which isl's own optimisation failed (lexmin raising or returning
# an empty set, dim_min_val returning a value outside the set): 4 of them
# among 12,000 random programs.
_ISL_FAILURES = [
    # The issue's example: isl_set_lexmin failed.
    ([(("c", -2), ("c", 2), 2), (("c", -2), ("c", 3), 1)],
     [((("floordiv", _lin(-1, 3, 0), 3), ("floordiv", _lin(3, 5), 2)), (7, 5), False)]),
    ([(("c", 0), ("c", 4), 3),
      (("c", -4), ("mod", _lin(-3, -3), 4), 2),
      (("c", 1), ("c", 5), 1)],
     [((_sum(("floordiv", _lin(2, 3, -3, 5), 3), ("mod", _lin(1, -2, 2, 1), 4), ("c", 6)),),
       (9,), True),
      ((_lin(0, 1, 2, 2), _lin(-1, 1, 0, 7)), (11, 9), True)]),
    # lexmin returned an empty set (isl_point_get_coordinate_val failed).
    ([(("c", -1), ("c", 4), 3),
      (_sum(("mod", _lin(1, -5), 2), _lin(1, -3)), _sum(("mod", _lin(1, -5), 2), _lin(1, -1)), 2)],
     [((("ceildiv", _lin(-2, -3, -5), 2), _sum(("ceildiv", _lin(-2, -1, -2), 4), ("c", 1))),
       (8, 3), False)]),
    # dim_min_val returned a value the set does not contain.
    ([(("c", -1), ("c", 5), 2),
      (("floordiv", _lin(-2, 0), 1), ("add", ("floordiv", _lin(-2, 0), 1), ("c", 5)), 1),
      (("c", -3), ("floordiv", _lin(2, -2, 3), 4), 1)],
     [((_sum(("ceildiv", _lin(-1, 0, 1, -1), 3), ("c", 2)), _lin(1, 0, 3, -1)), (4, 8), False)]),
]


@settings(max_examples=200, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(mlir_nests())
@example(_ISL_FAILURES[0])
@example(_ISL_FAILURES[1])
@example(_ISL_FAILURES[2])
@example(_ISL_FAILURES[3])
def test_bounds_check_agrees_with_enumeration_and_the_interpreter(nest):
    """On strided/negative/floordiv/mod nests the static check refuses iff
    some iteration goes out of bounds, iff the interpreter fails at run time;
    each reported range and first offending iteration is the enumerated one;
    and nothing but `LoopnestError` is raised."""
    from xdsl.utils.exceptions import InterpretationError

    loops, accesses = nest
    src = mlir_source(loops, accesses)
    module = xdsl_group.parse(src)
    expected = [expected_violations(loops, ix, shape) for ix, shape, _ in accesses]
    oracle_in_bounds = not any(expected)

    for access, want in zip(collect_accesses(module), expected):
        got = {
            v.dim: (v.low, v.high, tuple(v.example.values()))
            for v in access_violations(access)
        }
        assert got == want, src

    try:
        xdsl_group.apply(module, "loopnest-check-bounds")
        accepted = True
    except xdsl_group.LoopnestError as e:
        accepted = False
        assert "out of bounds" in str(e), src
    assert accepted == oracle_in_bounds, src

    arrays = [np.zeros(shape, np.int32) for _, shape, _ in accesses]
    try:
        xdsl_group.interpret(module, "f", *arrays)
        ran = True
    except (InterpretationError, IndexError):
        ran = False
    assert ran == oracle_in_bounds, src
    if ran:
        for array, (indices, shape, write) in zip(arrays, accesses):
            want = np.zeros(shape, np.int32)
            if write:
                for p in iterations(loops):
                    want[tuple(ev(e, p) for e in indices)] = 1
            np.testing.assert_array_equal(array, want)
