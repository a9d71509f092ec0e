"""`unroll-loops`: replicate a loop's body, the induction variable shifted
in each copy, with a remainder loop when the factor does not divide the
trip count."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects.builtin import IndexType, IntegerAttr, ModuleOp, StringAttr
from xdsl.ir import Operation, SSAValue
from xdsl.ir.affine import AffineExpr
from xdsl.pattern_rewriter import PatternRewriter
from xdsl.rewriter import InsertPoint

from xdsl_group.analysis.loop_structure import body_ops, loops_named, names_on_path, require_known
from xdsl_group.dialects.loopnest import ForOp
from xdsl_group.errors import LoopnestError, TransformationError
from xdsl_group.transforms.core import LoopPlan, LoopTransformationPass, trip_count
from xdsl_group.transforms.loop_rewriting import check_affine_uses, shifted_bound, substitute_iv


@dataclass(frozen=True)
class Unrolled:
    """What an unroll leaves in place of the loop it was given."""

    loop: ForOp | None
    """The loop running `factor` copies per iteration; None when fully
    unrolled (the copies replace the loop)."""
    tail: ForOp | None
    """The remaining iterations when the factor does not divide the trip count."""


@dataclass(frozen=True)
class Unroll(LoopPlan[Unrolled]):
    """Unroll `loop` (trip count `trip`) by `factor` (`factor == trip`: fully)."""

    loop: ForOp
    factor: int
    trip: int
    tail_name: str

    def apply(self, rewriter: PatternRewriter) -> Unrolled:
        loop, f = self.loop, self.factor
        if f == 1 and self.trip > 1:
            return Unrolled(loop, None)
        step = loop.step_value
        iv = loop.induction_variable
        if f == self.trip:
            # Copy k runs iteration lb + k*step; the loop is gone.
            lb = loop.lower_bound.data.results[0]
            operands = list(loop.bound_operands)
            lb_expr = lb.replace_dims_and_symbols(
                [AffineExpr.dimension(k) for k in range(len(operands))], []
            )
            originals = body_ops(loop)
            for k in range(f):
                copies = _copy(originals, InsertPoint.before(loop), rewriter)
                substitute_iv(copies, iv, lb_expr + k * step, operands)
            rewriter.erase(loop)
            return Unrolled(None, None)
        tiles = self.trip // f
        end = shifted_bound(loop.lower_bound.data, tiles * f * step)
        tail: ForOp | None = None
        if self.trip % f:
            tail = loop.clone()
            tail.location = loop.location
            tail.properties["lower_bound"] = end
            tail.properties["loop_name"] = StringAttr(self.tail_name)
            if tail.induction_variable.name_hint == loop.name_str:
                tail.induction_variable.name_hint = self.tail_name
            rewriter.insert(tail, InsertPoint.after(loop))
        originals = body_ops(loop)
        terminator = loop.body.block.last_op
        assert terminator is not None
        for k in range(1, f):
            copies = _copy(originals, InsertPoint.before(terminator), rewriter)
            substitute_iv(copies, iv, AffineExpr.dimension(0) + k * step, [iv])
        loop.properties["upper_bound"] = end
        loop.properties["step"] = IntegerAttr(f * step, IndexType())
        return Unrolled(loop, tail)



def _copy(ops: list[Operation], at: InsertPoint, rewriter: PatternRewriter) -> list[Operation]:
    """Clone `ops` at `at`, in order, results of earlier clones feeding later ones."""
    mapper: dict[SSAValue, SSAValue] = {}
    copies = [op.clone(value_mapper=mapper) for op in ops]
    rewriter.insert(copies, at)
    return copies


def plan_unroll(loop: ForOp, factor: int) -> Unroll:
    """Unroll `loop` by `factor`; 0 (or a factor at least the trip count)
    unrolls it fully.  A remainder loop `<loop>_tail` takes the iterations
    the factor leaves over."""
    old = loop.name_str
    what = f"cannot unroll loop '{old}'"
    if factor < 0:
        raise TransformationError(
            f"{what} by {factor}: the factor must be 0 (fully) or positive",
            op=loop,
            loops=(loop,),
        )
    trip = trip_count(loop, what + (" fully" if factor == 0 else ""))
    check_affine_uses(loop, what)
    f = trip if factor == 0 or factor > trip else factor
    tail_name = f"{old}_tail"
    if f and trip % f and tail_name in names_on_path(loop):
        raise TransformationError(
            f"cannot name the remainder loop '{tail_name}': a loop of that name "
            f"already encloses or is inside loop '{old}'",
            op=loop,
            loops=(loop,),
        )
    return Unroll(loop, f, trip, tail_name)


@dataclass(frozen=True)
class UnrollLoopsPass(LoopTransformationPass):
    """Unroll every loop named `loop` by `factor`.

    `L` over `range(lb, ub, s)` with a constant trip count T: with
    `factor=F` (1 < F < T), `L` runs `range(lb, lb + (T//F)*F*s, F*s)` and
    its body holds F copies of the old body in order, copy k with every use
    of the induction variable `L` replaced by `L + k*s`; when F does not
    divide T, a remainder loop `L_tail` over `range(lb + (T//F)*F*s, ub, s)`
    follows with the old body.  `factor=0` (or F >= T) unrolls fully: the
    loop is replaced by T copies, copy k with `L` replaced by `lb + k*s`.
    `factor=1` changes nothing.  Execution order is unchanged, so unrolling
    is always legal; a `parallel` loop stays parallel (and its remainder).
    Refused: a missing or negative factor, a trip count that varies with
    enclosing loops (also for `factor=0`), an induction variable used other
    than in bounds and indices, an unknown loop.
    """

    name = "unroll-loops"

    loop: str = ""
    factor: int | None = None

    def plan(self, module: ModuleOp) -> list[Unroll]:
        if not self.loop:
            raise LoopnestError("unroll-loops needs loop=<name>")
        if self.factor is None:
            raise LoopnestError("unroll-loops needs factor=<copies, or 0 to unroll fully>")
        if self.factor < 0:
            raise LoopnestError(
                f"unroll-loops: factor must be 0 (fully) or positive, got {self.factor}"
            )
        require_known(module, [self.loop], "unroll-loops loop=")
        return [plan_unroll(target, self.factor) for target in loops_named(module, self.loop)]
