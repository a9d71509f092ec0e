"""`interchange-loops`: permute the loops of a perfectly nested band."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, SSAValue
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.passes import ModulePass
from xdsl.traits import is_side_effect_free

from xdsl_group.analysis.dependences import permutation_violation
from xdsl_group.analysis.loop_structure import (
    body_ops,
    is_ancestor,
    join_names,
    loops_named,
    perfect_chain,
    require_known,
    sole_child_loop,
)
from xdsl_group.dialects.loopnest import ForOp, LoadOp, StoreOp, YieldOp, enclosing_loops
from xdsl_group.errors import LoopnestError


@dataclass(frozen=True)
class BandPermutation:
    """Run the perfectly nested `band` (outermost first) in `order`."""

    band: tuple[ForOp, ...]
    order: tuple[ForOp, ...]


def _pair_bands(module: Operation, a: str, b: str) -> list[tuple[ForOp, ...]]:
    """Bands from a loop named `a` to a loop named `b` (either encloses the
    other); refuses a pair that is not perfectly nested."""
    bands: list[tuple[ForOp, ...]] = []
    for loop_a in loops_named(module, a):
        for loop_b in loops_named(module, b):
            if is_ancestor(loop_a, loop_b):
                outer, inner = loop_a, loop_b
            elif is_ancestor(loop_b, loop_a):
                outer, inner = loop_b, loop_a
            else:
                continue
            chain = [outer]
            while chain[-1] is not inner:
                child = sole_child_loop(chain[-1])
                if child is None:
                    raise LoopnestError(
                        f"cannot interchange loops '{a}' and '{b}': they are not "
                        f"perfectly nested (the body of loop '{chain[-1].name_str}' "
                        "holds more than the next loop)",
                        op=chain[-1],
                    )
                chain.append(child)
            bands.append(tuple(chain))
    if not bands:
        raise LoopnestError(
            f"cannot interchange loops '{a}' and '{b}': neither encloses the other "
            "anywhere in the module",
            op=loops_named(module, a)[0],
        )
    return bands


def _order_bands(module: Operation, order: Sequence[str]) -> list[tuple[ForOp, ...]]:
    """Bands made of exactly the loops named in `order`, perfectly nested."""
    wanted = set(order)
    bands: list[tuple[ForOp, ...]] = []
    tops = [
        op
        for op in module.walk()
        if isinstance(op, ForOp)
        and op.name_str in wanted
        and not any(o.name_str in wanted for o in enclosing_loops(op))
    ]
    for top in tops:
        below = {op.name_str for op in top.walk() if isinstance(op, ForOp)}
        if not wanted <= below:
            continue  # this nest does not hold the whole band: left alone
        chain = perfect_chain(top, len(order))
        if chain is None or {l.name_str for l in chain} != wanted:
            names = [top.name_str]
            loop = top
            while (child := sole_child_loop(loop)) is not None and child.name_str in wanted:
                names.append(child.name_str)
                loop = child
            raise LoopnestError(
                f"cannot reorder loops {join_names(order)}: they do not form a "
                f"perfectly nested band (the band from loop '{top.name_str}' is "
                f"{join_names(names)})",
                op=loop,
            )
        bands.append(tuple(chain))
    if not bands:
        raise LoopnestError(
            f"cannot reorder loops {join_names(order)}: no nest in the module "
            "contains all of them",
            op=tops[0] if tops else None,
        )
    return bands


def _check_structure(band: Sequence[ForOp], order: Sequence[ForOp]) -> None:
    """After the permutation every loop's bounds may use enclosing loops only."""
    for p, loop in enumerate(order):
        outer_after = {l.induction_variable for l in order[:p]}
        for v in loop.bound_operands:
            user = next((l for l in band if l.induction_variable is v), None)
            if user is not None and v not in outer_after:
                raise LoopnestError(
                    f"cannot move loop '{loop.name_str}' outside loop "
                    f"'{user.name_str}': its bounds use the induction variable of "
                    f"'{user.name_str}'",
                    op=loop,
                )


def _check_effects(band: Sequence[ForOp]) -> None:
    for op in band[0].walk():
        if op is band[0] or isinstance(op, ForOp | YieldOp | LoadOp | StoreOp):
            continue
        if not is_side_effect_free(op):
            raise LoopnestError(
                f"cannot permute loops {join_names([l.name_str for l in band])}: the "
                f"nest contains '{op.name}', whose memory effects are unknown",
                op=band[0],
            )


