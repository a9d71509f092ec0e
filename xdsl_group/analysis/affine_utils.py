"""Small helpers over xDSL affine expressions and maps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from xdsl.ir.affine import (
    AffineBinaryOpExpr,
    AffineBinaryOpKind,
    AffineConstantExpr,
    AffineDimExpr,
    AffineExpr,
    AffineMap,
)

T = TypeVar("T")


def compress_dims(m: AffineMap, operands: Sequence[T]) -> tuple[AffineMap, list[T]]:
    """Drop the dims `m` does not use, with their operands."""
    used = m.used_dims()
    keep = [i for i in range(m.num_dims) if i in used]
    renumber = [AffineExpr.dimension(keep.index(i)) if i in used else
                AffineExpr.constant(0) for i in range(m.num_dims)]
    results = tuple(e.replace_dims_and_symbols(renumber, []) for e in m.results)
    return AffineMap(len(keep), 0, results), [operands[i] for i in keep]


LinearForm = tuple[dict[int, int], int]
"""`({dim: coefficient}, constant)`: a sum of dims times integers, plus a constant."""


def linear_form(expr: AffineExpr) -> LinearForm | None:
    """`expr` as a linear form, or None if it uses floordiv/ceildiv/mod on dims."""
    match expr:
        case AffineConstantExpr(value=v):
            return {}, v
        case AffineDimExpr(position=p):
            return {p: 1}, 0
        case AffineBinaryOpExpr(kind=kind, lhs=lhs, rhs=rhs):
            a, b = linear_form(lhs), linear_form(rhs)
            if a is None or b is None:
                return None
            if kind == AffineBinaryOpKind.Add:
                coeffs = dict(a[0])
                for d, c in b[0].items():
                    coeffs[d] = coeffs.get(d, 0) + c
                return {d: c for d, c in coeffs.items() if c}, a[1] + b[1]
            if kind == AffineBinaryOpKind.Mul:
                if not a[0]:
                    a, b = b, a
                if b[0]:
                    return None
                k = b[1]
                return {d: c * k for d, c in a[0].items() if c * k}, a[1] * k
            if not a[0] and not b[0] and b[1] > 0:
                x, y = a[1], b[1]
                if kind == AffineBinaryOpKind.FloorDiv:
                    return {}, x // y
                if kind == AffineBinaryOpKind.CeilDiv:
                    return {}, -(-x // y)
                return {}, x % y
            return None
    return None


def from_linear_form(form: LinearForm) -> AffineExpr:
    coeffs, const = form
    expr: AffineExpr | None = None
    for d in sorted(coeffs):
        term = AffineExpr.dimension(d) * coeffs[d] if coeffs[d] != 1 else AffineExpr.dimension(d)
        expr = term if expr is None else expr + term
    if expr is None:
        return AffineExpr.constant(const)
    return expr + const if const else expr
