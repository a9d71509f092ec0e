"""`interchange-loops`: permute the loops of a perfectly nested band."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, SSAValue
from xdsl.pattern_rewriter import (
    PatternRewriter,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.traits import is_side_effect_free

from xdsl_group.analysis.dependences import permutation_violation
from xdsl_group.analysis.loop_structure import (
    body_ops,
    is_ancestor,
    join_names,
    perfect_chain,
    require_known,
    sole_child_loop,
)
from xdsl_group.dialects.loopnest import ForOp, LoadOp, StoreOp, YieldOp
from xdsl_group.errors import LoopnestError, TransformationError
from xdsl_group.transforms.core import LoopTransformationPass, Plan
from xdsl_group.transforms.selection import Roles, depth, nests, roles_named


@dataclass(frozen=True)
class Permuted:
    """What a permutation made: the band's loops in their new order."""

    loops: tuple[ForOp, ...]
    """The band in its new order, outermost first."""
    replacements: tuple[tuple[ForOp, ForOp], ...]
    """(loop before, loop after) per loop of the band: the headers are rebuilt."""

    def replacement(self, old: ForOp) -> ForOp:
        return next(new for was, new in self.replacements if was is old)


@dataclass(frozen=True)
class BandPermutation(Plan[Permuted]):
    """Run the perfectly nested `band` (outermost first) in `order`."""

    band: tuple[ForOp, ...]
    order: tuple[ForOp, ...]

    @property
    def anchor(self) -> ForOp:
        return self.band[0]

    @property
    def consumed(self) -> tuple[ForOp, ...]:
        return self.band

    @property
    def is_identity(self) -> bool:
        return all(a is b for a, b in zip(self.band, self.order))

    def apply(self, rewriter: PatternRewriter) -> Permuted:
        """Rebuild the band's loop headers in the new order around the old body."""
        if self.is_identity:
            return Permuted(self.band, tuple((l, l) for l in self.band))
        iv_map: dict[SSAValue, SSAValue] = {}
        new_loops: list[ForOp] = []
        for p, old in enumerate(self.order):
            operands = [iv_map.get(v, v) for v in old.bound_operands]
            # A loop carries the same dependences as before iff the band
            # loops outside it are the same set: only then its `parallel`
            # marker stays valid.
            same_outer = set(self.order[:p]) == set(self.band[: self.band.index(old)])
            new = ForOp(
                old.loop_name,
                old.lower_bound.data,
                old.upper_bound.data,
                operands,
                old.step_value,
                parallel=old.is_parallel and same_outer,
                vector_width=old.vector_width_value if same_outer else None,
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
        for op in body_ops(self.band[-1]):
            op.detach()
            target.insert_op_before(op, target.last_op)
        for old_iv, new_iv in iv_map.items():
            rewriter.replace_all_uses_with(old_iv, new_iv)
        rewriter.replace(self.band[0], new_loops[0], [])
        return Permuted(tuple(new_loops), tuple(zip(self.order, new_loops)))


def band_between(a: ForOp, b: ForOp, what: str) -> tuple[ForOp, ...]:
    """The loops from the outer of `a`, `b` to the inner one, each the only
    operation of its parent's body; `what` starts the refusal."""
    outer, inner = (a, b) if is_ancestor(a, b) else (b, a)
    if not is_ancestor(outer, inner):
        raise TransformationError(
            f"{what}: neither encloses the other", op=a, loops=(a, b)
        )
    chain = [outer]
    while chain[-1] is not inner:
        child = sole_child_loop(chain[-1])
        if child is None:
            raise TransformationError(
                f"{what}: they are not perfectly nested (the body of loop "
                f"'{chain[-1].name_str}' holds more than the next loop)",
                op=chain[-1],
                loops=(a, b),
            )
        chain.append(child)
    return tuple(chain)


def select_swaps(module: Operation, roles: Roles, what: str) -> list[tuple[ForOp, ...]]:
    """Per nest, the band from a loop of role 0 to a loop of role 1 (either
    encloses the other); refuses a pair that is not perfectly nested."""
    complete, _ = nests(module, roles)
    bands: list[tuple[ForOp, ...]] = []
    for nest in complete:
        found = [
            band_between(a, b, what)
            for a in nest.members[0]
            for b in nest.members[1]
            if is_ancestor(a, b) or is_ancestor(b, a)
        ]
        if len(found) > 1:  # only handles can hold two loops of one path
            raise TransformationError(
                f"{what}: under loop '{nest.top.name_str}' they pair up more than once",
                op=nest.top,
                loops=nest.loops,
            )
        bands += found
    if not bands:
        raise TransformationError(
            f"{what}: neither encloses the other anywhere in the module",
            op=roles[0][0] if roles[0] else None,
        )
    return bands


def select_bands(module: Operation, roles: Roles, what: str) -> list[tuple[ForOp, ...]]:
    """Per nest, its loops (one per role, role order) if they are exactly the
    loops of a perfectly nested band."""
    complete, tops = nests(module, roles)
    matches: list[tuple[ForOp, ...]] = []
    for nest in complete:
        top, members = nest.top, nest.loops
        chain = perfect_chain(top, len(roles))
        if chain is None or set(chain) != set(members):
            names = [top.name_str]
            loop = top
            while (child := sole_child_loop(loop)) is not None and child in members:
                names.append(child.name_str)
                loop = child
            raise TransformationError(
                f"{what}: they do not form a perfectly nested band (the band from "
                f"loop '{top.name_str}' is {join_names(names)})",
                op=loop,
                loops=members,
            )
        chosen = nest.single()
        assert chosen is not None  # a band of len(roles) loops, one per role
        matches.append(chosen)
    if not matches:
        raise TransformationError(
            f"{what}: no nest in the module contains all of them",
            op=tops[0] if tops else None,
        )
    return matches


def _check_structure(band: Sequence[ForOp], order: Sequence[ForOp]) -> None:
    """After the permutation every loop's bounds may use enclosing loops only."""
    for p, loop in enumerate(order):
        outer_after = {l.induction_variable for l in order[:p]}
        for v in loop.bound_operands:
            user = next((l for l in band if l.induction_variable is v), None)
            if user is not None and v not in outer_after:
                raise TransformationError(
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
            raise TransformationError(
                f"cannot permute loops {join_names([l.name_str for l in band])}: the "
                f"nest contains '{op.name}', whose memory effects are unknown",
                op=band[0],
            )


def plan_interchange(
    band: Sequence[ForOp], order: Sequence[ForOp], strict: bool = False
) -> BandPermutation:
    """Run the perfectly nested `band` (outermost first) in `order` (the same
    loops, new outermost first), if no dependence is reversed; recognised
    reductions may be reordered unless `strict`."""
    band, order = tuple(band), tuple(order)
    names = join_names([l.name_str for l in band])
    if len(band) < 2 or len(set(band)) != len(band):
        raise TransformationError(
            f"cannot permute loops {names}: give two or more distinct loops",
            op=band[0] if band else None,
        )
    for outer, inner in zip(band, band[1:]):
        if sole_child_loop(outer) is not inner:
            raise TransformationError(
                f"cannot permute loops {names}: they are not a perfectly nested band "
                f"(loop '{inner.name_str}' is not the only operation of loop "
                f"'{outer.name_str}')",
                op=outer,
                loops=band,
            )
    if len(order) != len(band) or set(order) != set(band):
        raise TransformationError(
            f"cannot permute loops {names}: the new order "
            f"{join_names([l.name_str for l in order])} is not a permutation of them",
            op=band[0],
            loops=band,
        )
    plan = BandPermutation(band, order)
    if plan.is_identity:
        return plan
    _check_structure(band, order)
    _check_effects(band)
    violation = permutation_violation(band, order, strict)
    if violation is not None:
        moved = [l.name_str for l, n in zip(band, order) if l is not n]
        raise TransformationError(
            f"cannot permute loops {join_names(moved)}: it would reverse the "
            f"{violation.describe()}",
            op=band[0],
            loops=band,
        )
    return plan


def plan_swap(a: ForOp, b: ForOp, strict: bool = False) -> BandPermutation:
    """Swap `a` and `b`, one enclosing the other with a perfectly nested band
    between them; the loops in between stay in place."""
    band = band_between(a, b, f"cannot interchange loops '{a.name_str}' and '{b.name_str}'")
    return plan_interchange(band, (band[-1], *band[1:-1], band[0]), strict)


@dataclass
class PermuteBandPattern(RewritePattern):
    """Applies given permutations without checking them, where their band
    starts (`plans` keyed by `id` of the band's outer loop).  The pass does
    not use it: it lets a test force an order the check refuses."""

    plans: dict[int, BandPermutation] = field(default_factory=dict)

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: ForOp, rewriter: PatternRewriter) -> None:
        plan = self.plans.pop(id(op), None)
        if plan is not None:
            plan.apply(rewriter)


@dataclass(frozen=True)
class InterchangeLoopsPass(LoopTransformationPass):
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

    def plan(self, module: ModuleOp) -> list[BandPermutation]:
        loops, order = self.loops, self.order
        if bool(loops) == bool(order):
            raise LoopnestError(
                "interchange-loops takes either loops=A,B (swap two loops) or "
                "order=L1,L2,... (a permutation of a band)"
            )
        names = list(loops or order)
        option = "loops" if loops else "order"
        if loops and len(loops) != 2:
            raise LoopnestError(
                f"interchange-loops: loops= takes two loop names, got {len(loops)}"
            )
        if len(set(names)) != len(names) or len(names) < 2:
            raise LoopnestError(
                f"interchange-loops: {option}= must name at least two distinct loops"
            )
        require_known(module, names, f"interchange-loops {option}=")
        roles = roles_named(module, names)
        if loops:
            what = f"cannot interchange loops '{loops[0]}' and '{loops[1]}'"
            requests = [
                (band, (band[-1], *band[1:-1], band[0]))
                for band in select_swaps(module, roles, what)
            ]
        else:
            what = f"cannot reorder loops {join_names(order)}"
            requests = [
                (tuple(sorted(chosen, key=depth)), chosen)
                for chosen in select_bands(module, roles, what)
            ]
        return [plan_interchange(band, new, self.strict) for band, new in requests]
