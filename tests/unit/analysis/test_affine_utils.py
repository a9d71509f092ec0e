"""The shared affine-expression utilities, on small random expressions and on
expressions far deeper than Python's recursion limit.

The oracle is a separate tree of tuples, generated alongside each
`AffineExpr` and evaluated here with plain Python integers, so no xDSL or
project code decides the expected answers.
"""

from __future__ import annotations

import sys
from itertools import product

import islpy as isl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from xdsl.ir.affine import (
    AffineBinaryOpExpr,
    AffineBinaryOpKind as K,
    AffineConstantExpr,
    AffineDimExpr,
    AffineExpr,
    AffineMap,
)

from xdsl_group.analysis.affine_utils import (
    affine_expr_str,
    compress_dims,
    evaluate,
    fold,
    from_linear_form,
    isl_expr,
    linear_form,
    non_affine_reason,
    post_order,
    pre_order,
    substitute,
    used_dims,
)
from xdsl_group.dialects.index_range import Interval, expr_range

DEEP = 3 * sys.getrecursionlimit()
NAMES = ["a", "b", "c"]

# An oracle tree: ("c", v) | ("d", p) | (op, lhs, rhs) with op in
# "+", "*", "floordiv", "ceildiv", "mod".
_KIND = {"+": K.Add, "*": K.Mul, "floordiv": K.FloorDiv, "ceildiv": K.CeilDiv, "mod": K.Mod}


def build(t) -> AffineExpr:
    """The raw `AffineExpr` of a (shallow) oracle tree: no simplification."""
    if t[0] == "c":
        return AffineConstantExpr(t[1])
    if t[0] == "d":
        return AffineDimExpr(t[1])
    return AffineBinaryOpExpr(_KIND[t[0]], build(t[1]), build(t[2]))


