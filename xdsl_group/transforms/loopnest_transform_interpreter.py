"""`loopnest-transform-interpreter`: run a transform script on its payload.

The script is the `transform.named_sequence @__transform_main` of the module;
its argument is a handle to the module.  xDSL's own transform ops
(`named_sequence`, `yield`, `structured.match`, `apply_registered_pass`, ...)
run with xDSL's implementations, the `transform.loopnest` ops with the ones
below, which call the primitives of the loop transformations
(`peel_loops.py`, `group_loops.py`, `interchange_loops.py`) on the loops the
handles hold, paired nest by nest by the same selection as the passes.

A handle is an `OperationHandle` (xDSL's: a tuple of payload ops).
Transformation ops consume their handles, as in MLIR: afterwards each
consumed handle, and every handle holding an op inside a consumed loop, is
invalid, and an op using one is an error.  A refusal names the transform op
(error) and the payload loop (note); the script runs on a copy of the
module, so a failed script leaves the module as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from xdsl.context import Context
from xdsl.dialects import builtin, transform
from xdsl.interpreter import (
    Interpreter,
    InterpreterFunctions,
    PythonValues,
    impl,
    register_impls,
)
from xdsl.interpreters.printf import PrintfFunctions
from xdsl.interpreters.transform import OperationHandle, TransformFunctions
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.passes import ModulePass, PassPipeline
from xdsl.utils.exceptions import PassFailedException

from xdsl_group.dialects.loopnest import ForOp
from xdsl_group.dialects.transform_loopnest import (
    BottleneckOp,
    GroupOp,
    InterchangeOp,
    MatchOp,
    ParallelizeOp,
    PeelOp,
    SplitOp,
    UnrollOp,
    VectorizeOp,
)
from xdsl_group.errors import LoopnestError, TransformationError, format_diagnostic
from xdsl_group.transforms.bottleneck_loops import plan_bottleneck
from xdsl_group.transforms.core import Plan, apply_plans
from xdsl_group.transforms.group_loops import Grouped, plan_group, select_groupings
from xdsl_group.transforms.interchange_loops import (
    Permuted,
    plan_interchange,
    select_bands,
    select_swaps,
)
from xdsl_group.transforms.parallelize_loops import plan_parallelize
from xdsl_group.transforms.vectorize_loops import plan_vectorize
from xdsl_group.transforms.peel_loops import Peeled, plan_peel
from xdsl_group.transforms.split_loops import SplitResult, plan_split
from xdsl_group.transforms.unroll_loops import plan_unroll
from xdsl_group.transforms.selection import depth


_T = TypeVar("_T")


class TransformScriptError(LoopnestError):
    """A transform op failed: an error line at the transform op, and a note
    line at the payload (or transform) op it concerns, as MLIR reports a
    definite failure."""

    def __init__(
        self, reason: str, op: Operation, note: str = "", note_op: Operation | None = None
    ):
        self.reason = reason
        self.op = op
        lines = [format_diagnostic(reason, op)]
        if note_op is not None:
            lines.append(format_diagnostic(note, note_op, "note"))
        PassFailedException.__init__(self, "\n".join(lines))


def _handle_name(value: SSAValue) -> str:
    return f"%{value.name_hint}" if value.name_hint else "a handle"


@dataclass
class HandleState(Interpreter.Listener):
    """The payload of every handle seen so far, and which are invalid."""

    payload: dict[SSAValue, OperationHandle[Operation]] = field(default_factory=dict)
    invalid: dict[SSAValue, Operation] = field(default_factory=dict)
    """handle -> the transform op that consumed (a parent of) its payload."""

    def will_interpret_op(self, op: Operation, args: PythonValues) -> None:
        for k, value in enumerate(op.operands):
            consumer = self.invalid.get(value)
            if consumer is not None:
                raise TransformScriptError(
                    f"operand #{k} ({_handle_name(value)}) is invalid: '{consumer.name}' "
                    "consumed it, or a loop enclosing its payload",
                    op,
                    f"{_handle_name(value)} invalidated here",
                    consumer,
                )
        for value, handle in zip(op.operands, args):
            self._record(value, handle)

    def did_interpret_op(self, op: Operation, results: PythonValues) -> None:
        for value, handle in zip(op.results, results):
            self._record(value, handle)

    def _record(self, value: SSAValue, handle: Any) -> None:
        if isinstance(handle, OperationHandle):
            self.payload[value] = handle

    def consume(self, op: Operation, handles: Sequence[SSAValue]) -> None:
        """`op` consumes `handles`: they and every handle to an op inside
        their payload become invalid (before `op` rewrites anything)."""
        gone = {p for h in handles for p in self.payload[h].ops}
        for value, handle in self.payload.items():
            if value in self.invalid:
                continue
            if value in handles or any(_inside(p, gone) for p in handle.ops):
                self.invalid[value] = op


def _inside(op: Operation | None, ops: set[Operation]) -> bool:
    while op is not None:
        if op in ops:
            return True
        op = op.parent_op()
    return False


@register_impls
class LoopnestTransformFunctions(InterpreterFunctions):
    """Implementations of the `transform.loopnest` ops (and of
    `transform.apply_registered_pass`, which consumes its target as in MLIR
    and passes its options)."""

    def __init__(self, ctx: Context, state: HandleState, passes: dict[str, Any]):
        self.ctx = ctx
        self.state = state
        self.passes = passes

    # -- handles ---------------------------------------------------------------

    def _loops(self, op: Operation, k: int, args: PythonValues) -> list[ForOp]:
        """The loops operand #k of `op` holds (deduplicated, in order)."""
        handle = args[k]
        assert isinstance(handle, OperationHandle)
        loops: list[ForOp] = []
        for payload in handle.ops:
            if not isinstance(payload, ForOp):
                raise TransformScriptError(
                    f"operand #{k} ({_handle_name(op.operands[k])}) must hold "
                    f"'loopnest.for' loops, it holds a '{payload.name}'",
                    op,
                    "this payload op",
                    payload,
                )
            if payload not in loops:
                loops.append(payload)
        return loops

    def _roles(self, op: Operation, args: PythonValues) -> list[list[ForOp]]:
        roles = [self._loops(op, k, args) for k in range(len(op.operands))]
        for k, loops in enumerate(roles):
            for j in range(k):
                shared = next((l for l in loops if l in roles[j]), None)
                if shared is not None:
                    raise TransformScriptError(
                        f"operands #{j} and #{k} hold the same loop '{shared.name_str}'",
                        op,
                        "this loop",
                        shared,
                    )
        return roles

    def _what(self, verb: str, op: Operation) -> str:
        return f"cannot {verb} the loops of " + ", ".join(
            _handle_name(v) for v in op.operands
        )

    def _run(self, op: Operation, call: Callable[..., _T], *args: Any) -> _T:
        """Call a primitive or a selection; a refusal becomes this op's failure."""
        try:
            return call(*args)
        except TransformationError as e:
            raise _failure(op, e) from None

    def _rewrite(self, op: Operation, plans: Sequence[Plan[Any]]) -> list[Any]:
        self.state.consume(op, list(op.operands))
        return apply_plans(plans)

    # -- ops -------------------------------------------------------------------

    @impl(MatchOp)
    def run_match(self, interpreter: Interpreter, op: MatchOp, args: PythonValues) -> PythonValues:
        (handle,) = args
        assert isinstance(handle, OperationHandle)
        name = op.loop_name.data
        found: list[Operation] = []
        for root in handle.ops:
            for candidate in root.walk():
                if (
                    isinstance(candidate, ForOp)
                    and candidate.name_str == name
                    and candidate not in found
                ):
                    found.append(candidate)
        if not found:
            known = sorted(
                {l.name_str for root in handle.ops for l in root.walk() if isinstance(l, ForOp)}
            )
            raise TransformScriptError(
                f"no loop named '{name}' in the payload of {_handle_name(op.target)}"
                + (f" (loops: {', '.join(known)})" if known else " (it has no loops)"),
                op,
            )
        return (OperationHandle(*found),)

    @impl(PeelOp)
    def run_peel(self, interpreter: Interpreter, op: PeelOp, args: PythonValues) -> PythonValues:
        loops = self._loops(op, 0, args)
        name = op.new_name.data if op.new_name is not None else ""
        plans = [
            self._run(op, plan_peel, loop, op.count.value.data, op.side_str, name)
            for loop in loops
        ]
        done: list[Peeled] = self._rewrite(op, plans)
        return (
            OperationHandle(*(d.peeled for d in done)),
            OperationHandle(*(d.rest for d in done)),
        )

    @impl(SplitOp)
    def run_split(self, interpreter: Interpreter, op: SplitOp, args: PythonValues) -> PythonValues:
        loops = self._loops(op, 0, args)
        name = op.new_name.data if op.new_name is not None else ""
        tail = op.tail_name.data if op.tail_name is not None else ""
        plans = [
            self._run(op, plan_split, loop, op.factor.value.data, name, tail) for loop in loops
        ]
        done: list[SplitResult] = self._rewrite(op, plans)
        return (
            OperationHandle(*(d.outer for d in done)),
            OperationHandle(*(d.inner for d in done)),
            OperationHandle(*(d.tail for d in done if d.tail is not None)),
        )

    @impl(UnrollOp)
    def run_unroll(self, interpreter: Interpreter, op: UnrollOp, args: PythonValues) -> PythonValues:
        loops = self._loops(op, 0, args)
        plans = [self._run(op, plan_unroll, loop, op.factor.value.data) for loop in loops]
        self._rewrite(op, plans)
        return ()

    @impl(ParallelizeOp)
    def run_parallelize(
        self, interpreter: Interpreter, op: ParallelizeOp, args: PythonValues
    ) -> PythonValues:
        loops = self._loops(op, 0, args)
        plans = [self._run(op, plan_parallelize, loop) for loop in loops]
        apply_plans(plans)  # marks only: every handle stays valid
        return ()

    @impl(VectorizeOp)
    def run_vectorize(
        self, interpreter: Interpreter, op: VectorizeOp, args: PythonValues
    ) -> PythonValues:
        loops = self._loops(op, 0, args)
        plans = [self._run(op, plan_vectorize, loop, op.width_value) for loop in loops]
        apply_plans(plans)  # marks only: every handle stays valid
        return ()

    @impl(BottleneckOp)
    def run_bottleneck(
        self, interpreter: Interpreter, op: BottleneckOp, args: PythonValues
    ) -> PythonValues:
        loops = [l for k in range(len(op.operands)) for l in self._loops(op, k, args)]
        if not loops:
            return (OperationHandle(),)
        plan = self._run(op, plan_bottleneck, loops, op.factor.value.data)
        (done,) = self._rewrite(op, [plan])
        return (OperationHandle(*done),)

    @impl(GroupOp)
    def run_group(self, interpreter: Interpreter, op: GroupOp, args: PythonValues) -> PythonValues:
        roles = self._roles(op, args)
        if not any(roles):
            return (OperationHandle(),)
        chosen = self._run(op, select_groupings, interpreter.module, roles, self._what("group", op))
        groups, compact = op.groups.value.data, op.compact is not None
        plans = [self._run(op, plan_group, c, groups, op.name_str, compact) for c in chosen]
        done: list[Grouped] = self._rewrite(op, plans)
        return (OperationHandle(*(d.group_loop for d in done if d.group_loop is not None)),)

    @impl(InterchangeOp)
    def run_interchange(
        self, interpreter: Interpreter, op: InterchangeOp, args: PythonValues
    ) -> PythonValues:
        roles = self._roles(op, args)
        if not any(roles):
            return tuple(OperationHandle() for _ in op.results)
        module = interpreter.module
        order = op.order_list
        strict = op.strict is not None
        requests: list[tuple[tuple[ForOp, ...], tuple[ForOp, ...]]] = []
        if order is None:
            for band in self._run(op, select_swaps, module, roles, self._what("interchange", op)):
                requests.append((band, (band[-1], *band[1:-1], band[0])))
        else:
            for chosen in self._run(op, select_bands, module, roles, self._what("reorder", op)):
                band = tuple(sorted(chosen, key=depth))
                requests.append((band, tuple(chosen[p] for p in order)))
        members = [
            [next(l for l in band if l in role) for role in roles] for band, _ in requests
        ]
        plans = [self._run(op, plan_interchange, band, new, strict) for band, new in requests]
        done: list[Permuted] = self._rewrite(op, plans)
        if not op.results:
            return ()
        return tuple(
            OperationHandle(*(d.replacement(m[k]) for d, m in zip(done, members)))
            for k in range(len(roles))
        )

    @impl(transform.ApplyRegisteredPassOp)
    def run_apply_registered_pass(
        self, interpreter: Interpreter, op: transform.ApplyRegisteredPassOp, args: PythonValues
    ) -> PythonValues:
        (targets,) = args
        assert isinstance(targets, OperationHandle)
        for target in targets.ops:
            if not isinstance(target, builtin.ModuleOp):
                raise TransformScriptError(
                    "transform.apply_registered_pass applies to builtin.module "
                    f"targets only, got a '{target.name}'",
                    op,
                )
        spec = op.pass_name.data + _options_spec(op, op.options.data)
        try:
            pipeline = PassPipeline.parse_spec(self.passes, spec)
        except Exception as e:  # xDSL raises ValueError/Exception for bad specs
            raise TransformScriptError(f"invalid pass '{spec}': {e}", op) from None
        self.state.consume(op, [op.target])
        for target in targets.ops:
            try:
                pipeline.apply(self.ctx, target)
            except LoopnestError as e:
                raise _failure(op, e) from None
        return (OperationHandle(*targets.ops),)


