"""Lower `loopnest` to xDSL's `affine` dialect."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import affine, memref
from xdsl.dialects.builtin import AffineMapAttr, ModuleOp, UnitAttr
from xdsl.ir import Operation, SSAValue
from xdsl.ir.affine import AffineDimExpr, AffineMap
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)

from xdsl_group.analysis.affine_utils import compress_dims
from xdsl_group.dialects import loopnest
from xdsl_group.dialects.attributes import NAME_ATTR, PARALLEL_ATTR
from xdsl_group.lowering.runtime_checks import keep_proof
from xdsl_group.lowering.vectorize import lower_vector_loops


def _bound(m: AffineMap, operands) -> tuple[AffineMapAttr, list[SSAValue]]:
    m, ops = compress_dims(m, list(operands))
    return AffineMapAttr(m), ops


class LowerFor(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: loopnest.ForOp, rewriter: PatternRewriter):
        lb_map, lb_ops = _bound(op.lower_bound.data, op.bound_operands)
        ub_map, ub_ops = _bound(op.upper_bound.data, op.bound_operands)
        body = rewriter.move_region_contents_to_new_regions(op.body)
        yield_op = body.block.last_op
        assert isinstance(yield_op, loopnest.YieldOp)
        rewriter.replace(yield_op, affine.YieldOp.get())
        new = affine.ForOp.from_region(
            lb_ops, ub_ops, [], [], lb_map, ub_map, body, op.step.value.data
        )
        new.attributes[NAME_ATTR] = op.loop_name
        if op.is_parallel:
            new.attributes[PARALLEL_ATTR] = UnitAttr()
        rewriter.replace(op, new)


def _indices(
    rewriter: PatternRewriter, op: Operation, m: AffineMap, operands
) -> list[SSAValue]:
    """One index value per result: the IV itself, or an `affine.apply` over dims."""
    values: list[SSAValue] = []
    for expr in m.results:
        if isinstance(expr, AffineDimExpr):
            values.append(operands[expr.position])
            continue
        single, ops = compress_dims(AffineMap(m.num_dims, 0, (expr,)), list(operands))
        apply = affine.ApplyOp(ops, AffineMapAttr(single))
        rewriter.insert(apply, InsertPoint.before(op))
        values.append(apply.result)
    return values


@dataclass
class LowerAccess(RewritePattern):
    affine_accesses: bool

    def match_and_rewrite(self, op, rewriter: PatternRewriter, /):
        if isinstance(op, loopnest.LoadOp):
            if self.affine_accesses:
                new = affine.LoadOp(op.memref, op.indices, op.map)
            else:
                idx = _indices(rewriter, op, op.map.data, op.indices)
                new = memref.LoadOp.get(op.memref, idx)
            keep_proof(op, new)
            rewriter.replace(op, new)
        elif isinstance(op, loopnest.StoreOp):
            if self.affine_accesses:
                new = affine.StoreOp(op.value, op.memref, op.indices, op.map)
            else:
                idx = _indices(rewriter, op, op.map.data, op.indices)
                new = memref.StoreOp.get(op.value, op.memref, idx)
            keep_proof(op, new)
            rewriter.replace(op, new)


@dataclass(frozen=True)
class ConvertLoopnestToAffinePass(ModulePass):
    """Lower `loopnest` to the `affine` dialect.

    `loopnest.for` becomes `affine.for` with the same bound maps (over dims,
    unused dims dropped) and a `loopnest.name` attribute keeping the loop's
    name (and `loopnest.parallel` if it is marked `parallel`).  Accesses
    become `memref.load`/`memref.store` whose non-trivial indices are computed by `affine.apply` over dims: this form survives a
    print/parse round trip in xDSL and runs in its interpreter.  With
    `affine-accesses=true` they become `affine.load`/`affine.store` with dim
    maps instead (right for MLIR and in-memory pipelines; xDSL 0.74 re-parses
    their short textual form with symbols, which its own passes reject).
    A loop marked `vectorize(W)` becomes `vector` operations first
    (`xdsl_group.lowering.vectorize`).
    """

    name = "convert-loopnest-to-affine"

    affine_accesses: bool = False

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        lower_vector_loops(op)
        PatternRewriteWalker(
            GreedyRewritePatternApplier(
                [LowerAccess(self.affine_accesses), LowerFor()]
            ),
            apply_recursively=False,
        ).rewrite_module(op)
