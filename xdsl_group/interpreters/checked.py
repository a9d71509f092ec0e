"""Interpreter functions that check at run time what native code checks.

xDSL's own implementations assert on a zero divisor (a bare
`AssertionError`), let signed division overflow wrap, and index memrefs by
their linear offset without checking each dimension.  These raise the same
errors, with the same one-line messages, as the JIT's run-time checks
(`xdsl_group.lowering.runtime_checks`): `ZeroDivisionError`,
`OverflowError` (the minimum signed value divided by -1) and `IndexError`,
each naming the op.  Shifts by at least the bit width (the amount read as
unsigned) shift every bit out, as the lowering defines them (LLVM would
make poison; xDSL asserts on a negative amount).  Register with `override=True` after xDSL's functions.
"""

from __future__ import annotations

from typing import Any

from xdsl.dialects import arith, builtin, memref
from xdsl.interpreter import (
    Interpreter,
    InterpreterFunctions,
    PythonValues,
    impl,
    register_impls,
)
from xdsl.interpreters.shaped_array import ShapedArray
from xdsl.ir import Operation
from xdsl.utils.comparisons import to_signed, to_unsigned

from xdsl_group.errors import format_diagnostic
from xdsl_group.lowering.runtime_checks import (
    DIVISION_BY_ZERO,
    bounds_reason,
    overflow_reason,
)


def _width(interpreter: Interpreter, op: Operation) -> int:
    t = op.results[0].type
    if isinstance(t, builtin.IntegerType):
        return t.width.data
    return interpreter.index_bitwidth


def _signed_operands(
    interpreter: Interpreter, op: Operation, args: PythonValues, overflows: bool
) -> tuple[int, int, int]:
    w = _width(interpreter, op)
    a, b = to_signed(args[0], w), to_signed(args[1], w)
    if b == 0:
        raise ZeroDivisionError(format_diagnostic(DIVISION_BY_ZERO, op))
    if overflows and b == -1 and a == -(1 << (w - 1)):
        raise OverflowError(format_diagnostic(overflow_reason(op), op))
    return a, b, w


def _unsigned_operands(
    interpreter: Interpreter, op: Operation, args: PythonValues
) -> tuple[int, int, int]:
    w = _width(interpreter, op)
    a, b = to_unsigned(args[0], w), to_unsigned(args[1], w)
    if b == 0:
        raise ZeroDivisionError(format_diagnostic(DIVISION_BY_ZERO, op))
    return a, b, w


def _truncated_quotient(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def checked_index(op: Operation, array: ShapedArray[Any], index: tuple[int, ...]) -> tuple[int, ...]:
    for d, (i, size) in enumerate(zip(index, array.shape, strict=True)):
        if not 0 <= i < size:
            raise IndexError(format_diagnostic(bounds_reason(op, d), op))
    return index


@register_impls
class CheckedFunctions(InterpreterFunctions):
    @impl(arith.DivSIOp)
    def run_divsi(self, interpreter: Interpreter, op: arith.DivSIOp, args: PythonValues):
        a, b, w = _signed_operands(interpreter, op, args, overflows=True)
        return (to_signed(_truncated_quotient(a, b), w),)

    @impl(arith.RemSIOp)
    def run_remsi(self, interpreter: Interpreter, op: arith.RemSIOp, args: PythonValues):
        # The remainder of the minimum value by -1 is 0 (it fits; no overflow).
        a, b, w = _signed_operands(interpreter, op, args, overflows=False)
        return (to_signed(a - _truncated_quotient(a, b) * b, w),)

    @impl(arith.FloorDivSIOp)
    def run_floordivsi(
        self, interpreter: Interpreter, op: arith.FloorDivSIOp, args: PythonValues
    ):
        a, b, w = _signed_operands(interpreter, op, args, overflows=True)
        return (to_signed(a // b, w),)

    @impl(arith.CeilDivSIOp)
    def run_ceildivsi(
        self, interpreter: Interpreter, op: arith.CeilDivSIOp, args: PythonValues
    ):
        a, b, w = _signed_operands(interpreter, op, args, overflows=True)
        return (to_signed(-(-a // b), w),)

    @impl(arith.DivUIOp)
    def run_divui(self, interpreter: Interpreter, op: arith.DivUIOp, args: PythonValues):
        a, b, w = _unsigned_operands(interpreter, op, args)
        return (to_signed(a // b, w),)

    @impl(arith.RemUIOp)
    def run_remui(self, interpreter: Interpreter, op: arith.RemUIOp, args: PythonValues):
        a, b, w = _unsigned_operands(interpreter, op, args)
        return (to_signed(a % b, w),)

    @impl(arith.CeilDivUIOp)
    def run_ceildivui(
        self, interpreter: Interpreter, op: arith.CeilDivUIOp, args: PythonValues
    ):
        a, b, w = _unsigned_operands(interpreter, op, args)
        return (to_signed(-(-a // b), w),)

    @impl(arith.ShLIOp)
    def run_shli(self, interpreter: Interpreter, op: arith.ShLIOp, args: PythonValues):
        w = _width(interpreter, op)
        amount = to_unsigned(args[1], w)
        return (0 if amount >= w else to_signed(args[0] << amount, w),)

    @impl(arith.ShRUIOp)
    def run_shrui(self, interpreter: Interpreter, op: arith.ShRUIOp, args: PythonValues):
        w = _width(interpreter, op)
        amount = to_unsigned(args[1], w)
        return (0 if amount >= w else to_signed(to_unsigned(args[0], w) >> amount, w),)

    @impl(arith.ShRSIOp)
    def run_shrsi(self, interpreter: Interpreter, op: arith.ShRSIOp, args: PythonValues):
        w = _width(interpreter, op)
        amount = min(to_unsigned(args[1], w), w - 1)
        return (to_signed(args[0], w) >> amount,)

    @impl(memref.LoadOp)
    def run_memref_load(
        self, interpreter: Interpreter, op: memref.LoadOp, args: PythonValues
    ):
        array, *indices = args
        return (array.load(checked_index(op, array, tuple(indices))),)

    @impl(memref.StoreOp)
    def run_memref_store(
        self, interpreter: Interpreter, op: memref.StoreOp, args: PythonValues
    ):
        value, array, *indices = args
        array.store(checked_index(op, array, tuple(indices)), value)
        return ()
