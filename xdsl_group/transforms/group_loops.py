"""`group-loops`: the seed's `group(G)`, turning a convolution into a grouped
convolution by restricting loops that lie on one path to the same group."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import islpy as isl
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    AffineMapAttr,
    FunctionType,
    IntegerAttr,
    MemRefType,
    ModuleOp,
    NoneAttr,
)
from xdsl.ir import BlockArgument, Operation, SSAValue
from xdsl.ir.affine import AffineExpr, AffineMap
from xdsl.pattern_rewriter import PatternRewriter
from xdsl.rewriter import InsertPoint
from xdsl.utils.arg_spec import ArgSpec

from xdsl_group.analysis.affine_utils import linear_form, used_dims
from xdsl_group.analysis.loop_structure import (
    enclosing_function,
    join_names,
    names_on_path,
    require_known,
    value_name,
)
from xdsl_group.analysis.polyhedral import (
    LoopContext,
    collect_accesses,
    isl_failures_refuse,
    isl_map,
    isl_set,
)
from xdsl_group.dialects.attributes import GROUP_ATTR
from xdsl_group.dialects.loopnest import ForOp, LoadOp, StoreOp, enclosing_loops
from xdsl_group.errors import LoopnestError, TransformationError
from xdsl_group.transforms._options import name_option_as
from xdsl_group.transforms.core import LoopTransformationPass, Plan, trip_count
from xdsl_group.transforms.selection import Roles, depth, nests, on_one_path, roles_named


@dataclass(frozen=True)
class Compaction:
    """Shrink `memref` (a function argument) to `new_type`; dimension d's index
    gets `-shift[d] * g` (shift 0: unchanged)."""

    memref: BlockArgument
    new_type: MemRefType
    shifts: tuple[int, ...]


@dataclass(frozen=True)
class Grouped:
    """What a grouping made."""

    group_loop: ForOp | None
    """The new loop over the groups (None for G = 1: nothing changes)."""
    loops: tuple[ForOp, ...]
    """The grouped loops (the same ops, now over their group's chunk)."""


@dataclass
class Grouping(Plan[Grouped]):
    """Group `loops` (request order) G ways under a new loop around `outer`."""

    loops: tuple[ForOp, ...]
    outer: ForOp
    groups: int
    chunks: dict[ForOp, int]
    """loop -> (trip count / G) * step: how far group g+1 starts after g."""
    name: str
    compactions: list[Compaction] = field(default_factory=list)

    @property
    def anchor(self) -> ForOp:
        return self.outer

    @property
    def consumed(self) -> tuple[ForOp, ...]:
        return self.loops

    def apply(self, rewriter: PatternRewriter) -> Grouped:
        if self.groups == 1:
            for loop in self.loops:
                loop.attributes.pop(GROUP_ATTR, None)
            return Grouped(None, self.loops)
        g_loop = ForOp(self.name, 0, self.groups)
        g_loop.location = self.outer.location
        g_iv = g_loop.induction_variable
        for loop in self.loops:
            chunk = self.chunks[loop]
            lb_map, g = _add_dim(loop.lower_bound.data)
            start = lb_map.results[0] + g * chunk
            loop.operands = [*loop.bound_operands, g_iv]
            loop.properties["lower_bound"] = AffineMapAttr(
                AffineMap(lb_map.num_dims, 0, (start,))
            )
            loop.properties["upper_bound"] = AffineMapAttr(
                AffineMap(lb_map.num_dims, 0, (start + chunk,))
            )
            loop.attributes.pop(GROUP_ATTR, None)
        for comp in self.compactions:
            _compact(rewriter, comp, g_iv)
        rewriter.insert(g_loop, InsertPoint.before(self.outer))
        self.outer.detach()
        block = g_loop.body.block
        block.insert_op_before(self.outer, block.last_op)
        return Grouped(g_loop, self.loops)


def _compact(rewriter: PatternRewriter, comp: Compaction, g_iv: SSAValue) -> None:
    """Give `comp.memref` its shrunk type and its accesses group-local indices."""
    for use in list(comp.memref.uses):
        access = use.operation
        assert isinstance(access, LoadOp | StoreOp)
        m, g = _add_dim(access.map.data)
        results = tuple(e - g * s if s else e for e, s in zip(m.results, comp.shifts))
        head = [access.value, access.memref] if isinstance(access, StoreOp) else [access.memref]
        access.operands = [*head, *access.indices, g_iv]
        access.properties["map"] = AffineMapAttr(AffineMap(m.num_dims, 0, results))
    fn = comp.memref.block.parent_op()
    assert isinstance(fn, func.FuncOp)
    hint = comp.memref.name_hint
    new_arg = rewriter.replace_value_with_new_type(comp.memref, comp.new_type)
    new_arg.name_hint = hint
    inputs = [arg.type for arg in fn.body.blocks[0].args]
    fn.function_type = FunctionType.from_lists(inputs, fn.function_type.outputs.data)


def select_groupings(module: Operation, roles: Roles, what: str) -> list[tuple[ForOp, ...]]:
    """Per nest holding a loop of every role: those loops, in role order.

    `what` starts the refusals ("cannot group loops 'co', 'ci'"): a nest whose
    loops do not lie on one path, or no complete nest at all."""
    complete, tops = nests(module, roles)
    matches: list[tuple[ForOp, ...]] = []
    for nest in complete:
        chosen = nest.single()
        if chosen is None or not on_one_path(chosen):
            raise TransformationError(
                f"{what}: under loop '{nest.top.name_str}' they do not lie on one path "
                "(each must enclose or be enclosed by the others, once)",
                op=nest.top,
                loops=nest.loops,
            )
        matches.append(chosen)
    if not matches:
        raise TransformationError(
            f"{what}: no nest in the module contains all of them on one path",
            op=tops[0] if tops else None,
        )
    return matches


def _matches_by_attribute(module: Operation) -> list[tuple[tuple[ForOp, ...], int]]:
    """Grouping requests recorded as `loopnest.group = G` on loops."""
    marked = [
        op for op in module.walk() if isinstance(op, ForOp) and GROUP_ATTR in op.attributes
    ]
    if not marked:
        raise LoopnestError(
            "group-loops needs loops=... and groups=..., or loops carrying a "
            f"'{GROUP_ATTR}' request; the module has neither"
        )
    matches: list[tuple[tuple[ForOp, ...], int]] = []
    for top in marked:
        if any(GROUP_ATTR in o.attributes for o in enclosing_loops(top)):
            continue
        found = [op for op in top.walk() if isinstance(op, ForOp) and GROUP_ATTR in op.attributes]
        if not on_one_path(found):
            raise TransformationError(
                f"cannot group the loops marked '{GROUP_ATTR}' under loop "
                f"'{top.name_str}': they do not lie on one path",
                op=top,
                loops=tuple(found),
            )
        sizes = set()
        for op in found:
            attr = op.attributes[GROUP_ATTR]
            if not isinstance(attr, IntegerAttr):
                raise LoopnestError(
                    f"'{GROUP_ATTR}' must be an integer (the number of groups), got {attr}",
                    op=op,
                )
            sizes.add(attr.value.data)
        if len(sizes) != 1:
            raise TransformationError(
                f"the loops marked '{GROUP_ATTR}' under loop '{top.name_str}' ask for "
                f"different numbers of groups ({', '.join(map(str, sorted(sizes)))})",
                op=top,
                loops=tuple(found),
            )
        matches.append((tuple(sorted(found, key=depth)), sizes.pop()))
    return matches


def _compactions(plan: Grouping) -> list[Compaction]:
    """Memrefs indexed by two or more grouped loops shrink, group-locally, in
    the dimensions indexed by the grouped loops other than the first."""
    chosen = {loop.induction_variable: loop for loop in plan.loops}
    first = plan.loops[0]
    accesses = [a for a in collect_accesses(plan.outer)]
    by_memref: dict[SSAValue, list] = {}
    for a in accesses:
        by_memref.setdefault(a.memref, []).append(a)
    result: list[Compaction] = []
    for memref, group in by_memref.items():
        used = {
            chosen[v]
            for a in group
            for e in a.op.map.data.results
            for d in used_dims(e)
            if (v := a.op.indices[d]) in chosen
        }
        if len(used) < 2:
            continue
        what = f"compact=true cannot shrink {value_name(memref)}"
        fn = enclosing_function(plan.outer)
        if not (
            isinstance(memref, BlockArgument)
            and fn is not None
            and memref.block is fn.body.blocks[0]
        ):
            raise TransformationError(f"{what}: it is not an argument of the function", op=plan.outer)
        callers = [
            op
            for op in fn.get_toplevel_object().walk()
            if isinstance(op, func.CallOp) and op.callee.root_reference == fn.sym_name
        ]
        if callers:
            raise TransformationError(
                f"{what}: @{fn.sym_name.data} is called in the module and its "
                "signature would change",
                op=plan.outer,
            )
        for use in memref.uses:
            if not (isinstance(use.operation, LoadOp | StoreOp) and plan.outer.is_ancestor(use.operation)):
                raise TransformationError(
                    f"{what}: it is also used outside the grouped nest "
                    f"(by '{use.operation.name}')",
                    op=plan.outer,
                )
        ty = memref.type
        assert isinstance(ty, MemRefType)
        if not isinstance(ty.layout, NoneAttr):
            raise TransformationError(f"{what}: it has a non-default layout", op=plan.outer)
        shape = list(ty.get_shape())
        shifts = [0] * len(shape)
        for d in range(len(shape)):
            loops_here = set()
            for a in group:
                e = a.op.map.data.results[d]
                for dim in used_dims(e):
                    v = a.op.indices[dim]
                    if v in chosen:
                        loops_here.add(chosen[v])
            if not loops_here or loops_here == {first}:
                continue
            if len(loops_here) > 1 or first in loops_here:
                raise TransformationError(
                    f"{what}: dimension {d} is indexed by several grouped loops "
                    f"({join_names(sorted(l.name_str for l in loops_here))})",
                    op=plan.outer,
                )
            (loop,) = loops_here
            coeffs = set()
            for a in group:
                e = a.op.map.data.results[d]
                form = linear_form(e)
                iv_dims = [
                    k for k, v in enumerate(a.op.indices) if v is loop.induction_variable
                ]
                c = sum(form[0].get(k, 0) for k in iv_dims) if form else None
                if form is None or c == 0:
                    raise TransformationError(
                        f"{what}: dimension {d} is not an affine function of loop "
                        f"'{loop.name_str}' in every access",
                        op=plan.outer,
                    )
                coeffs.add(c)
            if len(coeffs) != 1:
                raise TransformationError(
                    f"{what}: dimension {d} uses loop '{loop.name_str}' with different "
                    "coefficients",
                    op=plan.outer,
                )
            if shape[d] % plan.groups:
                raise TransformationError(
                    f"{what}: dimension {d} of size {shape[d]} is not divisible by "
                    f"{plan.groups} groups",
                    op=plan.outer,
                )
            shifts[d] = coeffs.pop() * plan.chunks[loop]
            shape[d] //= plan.groups
        with isl_failures_refuse(plan.outer, f"the compact=true layout check of {value_name(memref)}"):
            _check_fits(plan, group, shifts, shape, what)
        new_type = MemRefType(ty.element_type, shape, ty.layout, ty.memory_space)
        result.append(Compaction(memref, new_type, tuple(shifts)))
    return result


def _check_fits(plan: Grouping, accesses, shifts: list[int], shape: list[int], what: str) -> None:
    """Every group-local index stays inside the shrunk memref, and no two
    elements the groups use share a group-local index (exact, isl)."""
    layout: isl.Map | None = None
    for a in accesses:
        ctx: LoopContext = a.context
        cons = ctx.constraints()
        gname = "gg"
        cons.append(f"0 <= {gname} < {plan.groups}")
        for k, loop in enumerate(ctx.loops):
            if any(loop is l for l in plan.loops):
                lb, _ = ctx.bound_strs(k)
                chunk = plan.chunks[loop]
                cons.append(
                    f"({lb}) + {chunk}*{gname} <= i{k} < ({lb}) + {chunk}*{gname} + {chunk}"
                )
        dims = ctx.dim_names + [gname]
        idx = a.index_strs()
        local = [f"({idx[d]}) - {shifts[d]}*{gname}" for d in range(len(shape))]
        outside = " or ".join(
            f"{local[d]} < 0 or {local[d]} >= {shape[d]}" for d in range(len(shape))
        )
        if not isl_set(dims, [*cons, f"({outside})"]).is_empty():
            raise TransformationError(
                f"{what}: its group-local indices would leave the shrunk shape "
                f"{'x'.join(map(str, shape))}",
                op=plan.outer,
            )
        to_local = isl_map(dims, "L", local, cons)
        to_full = isl_map(dims, "F", idx, cons)
        pairs = to_local.reverse().apply_range(to_full)
        layout = pairs if layout is None else layout.union(pairs)
    if layout is not None and not layout.is_single_valued():
        raise TransformationError(
            f"{what}: different groups would share elements of the shrunk memref",
            op=plan.outer,
        )


def plan_group(
    loops: Sequence[ForOp], groups: int, name: str = "g", compact: bool = False
) -> Grouping:
    """Group `loops` (on one path of a nest, in request order: the first keeps
    its memref dimensions under `compact`) `groups` ways under a new loop
    `name` placed around the outermost of them."""
    names = [loop.name_str for loop in loops]
    if not loops:
        raise TransformationError("cannot group: no loops given")
    if len(set(loops)) != len(loops):
        raise TransformationError(
            f"cannot group loops {join_names(names)}: a loop is given twice", op=loops[0]
        )
    outer = min(loops, key=depth)
    if not on_one_path(loops):
        raise TransformationError(
            f"cannot group loops {join_names(names)}: they do not lie on one path "
            "(each must enclose or be enclosed by the others, once)",
            op=outer,
            loops=tuple(loops),
        )
    if groups < 1:
        raise TransformationError(
            f"cannot group into {groups} groups: groups must be at least 1", op=outer
        )
    if not name:
        raise TransformationError("cannot group: the group loop's name is empty", op=outer)
    chunks: dict[ForOp, int] = {}
    for loop in loops:
        trip = trip_count(loop, f"cannot group loop '{loop.name_str}'")
        if trip % groups:
            raise TransformationError(
                f"cannot group loop '{loop.name_str}' {groups} ways: its trip count "
                f"{trip} is not divisible by {groups}",
                op=loop,
                loops=(loop,),
            )
        chunks[loop] = trip // groups * loop.step_value
    if name in names_on_path(outer):
        raise TransformationError(
            f"cannot name the group loop '{name}': a loop of that name already "
            f"encloses or is inside loop '{outer.name_str}'",
            op=outer,
            loops=tuple(loops),
        )
    plan = Grouping(tuple(loops), outer, groups, chunks, name)
    if compact and groups > 1:
        plan.compactions = _compactions(plan)
    return plan


def _add_dim(m: AffineMap) -> tuple[AffineMap, AffineExpr]:
    """`m` with one more (unused) dim; that dim as an expression."""
    return AffineMap(m.num_dims + 1, 0, m.results), AffineExpr.dimension(m.num_dims)




@dataclass(frozen=True)
class GroupLoopsPass(LoopTransformationPass):
    """The seed's `group(G)`: restrict loops on one path to G groups.

    `group-loops{loops=co,ci groups=4}` puts a new loop `g` over `range(G)`
    (`name=` renames it) immediately around the outermost chosen loop, and
    every chosen loop over `[lb, ub)` with constant trip count T (step s)
    becomes `range(lb + T/G*s*g, lb + T/G*s*(g+1), s)`.  Grouping one loop is
    strip-mining; grouping several keeps only the iterations where all chosen
    loops are in the same group: conv becomes grouped conv.  The chosen loops
    need not be adjacent, only on one path of a nest.

    `compact=true` also shrinks every memref argument indexed by two or more
    chosen loops: dimensions indexed by a chosen loop other than the first
    listed become group-local (`W[co][ci - CI/G*g]` with `W: CO x CI/G`, the
    PyTorch layout), and the function signature changes accordingly.

    Without `loops=`/`groups=` the pass applies the requests recorded in the IR:
    loops carrying `{loopnest.group = G}` in one nest are grouped together (the
    outermost counts as first listed); the attribute is consumed.

    Refused (nothing is rewritten): G < 1, unknown loop, loops not on one
    path, a non-constant trip count or one not divisible by G, the new loop's
    name already used on the path, a memref compaction that is not exact.
    G = 1 leaves the IR unchanged.
    """

    name = "group-loops"

    loops: tuple[str, ...] = ()
    groups: int | None = None
    new_name: str = "g"
    """Name of the new loop, spelled `name=` in pass options."""
    compact: bool = False

    @classmethod
    def from_spec(cls, spec: ArgSpec) -> GroupLoopsPass:
        return super().from_spec(name_option_as(spec, "new_name"))

    def plan(self, module: ModuleOp) -> list[Grouping]:
        loops, groups = self.loops, self.groups
        if bool(loops) != (groups is not None):
            raise LoopnestError("group-loops takes loops= and groups= together")
        if not self.new_name:
            raise LoopnestError("group-loops: name= must not be empty")
        requests: list[tuple[tuple[ForOp, ...], int]]
        if loops:
            assert groups is not None
            if len(set(loops)) != len(loops):
                raise LoopnestError(
                    f"group-loops: loops= names a loop twice ({', '.join(loops)})"
                )
            if groups < 1:
                raise LoopnestError(
                    f"cannot group into {groups} groups: groups must be at least 1"
                )
            require_known(module, loops, "group-loops loops=")
            chosen = select_groupings(
                module, roles_named(module, loops), f"cannot group loops {join_names(loops)}"
            )
            requests = [(m, groups) for m in chosen]
        else:
            requests = _matches_by_attribute(module)
        return [plan_group(m, g, self.new_name, self.compact) for m, g in requests]
