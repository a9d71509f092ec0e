"""Affine expressions and maps: one walker and the operations built on it.

xDSL's `AffineExpr` is a binary tree, and its own methods (`dfs`,
`post_order`, `replace_dims_and_symbols`, `eval`) recurse once per level.
Every walk the project needs goes through `fold`/`post_order` here instead:
they keep an explicit stack, so a deep expression (a long sum is a chain as
deep as it has terms) costs no Python recursion.  The specific uses —
substitution, evaluation, linear forms, isl text, MLIR-style text, affinity
checks — are written once, on top.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from xdsl.ir.affine import (
    AffineBinaryOpExpr,
    AffineBinaryOpKind,
    AffineConstantExpr,
    AffineDimExpr,
    AffineExpr,
    AffineMap,
    AffineSymExpr,
)

T = TypeVar("T")


# --------------------------------------------------------------------------
# The walker
# --------------------------------------------------------------------------


def post_order(expr: AffineExpr) -> Iterator[AffineExpr]:
    """The nodes of `expr`, children before parents, left before right (the
    order code evaluating `expr` computes them)."""
    stack: list[tuple[AffineExpr, bool]] = [(expr, False)]
    while stack:
        node, expanded = stack.pop()
        if isinstance(node, AffineBinaryOpExpr) and not expanded:
            stack += ((node, True), (node.rhs, False), (node.lhs, False))
        else:
            yield node


def pre_order(expr: AffineExpr) -> Iterator[AffineExpr]:
    """The nodes of `expr`, parents before children, left before right."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, AffineBinaryOpExpr):
            stack += (node.rhs, node.lhs)


def fold(
    expr: AffineExpr,
    leaf: Callable[[AffineExpr], T],
    binary: Callable[[AffineBinaryOpExpr, T, T], T],
) -> T:
    """Combine `expr` bottom-up: `leaf(node)` for constants, dims and symbols,
    `binary(node, lhs_value, rhs_value)` for operations, in post-order."""
    values: list[T] = []
    for node in post_order(expr):
        if isinstance(node, AffineBinaryOpExpr):
            rhs = values.pop()
            values.append(binary(node, values.pop(), rhs))
        else:
            values.append(leaf(node))
    return values[0]


# --------------------------------------------------------------------------
# Operations
# --------------------------------------------------------------------------


def substitute(
    expr: AffineExpr,
    dims: Sequence[AffineExpr],
    symbols: Sequence[AffineExpr] = (),
) -> AffineExpr:
    """`expr.replace_dims_and_symbols(dims, symbols)`, with the same
    simplifications (it rebuilds through `AffineExpr.binary`)."""

    def leaf(e: AffineExpr) -> AffineExpr:
        if isinstance(e, AffineDimExpr) and e.position < len(dims):
            return dims[e.position]
        if isinstance(e, AffineSymExpr) and e.position < len(symbols):
            return symbols[e.position]
        return e

    return fold(
        expr, leaf, lambda e, a, b: AffineExpr.binary(lhs=a, rhs=b, kind=e.kind)
    )


def used_dims(expr: AffineExpr) -> set[int]:
    """Positions of the dims `expr` uses."""
    return {e.position for e in post_order(expr) if isinstance(e, AffineDimExpr)}


def map_used_dims(m: AffineMap) -> set[int]:
    """Positions of the dims any result of `m` uses."""
    return set[int]().union(*(used_dims(e) for e in m.results))


def evaluate(
    expr: AffineExpr,
    dims: Sequence[int],
    symbols: Sequence[int] = (),
    binary: Callable[[AffineBinaryOpExpr, int, int], int] | None = None,
) -> int:
    """The value of `expr`; `binary(node, a, b)` computes an operation
    (default: MLIR's semantics, floor division and non-negative `mod`)."""
    if binary is None:
        return _run(_program(expr), dims, symbols)

    def leaf(e: AffineExpr) -> int:
        match e:
            case AffineConstantExpr(value=v):
                return v
            case AffineDimExpr(position=p):
                return dims[p]
            case AffineSymExpr(position=p):
                return symbols[p]
        raise ValueError(f"cannot evaluate affine expression '{e}'")

    return fold(expr, leaf, binary or apply_binary)


