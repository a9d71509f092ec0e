"""Static bounds checking of `loopnest` accesses, exact with isl.

For every access and every dimension of its memref, the set of values the
index takes over the access's iteration domain is computed exactly (bounds,
steps, floordiv and the coupling between loops included) and compared with
the dimension's extent.  A program is refused only if some iteration really
indexes outside the memref; a box over-approximation would also refuse
in-bounds triangular, strided or grouped nests.
"""

from __future__ import annotations

from dataclasses import dataclass

import islpy as isl
from xdsl.dialects.builtin import DYNAMIC_INDEX, MemRefType
from xdsl.ir import Operation, SSAValue

from xdsl_group.analysis.polyhedral import Access, collect_accesses
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


def _dim_values(footprint: isl.Set, dim: int, rank: int) -> isl.Set:
    """The projection of `footprint` on index `dim`."""
    s = footprint.project_out(isl.dim_type.set, dim + 1, rank - dim - 1)
    return s.project_out(isl.dim_type.set, 0, dim)


def access_violations(access: Access) -> list[BoundsViolation]:
    """Every dimension of `access` that leaves its memref's bounds."""
    memref_type = access.memref.type
    assert isinstance(memref_type, MemRefType)
    shape = memref_type.get_shape()
    rank = len(shape)
    relation = access.relation("A")
    footprint = relation.range()
    if footprint.is_empty():
        return []
    out: list[BoundsViolation] = []
    for d, size in enumerate(shape):
        values = _dim_values(footprint, d, rank)
        low = values.dim_min_val(0).to_python()
        high = values.dim_max_val(0).to_python()
        dynamic = size == DYNAMIC_INDEX
        if low >= 0 and (dynamic or high < size):
            continue
        # The first iteration (lexicographically) that is out of bounds.
        idx = ", ".join(f"x{k}" for k in range(rank))
        bad_cond = f"x{d} < 0" if dynamic else f"x{d} < 0 or x{d} >= {size}"
        bad = isl.Set(f"{{ A[{idx}] : {bad_cond} }}")
        first = relation.intersect_range(bad).domain().lexmin()
        example: dict[str, int] = {}
        point = first.sample_point()
        for k, loop in enumerate(access.context.loops):
            v = point.get_coordinate_val(isl.dim_type.set, k).to_python()
            example[loop.name_str] = v
        out.append(
            BoundsViolation(access, d, low, high, -1 if dynamic else size, example)
        )
    return out


def check_bounds(root: Operation) -> None:
    """Raise `LoopnestError` at the first access (program order) that can go
    out of bounds."""
    for access in collect_accesses(root):
        violations = access_violations(access)
        if violations:
            raise LoopnestError(violations[0].message(), access.op)
