"""Static bounds checking of `loopnest` accesses, exact with isl.

For every access and every dimension of its memref, the set of values the
index takes over the access's iteration domain is computed exactly (bounds,
steps, floordiv and the coupling between loops included) and compared with
the dimension's extent.  A program is refused only if some iteration really
indexes outside the memref; a box over-approximation would also refuse
in-bounds triangular, strided or grouped nests.

The decision is whether the set of iterations indexing outside a dimension is
empty.  If it is not, its lexicographically first point is the example of
the message; that point is checked by evaluating the loops and the index
directly, so every refusal comes with a real offending iteration.  If isl
fails, or its answers do not check out, the access is refused as unproved.
"""

from __future__ import annotations

from dataclasses import dataclass

import islpy as isl
from xdsl.dialects.builtin import DYNAMIC_INDEX, MemRefType
from xdsl.ir import Operation, SSAValue

from xdsl_group.analysis.polyhedral import (
    Access,
    collect_accesses,
    isl_failures_refuse,
    lexmin_point,
    maximum,
    minimum,
)
from xdsl_group.dialects.loopnest import affine_expr_str
from xdsl_group.errors import LoopnestError


def _ssa_name(value: SSAValue) -> str:
    return f"%{value.name_hint}" if value.name_hint else "%<value>"


@dataclass(frozen=True)
class BoundsViolation:
    """Dimension `dim` of `access` takes values in [low, high] over its domain,
    outside [0, size); `example` is the first offending iteration."""

    access: Access
    dim: int
    low: int
    high: int
    size: int
    example: dict[str, int]

    def message(self) -> str:
        op = self.access.op
        names = [_ssa_name(v) for v in op.indices]
        exprs = [affine_expr_str(e, names) for e in op.map.data.results]
        array = _ssa_name(op.memref)
        kind = "writes" if self.access.is_write else "reads"
        where = ", ".join(f"{k} = {v}" for k, v in self.example.items())
        extent = (
            "is dynamic, so indices must not be negative"
            if self.size < 0
            else f"has size {self.size}"
        )
        return (
            f"{array}[{', '.join(exprs)}] {kind} out of bounds: index "
            f"{exprs[self.dim]} of dimension {self.dim} takes values in "
            f"[{self.low}, {self.high}] but the dimension {extent}"
            + (f" (first at {where})" if where else "")
        )


def _out_of_bounds(access: Access, dim: int, size: int) -> isl.Set:
    """The iterations at which index `dim` of `access` leaves `[0, size)`
    (`size` < 0: dynamic, only negative indices are out of bounds)."""
    e = access.index_strs()[dim]
    bad = f"({e}) < 0" if size < 0 else f"({e}) < 0 or ({e}) >= {size}"
    return access.context.where(bad)


def access_violations(access: Access) -> list[BoundsViolation]:
    """Every dimension of `access` that leaves its memref's bounds.

    Raises `LoopnestError` (naming the access) if isl fails or its answers
    do not check out, rather than returning an unproved "in bounds".
    """
    with isl_failures_refuse(access.op, "the bounds check of this access"):
        return _violations(access)


def _violations(access: Access) -> list[BoundsViolation]:
    memref_type = access.memref.type
    assert isinstance(memref_type, MemRefType)
    shape = memref_type.get_shape()
    if access.domain().is_empty():
        return []
    out: list[BoundsViolation] = []
    for d, size in enumerate(shape):
        dynamic = size == DYNAMIC_INDEX
        bad = _out_of_bounds(access, d, -1 if dynamic else size)
        first = lexmin_point(bad)
        if first is None:
            continue
        # The first offending iteration, checked by evaluating the program
        # there: a refusal always comes with a real witness.
        index = access.indices_at(first)[d]
        if not access.context.executes(first) or (
            0 <= index and (dynamic or index < size)
        ):
            raise isl.Error(
                f"isl's offending iteration {first} does not go out of bounds"
            )
        footprint = access.footprint()
        low, high = minimum(footprint, d, index), maximum(footprint, d, index)
        example = {
            loop.name_str: v for loop, v in zip(access.context.loops, first)
        }
        out.append(
            BoundsViolation(access, d, low, high, -1 if dynamic else size, example)
        )
    return out


def check_bounds(root: Operation) -> None:
    """Raise `LoopnestError` at the first access (program order) that can go
    out of bounds, or whose bounds cannot be decided."""
    for access in collect_accesses(root):
        violations = access_violations(access)
        if violations:
            raise LoopnestError(violations[0].message(), access.op)
