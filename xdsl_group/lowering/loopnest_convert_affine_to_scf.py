"""Lower the `affine` ops the project produces to `scf` + `arith` + `memref`.

xDSL's `lower-affine` cannot lower an `affine.for` whose bound maps take
operands (every grouped loop has such bounds: `range(%g * 4, %g * 4 + 4)`);
this pass expands every affine expression into `arith` ops itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import affine, arith, memref, scf
from xdsl.dialects.builtin import IndexType, IntegerAttr, ModuleOp
from xdsl.ir import Operation, SSAValue
from xdsl.ir.affine import (
    AffineBinaryOpExpr,
    AffineBinaryOpKind,
    AffineConstantExpr,
    AffineDimExpr,
    AffineExpr,
    AffineMap,
    AffineSymExpr,
)
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.rewriter import InsertPoint

from xdsl_group.analysis.affine_utils import fold, pre_order
from xdsl_group.dialects.attributes import NAME_ATTR, PARALLEL_ATTR
from xdsl_group.errors import LoopnestError
from xdsl_group.lowering.llvm_common import rewrite_module
from xdsl_group.lowering.runtime_checks import carry_origin


class _Expander:
    """Emits `arith` ops computing affine expressions, before a fixed op."""

    def __init__(self, rewriter: PatternRewriter, before: Operation):
        self.rewriter = rewriter
        self.op = before
        self.point = InsertPoint.before(before)
        self.constants: dict[int, SSAValue] = {}
        # Bounds of one loop share subexpressions (`g * 4` in `[g * 4, g * 4 + 4)`).
        self.memo: dict[tuple[AffineExpr, tuple[SSAValue, ...], tuple[SSAValue, ...]], SSAValue]
        self.memo = {}

    def _emit(self, op: Operation) -> SSAValue:
        self.rewriter.insert(op, self.point)
        return op.results[0]

    def constant(self, value: int) -> SSAValue:
        if value not in self.constants:
            self.constants[value] = self._emit(
                arith.ConstantOp(IntegerAttr(value, IndexType()))
            )
        return self.constants[value]

    def expr(
        self, e: AffineExpr, dims: list[SSAValue], syms: list[SSAValue]
    ) -> SSAValue:
        for node in pre_order(e):
            if (
                isinstance(node, AffineBinaryOpExpr)
                and node.kind not in (AffineBinaryOpKind.Add, AffineBinaryOpKind.Mul)
                and isinstance(node.rhs, AffineConstantExpr)
                and node.rhs.value == 0
            ):
                # xDSL parses divisors as constants only; zero would trap.
                raise LoopnestError(f"'{node}' divides by zero", self.op)
        key_of = lambda node: (node, tuple(dims), tuple(syms))  # noqa: E731

        def leaf(node: AffineExpr) -> SSAValue:
            match node:
                case AffineConstantExpr(value=v):
                    return self.constant(v)
                case AffineDimExpr(position=p):
                    return dims[p]
                case AffineSymExpr(position=p):
                    return syms[p]
            raise LoopnestError(f"cannot lower affine expression '{node}'")

        def binary(node: AffineBinaryOpExpr, a: SSAValue, b: SSAValue) -> SSAValue:
            key = key_of(node)
            if key not in self.memo:
                self.memo[key] = self._binary(node.kind, a, b)
            return self.memo[key]

        return fold(e, leaf, binary)

    def _binary(self, kind: AffineBinaryOpKind, a: SSAValue, b: SSAValue) -> SSAValue:
        if kind == AffineBinaryOpKind.Add:
            return self._emit(arith.AddiOp(a, b))
        if kind == AffineBinaryOpKind.Mul:
            return self._emit(arith.MuliOp(a, b))
        if kind == AffineBinaryOpKind.FloorDiv:
            return self._emit(arith.FloorDivSIOp(a, b))
        if kind == AffineBinaryOpKind.CeilDiv:
            return self._emit(arith.CeilDivSIOp(a, b))
        # Affine `mod` is never negative (the divisor is positive).
        r = self._emit(arith.RemSIOp(a, b))
        zero = self.constant(0)
        neg = self._emit(arith.CmpiOp(r, zero, "slt"))
        shifted = self._emit(arith.AddiOp(r, b))
        return self._emit(arith.SelectOp(neg, shifted, r))

    def single(self, m: AffineMap, operands, op: Operation) -> SSAValue:
        check_operands(m, operands, op)
        if len(m.results) != 1:
            raise LoopnestError(
                f"bound map {m} has {len(m.results)} results; only single-result "
                "maps (no min/max bounds) are supported",
                op,
            )
        dims = list(operands[: m.num_dims])
        syms = list(operands[m.num_dims :])
        return self.expr(m.results[0], dims, syms)


def check_operands(m: AffineMap, operands, op: Operation) -> None:
    """A map's operands are its dims then its symbols (xDSL 0.74 does not
    verify their number on `affine.load`/`store`)."""
    if len(operands) != m.num_dims + m.num_symbols:
        raise LoopnestError(
            f"map {m} takes {m.num_dims} dims and {m.num_symbols} symbols but "
            f"{len(operands)} operands are given",
            op,
        )


class LowerAffineFor(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: affine.ForOp, rewriter: PatternRewriter):
        if op.inits:
            raise LoopnestError("affine.for with iter_args is not supported", op)
        n_lb = op.lowerBoundMap.data.num_dims + op.lowerBoundMap.data.num_symbols
        lb_ops = op.lowerBoundOperands
        ub_ops = op.upperBoundOperands
        assert len(lb_ops) == n_lb
        if op.step.value.data <= 0:
            raise LoopnestError(f"step {op.step.value.data} is not positive", op)
        ex = _Expander(rewriter, op)
        lb = ex.single(op.lowerBoundMap.data, lb_ops, op)
        ub = ex.single(op.upperBoundMap.data, ub_ops, op)
        step = ex.constant(op.step.value.data)
        body = rewriter.move_region_contents_to_new_regions(op.body)
        terminator = body.block.last_op
        assert isinstance(terminator, affine.YieldOp)
        rewriter.replace(terminator, scf.YieldOp())
        new = scf.ForOp(lb, ub, step, [], body)
        for kept in (NAME_ATTR, PARALLEL_ATTR):
            if (value := op.attributes.get(kept)) is not None:
                new.attributes[kept] = value
        rewriter.replace(op, new)


class LowerAffineApply(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: affine.ApplyOp, rewriter: PatternRewriter):
        m = op.map.data
        value = _Expander(rewriter, op).single(m, op.mapOperands, op)
        rewriter.replace(op, [], [value])


def _access_indices(
    rewriter: PatternRewriter, op: Operation, m: AffineMap, operands
) -> list[SSAValue]:
    check_operands(m, operands, op)
    rank = len(op.memref.type.get_shape())  # pyright: ignore
    if len(m.results) != rank:
        raise LoopnestError(
            f"map {m} gives {len(m.results)} indices for a memref of rank {rank}", op
        )
    ex = _Expander(rewriter, op)
    dims = list(operands[: m.num_dims])
    syms = list(operands[m.num_dims :])
    return [ex.expr(e, dims, syms) for e in m.results]


class LowerAffineLoad(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: affine.LoadOp, rewriter: PatternRewriter):
        assert op.map is not None
        idx = _access_indices(rewriter, op, op.map.data, op.indices)
        new = memref.LoadOp.get(op.memref, idx)
        carry_origin(op, new)
        rewriter.replace(op, new)


class LowerAffineStore(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: affine.StoreOp, rewriter: PatternRewriter):
        assert op.map is not None
        idx = _access_indices(rewriter, op, op.map.data, op.indices)
        new = memref.StoreOp.get(op.value, op.memref, idx)
        carry_origin(op, new)
        rewriter.replace(op, new)


class RefuseOtherAffine(RewritePattern):
    """Any affine op left over (if, min, max, parallel, ...) is refused by name."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /):
        if op.dialect_name() == "affine" and not isinstance(
            op, affine.ForOp | affine.ApplyOp | affine.LoadOp | affine.StoreOp | affine.YieldOp
        ):
            raise LoopnestError(
                f"unsupported op '{op.name}': loopnest-convert-affine-to-scf lowers "
                "affine.for/apply/load/store only",
                op,
            )


@dataclass(frozen=True)
class ConvertAffineToScfPass(ModulePass):
    """Lower `affine.for`, `affine.apply`, `affine.load`/`store` to `scf`/`arith`/`memref`.

    Bound maps may take dims and symbols (unlike xDSL's `lower-affine`); each
    affine expression becomes `arith` index arithmetic (`floordiv`/`ceildiv`
    become `arith.floordivsi`/`ceildivsi`, `mod` a remainder made
    non-negative).  A loop's `loopnest.name` and `loopnest.parallel`
    attributes are kept on its `scf.for`.  Other affine ops (`affine.if`,
    `min`, `max`, `parallel`) are refused with an error naming the op.
    """

    name = "loopnest-convert-affine-to-scf"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        rewrite_module(
            op,
            [
                RefuseOtherAffine(),
                LowerAffineFor(),
                LowerAffineApply(),
                LowerAffineLoad(),
                LowerAffineStore(),
            ],
            recursive=True,
        )