def _failure(op: Operation, error: LoopnestError) -> TransformScriptError:
    """`op` failed because the transformation it applies refused."""
    return TransformScriptError(error.reason, op, "when applied to this loop", error.op)


def _options_spec(op: Operation, options: dict[str, Attribute]) -> str:
    """`{k=v ...}` of MLIR-style pass options (strings, integers, booleans,
    arrays of them)."""
    if not options:
        return ""

    def value(attr: Attribute) -> str:
        if isinstance(attr, builtin.StringAttr):
            return attr.data
        if isinstance(attr, builtin.IntegerAttr):
            if attr.type == builtin.i1:
                return "true" if attr.value.data else "false"
            return str(attr.value.data)
        if isinstance(attr, builtin.ArrayAttr):
            return ",".join(value(a) for a in attr.data)
        raise TransformScriptError(f"unsupported pass option value {attr}", op)

    return "{" + " ".join(f"{k}={value(v)}" for k, v in options.items()) + "}"


@dataclass(frozen=True)
class LoopnestTransformInterpreterPass(ModulePass):
    """Run the module's transform script (`@__transform_main`, or
    `entry_point=`) with xDSL's transform ops and the `transform.loopnest` ops.

    The script transforms the payload only where its handles point: e.g.
    `transform.loopnest.interchange %oh, %ow` with handles matched inside one
    nest leaves the other nests alone.  A transform op that refuses (the
    primitives' exact legality checks) fails the pass with an error at the
    transform op and a note at the payload loop; the module is then left as
    it was.  The script stays in the module (erase it with
    `test-transform-dialect-erase-schedule`).
    """

    name = "loopnest-transform-interpreter"

    entry_point: str = "__transform_main"

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        from xdsl_group.context import all_passes

        work = op.clone()
        schedule = next(
            (
                s
                for s in work.walk()
                if isinstance(s, transform.NamedSequenceOp)
                and s.sym_name.data == self.entry_point
            ),
            None,
        )
        if schedule is None:
            raise LoopnestError(
                f"loopnest-transform-interpreter: no transform.named_sequence "
                f"@{self.entry_point} in the module"
            )
        state = HandleState()
        root = OperationHandle(work)
        for arg in schedule.body.block.args[:1]:
            state.payload[arg] = root
        interpreter = Interpreter(work, listeners=(state,))
        passes = all_passes()
        interpreter.register_implementations(TransformFunctions(ctx, passes))
        interpreter.register_implementations(PrintfFunctions())
        interpreter.register_implementations(
            LoopnestTransformFunctions(ctx, state, passes), override=True
        )
        try:
            interpreter.call_op(schedule, (root,))
        except LoopnestError as e:
            # xDSL's interpreter attaches a dump of the whole module as a
            # note; the diagnostic lines say where.
            if hasattr(e, "__notes__"):
                del e.__notes__
            raise e.with_traceback(None) from None
        work.verify()
        # Commit: the module takes the transformed copy's contents.
        for block in list(op.body.blocks):
            op.body.detach_block(block)
        work.body.move_blocks(op.body)
        op.attributes.clear()
        op.attributes.update(work.attributes)
