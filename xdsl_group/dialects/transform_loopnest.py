"""`transform.loopnest`: the loop transformations as transform-dialect ops.

A transform script names payload loops by *handle* (an SSA value of type
`!transform.any_op` holding a list of payload ops) and applies one
transformation after another, as MLIR's `transform.loop.peel` does::

    %co = transform.loopnest.match "co" in %root : (!transform.any_op) -> !transform.any_op
    %peeled, %rest = transform.loopnest.peel %co {count = 2 : i64}
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op)

The options mirror the passes' (`peel-loops`, `group-loops`,
`interchange-loops`).  The ops only describe the script; the
`loopnest-transform-interpreter` pass runs it.  Every transformation op
consumes its loop handles (as MLIR's ops do): afterwards they, and every
handle to a payload op inside their loops, are invalid.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from xdsl.dialects.builtin import (
    DenseArrayBase,
    IntegerAttr,
    IntegerType,
    StringAttr,
    UnitAttr,
    i64,
)
from xdsl.dialects.transform import AnyOpType, TransformOpHandleType
from xdsl.ir import Dialect, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    var_operand_def,
    var_result_def,
)
from xdsl.parser import Parser
from xdsl.utils.exceptions import VerifyException

from xdsl_group.dialects.loopnest import _record_location  # pyright: ignore[reportPrivateUsage]
from xdsl_group.errors import format_diagnostic

PEEL_SIDES = ("front", "back")


class _TransformLoopnestOp(IRDLOperation):
    """Options are properties spelled in the attribute dictionary, as in
    MLIR (`{count = 2 : i64}`); verifier errors are one diagnostic line
    pointing at the op."""

    irdl_options = (ParsePropInAttrDict(),)

    def verify_(self) -> None:
        reason = self.check()
        if reason is not None:
            raise VerifyException(format_diagnostic(reason, self))

    def check(self) -> str | None:
        """Why the op is malformed, or None."""
        return None


_OpT = TypeVar("_OpT", bound=_TransformLoopnestOp)


def _located(cls: type[_OpT]) -> type[_OpT]:
    """Wrap the parser `irdl_op_definition` generated from the assembly
    format so that the op records where it was parsed (for diagnostics)."""
    generated = cls.parse.__func__  # pyright: ignore[reportFunctionMemberAccess]

    def parse(c: type[_OpT], parser: Parser) -> _OpT:
        start = parser.pos
        op = generated(c, parser)
        _record_location(parser, op, start)
        return op

    cls.parse = classmethod(parse)  # pyright: ignore[reportAttributeAccessIssue]
    return cls


_FORMAT = "attr-dict `:` functional-type(operands, results)"


@_located
@irdl_op_definition
class MatchOp(_TransformLoopnestOp):
    """`%l = transform.loopnest.match "NAME" in %h`: the loops called NAME in
    (or being) the payload ops of `%h`, in program order.  Refused when there
    is none (a misspelt name would otherwise do nothing)."""

    name = "transform.loopnest.match"

    loop_name = prop_def(StringAttr)
    target = operand_def(TransformOpHandleType)
    result = result_def(TransformOpHandleType)

    assembly_format = "$loop_name `in` $target " + _FORMAT

    def __init__(self, loop_name: str, target: SSAValue):
        super().__init__(
            properties={"loop_name": StringAttr(loop_name)},
            operands=[target],
            result_types=[AnyOpType()],
        )

    def check(self) -> str | None:
        if not self.loop_name.data:
            return "the loop name is empty"
        return None


@_located
@irdl_op_definition
class PeelOp(_TransformLoopnestOp):
    """`%peeled, %rest = transform.loopnest.peel %l {count = U : i64}`: peel
    U iterations off every loop of `%l` (`peel-loops`); `side = "back"` peels
    the last ones, `name = "N"` names the peeled loops (default `L_peel`).
    `%peeled` holds the peeled loops, `%rest` the remainders (which keep the
    name), loop by loop."""

    name = "transform.loopnest.peel"

    count = prop_def(IntegerAttr[IntegerType])
    side = opt_prop_def(StringAttr)
    new_name = opt_prop_def(StringAttr, prop_name="name")
    target = operand_def(TransformOpHandleType)
    peeled = result_def(TransformOpHandleType)
    rest = result_def(TransformOpHandleType)

    assembly_format = "$target " + _FORMAT

    def __init__(
        self, target: SSAValue, count: int, side: str | None = None, name: str | None = None
    ):
        super().__init__(
            properties={
                "count": IntegerAttr(count, i64),
                "side": StringAttr(side) if side is not None else None,
                "name": StringAttr(name) if name is not None else None,
            },
            operands=[target],
            result_types=[AnyOpType(), AnyOpType()],
        )

    @property
    def side_str(self) -> str:
        return self.side.data if self.side is not None else "front"

    def check(self) -> str | None:
        if self.count.value.data <= 0:
            return f"count must be positive, got {self.count.value.data}"
        if self.side_str not in PEEL_SIDES:
            return f"side must be \"front\" or \"back\", got \"{self.side_str}\""
        if self.new_name is not None and not self.new_name.data:
            return "name must not be empty"
        return None


@_located
@irdl_op_definition
class GroupOp(_TransformLoopnestOp):
    """`%g = transform.loopnest.group %a, %b, ... {groups = G : i64}`: group
    the loops of the handles G ways (`group-loops`), the first handle's loop
    first; paired nest by nest, one loop of each handle on one path per nest.
    `name = "N"` names the new loop (default `g`), `compact` shrinks the
    memrefs as `compact=true` does.  `%g` holds the new group loops (none
    for G = 1, which changes nothing)."""

    name = "transform.loopnest.group"

    groups = prop_def(IntegerAttr[IntegerType])
    new_name = opt_prop_def(StringAttr, prop_name="name")
    compact = opt_prop_def(UnitAttr)
    targets = var_operand_def(TransformOpHandleType)
    result = result_def(TransformOpHandleType)

    assembly_format = "$targets " + _FORMAT

    def __init__(
        self,
        targets: Sequence[SSAValue],
        groups: int,
        name: str | None = None,
        compact: bool = False,
    ):
        super().__init__(
            properties={
                "groups": IntegerAttr(groups, i64),
                "name": StringAttr(name) if name is not None else None,
                "compact": UnitAttr() if compact else None,
            },
            operands=[targets],
            result_types=[AnyOpType()],
        )

    @property
    def name_str(self) -> str:
        return self.new_name.data if self.new_name is not None else "g"

    def check(self) -> str | None:
        if not self.targets:
            return "takes at least one loop handle"
        if self.groups.value.data < 1:
            return f"groups must be at least 1, got {self.groups.value.data}"
        if not self.name_str:
            return "name must not be empty"
        return None


@_located
@irdl_op_definition
class InterchangeOp(_TransformLoopnestOp):
    """`transform.loopnest.interchange %a, %b`: swap the two loops
    (`interchange-loops{loops=A,B}`); `transform.loopnest.interchange %l0,
    ..., %ln {order = array<i64: p0, ..., pn>}`: the handles' loops form a
    perfectly nested band, which then runs the loop of handle p0 outermost,
    then that of p1, ... (`interchange-loops{order=...}`).  Paired nest by
    nest; `strict` forbids reordering reductions.  Without results, or with
    one per handle: the rebuilt loop of each handle."""

    name = "transform.loopnest.interchange"

    order = opt_prop_def(DenseArrayBase.constr(i64))
    strict = opt_prop_def(UnitAttr)
    targets = var_operand_def(TransformOpHandleType)
    results_ = var_result_def(TransformOpHandleType)

    assembly_format = "$targets " + _FORMAT

    def __init__(
        self,
        targets: Sequence[SSAValue],
        order: Sequence[int] | None = None,
        strict: bool = False,
        with_results: bool = False,
    ):
        super().__init__(
            properties={
                "order": DenseArrayBase.from_list(i64, order) if order is not None else None,
                "strict": UnitAttr() if strict else None,
            },
            operands=[targets],
            result_types=[[AnyOpType() for _ in targets] if with_results else []],
        )

    @property
    def order_list(self) -> list[int] | None:
        return None if self.order is None else list(self.order.get_values())

    def check(self) -> str | None:
        n = len(self.targets)
        order = self.order_list
        if order is None and n != 2:
            return f"swaps two loop handles, got {n} (give order = array<i64: ...> to reorder a band)"
        if order is not None and (n < 2 or sorted(order) != list(range(n))):
            return f"order must be a permutation of 0..{n - 1} (one entry per handle), got {order}"
        if len(self.results_) not in (0, n):
            return f"has {len(self.results_)} results; it takes none or one per handle ({n})"
        return None


@_located
@irdl_op_definition
class SplitOp(_TransformLoopnestOp):
    """`%outer, %inner, %tail = transform.loopnest.split %l {factor = F : i64}`:
    split every loop of `%l` into tiles of F iterations (`split-loops`);
    `name = "N"` names the inner loops (default `L_i`), `tail_name = "T"`
    the tail loops (default `L_tail`).  `%outer` holds the loops over tiles
    (the given loops), `%inner` the loops inside them, `%tail` the tails of
    the loops that have one."""

    name = "transform.loopnest.split"

    factor = prop_def(IntegerAttr[IntegerType])
    new_name = opt_prop_def(StringAttr, prop_name="name")
    tail_name = opt_prop_def(StringAttr)
    target = operand_def(TransformOpHandleType)
    outer = result_def(TransformOpHandleType)
    inner = result_def(TransformOpHandleType)
    tail = result_def(TransformOpHandleType)

    assembly_format = "$target " + _FORMAT

    def __init__(
        self,
        target: SSAValue,
        factor: int,
        name: str | None = None,
        tail_name: str | None = None,
    ):
        super().__init__(
            properties={
                "factor": IntegerAttr(factor, i64),
                "name": StringAttr(name) if name is not None else None,
                "tail_name": StringAttr(tail_name) if tail_name is not None else None,
            },
            operands=[target],
            result_types=[AnyOpType(), AnyOpType(), AnyOpType()],
        )

    def check(self) -> str | None:
        if self.factor.value.data <= 0:
            return f"factor must be positive, got {self.factor.value.data}"
        for attr, what in ((self.new_name, "name"), (self.tail_name, "tail_name")):
            if attr is not None and not attr.data:
                return f"{what} must not be empty"
        return None


@_located
@irdl_op_definition
class UnrollOp(_TransformLoopnestOp):
    """`transform.loopnest.unroll %l {factor = F : i64} : !transform.any_op`: unroll every loop
    of `%l` by F (`unroll-loops`), `factor = 0` fully."""

    name = "transform.loopnest.unroll"

    factor = prop_def(IntegerAttr[IntegerType])
    target = operand_def(TransformOpHandleType)

    assembly_format = "$target attr-dict `:` type($target)"

    def __init__(self, target: SSAValue, factor: int):
        super().__init__(properties={"factor": IntegerAttr(factor, i64)}, operands=[target])

    def check(self) -> str | None:
        if self.factor.value.data < 0:
            return f"factor must be 0 (fully) or positive, got {self.factor.value.data}"
        return None


@_located
@irdl_op_definition
class ParallelizeOp(_TransformLoopnestOp):
    """`transform.loopnest.parallelize %l : !transform.any_op`: mark every loop of `%l` parallel
    after proving it carries no dependence (`parallelize-loops`).  Marking
    replaces nothing, so `%l` stays valid."""

    name = "transform.loopnest.parallelize"

    target = operand_def(TransformOpHandleType)

    assembly_format = "$target attr-dict `:` type($target)"

    def __init__(self, target: SSAValue):
        super().__init__(operands=[target])


@_located
@irdl_op_definition
class VectorizeOp(_TransformLoopnestOp):
    """`transform.loopnest.vectorize %l {width = W : i64} : !transform.any_op`: mark every
    innermost loop of `%l` to run as vectors of W lanes (`vectorize-loops`; `width = 0` or
    no width: the whole loop), after checking its body and dependences.  Marking replaces
    nothing, so `%l` stays valid."""

    name = "transform.loopnest.vectorize"

    width = opt_prop_def(IntegerAttr[IntegerType])
    target = operand_def(TransformOpHandleType)

    assembly_format = "$target attr-dict `:` type($target)"

    def __init__(self, target: SSAValue, width: int = 0):
        super().__init__(properties={"width": IntegerAttr(width, i64)}, operands=[target])

    @property
    def width_value(self) -> int:
        return self.width.value.data if self.width is not None else 0

    def check(self) -> str | None:
        if self.width_value < 0:
            return f"width must be 0 (the whole loop) or positive, got {self.width_value}"
        return None


@_located
@irdl_op_definition
class BottleneckOp(_TransformLoopnestOp):
    """`%b = transform.loopnest.bottleneck %l, ... {factor = B : i64}`: shrink
    the loops of the handles, and the function-argument dimensions they
    index, by B (`bottleneck-loops`), all in one request: a convolution's
    `co` and the next one's `ci` shrink together with the array between
    them.  `%b` holds the shrunk loops (the same ops, over `range(N/B)`)."""

    name = "transform.loopnest.bottleneck"

    factor = prop_def(IntegerAttr[IntegerType])
    targets = var_operand_def(TransformOpHandleType)
    result = result_def(TransformOpHandleType)

    assembly_format = "$targets " + _FORMAT

    def __init__(self, targets: Sequence[SSAValue], factor: int):
        super().__init__(
            properties={"factor": IntegerAttr(factor, i64)},
            operands=[targets],
            result_types=[AnyOpType()],
        )

    def check(self) -> str | None:
        if not self.targets:
            return "takes at least one loop handle"
        if self.factor.value.data <= 0:
            return f"factor must be positive, got {self.factor.value.data}"
        return None


TransformLoopnest = Dialect(
    "transform.loopnest",
    [
        MatchOp,
        PeelOp,
        GroupOp,
        InterchangeOp,
        SplitOp,
        UnrollOp,
        ParallelizeOp,
        VectorizeOp,
        BottleneckOp,
    ],
    [],
)
