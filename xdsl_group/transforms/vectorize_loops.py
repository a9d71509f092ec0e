"""`vectorize-loops`: mark an innermost loop to run as vector operations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from xdsl.dialects import arith
from xdsl.dialects.builtin import AnyFloat, IntegerType, MemRefType, ModuleOp, NoneAttr
from xdsl.ir import Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter
from xdsl.traits import is_side_effect_free

from xdsl_group.analysis.affine_utils import linear_form, used_dims
from xdsl_group.analysis.dependences import carried_dependence
from xdsl_group.analysis.loop_structure import body_ops, loops_named, require_known
from xdsl_group.analysis.polyhedral import constant_trip_count
from xdsl_group.dialects.loopnest import ForOp, LoadOp, StoreOp, YieldOp
from xdsl_group.errors import LoopnestError, TransformationError
from xdsl_group.transforms.core import LoopTransformationPass, MarkPlan

LANEWISE_OPS: tuple[type[Operation], ...] = (
    arith.AddfOp,
    arith.SubfOp,
    arith.MulfOp,
    arith.DivfOp,
    arith.NegfOp,
    arith.AddiOp,
    arith.SubiOp,
    arith.MuliOp,
    arith.AndIOp,
    arith.OrIOp,
    arith.XOrIOp,
)
"""The ops a vectorised body may apply to values that differ between
iterations: element-wise on vectors, with no traps and no rounding of their
own beyond the scalar op's (so lanes compute bitwise what iterations do)."""


def varying_values(loop: ForOp) -> set[SSAValue]:
    """The values of `loop`'s body that may differ between its iterations:
    the induction variable and everything computed from it or loaded from
    an element that depends on it."""
    varying: set[SSAValue] = {loop.induction_variable}
    for op in body_ops(loop):
        if any(v in varying for v in op.operands):
            varying.update(op.results)
    return varying


def contiguous_access(access: LoadOp | StoreOp, iv: SSAValue) -> bool:
    """Whether consecutive iterations (step 1) of the loop of `iv` touch
    consecutive elements: `iv` appears only in the last index, with
    coefficient 1, and the memref has the identity layout."""
    dims = [d for d, v in enumerate(access.indices) if v is iv]
    results = access.map.data.results
    if not results or any(d in used_dims(e) for e in results[:-1] for d in dims):
        return False
    last = linear_form(results[-1])
    if last is None or sum(last[0].get(d, 0) for d in dims) != 1:
        return False
    ty = access.memref.type
    return isinstance(ty, MemRefType) and isinstance(ty.layout, NoneAttr)


def _element_ok(value: SSAValue) -> bool:
    return isinstance(value.type, AnyFloat | IntegerType)


def vectorization_problem(loop: ForOp) -> str | None:
    """Why the native lowering cannot run `loop`'s iterations as vector
    operations, or None: it must be innermost with a constant trip count and
    step 1, its body loads, stores and element-wise arithmetic, each access
    contiguous in the induction variable or independent of it, every store
    contiguous.  (Dependences are not checked here: see `plan_vectorize`.)"""
    if loop.step_value != 1:
        return f"its step is {loop.step_value}, not 1"
    if constant_trip_count(loop) is None:
        return "its trip count is not constant"
    return body_vectorization_problem(body_ops(loop), loop.induction_variable, loop.name_str)