def plan_interchange(
    module: Operation, loops: Sequence[str], order: Sequence[str], strict: bool
) -> list[BandPermutation]:
    """Check a request on the whole module; the permutations to apply."""
    if bool(loops) == bool(order):
        raise LoopnestError(
            "interchange-loops takes either loops=A,B (swap two loops) or "
            "order=L1,L2,... (a permutation of a band)"
        )
    names = list(loops or order)
    option = "loops" if loops else "order"
    if loops and len(loops) != 2:
        raise LoopnestError(f"interchange-loops: loops= takes two loop names, got {len(loops)}")
    if len(set(names)) != len(names) or len(names) < 2:
        raise LoopnestError(
            f"interchange-loops: {option}= must name at least two distinct loops"
        )
    require_known(module, names, f"interchange-loops {option}=")
    plans: list[BandPermutation] = []
    if loops:
        for band in _pair_bands(module, loops[0], loops[1]):
            new = list(band)
            new[0], new[-1] = band[-1], band[0]
            plans.append(BandPermutation(band, tuple(new)))
    else:
        for band in _order_bands(module, order):
            by_name = {l.name_str: l for l in band}
            plans.append(BandPermutation(band, tuple(by_name[n] for n in order)))
    plans = [p for p in plans if any(a is not b for a, b in zip(p.band, p.order))]
    for plan in plans:
        _check_structure(plan.band, plan.order)
        _check_effects(plan.band)
        violation = permutation_violation(plan.band, plan.order, strict)
        if violation is not None:
            moved = [l.name_str for l, n in zip(plan.band, plan.order) if l is not n]
            raise LoopnestError(
                f"cannot permute loops {join_names(moved)}: it would reverse the "
                f"{violation.describe()}",
                op=plan.band[0],
            )
    return plans


def permute_band(rewriter: PatternRewriter, plan: BandPermutation) -> None:
    """Rebuild the band's loop headers in the new order around the old body."""
    iv_map: dict[SSAValue, SSAValue] = {}
    new_loops: list[ForOp] = []
    for old in plan.order:
        operands = [iv_map.get(v, v) for v in old.bound_operands]
        new = ForOp(
            old.loop_name,
            old.lower_bound.data,
            old.upper_bound.data,
            operands,
            old.step_value,
        )
        new.attributes.update(old.attributes)
        new.location = old.location
        new.induction_variable.name_hint = old.induction_variable.name_hint
        iv_map[old.induction_variable] = new.induction_variable
        new_loops.append(new)
    for outer, inner in zip(new_loops, new_loops[1:]):
        block = outer.body.block
        block.insert_op_before(inner, block.last_op)
    target = new_loops[-1].body.block
    for op in body_ops(plan.band[-1]):
        op.detach()
        target.insert_op_before(op, target.last_op)
    for old_iv, new_iv in iv_map.items():
        rewriter.replace_all_uses_with(old_iv, new_iv)
    rewriter.replace(plan.band[0], new_loops[0], [])


@dataclass
class PermuteBandPattern(RewritePattern):
    """Applies the planned permutation whose band starts at the matched loop."""

    plans: dict[int, BandPermutation] = field(default_factory=dict)

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: ForOp, rewriter: PatternRewriter) -> None:
        plan = self.plans.pop(id(op), None)
        if plan is not None:
            permute_band(rewriter, plan)


@dataclass(frozen=True)
class InterchangeLoopsPass(ModulePass):
    """Permute loops of a perfectly nested band, if no dependence is reversed.

    `loops=A,B` swaps two loops of one band (A encloses B or B encloses A, and
    every loop from the outer to the inner one has the next as its only body
    operation); the loops between them stay in place.  `order=L1,L2,...`
    names exactly the loops of a perfectly nested band, listed in their new
    order, outermost first.  Every nest holding the requested loops is
    permuted; nests without them are left alone; a request that matches
    nothing is refused.

    Legality is exact: structural (after the change each loop's bounds use
    only loops enclosing it) and by dependences (isl; no dependence between
    two accesses inside the band may become lexicographically negative).
    Recognised reductions `X[f] = X[f] + ...` (X not otherwise accessed in the
    band) may be reordered, as floating-point reassociation, unless
    `strict=true`.  All bands are checked before any is rewritten.
    """

    name = "interchange-loops"

    loops: tuple[str, ...] = ()
    order: tuple[str, ...] = ()
    strict: bool = False

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        plans = plan_interchange(op, self.loops, self.order, self.strict)
        pattern = PermuteBandPattern({id(p.band[0]): p for p in plans})
        PatternRewriteWalker(pattern, apply_recursively=False).rewrite_module(op)
