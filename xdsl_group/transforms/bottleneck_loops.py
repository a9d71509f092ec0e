"""`bottleneck-loops`: shrink a loop's range, and the arrays it indexes, by a
factor (the paper's bottleneck: fewer output channels for one convolution,
fewer input channels for the next)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from xdsl.dialects import func
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    AffineMapAttr,
    FunctionType,
    MemRefType,
    ModuleOp,
    NoneAttr,
)
from xdsl.ir import BlockArgument, SSAValue
from xdsl.ir.affine import AffineDimExpr, AffineExpr, AffineMap
from xdsl.pattern_rewriter import PatternRewriter

from xdsl_group.analysis.affine_utils import affine_expr_str, used_dims
from xdsl_group.analysis.loop_structure import (
    loop_names_of,
    loops_named,
    require_known,
    value_name,
)
from xdsl_group.dialects.loopnest import AccessOp, ForOp, LoadOp, StoreOp
from xdsl_group.errors import LoopnestError, TransformationError
from xdsl_group.transforms.core import LoopTransformationPass, Plan


@dataclass(frozen=True)
class Shrink:
    """Give the function argument `memref` the type `new_type`."""

    memref: BlockArgument
    new_type: MemRefType


@dataclass(frozen=True)
class Bottleneck(Plan[tuple[ForOp, ...]]):
    """Run each of `loops` over `range(N / factor)` and shrink the argument
    dimensions they index (`shrinks`).  One plan for the whole request: the
    loops of different nests may share the arrays whose types change."""

    loops: tuple[ForOp, ...]
    factor: int
    trips: tuple[int, ...]
    shrinks: tuple[Shrink, ...]

    @property
    def anchor(self) -> ForOp:
        return self.loops[0]

    @property
    def consumed(self) -> tuple[ForOp, ...]:
        return self.loops

    def apply(self, rewriter: PatternRewriter) -> tuple[ForOp, ...]:
        if self.factor == 1:
            return self.loops
        for loop, trip in zip(self.loops, self.trips, strict=True):
            n = len(loop.bound_operands)
            loop.properties["upper_bound"] = AffineMapAttr(
                AffineMap(n, 0, (AffineExpr.constant(trip // self.factor),))
            )
        functions: list[func.FuncOp] = []
        for shrink in self.shrinks:
            fn = shrink.memref.block.parent_op()
            assert isinstance(fn, func.FuncOp)
            if fn not in functions:
                functions.append(fn)
            hint = shrink.memref.name_hint
            new_arg = rewriter.replace_value_with_new_type(shrink.memref, shrink.new_type)
            new_arg.name_hint = hint
        # The argument attributes (`arg_attrs`) are untouched: only the types change.
        for fn in functions:
            inputs = [arg.type for arg in fn.body.blocks[0].args]
            fn.function_type = FunctionType.from_lists(inputs, fn.function_type.outputs.data)
        return self.loops


def _range_str(loop: ForOp) -> str:
    """`range(lb, ub[, step])` with enclosing loops spelled by name."""
    ivs = loop_names_of(loop)
    names = [ivs.get(v, value_name(v)) for v in loop.bound_operands]
    lb = affine_expr_str(loop.lower_bound.data.results[0], names)
    ub = affine_expr_str(loop.upper_bound.data.results[0], names)
    step = f", {loop.step_value}" if loop.step_value != 1 else ""
    return f"range({lb}, {ub}{step})"


def _spelled(access: AccessOp) -> str:
    """`%A[ci, oh + kh]`, indices spelled with loop names."""
    ivs = loop_names_of(access)
    names = [ivs.get(v, value_name(v)) for v in access.indices]
    idx = ", ".join(affine_expr_str(e, names) for e in access.map.data.results)
    return f"{value_name(access.memref)}[{idx}]"


def _index_str(access: AccessOp, d: int) -> str:
    """Index `d` of `access`, spelled with loop names."""
    ivs = loop_names_of(access)
    names = [ivs.get(v, value_name(v)) for v in access.indices]
    return affine_expr_str(access.map.data.results[d], names)


def _trip(loop: ForOp, factor: int, what: str) -> int:
    """N of `loop` over `range(0, N)` with step 1, divisible by `factor`."""
    bounds = loop.constant_bounds()
    if bounds is None or bounds[0] != 0 or loop.step_value != 1 or bounds[1] < 1:
        raise TransformationError(
            f"{what}: it must run over range(0, N) with step 1 and a constant N >= 1, "
            f"it runs over {_range_str(loop)}",
            op=loop,
            loops=(loop,),
        )
    trip = bounds[1]
    if trip % factor:
        raise TransformationError(
            f"{what}: its trip count N = {trip} is not divisible by the factor B = {factor}",
            op=loop,
            loops=(loop,),
        )
    return trip


def _index_positions(loop: ForOp, what: str) -> list[tuple[AccessOp, int]]:
    """Every (access, dimension) whose index is exactly `loop`'s induction
    variable; refused if the variable is used in any other way."""
    iv = loop.induction_variable
    name = loop.name_str
    found: list[tuple[AccessOp, int]] = []
    # Program order (the variable is only visible inside the loop), so the
    # first offending use is the one reported.
    for user in loop.walk():
        if user is loop or iv not in user.operands:
            continue
        if isinstance(user, ForOp):
            positions = {k for k, v in enumerate(user.bound_operands) if v is iv}
            bounds = (user.lower_bound.data.results[0], user.upper_bound.data.results[0])
            if any(used_dims(e) & positions for e in bounds):
                raise TransformationError(
                    f"{what}: its induction variable is used in the bounds of loop "
                    f"'{user.name_str}' ({_range_str(user)}), so shrinking it would change "
                    "more than the bottleneck",
                    op=user,
                    loops=(loop,),
                )
            continue
        if isinstance(user, StoreOp) and user.value is iv:
            raise TransformationError(
                f"{what}: its induction variable is stored as a value into {_spelled(user)}",
                op=user,
                loops=(loop,),
            )
        if not isinstance(user, LoadOp | StoreOp):
            raise TransformationError(
                f"{what}: its induction variable is used by '{user.name}', not only as an index",
                op=user,
                loops=(loop,),
            )
        positions = {k for k, v in enumerate(user.indices) if v is iv}
        for d, e in enumerate(user.map.data.results):
            if not (used_dims(e) & positions):
                continue
            if not (isinstance(e, AffineDimExpr) and e.position in positions):
                raise TransformationError(
                    f"{what}: index {d} of {_spelled(user)} uses '{name}' in the "
                    f"expression {_index_str(user, d)}, not as the index itself, so "
                    "shrinking it would change more than the bottleneck",
                    op=user,
                    loops=(loop,),
                )
            found.append((user, d))
    return found


def _function_argument(memref: SSAValue) -> func.FuncOp | None:
    """The function `memref` is an entry-block argument of, if any."""
    if not isinstance(memref, BlockArgument):
        return None
    fn = memref.block.parent_op()
    if isinstance(fn, func.FuncOp) and memref.block is fn.body.blocks[0]:
        return fn
    return None


def _shrink(
    memref: SSAValue,
    dims: dict[int, int],
    ivs: dict[SSAValue, ForOp],
    first: AccessOp,
    factor: int,
    what: str,
) -> Shrink:
    """Shrink dimensions `dims` (dimension -> N) of `memref`, which `first`
    indexes by a chosen loop, by `factor`: checked to be a function argument
    of the loop's size there, indexed in every access by a chosen loop."""
    array = value_name(memref)
    fn = _function_argument(memref)
    shown = ", ".join(map(str, sorted(dims)))
    if fn is None:
        raise TransformationError(
            f"{what}: dimension {shown} of {array} would shrink, but {array} is not an "
            "argument of the function",
            op=first,
        )
    ty = memref.type
    assert isinstance(ty, MemRefType)
    if not isinstance(ty.layout, NoneAttr):
        raise TransformationError(
            f"{what}: dimension {shown} of {array} would shrink, but {array} has a "
            "non-default layout",
            op=first,
        )
    shape = list(ty.get_shape())
    for d, trip in sorted(dims.items()):
        if shape[d] != trip:
            size = "is dynamic" if shape[d] == DYNAMIC_INDEX else f"has size {shape[d]}"
            raise TransformationError(
                f"{what}: dimension {d} of {array} {size}, not the loop's trip count {trip}, "
                "so it cannot shrink with the loop",
                op=first,
            )
    callers = [
        op
        for op in fn.get_toplevel_object().walk()
        if isinstance(op, func.CallOp) and op.callee.root_reference == fn.sym_name
    ]
    if callers:
        raise TransformationError(
            f"{what}: dimension {shown} of {array} would shrink, but @{fn.sym_name.data} "
            "is called in the module and its signature would change",
            op=callers[0],
        )
    for access in fn.walk():
        if memref not in access.operands:
            continue
        if not isinstance(access, LoadOp | StoreOp) or access.memref is not memref:
            raise TransformationError(
                f"{what}: dimension {shown} of {array} would shrink, but {array} is also "
                f"used by '{access.name}'",
                op=access,
            )
        for d, trip in dims.items():
            e = access.map.data.results[d]
            if isinstance(e, AffineDimExpr) and access.indices[e.position] in ivs:
                continue
            raise TransformationError(
                f"{what}: dimension {d} of {array} would shrink to {trip // factor}, "
                f"but {_spelled(access)} indexes it by {_index_str(access, d)}, not by "
                "a bottlenecked loop",
                op=access,
            )
    for d, trip in dims.items():
        shape[d] = trip // factor
    return Shrink(memref, MemRefType(ty.element_type, shape, ty.layout, ty.memory_space))