# The default evaluation runs a flat post-order program of the expression,
# built once per expression object: the interpreter evaluates the same index
# and bound maps at every iteration.
_CONST, _DIM, _SYM, _ERROR = "const", "dim", "sym", "error"
_Program = tuple[tuple[object, object], ...]
_PROGRAMS: dict[int, tuple[AffineExpr, _Program]] = {}
_PROGRAM_CACHE_SIZE = 4096


def _program(expr: AffineExpr) -> _Program:
    cached = _PROGRAMS.get(id(expr))
    if cached is not None and cached[0] is expr:
        return cached[1]
    code: list[tuple[object, object]] = []
    for node in post_order(expr):
        match node:
            case AffineBinaryOpExpr(kind=kind):
                code.append((kind, None))
            case AffineConstantExpr(value=v):
                code.append((_CONST, v))
            case AffineDimExpr(position=p):
                code.append((_DIM, p))
            case AffineSymExpr(position=p):
                code.append((_SYM, p))
            case _:
                code.append((_ERROR, f"cannot evaluate affine expression '{node}'"))
    program = tuple(code)
    if len(_PROGRAMS) >= _PROGRAM_CACHE_SIZE:
        _PROGRAMS.clear()
    # The entry keeps `expr` alive, so its id is not reused while cached.
    _PROGRAMS[id(expr)] = (expr, program)
    return program


