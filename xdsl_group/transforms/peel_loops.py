"""`peel-loops`: split the first (or last) iterations of a loop off into a
loop of their own."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects.builtin import AffineMapAttr, ModuleOp, StringAttr
from xdsl.ir.affine import AffineMap
from xdsl.pattern_rewriter import PatternRewriter
from xdsl.rewriter import InsertPoint
from xdsl.utils.arg_spec import ArgSpec

from xdsl_group.analysis.loop_structure import loops_named, names_on_path, require_known
from xdsl_group.dialects.loopnest import ForOp
from xdsl_group.errors import LoopnestError, TransformationError
from xdsl_group.transforms._options import name_option_as
from xdsl_group.transforms.core import LoopPlan, LoopTransformationPass, trip_count

SIDES = ("front", "back")


@dataclass(frozen=True)
class Peeled:
    """The two loops a peel leaves, in place of the one it was given."""

    peeled: ForOp
    """The `count` iterations peeled off, under the new name."""
    rest: ForOp
    """The remaining iterations, under the loop's name."""


@dataclass(frozen=True)
class Peel(LoopPlan[Peeled]):
    """Split `loop` after its first `first` iterations."""

    loop: ForOp
    first: int
    peeled_first: bool
    new_name: str

    def apply(self, rewriter: PatternRewriter) -> Peeled:
        loop = self.loop
        old_name = loop.name_str
        split = _shifted(loop.lower_bound.data, self.first * loop.step_value)
        head = loop.clone()
        head.location = loop.location
        head.properties["upper_bound"] = split
        loop.properties["lower_bound"] = split
        # The remainder keeps the loop's name, so later passes can target it.
        peeled, rest = (head, loop) if self.peeled_first else (loop, head)
        peeled.properties["loop_name"] = StringAttr(self.new_name)
        if peeled.induction_variable.name_hint == old_name:
            peeled.induction_variable.name_hint = self.new_name
        rewriter.insert(head, InsertPoint.before(loop))
        return Peeled(peeled, rest)


def _shifted(m: AffineMap, offset: int) -> AffineMapAttr:
    return AffineMapAttr(AffineMap(m.num_dims, 0, (m.results[0] + offset,)))


def plan_peel(loop: ForOp, count: int, side: str = "front", name: str = "") -> Peel:
    """Peel `count` iterations off the front or back of `loop`; the peeled
    loop is called `name` (default `<loop>_peel`)."""
    old = loop.name_str
    new_name = name or f"{old}_peel"
    if side not in SIDES:
        raise TransformationError(
            f"cannot peel loop '{old}': side must be 'front' or 'back', got '{side}'",
            op=loop,
        )
    if new_name == old:
        raise TransformationError(
            f"cannot peel loop '{old}': the peeled loop needs a name other than '{old}'",
            op=loop,
        )
    if count <= 0:
        raise TransformationError(
            f"cannot peel {count} iterations: count must be positive", op=loop, loops=(loop,)
        )
    trip = trip_count(loop, f"cannot peel loop '{old}'")
    if count >= trip:
        raise TransformationError(
            f"cannot peel {count} iterations of loop '{old}': it runs {trip} "
            f"times, so nothing would remain",
            op=loop,
            loops=(loop,),
        )
    if new_name in names_on_path(loop):
        raise TransformationError(
            f"cannot name the peeled loop '{new_name}': a loop of that name "
            f"already encloses or is inside loop '{old}'",
            op=loop,
            loops=(loop,),
        )
    first = count if side == "front" else trip - count
    return Peel(loop, first, side == "front", new_name)


@dataclass(frozen=True)
class PeelLoopsPass(LoopTransformationPass):
    """Peel `count` iterations off every loop named `loop`.

    A loop `L` over `range(lb, ub, s)` with a constant trip count T becomes two
    consecutive loops with cloned bodies: with `side=front` (default) the
    peeled loop runs the first `count` iterations `range(lb, lb + count*s, s)`
    and `L` the rest `range(lb + count*s, ub, s)`; with `side=back`, `L` runs
    `range(lb, lb + (T-count)*s, s)` and the peeled loop the last `count`
    iterations.  The remainder keeps the name `L`; the peeled loop is called
    `name` (default `L_peel`).  Execution order is unchanged, so peeling is
    always legal.  Refused: a missing `count`, `count <= 0`, `count >=` the
    trip count, a trip count that varies with enclosing loops, an unknown
    loop, a peeled-loop name already used on the loop's path.
    """

    name = "peel-loops"

    loop: str = ""
    count: int | None = None
    side: str = "front"
    new_name: str = ""
    """Name of the peeled loop, spelled `name=` in pass options."""

    @classmethod
    def from_spec(cls, spec: ArgSpec) -> PeelLoopsPass:
        return super().from_spec(name_option_as(spec, "new_name"))

    def plan(self, module: ModuleOp) -> list[Peel]:
        if not self.loop:
            raise LoopnestError("peel-loops needs loop=<name>")
        if self.count is None:
            raise LoopnestError("peel-loops needs count=<iterations to peel>")
        if self.side not in SIDES:
            raise LoopnestError(f"peel-loops: side must be 'front' or 'back', got '{self.side}'")
        if (self.new_name or f"{self.loop}_peel") == self.loop:
            raise LoopnestError(
                f"peel-loops: the peeled loop needs a name other than '{self.loop}'"
            )
        require_known(module, [self.loop], "peel-loops loop=")
        return [
            plan_peel(target, self.count, self.side, self.new_name)
            for target in loops_named(module, self.loop)
        ]