def plan_bottleneck(loops: Sequence[ForOp], factor: int) -> Bottleneck:
    """Shrink every loop of `loops` (each over `range(0, N)`, step 1, B | N)
    to `range(N / B)`, and the function-argument dimensions they index to
    N / B; the loops may lie in several nests sharing arrays."""
    chosen = tuple(dict.fromkeys(loops))
    if not chosen:
        raise TransformationError("cannot bottleneck: no loops given")
    names = sorted({loop.name_str for loop in chosen})
    if factor < 1:
        raise TransformationError(
            f"cannot bottleneck loop '{names[0]}' by {factor}: the factor must be positive",
            op=chosen[0],
        )
    ivs = {loop.induction_variable: loop for loop in chosen}
    trips: list[int] = []
    # memref -> dimension -> N, and the first access found indexing it.
    dims: dict[SSAValue, dict[int, int]] = {}
    first: dict[SSAValue, AccessOp] = {}
    for loop in chosen:
        what = f"cannot bottleneck loop '{loop.name_str}' by {factor}"
        trip = _trip(loop, factor, what)
        trips.append(trip)
        for access, d in _index_positions(loop, what):
            known = dims.setdefault(access.memref, {})
            first.setdefault(access.memref, access)
            if known.get(d, trip) != trip:
                raise TransformationError(
                    f"{what}: dimension {d} of {value_name(access.memref)} is indexed by "
                    f"bottlenecked loops of different trip counts ({known[d]} and {trip})",
                    op=access,
                )
            known[d] = trip
    what = f"cannot bottleneck loop{'s' if len(names) > 1 else ''} " + ", ".join(
        f"'{n}'" for n in names
    ) + f" by {factor}"
    shrinks = tuple(
        _shrink(memref, ds, ivs, first[memref], factor, what) for memref, ds in dims.items()
    )
    return Bottleneck(chosen, factor, tuple(trips), shrinks)