def body_vectorization_problem(ops: Sequence[Operation], iv: SSAValue, name: str) -> str | None:
    """`vectorization_problem`'s rule for a body: why `ops`, run by a loop
    `name` of induction variable `iv`, have no vector form, or None.  Also
    used by `auto-schedule` on a loop that becomes innermost only later."""
    varying: set[SSAValue] = {iv}  # as `varying_values`, built in order
    for op in ops:
        if isinstance(op, ForOp):
            return f"it is not innermost: loop '{op.name_str}' is inside it"
        if isinstance(op, YieldOp):
            continue
        if any(v in varying for v in op.operands):
            varying.update(op.results)
        if isinstance(op, LoadOp | StoreOp):
            if any(v in varying and v is not iv for v in op.indices):
                return f"'{op.name}' indexes with a value computed in the loop"
            if iv in op.indices:
                if not contiguous_access(op, iv):
                    return (
                        f"'{op.name}' of {_memref_name(op.memref)} is not contiguous in "
                        f"'{name}' (only the last index may use it, with coefficient 1)"
                    )
            elif isinstance(op, StoreOp):
                return (
                    f"'{op.name}' to {_memref_name(op.memref)} does not use "
                    f"'{name}': every iteration writes the same element"
                )
            if isinstance(op, LoadOp) and not _element_ok(op.result):
                return f"'{op.name}' loads {op.result.type}, which has no vector form here"
            continue
        if not is_side_effect_free(op):
            return f"it contains '{op.name}', whose memory effects are unknown"
        if iv in op.operands:
            return f"'{op.name}' uses the induction variable '{name}' as a value"
        if any(v in varying for v in op.operands):
            if not isinstance(op, LANEWISE_OPS):
                return f"'{op.name}' has no element-wise vector form here"
            if not all(_element_ok(r) for r in op.results):
                return f"'{op.name}' computes {op.results[0].type}, which has no vector form here"
    return None


def _memref_name(value: SSAValue) -> str:
    return f"'%{value.name_hint}'" if value.name_hint else "its memref"


@dataclass(frozen=True)
class Vectorize(MarkPlan):
    """Mark `loop` `vectorize(width)` (checked)."""

    loop: ForOp
    width: int

    def apply(self, rewriter: PatternRewriter) -> ForOp:
        self.loop.vector_width_value = self.width
        return self.loop


def plan_vectorize(loop: ForOp, width: int = 0) -> Vectorize:
    """Mark `loop` to run as vector operations of `width` lanes (0: its whole
    trip count in one vector), if its body can be vectorised
    (`vectorization_problem`) and, by the exact dependence analysis, no two
    of its iterations (the enclosing loops' iterations equal) touch one
    element with one of them writing it: lanes run in lockstep."""
    what = f"cannot vectorize loop '{loop.name_str}'"
    if width < 0:
        raise TransformationError(
            f"{what}: the width must be 0 (the whole loop) or positive, got {width}",
            op=loop,
            loops=(loop,),
        )
    problem = vectorization_problem(loop)
    if problem is not None:
        raise TransformationError(f"{what}: {problem}", op=loop, loops=(loop,))
    carried = carried_dependence(loop)
    if carried is not None:
        raise TransformationError(
            f"{what}: it carries the {carried.describe()}", op=loop, loops=(loop,)
        )
    trip = constant_trip_count(loop) or 1
    return Vectorize(loop, min(width, trip) if width else trip)


@dataclass(frozen=True)
class VectorizeLoopsPass(LoopTransformationPass):
    """Mark every loop named `loop` to run as vector operations of `width`
    lanes (`loopnest.for L ... vectorize(W)`; `width=0`, the default, takes
    the whole trip count).  The native lowering then computes `W`
    consecutive iterations at a time with one vector operation per body op
    (a last, shorter vector for the rest); other backends run the loop in
    order, with the same result, bitwise.

    Checked: `L` is innermost, with step 1 and a constant trip count; its
    body holds loads, stores and element-wise arithmetic only; every access
    using `L` is contiguous in it (only the last index uses it, with
    coefficient 1) and every other access is independent of it (one scalar
    load, broadcast); and, by the exact dependence analysis, `L` carries no
    dependence, as for `parallelize-loops`.  A reduction over `L` is
    refused: its lanes would race.
    """

    name = "vectorize-loops"

    loop: str = ""
    width: int = 0

    def plan(self, module: ModuleOp) -> list[Vectorize]:
        if not self.loop:
            raise LoopnestError("vectorize-loops needs loop=<name>")
        if self.width < 0:
            raise LoopnestError(
                f"vectorize-loops: width must be 0 (the whole loop) or positive, got {self.width}"
            )
        require_known(module, [self.loop], "vectorize-loops loop=")
        return [plan_vectorize(target, self.width) for target in loops_named(module, self.loop)]
