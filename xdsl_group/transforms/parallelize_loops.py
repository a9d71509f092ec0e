"""`parallelize-loops`: mark a loop whose iterations may run concurrently."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects.builtin import ModuleOp
from xdsl.pattern_rewriter import PatternRewriter
from xdsl.traits import is_side_effect_free

from xdsl_group.analysis.dependences import carried_dependence
from xdsl_group.analysis.loop_structure import loops_named, require_known
from xdsl_group.dialects.loopnest import ForOp, LoadOp, StoreOp, YieldOp
from xdsl_group.errors import LoopnestError, TransformationError
from xdsl_group.transforms.core import LoopTransformationPass, MarkPlan

@dataclass(frozen=True)
class Parallelize(MarkPlan):
    """Mark `loop` parallel (checked: it carries no dependence)."""

    loop: ForOp

    def apply(self, rewriter: PatternRewriter) -> ForOp:
        self.loop.is_parallel = True
        return self.loop


def plan_parallelize(loop: ForOp) -> Parallelize:
    """Mark `loop` parallel if no two of its iterations (the enclosing loops'
    iterations equal) touch one element, one of them writing it, by the
    exact dependence analysis; reductions are refused (they would race)."""
    what = f"cannot parallelize loop '{loop.name_str}'"
    for op in loop.walk():
        if op is loop or isinstance(op, ForOp | YieldOp | LoadOp | StoreOp):
            continue
        if not is_side_effect_free(op):
            raise TransformationError(
                f"{what}: it contains '{op.name}', whose memory effects are unknown",
                op=loop,
                loops=(loop,),
            )
    carried = carried_dependence(loop)
    if carried is not None:
        raise TransformationError(
            f"{what}: it carries the {carried.describe()}", op=loop, loops=(loop,)
        )
    return Parallelize(loop)


@dataclass(frozen=True)
class ParallelizeLoopsPass(LoopTransformationPass):
    """Mark every loop named `loop` parallel (`loopnest.for L ... parallel`),
    after proving with the exact (isl) dependence analysis that it carries
    no dependence: for equal iterations of the enclosing loops, no two
    iterations of `L` touch one element with one of them writing it.  A
    reduction over `L` (`O[co] += ...` inside `L = ci`) is refused, as is a
    loop holding an op with unknown memory effects.  The marker only allows
    concurrent execution: `jit(..., threads=N)` uses it, every other backend
    runs the loop in order, with the same result.
    """

    name = "parallelize-loops"

    loop: str = ""

    def plan(self, module: ModuleOp) -> list[Parallelize]:
        if not self.loop:
            raise LoopnestError("parallelize-loops needs loop=<name>")
        require_known(module, [self.loop], "parallelize-loops loop=")
        return [plan_parallelize(target) for target in loops_named(module, self.loop)]