@dataclass(frozen=True)
class BottleneckLoopsPass(LoopTransformationPass):
    """Shrink every loop named `loop` and the arrays it indexes by `factor`.

    An architecture change, like `group-loops`: on a convolution's `co` it
    leaves a convolution with CO/B output channels (`O` and `W` lose
    their last output channels), on `ci` one with CI/B input channels.
    `L` over `range(0, N)` (step 1, B dividing N) becomes `L` over
    `range(N/B)`, and every dimension of a function argument whose index is
    exactly `L`'s induction variable shrinks from N to N/B in the function's
    type (argument names and `arg_attrs` are kept).  All loops named `L`
    are shrunk together, so nests sharing an array shrink it consistently.
    The result computes, on the shrunk arrays, exactly what the original
    computes on their leading slices `A[:N/B]`, and stays in bounds.
    `factor=1` is the identity (the same checks apply).

    Refused (nothing is rewritten): a missing or non-positive factor, an
    unknown loop, a range other than `range(0, N)` with step 1, B not
    dividing N, `L`'s induction variable used in another way (in a loop
    bound, in an index expression other than itself, by another op), or an
    array dimension to shrink that is not a function argument's, whose size
    is not N, or that some access (in any nest) indexes by anything but a
    loop named `L`; a function called in the module (its signature would
    change).
    """

    name = "bottleneck-loops"

    loop: str = ""
    factor: int | None = None

    def plan(self, module: ModuleOp) -> list[Bottleneck]:
        if not self.loop:
            raise LoopnestError("bottleneck-loops needs loop=<name>")
        if self.factor is None:
            raise LoopnestError("bottleneck-loops needs factor=<shrink factor>")
        if self.factor < 1:
            raise LoopnestError(f"bottleneck-loops: factor must be positive, got {self.factor}")
        require_known(module, [self.loop], "bottleneck-loops loop=")
        return [plan_bottleneck(loops_named(module, self.loop), self.factor)]

