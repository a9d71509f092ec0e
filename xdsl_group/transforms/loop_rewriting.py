"""Rewriting helpers shared by the transformations that copy or re-index
loop bodies (`split-loops`, `unroll-loops`).

An induction variable is used only as a dim of affine maps: the bounds of
inner loops and the indices of loads and stores.  Substituting it by an
affine expression therefore rewrites those maps, and never needs an op that
computes the value.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from xdsl.dialects.builtin import AffineMapAttr
from xdsl.ir import Operation, SSAValue
from xdsl.ir.affine import AffineExpr, AffineMap

from xdsl_group.analysis.affine_utils import compress_dims
from xdsl_group.dialects.loopnest import ForOp, LoadOp, StoreOp
from xdsl_group.errors import TransformationError


def check_affine_uses(loop: ForOp, refusal: str) -> None:
    """Refuse when `loop`'s induction variable feeds an op other than a
    loop bound or an access index (it could not be re-indexed by maps)."""
    for use in loop.induction_variable.uses:
        user = use.operation
        if not isinstance(user, ForOp | LoadOp | StoreOp) or (
            isinstance(user, LoadOp | StoreOp) and use.index < len(user.operands) - len(user.indices)
        ):
            raise TransformationError(
                f"{refusal}: its induction variable is used by '{user.name}', "
                "not only by loop bounds and access indices",
                op=loop,
                loops=(loop,),
            )


def _rewrite_map(
    m: AffineMap,
    operands: Sequence[SSAValue],
    iv: SSAValue,
    expr: AffineExpr,
    expr_operands: Sequence[SSAValue],
) -> tuple[AffineMap, list[SSAValue]]:
    new_operands = [v for v in operands if v is not iv]
    for v in expr_operands:
        if v not in new_operands:
            new_operands.append(v)
    shifted = expr.replace_dims_and_symbols(
        [AffineExpr.dimension(new_operands.index(v)) for v in expr_operands], []
    )
    dims = [shifted if v is iv else AffineExpr.dimension(new_operands.index(v)) for v in operands]
    return compress_dims(
        m.replace_dims_and_symbols(dims, [], len(new_operands), 0), new_operands
    )


def substitute_iv(
    ops: Iterable[Operation],
    iv: SSAValue,
    expr: AffineExpr,
    expr_operands: Sequence[SSAValue],
) -> None:
    """Replace `iv` by `expr` (dims bound to `expr_operands`) in every loop
    bound and access index of `ops` and the ops nested in them."""
    for root in ops:
        for op in root.walk():
            if isinstance(op, ForOp) and iv in op.bound_operands:
                operands = list(op.bound_operands)
                lb, new = _rewrite_map(op.lower_bound.data, operands, iv, expr, expr_operands)
                ub, new_ub = _rewrite_map(op.upper_bound.data, operands, iv, expr, expr_operands)
                # Both bounds over one operand list: rebuild over the union.
                lb, ub, new = _over_union(lb, new, ub, new_ub)
                op.properties["lower_bound"] = AffineMapAttr(lb)
                op.properties["upper_bound"] = AffineMapAttr(ub)
                op.operands = new
            elif isinstance(op, LoadOp | StoreOp) and iv in op.indices:
                m, new = _rewrite_map(op.map.data, list(op.indices), iv, expr, expr_operands)
                op.properties["map"] = AffineMapAttr(m)
                head = list(op.operands)[: len(op.operands) - len(op.indices)]
                op.operands = [*head, *new]


def _over_union(
    a: AffineMap, a_ops: list[SSAValue], b: AffineMap, b_ops: list[SSAValue]
) -> tuple[AffineMap, AffineMap, list[SSAValue]]:
    union = list(a_ops) + [v for v in b_ops if v not in a_ops]
    n = len(union)

    def onto(m: AffineMap, ops: list[SSAValue]) -> AffineMap:
        return m.replace_dims_and_symbols(
            [AffineExpr.dimension(union.index(v)) for v in ops], [], n, 0
        )

    return onto(a, a_ops), onto(b, b_ops), union


def shifted_bound(m: AffineMap, offset: int) -> AffineMapAttr:
    """`m + offset` (a single-result bound map)."""
    return AffineMapAttr(AffineMap(m.num_dims, 0, (m.results[0] + offset,)))
