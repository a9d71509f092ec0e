"""xDSL interpreter functions for upstream `affine`, with symbols and map operands.

xDSL 0.74's own `affine` interpreter evaluates every map with no symbols and
`affine.for` bounds with no operands, so it fails (a bare `AssertionError`)
on ordinary upstream IR: the short form `affine.load %A[%c0]` reads back as
the symbol map `()[s0] -> (s0)`, and `affine.for %j = 0 to %n` has a bound
operand.  These implementations take a map's operands as its dims followed
by its symbols (MLIR's convention), evaluate `max`/`min` bounds, `iter_args`,
`affine.if`, `affine.min`, and check every access against its memref's
shape.  Integer division follows the native lowering (`loopnest-convert-affine-to-scf`):
`floordiv`/`ceildiv` round down/up, `mod` is the remainder made non-negative
by adding the divisor; a zero divisor raises `ZeroDivisionError` naming the op.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xdsl.dialects import affine
from xdsl.interpreter import (
    Interpreter,
    InterpreterFunctions,
    PythonValues,
    ReturnedValues,
    impl,
    impl_terminator,
    register_impls,
)
from xdsl.interpreters.shaped_array import ShapedArray
from xdsl.ir import Operation
from xdsl.ir.affine import (
    AffineBinaryOpExpr,
    AffineBinaryOpKind,
    AffineConstraintKind,
    AffineExpr,
    AffineMap,
)
from xdsl.utils.exceptions import InterpretationError
from xdsl_group.analysis.affine_utils import evaluate
from xdsl_group.interpreters.checked import checked_index


def _eval(e: AffineExpr, dims: Sequence[int], syms: Sequence[int], op: Operation) -> int:
    try:
        return evaluate(e, dims, syms, lambda node, a, b: _binary(node, a, b, op))
    except ValueError as unknown:  # a node that is no constant, dim or symbol
        raise InterpretationError(f"{op.name}: {unknown}") from None


def _binary(e: AffineBinaryOpExpr, a: int, b: int, op: Operation) -> int:
    kind = e.kind
    if kind == AffineBinaryOpKind.Add:
        return a + b
    if kind == AffineBinaryOpKind.Mul:
        return a * b
    if b == 0:
        raise ZeroDivisionError(f"{op.name}: '{e}' divides by zero")
    if kind == AffineBinaryOpKind.FloorDiv:
        return a // b
    if kind == AffineBinaryOpKind.CeilDiv:
        return -(-a // b)
    # Truncated remainder, then made non-negative by adding the divisor (as
    # `loopnest-convert-affine-to-scf` lowers it: remsi + select).
    r = abs(a) % abs(b) * (1 if a >= 0 else -1)
    return r + b if r < 0 else r


def eval_map(m: AffineMap, operands: Sequence[int], op: Operation) -> list[int]:
    """The results of `m` on `operands`: its dims, then its symbols."""
    if len(operands) != m.num_dims + m.num_symbols:
        raise InterpretationError(
            f"{op.name}: map {m} takes {m.num_dims} dims and {m.num_symbols} "
            f"symbols but {len(operands)} operands are given"
        )
    dims, syms = operands[: m.num_dims], operands[m.num_dims :]
    return [_eval(e, dims, syms, op) for e in m.results]


def _checked_index(
    op: affine.LoadOp | affine.StoreOp, array: ShapedArray[Any], operands: Sequence[int]
) -> tuple[int, ...]:
    index = eval_map(op.map.data, operands, op)
    if len(index) != len(array.shape):
        raise InterpretationError(
            f"{op.name}: map {op.map.data} gives {len(index)} indices for a memref "
            f"of rank {len(array.shape)}"
        )
    # The same check and message as native code's run-time check.
    return checked_index(op, array, tuple(index))


@register_impls
class AffineFunctions(InterpreterFunctions):
    @impl(affine.ForOp)
    def run_for(
        self, interpreter: Interpreter, op: affine.ForOp, args: PythonValues
    ) -> PythonValues:
        n_lb = len(op.lowerBoundOperands)
        n_ub = len(op.upperBoundOperands)
        lb_args, ub_args = args[:n_lb], args[n_lb : n_lb + n_ub]
        carried = tuple(args[n_lb + n_ub :])
        lbs = eval_map(op.lowerBoundMap.data, lb_args, op)
        ubs = eval_map(op.upperBoundMap.data, ub_args, op)
        if not lbs or not ubs:
            raise InterpretationError(f"{op.name}: a bound map has no results")
        step = op.step.value.data
        if step <= 0:
            raise InterpretationError(f"{op.name}: step {step} is not positive")
        for i in range(max(lbs), min(ubs), step):
            carried = tuple(interpreter.run_ssacfg_region(op.body, (i, *carried), op.name))
        return carried

    @impl(affine.IfOp)
    def run_if(
        self, interpreter: Interpreter, op: affine.IfOp, args: PythonValues
    ) -> PythonValues:
        s = op.condition.data
        if len(args) != s.num_dims + s.num_symbols:
            raise InterpretationError(
                f"{op.name}: set {s} takes {s.num_dims} dims and {s.num_symbols} "
                f"symbols but {len(args)} operands are given"
            )
        dims, syms = args[: s.num_dims], args[s.num_dims :]
        holds = True
        for c in s.constraints:
            v = _eval(c.lhs, dims, syms, op) - _eval(c.rhs, dims, syms, op)
            if c.kind == AffineConstraintKind.ge:
                holds = holds and v >= 0
            elif c.kind == AffineConstraintKind.le:
                holds = holds and v <= 0
            else:
                holds = holds and v == 0
        region = op.then_region if holds else op.else_region
        return interpreter.run_ssacfg_region(region, (), op.name)

    @impl(affine.ApplyOp)
    def run_apply(
        self, interpreter: Interpreter, op: affine.ApplyOp, args: PythonValues
    ) -> PythonValues:
        results = eval_map(op.map.data, args, op)
        if len(results) != 1:
            raise InterpretationError(f"{op.name}: map {op.map.data} must have one result")
        return tuple(results)

    @impl(affine.MinOp)
    def run_min(
        self, interpreter: Interpreter, op: affine.MinOp, args: PythonValues
    ) -> PythonValues:
        return (min(eval_map(op.map.data, args, op)),)

    @impl(affine.LoadOp)
    def run_load(
        self, interpreter: Interpreter, op: affine.LoadOp, args: PythonValues
    ) -> PythonValues:
        array, *operands = args
        return (array.load(_checked_index(op, array, operands)),)

    @impl(affine.StoreOp)
    def run_store(
        self, interpreter: Interpreter, op: affine.StoreOp, args: PythonValues
    ) -> PythonValues:
        value, array, *operands = args
        array.store(_checked_index(op, array, operands), value)
        return ()

    @impl_terminator(affine.YieldOp)
    def run_yield(
        self, interpreter: Interpreter, op: affine.YieldOp, args: PythonValues
    ):
        return ReturnedValues(args), ()
