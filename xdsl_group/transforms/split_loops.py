"""`split-loops`: tile one loop into an outer loop over tiles and an inner
loop over the iterations of a tile, with a tail loop for the remainder."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects.builtin import IndexType, IntegerAttr, ModuleOp, StringAttr
from xdsl.ir.affine import AffineExpr, AffineMap
from xdsl.pattern_rewriter import PatternRewriter
from xdsl.rewriter import InsertPoint
from xdsl.utils.arg_spec import ArgSpec

from xdsl_group.analysis.loop_structure import body_ops, loops_named, names_on_path, require_known
from xdsl_group.dialects.loopnest import ForOp
from xdsl_group.errors import LoopnestError, TransformationError
from xdsl_group.transforms._options import name_option_as
from xdsl_group.transforms.core import LoopPlan, LoopTransformationPass, trip_count
from xdsl_group.transforms.loop_rewriting import shifted_bound


@dataclass(frozen=True)
class SplitResult:
    """The loops a split leaves in place of the loop it was given."""

    outer: ForOp
    """The loop over whole tiles (the given loop, with a larger step)."""
    inner: ForOp
    """The loop over the iterations of one tile, directly inside `outer`."""
    tail: ForOp | None
    """The remaining iterations when the factor does not divide the trip count."""


@dataclass(frozen=True)
class Split(LoopPlan[SplitResult]):
    """Split `loop` (trip count `trip`) into tiles of `factor` iterations."""

    loop: ForOp
    factor: int
    trip: int
    inner_name: str
    tail_name: str

    def apply(self, rewriter: PatternRewriter) -> SplitResult:
        loop, f = self.loop, self.factor
        step = loop.step_value
        tiles = self.trip // f
        lb = loop.lower_bound.data
        end = shifted_bound(lb, tiles * f * step)
        tail: ForOp | None = None
        if self.trip % f:
            # The remainder runs after the tiles, as a copy of the loop.
            tail = loop.clone()
            tail.location = loop.location
            tail.properties["lower_bound"] = end
            tail.properties["loop_name"] = StringAttr(self.tail_name)
            if tail.induction_variable.name_hint == loop.name_str:
                tail.induction_variable.name_hint = self.tail_name
            rewriter.insert(tail, InsertPoint.after(loop))
        iv = loop.induction_variable
        tile = AffineMap(1, 0, (AffineExpr.dimension(0),))
        inner = ForOp(
            self.inner_name,
            tile,
            AffineMap(1, 0, (AffineExpr.dimension(0) + f * step,)),
            [iv],
            step,
        )
        inner.location = loop.location
        block = inner.body.block
        for op in body_ops(loop):
            op.detach()
            block.insert_op_before(op, block.last_op)
        iv.replace_uses_with_if(inner.induction_variable, lambda use: use.operation is not inner)
        loop.body.block.insert_op_before(inner, loop.body.block.last_op)
        loop.properties["upper_bound"] = end
        loop.properties["step"] = IntegerAttr(f * step, IndexType())
        return SplitResult(loop, inner, tail)


def plan_split(loop: ForOp, factor: int, name: str = "", tail_name: str = "") -> Split:
    """Split `loop` into tiles of `factor` iterations; the inner loop is
    called `name` (default `<loop>_i`), the tail `tail_name` (default
    `<loop>_tail`)."""
    old = loop.name_str
    inner_name = name or f"{old}_i"
    tail = tail_name or f"{old}_tail"
    what = f"cannot split loop '{old}'"
    if factor < 1:
        raise TransformationError(
            f"{what} by {factor}: the factor must be positive", op=loop, loops=(loop,)
        )
    for role, new in (("inner", inner_name), ("tail", tail)):
        if new == old:
            raise TransformationError(
                f"{what}: the {role} loop needs a name other than '{old}'", op=loop, loops=(loop,)
            )
    if inner_name == tail:
        raise TransformationError(
            f"{what}: the inner and the tail loop need different names, both are '{tail}'",
            op=loop,
            loops=(loop,),
        )
    trip = trip_count(loop, what)
    if factor > trip:
        raise TransformationError(
            f"{what} by {factor}: it runs {trip} times, fewer than one tile",
            op=loop,
            loops=(loop,),
        )
    taken = names_on_path(loop)
    for role, new in (("inner", inner_name), ("tail", tail)):
        if new in taken and (role == "inner" or trip % factor):
            raise TransformationError(
                f"cannot name the {role} loop '{new}': a loop of that name already "
                f"encloses or is inside loop '{old}'",
                op=loop,
                loops=(loop,),
            )
    return Split(loop, factor, trip, inner_name, tail)


@dataclass(frozen=True)
class SplitLoopsPass(LoopTransformationPass):
    """Split every loop named `loop` into tiles of `factor` iterations.

    `L` over `range(lb, ub, s)` with a constant trip count T becomes `L` over
    `range(lb, lb + (T//F)*F*s, F*s)` with, as its only body operation, a
    new loop `name` (default `L_i`) over `range(L, L + F*s, s)` holding the
    old body; when F does not divide T, a tail loop `tail_name` (default
    `L_tail`) over `range(lb + (T//F)*F*s, ub, s)` follows with a copy of
    the body.  Execution order is unchanged, so splitting is always legal.
    A `parallel` loop stays parallel and so does its tail (both run disjoint
    iterations of it); the inner loop is not marked.  Refused: a missing or
    non-positive factor, a factor above the trip count, a trip count that
    varies with enclosing loops, an unknown loop, a new name already used
    on the loop's path.
    """

    name = "split-loops"

    loop: str = ""
    factor: int | None = None
    new_name: str = ""
    """Name of the inner loop, spelled `name=` in pass options."""
    tail_name: str = ""

    @classmethod
    def from_spec(cls, spec: ArgSpec) -> SplitLoopsPass:
        return super().from_spec(name_option_as(spec, "new_name"))

    def plan(self, module: ModuleOp) -> list[Split]:
        if not self.loop:
            raise LoopnestError("split-loops needs loop=<name>")
        if self.factor is None:
            raise LoopnestError("split-loops needs factor=<iterations per tile>")
        if self.factor < 1:
            raise LoopnestError(f"split-loops: factor must be positive, got {self.factor}")
        require_known(module, [self.loop], "split-loops loop=")
        return [
            plan_split(target, self.factor, self.new_name, self.tail_name)
            for target in loops_named(module, self.loop)
        ]


