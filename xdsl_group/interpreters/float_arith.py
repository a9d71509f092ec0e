"""Float arithmetic for xDSL's interpreter, rounded to the operation's type.

xDSL's own `arith` implementations compute `f32` operations on Python
doubles and round only when a value is stored, so an interpreted f32 kernel
is not bit-comparable with native code.  These implementations round every
`f16`/`f32` result (and `f32` constant) to its type, as hardware does, which
makes interpreter == JIT an exact check where the operation order agrees.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects import arith
from xdsl.dialects.builtin import (
    Float16Type,
    Float32Type,
    Float64Type,
    FloatAttr,
    IndexType,
    IntegerAttr,
)
from xdsl.interpreter import (
    Interpreter,
    InterpreterFunctions,
    PythonValues,
    impl,
    register_impls,
)
from xdsl.interpreters.arith import to_signed
from xdsl.ir import Attribute
from xdsl.utils.exceptions import InterpretationError


def _rounding(type_: Attribute):
    if isinstance(type_, Float32Type):
        return np.float32
    if isinstance(type_, Float16Type):
        return np.float16
    if isinstance(type_, Float64Type):
        return np.float64
    return None


def _binary(op: arith.FloatingPointLikeBinaryOperation, args: PythonValues, fn):
    t = _rounding(op.result.type)
    if t is None:
        return (fn(args[0], args[1]),)
    with np.errstate(all="ignore"):  # IEEE semantics: inf/nan, no exceptions
        return (float(fn(t(args[0]), t(args[1]))),)


@register_impls
class FloatArithFunctions(InterpreterFunctions):
    """Register with `override=True` after xDSL's `ArithFunctions`."""

    @impl(arith.ConstantOp)
    def run_constant(
        self, interpreter: Interpreter, op: arith.ConstantOp, args: PythonValues
    ) -> PythonValues:
        value = op.value
        if isinstance(value, FloatAttr) and (t := _rounding(value.type)) is not None:
            return (float(t(value.value.data)),)
        if isinstance(value, IntegerAttr):
            if isinstance(value.type, IndexType):
                return (to_signed(value.value.data, interpreter.index_bitwidth),)
            return (value.value.data,)
        raise InterpretationError(f"arith.constant not implemented for {value}")

    @impl(arith.AddfOp)
    def run_addf(self, interpreter: Interpreter, op: arith.AddfOp, args: PythonValues):
        return _binary(op, args, lambda a, b: a + b)

    @impl(arith.SubfOp)
    def run_subf(self, interpreter: Interpreter, op: arith.SubfOp, args: PythonValues):
        return _binary(op, args, lambda a, b: a - b)

    @impl(arith.MulfOp)
    def run_mulf(self, interpreter: Interpreter, op: arith.MulfOp, args: PythonValues):
        return _binary(op, args, lambda a, b: a * b)

    @impl(arith.DivfOp)
    def run_divf(self, interpreter: Interpreter, op: arith.DivfOp, args: PythonValues):
        return _binary(op, args, lambda a, b: np.divide(a, b))

    @impl(arith.NegfOp)
    def run_negf(self, interpreter: Interpreter, op: arith.NegfOp, args: PythonValues):
        return (-args[0],)
