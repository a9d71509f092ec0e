"""Sound value ranges of `loopnest` index arithmetic, for the overflow rule.

Native code computes loop bounds, induction variables, their increments and
access indices in the 64-bit `index` type, where overflow wraps around (a
loop that never ends, an access far outside its array).  The interpreter and
the isl analyses compute with unbounded integers.  The dialect's verifiers
therefore require every value the lowering computes to lie in
`[-INDEX_MAX, INDEX_MAX]`; the range is symmetric because MLIR's own
expansion of `floordiv`/`ceildiv` negates its operand.

Values are bounded by interval arithmetic over intervals of the enclosing
induction variables: sound (the true values always lie inside), so a program
that passes cannot overflow; it over-approximates only by small factors, so
only programs whose values come close to 2**63 can be refused without
needing to be.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from xdsl.ir.affine import (
    AffineBinaryOpExpr,
    AffineBinaryOpKind,
    AffineConstantExpr,
    AffineDimExpr,
    AffineExpr,
)

from xdsl_group.analysis.affine_utils import post_order

INDEX_MAX = 2**63 - 1
"""The largest value of the 64-bit `index` type."""


@dataclass(frozen=True)
class Interval:
    """The integers `lo..hi` (both included)."""

    lo: int
    hi: int

    @staticmethod
    def point(v: int) -> Interval:
        return Interval(v, v)

    def fits(self) -> bool:
        return -INDEX_MAX <= self.lo and self.hi <= INDEX_MAX

    def extreme(self) -> int:
        """The end of the interval farthest from zero."""
        return self.hi if abs(self.hi) >= abs(self.lo) else self.lo


def _binary(kind: AffineBinaryOpKind, a: Interval, c: int) -> Interval:
    """`a kind c` for a constant right operand (`c` > 0 except for `*`)."""
    match kind:
        case AffineBinaryOpKind.Mul:
            ends = (a.lo * c, a.hi * c)
            return Interval(min(ends), max(ends))
        case AffineBinaryOpKind.FloorDiv:
            return Interval(a.lo // c, a.hi // c)
        case AffineBinaryOpKind.CeilDiv:
            return Interval(-(-a.lo // c), -(-a.hi // c))
        case _:
            if a.hi - a.lo < c and a.lo % c <= a.hi % c:
                return Interval(a.lo % c, a.hi % c)
            return Interval(0, c - 1)


def _steps(
    expr: AffineExpr, dims: Sequence[Interval]
) -> Iterator[tuple[AffineExpr, Interval]]:
    """Every value the lowering of `expr` computes, in evaluation order, as
    (the sub-expression it belongs to, the interval of that value)."""
    values: list[Interval] = []
    for node in post_order(expr):
        match node:
            case AffineConstantExpr(value=v):
                value = Interval.point(v)
            case AffineDimExpr(position=p):
                value = dims[p]
            case AffineBinaryOpExpr(kind=kind):
                b = values.pop()
                a = values.pop()
                if kind == AffineBinaryOpKind.Add:
                    value = Interval(a.lo + b.lo, a.hi + b.hi)
                else:
                    if kind == AffineBinaryOpKind.Mul and b.lo != b.hi:
                        a, b = b, a  # the constant operand on the right
                    if b.lo != b.hi:
                        raise ValueError(f"'{node}' is not affine")
                    c = b.lo
                    if kind == AffineBinaryOpKind.Mod:
                        # `mod` lowers to a remainder r plus a select of r + c
                        # when r is negative; r + c is computed either way.
                        yield node, Interval(-(c - 1), 2 * c - 1)
                    value = _binary(kind, a, c)
            case _:
                raise ValueError(f"'{node}' is not an affine dim expression")
        values.append(value)
        yield node, value


def expr_range(expr: AffineExpr, dims: Sequence[Interval]) -> Interval:
    """An interval holding every value of `expr` when dim i ranges over
    `dims[i]` (all non-empty)."""
    last = None
    for _, last in _steps(expr, dims):
        pass
    assert last is not None
    return last


def first_overflow(
    expr: AffineExpr, dims: Sequence[Interval]
) -> tuple[AffineExpr, int] | None:
    """The first sub-expression of `expr` (in evaluation order) whose values
    may leave the index type, with the value farthest from zero it may
    reach; None if every value fits."""
    for sub, value in _steps(expr, dims):
        if not value.fits():
            return sub, value.extreme()
    return None


def constants_overflow(expr: AffineExpr) -> tuple[AffineExpr, int] | None:
    """Like `first_overflow`, for the values that do not depend on the
    dims: the lowering materialises them even in code that never runs."""
    for sub in post_order(expr):
        if isinstance(sub, AffineConstantExpr) and not Interval.point(sub.value).fits():
            return sub, sub.value
        if (
            isinstance(sub, AffineBinaryOpExpr)
            and sub.kind == AffineBinaryOpKind.Mod
            and isinstance(sub.rhs, AffineConstantExpr)
            and 2 * sub.rhs.value - 1 > INDEX_MAX
        ):
            return sub, 2 * sub.rhs.value - 1
    return None


def last_iteration(lb: Interval, ub: Interval, step: int) -> int | None:
    """An upper bound of the induction variable of `range(lb, ub, step)`,
    None if the loop never runs.  Exact when `lb` is a single value."""
    if lb.lo > ub.hi - 1:
        return None
    if lb.lo == lb.hi:
        return lb.lo + (ub.hi - 1 - lb.lo) // step * step
    return ub.hi - 1