def value(t, env: list[int]) -> int:
    if t[0] == "c":
        return t[1]
    if t[0] == "d":
        return env[t[1]]
    a, b = value(t[1], env), value(t[2], env)
    match t[0]:
        case "+":
            return a + b
        case "*":
            return a * b
        case "floordiv":
            return a // b
        case "ceildiv":
            return (a + b - 1) // b
        case _:
            return a - b * (a // b)


# Pure affine trees: `*` by a constant, divisors positive constants.
_leaf = st.one_of(
    st.tuples(st.just("c"), st.integers(-6, 6)), st.tuples(st.just("d"), st.integers(0, 2))
)
_positive = st.tuples(st.just("c"), st.integers(1, 5))


def _extend(sub):
    return st.one_of(
        st.tuples(st.just("+"), sub, sub),
        st.tuples(st.just("*"), sub, st.tuples(st.just("c"), st.integers(-4, 4))),
        st.tuples(st.sampled_from(["floordiv", "ceildiv", "mod"]), sub, _positive),
    )


trees = st.recursive(_leaf, _extend, max_leaves=12)
envs = st.lists(st.integers(-9, 9), min_size=3, max_size=3)


def isl_value(text: str, env: list[int]) -> int:
    """Evaluate isl text of an expression over a, b, c with isl itself."""
    fixed = " and ".join(f"{n} = {v}" for n, v in zip(NAMES, env))
    s = isl.Set(f"{{ [a, b, c, r] : {fixed} and r = {text} }}")
    point = s.sample_point()
    return point.get_coordinate_val(isl.dim_type.set, 3).to_python()


def chain(n: int, term=lambda k: AffineDimExpr(k % 3)) -> AffineExpr:
    """`t0 + t1 + ... + t(n-1)`, left-nested: a tree `n - 1` levels deep."""
    e = term(0)
    for k in range(1, n):
        e = AffineBinaryOpExpr(K.Add, e, term(k))
    return e


# ---------------------------------------------------------------- small


@settings(max_examples=100, deadline=None)
@given(trees, envs)
def test_evaluate_matches_the_oracle(t, env):
    assert evaluate(build(t), env) == value(t, env)


@settings(max_examples=100, deadline=None)
@given(trees, envs)
def test_isl_text_means_the_expression(t, env):
    assert isl_value(isl_expr(build(t), NAMES), env) == value(t, env)


@settings(max_examples=100, deadline=None)
@given(trees, envs)
def test_printed_text_reads_back_as_the_expression(t, env):
    text = affine_expr_str(build(t), NAMES)
    # The text is MLIR syntax; read it back with isl's, which shares `+ - *`
    # and precedence, once the division keywords are spelled isl's way.
    assert isl_value(_mlir_to_isl(text), env) == value(t, env)


def _mlir_to_isl(text: str) -> str:
    # `x floordiv c` -> `floor(x / c)` needs the operand's extent; isl's
    # parser has `floor`, `ceil` and `mod`, so rewrite with a tiny parser.
    tokens = text.replace("(", " ( ").replace(")", " ) ").split()
    pos = 0

    def atom() -> str:
        nonlocal pos
        tok = tokens[pos]
        pos += 1
        if tok == "(":
            inner = expr(0)
            pos += 1  # ")"
            return f"({inner})"
        if tok == "-":
            return f"(-{atom()})"
        return tok

    prec = {"+": 1, "-": 1, "*": 2, "floordiv": 2, "ceildiv": 2, "mod": 2}

    def expr(min_prec: int) -> str:
        nonlocal pos
        lhs = atom()
        while pos < len(tokens) and tokens[pos] in prec and prec[tokens[pos]] >= min_prec:
            op = tokens[pos]
            pos += 1
            rhs = expr(prec[op] + 1)
            if op == "floordiv":
                lhs = f"floor(({lhs}) / {rhs})"
            elif op == "ceildiv":
                lhs = f"ceil(({lhs}) / {rhs})"
            elif op == "mod":
                lhs = f"(({lhs}) mod {rhs})"
            elif op == "*":
                lhs = f"({rhs}*({lhs}))"  # the factor is a literal integer
            else:
                lhs = f"({lhs}) {op} ({rhs})"
        return lhs

    return expr(0)


def test_printing_spells_subtraction_and_keeps_needed_parentheses():
    a, b = AffineDimExpr(0), AffineDimExpr(1)
    e = AffineBinaryOpExpr(K.Add, a, AffineBinaryOpExpr(K.Mul, b, AffineConstantExpr(-1)))
    assert affine_expr_str(e, NAMES) == "a - b"
    e = AffineBinaryOpExpr(K.Add, a, AffineConstantExpr(-3))
    assert affine_expr_str(e, NAMES) == "a - 3"
    inner = AffineBinaryOpExpr(K.Add, a, b)
    e = AffineBinaryOpExpr(K.Add, a, AffineBinaryOpExpr(K.Mul, inner, AffineConstantExpr(-1)))
    assert affine_expr_str(e, NAMES) == "a - (a + b)"
    e = AffineBinaryOpExpr(K.Add, inner, AffineBinaryOpExpr(K.Mul, b, AffineConstantExpr(-2)))
    assert affine_expr_str(e, NAMES) == "a + b - b * 2"
    e = AffineBinaryOpExpr(K.FloorDiv, inner, AffineConstantExpr(2))
    assert affine_expr_str(e, NAMES) == "(a + b) floordiv 2"


@settings(max_examples=100, deadline=None)
@given(trees, envs)
def test_substitution_composes_values(t, env):
    # Replace a by b + 1, b by 2 * c, c by 3; then evaluate at env.
    new = [
        AffineBinaryOpExpr(K.Add, AffineDimExpr(1), AffineConstantExpr(1)),
        AffineBinaryOpExpr(K.Mul, AffineDimExpr(2), AffineConstantExpr(2)),
        AffineConstantExpr(3),
    ]
    inner = [env[1] + 1, 2 * env[2], 3]
    assert evaluate(substitute(build(t), new), env) == value(t, inner)


@settings(max_examples=100, deadline=None)
@given(trees)
def test_used_dims_and_compress_dims(t):
    expected = {n[1] for n in _nodes(t) if n[0] == "d"}
    e = build(t)
    assert used_dims(e) == expected
    m, kept = compress_dims(AffineMap(3, 0, (e,)), ["x", "y", "z"])
    assert kept == [["x", "y", "z"][p] for p in sorted(expected)]
    for env in product(range(-2, 3), repeat=3):
        assert evaluate(m.results[0], [env[p] for p in sorted(expected)]) == value(t, list(env))


def _nodes(t):
    work = [t]
    while work:
        n = work.pop()
        yield n
        if n[0] not in ("c", "d"):
            work += [n[1], n[2]]


@settings(max_examples=100, deadline=None)
@given(trees, envs)
def test_linear_form_is_exact_when_given(t, env):
    form = linear_form(build(t))
    uses_division_on_dims = any(
        n[0] in ("floordiv", "ceildiv", "mod") and any(m[0] == "d" for m in _nodes(n[1]))
        for n in _nodes(t)
    )
    # None only for a division of dims (it may still fold, e.g. `(d0 * 0) mod 2`).
    assert form is not None or uses_division_on_dims
    if form is not None:
        coeffs, const = form
        assert const + sum(c * env[d] for d, c in coeffs.items()) == value(t, env)
        assert evaluate(from_linear_form(form), env) == value(t, env)


@settings(max_examples=100, deadline=None)
@given(trees)
def test_interval_holds_every_value(t):
    dims = [Interval(-2, 3), Interval(0, 4), Interval(5, 5)]
    r = expr_range(build(t), dims)
    for env in product(range(-2, 4), range(0, 5), [5]):
        assert r.lo <= value(t, list(env)) <= r.hi


def test_non_affine_reason_names_the_first_offender():
    a, b = AffineDimExpr(0), AffineDimExpr(1)
    bad_mul = AffineBinaryOpExpr(K.Mul, a, b)
    bad_div = AffineBinaryOpExpr(K.FloorDiv, a, AffineConstantExpr(0))
    assert non_affine_reason(AffineBinaryOpExpr(K.Add, a, b)) is None
    assert non_affine_reason(AffineBinaryOpExpr(K.Add, bad_mul, bad_div)) == (
        f"'{bad_mul}' multiplies two non-constant expressions"
    )
    assert "divisor must be a positive constant" in non_affine_reason(
        AffineBinaryOpExpr(K.Add, bad_div, bad_mul)
    )
    assert "symbol" in non_affine_reason(AffineExpr.symbol(0) + 1)


def test_orders_and_fold():
    t = ("+", ("*", ("d", 0), ("c", 2)), ("mod", ("d", 1), ("c", 3)))
    e = build(t)
    assert isinstance(e, AffineBinaryOpExpr)
    mul, mod = e.lhs, e.rhs
    assert isinstance(mul, AffineBinaryOpExpr) and isinstance(mod, AffineBinaryOpExpr)
    post = [mul.lhs, mul.rhs, mul, mod.lhs, mod.rhs, mod, e]
    pre = [e, mul, mul.lhs, mul.rhs, mod, mod.lhs, mod.rhs]
    assert all(x is y for x, y in zip(post_order(e), post, strict=True))
    assert all(x is y for x, y in zip(pre_order(e), pre, strict=True))
    size = fold(e, lambda _: 1, lambda _, a, b: a + b + 1)
    assert size == 7


# ---------------------------------------------------------------- deep


def test_deep_sums_need_no_recursion():
    n = DEEP
    e = chain(n)
    env = [3, -5, 7]
    expected = sum(env[k % 3] for k in range(n))
    assert evaluate(e, env) == expected
    assert used_dims(e) == {0, 1, 2}
    assert linear_form(e) == ({d: len(range(d, n, 3)) for d in range(3)}, 0)
    assert non_affine_reason(e) is None
    assert affine_expr_str(e, NAMES) == " + ".join(NAMES[k % 3] for k in range(n))
    assert sum(1 for _ in post_order(e)) == 2 * n - 1
    assert sum(1 for _ in pre_order(e)) == 2 * n - 1
    r = expr_range(e, [Interval(0, 1), Interval(-1, 0), Interval(2, 2)])
    counts = [len(range(d, n, 3)) for d in range(3)]
    assert r == Interval(-counts[1] + 2 * counts[2], counts[0] + 2 * counts[2])


def test_deep_substitution_and_isl_text():
    n = DEEP
    e = chain(n)
    swapped = substitute(e, [AffineDimExpr(1), AffineDimExpr(0), AffineConstantExpr(4)])
    env = [2, 9, 0]
    assert evaluate(swapped, env) == sum([9, 2, 4][k % 3] for k in range(n))
    text = isl_expr(e, NAMES)
    assert text.count("+") == n - 1
    # isl reads the whole text back (its parser is not Python's).
    assert isl_value(text, env) == sum(env[k % 3] for k in range(n))


def test_deep_non_affine_reason_finds_the_bottom_offender():
    bad = AffineBinaryOpExpr(K.Mul, AffineDimExpr(0), AffineDimExpr(1))
    e = chain(DEEP, lambda k: bad if k == 0 else AffineConstantExpr(k))
    assert non_affine_reason(e) == f"'{bad}' multiplies two non-constant expressions"


@pytest.mark.parametrize("k", [K.FloorDiv, K.CeilDiv, K.Mod])
def test_deep_chain_under_a_division(k):
    e = AffineBinaryOpExpr(k, chain(DEEP), AffineConstantExpr(7))
    env = [1, 2, 3]
    total = sum(env[j % 3] for j in range(DEEP))
    expected = {K.FloorDiv: total // 7, K.CeilDiv: -(-total // 7), K.Mod: total % 7}[k]
    assert evaluate(e, env) == expected
    assert linear_form(e) is None
    text = affine_expr_str(e, NAMES)
    assert text.startswith("(a + b + c") and text.endswith(f") {k.get_token()} 7")
