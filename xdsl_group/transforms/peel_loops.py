"""`peel-loops`: split the first (or last) iterations of a loop off into a
loop of their own."""

from __future__ import annotations

from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects.builtin import AffineMapAttr, ModuleOp, StringAttr
from xdsl.ir import Operation
from xdsl.ir.affine import AffineMap
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint
from xdsl.utils.arg_spec import ArgSpec

from xdsl_group.analysis.loop_structure import loops_named, names_on_path, require_known
from xdsl_group.analysis.polyhedral import constant_trip_count
from xdsl_group.dialects.loopnest import ForOp
from xdsl_group.errors import LoopnestError
from xdsl_group.transforms._options import name_option_as


@dataclass(frozen=True)
class Peel:
    """Split `loop` after its first `first` iterations."""

    loop: ForOp
    first: int
    peeled_first: bool
    new_name: str


def plan_peel(
    module: Operation, loop: str, count: int, side: str, name: str
) -> list[Peel]:
    """Check the request on every matching loop; the peels to apply."""
    if not loop:
        raise LoopnestError("peel-loops needs loop=<name>")
    if side not in ("front", "back"):
        raise LoopnestError(f"peel-loops: side must be 'front' or 'back', got '{side}'")
    new_name = name or f"{loop}_peel"
    if new_name == loop:
        raise LoopnestError(f"peel-loops: the peeled loop needs a name other than '{loop}'")
    require_known(module, [loop], "peel-loops loop=")
    plans: list[Peel] = []
    for target in loops_named(module, loop):
        if count <= 0:
            raise LoopnestError(
                f"cannot peel {count} iterations: count must be positive", op=target
            )
        trip = constant_trip_count(target)
        if trip is None:
            raise LoopnestError(
                f"cannot peel loop '{loop}': its trip count is not constant",
                op=target,
            )
        if count >= trip:
            raise LoopnestError(
                f"cannot peel {count} iterations of loop '{loop}': it runs {trip} "
                f"times, so nothing would remain",
                op=target,
            )
        if new_name in names_on_path(target):
            raise LoopnestError(
                f"cannot name the peeled loop '{new_name}': a loop of that name "
                f"already encloses or is inside loop '{loop}'",
                op=target,
            )
        first = count if side == "front" else trip - count
        plans.append(Peel(target, first, side == "front", new_name))
    return plans


def _shifted(m: AffineMap, offset: int) -> AffineMapAttr:
    return AffineMapAttr(AffineMap(m.num_dims, 0, (m.results[0] + offset,)))


def peel(rewriter: PatternRewriter, plan: Peel) -> None:
    loop = plan.loop
    old_name = loop.name_str
    lb = loop.lower_bound.data
    split = _shifted(lb, plan.first * loop.step_value)
    head = loop.clone()
    head.location = loop.location
    head.properties["upper_bound"] = split
    loop.properties["lower_bound"] = split
    # The remainder keeps the loop's name, so later passes can target it.
    peeled = head if plan.peeled_first else loop
    peeled.properties["loop_name"] = StringAttr(plan.new_name)
    if peeled.induction_variable.name_hint == old_name:
        peeled.induction_variable.name_hint = plan.new_name
    rewriter.insert(head, InsertPoint.before(loop))


@dataclass
class PeelPattern(RewritePattern):
    """Applies the planned peel of the matched loop."""

    plans: dict[int, Peel] = field(default_factory=dict)

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: ForOp, rewriter: PatternRewriter) -> None:
        plan = self.plans.pop(id(op), None)
        if plan is not None:
            peel(rewriter, plan)


@dataclass(frozen=True)
class PeelLoopsPass(ModulePass):
    """Peel `count` iterations off every loop named `loop`.

    A loop `L` over `range(lb, ub, s)` with a constant trip count T becomes two
    consecutive loops with cloned bodies: with `side=front` (default) the
    peeled loop runs the first `count` iterations `range(lb, lb + count*s, s)`
    and `L` the rest `range(lb + count*s, ub, s)`; with `side=back`, `L` runs
    `range(lb, lb + (T-count)*s, s)` and the peeled loop the last `count`
    iterations.  The remainder keeps the name `L`; the peeled loop is called
    `name` (default `L_peel`).  Execution order is unchanged, so peeling is
    always legal.  Refused: `count <= 0`, `count >=` the trip count, a trip
    count that varies with enclosing loops, an unknown loop, a peeled-loop
    name already used on the loop's path.
    """

    name = "peel-loops"

    loop: str = ""
    count: int = 0
    side: str = "front"
    new_name: str = ""
    """Name of the peeled loop, spelled `name=` in pass options."""

    @classmethod
    def from_spec(cls, spec: ArgSpec) -> PeelLoopsPass:
        return super().from_spec(name_option_as(spec, "new_name"))

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        plans = plan_peel(op, self.loop, self.count, self.side, self.new_name)
        pattern = PeelPattern({id(p.loop): p for p in plans})
        PatternRewriteWalker(pattern, apply_recursively=False).rewrite_module(op)