def _run(program: _Program, dims: Sequence[int], symbols: Sequence[int]) -> int:
    """`program` on a stack, with `apply_binary`'s semantics."""
    stack: list[int] = []
    push, pop = stack.append, stack.pop
    for op, arg in program:
        if op is _CONST:
            push(arg)  # type: ignore[arg-type]
        elif op is _DIM:
            push(dims[arg])  # type: ignore[index]
        elif op is _SYM:
            push(symbols[arg])  # type: ignore[index]
        elif op is _ERROR:
            raise ValueError(arg)
        else:
            b = pop()
            a = pop()
            if op is AffineBinaryOpKind.Add:
                push(a + b)
            elif op is AffineBinaryOpKind.Mul:
                push(a * b)
            elif op is AffineBinaryOpKind.FloorDiv:
                push(a // b)
            elif op is AffineBinaryOpKind.CeilDiv:
                push(-(-a // b))
            else:
                push(a % b)
    return stack[0]


def evaluate_map(
    m: AffineMap, dims: Sequence[int], symbols: Sequence[int] = ()
) -> tuple[int, ...]:
    """`m.eval(dims, symbols)`: the value of each result of `m`."""
    assert len(dims) == m.num_dims, f"{len(dims)}, {m.num_dims}"
    assert len(symbols) == m.num_symbols, f"{len(symbols)}, {m.num_symbols}"
    return tuple(evaluate(e, dims, symbols) for e in m.results)


def apply_binary(e: AffineBinaryOpExpr, a: int, b: int) -> int:
    """`a e.kind b` on integers, as MLIR's affine semantics define it."""
    match e.kind:
        case AffineBinaryOpKind.Add:
            return a + b
        case AffineBinaryOpKind.Mul:
            return a * b
        case AffineBinaryOpKind.FloorDiv:
            return a // b
        case AffineBinaryOpKind.CeilDiv:
            return -(-a // b)
        case AffineBinaryOpKind.Mod:
            return a % b


def compress_dims(m: AffineMap, operands: Sequence[T]) -> tuple[AffineMap, list[T]]:
    """Drop the dims `m` does not use, with their operands."""
    used = map_used_dims(m)
    keep = [i for i in range(m.num_dims) if i in used]
    renumber = [AffineExpr.dimension(keep.index(i)) if i in used else
                AffineExpr.constant(0) for i in range(m.num_dims)]
    results = tuple(substitute(e, renumber) for e in m.results)
    return AffineMap(len(keep), 0, results), [operands[i] for i in keep]


LinearForm = tuple[dict[int, int], int]
"""`({dim: coefficient}, constant)`: a sum of dims times integers, plus a constant."""


def linear_form(expr: AffineExpr) -> LinearForm | None:
    """`expr` as a linear form, or None if it uses floordiv/ceildiv/mod on
    dims (or symbols)."""

    def leaf(e: AffineExpr) -> LinearForm | None:
        match e:
            case AffineConstantExpr(value=v):
                return {}, v
            case AffineDimExpr(position=p):
                return {p: 1}, 0
        return None

    def binary(
        e: AffineBinaryOpExpr, a: LinearForm | None, b: LinearForm | None
    ) -> LinearForm | None:
        if a is None or b is None:
            return None
        if e.kind == AffineBinaryOpKind.Add:
            coeffs = dict(a[0])
            for d, c in b[0].items():
                coeffs[d] = coeffs.get(d, 0) + c
            return {d: c for d, c in coeffs.items() if c}, a[1] + b[1]
        if e.kind == AffineBinaryOpKind.Mul:
            if not a[0]:
                a, b = b, a
            if b[0]:
                return None
            k = b[1]
            return {d: c * k for d, c in a[0].items() if c * k}, a[1] * k
        if not a[0] and not b[0] and b[1] > 0:
            return {}, apply_binary(e, a[1], b[1])
        return None

    return fold(expr, leaf, binary)


def from_linear_form(form: LinearForm) -> AffineExpr:
    coeffs, const = form
    expr: AffineExpr | None = None
    for d in sorted(coeffs):
        term = AffineExpr.dimension(d) * coeffs[d] if coeffs[d] != 1 else AffineExpr.dimension(d)
        expr = term if expr is None else expr + term
    if expr is None:
        return AffineExpr.constant(const)
    return expr + const if const else expr


def non_affine_reason(expr: AffineExpr) -> str | None:
    """Why `expr` is not a (dim-only) affine expression, or None if it is:
    the first offending node in evaluation order."""
    for e in post_order(expr):
        match e:
            case AffineConstantExpr() | AffineDimExpr():
                pass
            case AffineSymExpr():
                return "uses a symbol; loopnest bounds and indices use dims only"
            case AffineBinaryOpExpr(kind=kind, lhs=lhs, rhs=rhs):
                if kind == AffineBinaryOpKind.Mul:
                    if not (
                        isinstance(lhs, AffineConstantExpr)
                        or isinstance(rhs, AffineConstantExpr)
                    ):
                        return f"'{e}' multiplies two non-constant expressions"
                elif kind != AffineBinaryOpKind.Add:
                    if not isinstance(rhs, AffineConstantExpr) or rhs.value <= 0:
                        return (
                            f"'{e}' divides by '{rhs}'; the divisor must be a "
                            "positive constant"
                        )
            case _:
                return f"'{e}' is not an affine expression"
    return None


def isl_expr(expr: AffineExpr, names: Sequence[str]) -> str:
    """An affine expression in isl's textual syntax, dim i spelled `names[i]`."""

    def leaf(e: AffineExpr) -> str:
        match e:
            case AffineConstantExpr(value=v):
                return str(v)
            case AffineDimExpr(position=p):
                return names[p]
        raise ValueError(f"not an affine dim expression: {e}")

    def binary(e: AffineBinaryOpExpr, a: str, b: str) -> str:
        match e.kind:
            case AffineBinaryOpKind.Add:
                return f"({a} + {b})"
            case AffineBinaryOpKind.Mul:
                # isl wants `c*(e)` with a literal integer c.
                if isinstance(e.rhs, AffineConstantExpr):
                    return f"({e.rhs.value}*({a}))"
                return f"({e.lhs}*({b}))"
            case AffineBinaryOpKind.FloorDiv:
                return f"floor(({a}) / {b})"
            case AffineBinaryOpKind.CeilDiv:
                return f"ceil(({a}) / {b})"
            case AffineBinaryOpKind.Mod:
                return f"({a} mod {b})"

    return fold(expr, leaf, binary)


# MLIR-style text: (text, precedence of its outermost operator, and for
# `e * c` the rendering of `e`, to print `x - e * -c` as subtraction).
_Text = tuple[str, int, "tuple[str, int, object] | None"]
_ATOM = 3
_PRECEDENCE = {
    AffineBinaryOpKind.Add: 1,
    AffineBinaryOpKind.Mul: 2,
    AffineBinaryOpKind.FloorDiv: 2,
    AffineBinaryOpKind.CeilDiv: 2,
    AffineBinaryOpKind.Mod: 2,
}


def _wrap(t: _Text, min_prec: int) -> str:
    return f"({t[0]})" if t[1] < min_prec else t[0]


def affine_expr_str(expr: AffineExpr, names: Sequence[str]) -> str:
    """Render `expr` with dim (or symbol) i spelled `names[i]`, MLIR style
    (`a - b`, not `a + b * -1`), with the fewest parentheses that keep its
    meaning."""

    def leaf(e: AffineExpr) -> _Text:
        match e:
            case AffineConstantExpr(value=v):
                return str(v), _ATOM, None
            case AffineDimExpr(position=p) | AffineSymExpr(position=p):
                return names[p], _ATOM, None
        raise ValueError(f"unexpected affine expression {e}")

    def negated(rhs: AffineExpr, t: _Text) -> _Text | None:
        """The rendering of `n` where `rhs` is `-n`, else None."""
        if isinstance(rhs, AffineConstantExpr) and rhs.value < 0:
            return str(-rhs.value), _ATOM, None
        if (
            isinstance(rhs, AffineBinaryOpExpr)
            and rhs.kind == AffineBinaryOpKind.Mul
            and isinstance(rhs.rhs, AffineConstantExpr)
            and rhs.rhs.value < 0
        ):
            lhs_text = t[2]
            assert isinstance(lhs_text, tuple)
            if rhs.rhs.value == -1:
                return lhs_text  # pyright: ignore[reportUnknownVariableType]
            c = -rhs.rhs.value
            n = rhs.lhs * c
            if (
                isinstance(n, AffineBinaryOpExpr)
                and n.kind == AffineBinaryOpKind.Mul
                and n.lhs is rhs.lhs
                and n.rhs == AffineExpr.constant(c)
            ):
                return f"{_wrap(lhs_text, 2)} * {c}", 2, None  # pyright: ignore
            # `lhs * c` simplified to something else: render what it became.
            return affine_expr_str(n, names), _PRECEDENCE.get(
                n.kind, _ATOM
            ) if isinstance(n, AffineBinaryOpExpr) else _ATOM, None
        return None

    def binary(e: AffineBinaryOpExpr, a: _Text, b: _Text) -> _Text:
        prec = _PRECEDENCE[e.kind]
        left = _wrap(a, prec)
        if e.kind == AffineBinaryOpKind.Add:
            neg = negated(e.rhs, b)
            if neg is not None:
                text = f"{left} - {_wrap(neg, prec + 1)}"
            else:
                text = f"{left} + {_wrap(b, prec)}"
        else:
            text = f"{left} {e.kind.get_token()} {_wrap(b, prec + 1)}"
        keep = (
            a
            if e.kind == AffineBinaryOpKind.Mul and isinstance(e.rhs, AffineConstantExpr)
            else None
        )
        return text, prec, keep

    return fold(expr, leaf, binary)[0]
