"""The loop-transformation core: plans, the driver, and the pass base class.

A loop transformation is a *primitive*: a function that takes the `ForOp`s
it works on (and its options), checks legality against the whole module,
and returns a `Plan` or raises `TransformationError`.  A plan is checked
but not applied; `Plan.apply(rewriter)` rewrites and returns what it
produced (the peeled loop and the rest, the new group loop, the loops in
their new order).  Primitives never look loops up: passes choose them by
name (`selection.py`), the transform dialect by handle
(`loopnest_transform_interpreter.py`).

Every client plans all its requests before it rewrites any (`apply_plans`),
so a refusal leaves the module exactly as it was.  Adding a transformation
is one file beside `peel_loops.py`: its primitive (check), its plan
(rewrite), its pass (a `LoopTransformationPass` choosing loops by name),
plus its registration in `xdsl_group/universe.py`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter

from xdsl_group.analysis.polyhedral import LoopContext, constant_trip_count
from xdsl_group.dialects.loopnest import ForOp
from xdsl_group.errors import TransformationError

ProducedT = TypeVar("ProducedT", covariant=True)


class Plan(ABC, Generic[ProducedT]):
    """A checked, not yet applied transformation of some loops."""

    @property
    @abstractmethod
    def anchor(self) -> ForOp:
        """The loop the rewrite is rooted at (the rewriter's current op)."""

    @property
    @abstractmethod
    def consumed(self) -> tuple[ForOp, ...]:
        """The loops the rewrite replaces or changes: references to them (or
        to anything inside them) held before may not mean the same after."""

    @abstractmethod
    def apply(self, rewriter: PatternRewriter) -> ProducedT:
        """Rewrite the IR; what the transformation produced."""


class LoopPlan(Plan[ProducedT], ABC):
    """A plan rooted at one loop, `self.loop` (a field of the subclass), which
    its rewrite replaces."""

    loop: ForOp

    @property
    def anchor(self) -> ForOp:
        return self.loop

    @property
    def consumed(self) -> tuple[ForOp, ...]:
        return (self.loop,)


class MarkPlan(LoopPlan[ForOp], ABC):
    """A plan that only marks `self.loop` (a field of the subclass): it
    replaces nothing, so every reference held before stays valid."""

    @property
    def consumed(self) -> tuple[ForOp, ...]:
        return ()


def apply_plans(plans: Sequence[Plan[ProducedT]]) -> list[ProducedT]:
    """Apply plans that were all checked first, in order.

    The plans of one request touch disjoint loops (each is planned on its
    own nest), so each applies where its anchor is now.
    """
    return [plan.apply(PatternRewriter(plan.anchor)) for plan in plans]


@dataclass(frozen=True)
class LoopTransformationPass(ModulePass, ABC):
    """A pass that chooses loops by its options and applies a primitive to
    them: `plan` checks every request on the whole module, then `apply_plans`
    rewrites.  Subclasses implement only `plan`."""

    @abstractmethod
    def plan(self, module: ModuleOp) -> Sequence[Plan[object]]:
        """Every plan the options ask for, all checked (or a refusal)."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        apply_plans(self.plan(op))


def trip_count(loop: ForOp, refusal: str) -> int:
    """`loop`'s trip count, the same for every iteration of the loops
    enclosing it, or a `TransformationError` "`refusal`: why not"."""
    trip = constant_trip_count(loop)
    if trip is not None:
        return trip
    bounds = loop.constant_bounds()
    if bounds is not None:
        # Constant bounds under an empty enclosing range: the loop never
        # runs, but its trip count is still that of its bounds.
        lb, ub = bounds
        return max(-(-(ub - lb) // loop.step_value), 0)
    if LoopContext.of(loop).domain().is_empty():
        raise TransformationError(
            f"{refusal}: it never runs (an enclosing loop has an empty range) and "
            "its bounds depend on enclosing loops, so it has no trip count",
            op=loop,
            loops=(loop,),
        )
    raise TransformationError(
        f"{refusal}: its trip count is not constant", op=loop, loops=(loop,)
    )
