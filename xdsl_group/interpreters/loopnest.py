"""xDSL interpreter functions for the `loopnest` dialect."""

from __future__ import annotations

from typing import Any

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
from xdsl.ir import SSAValue

from xdsl_group.analysis.affine_utils import evaluate_map
from xdsl_group.dialects import loopnest
from xdsl_group.errors import format_diagnostic


def _checked_index(
    op: loopnest.LoadOp | loopnest.StoreOp, array: ShapedArray[Any], dims: PythonValues
) -> tuple[int, ...]:
    index = evaluate_map(op.map.data, list(dims))
    for d, (i, size) in enumerate(zip(index, array.shape, strict=True)):
        if not 0 <= i < size:
            name = _value_name(op.memref)
            raise IndexError(
                format_diagnostic(
                    f"index {i} is out of bounds for dimension {d} (size {size}) of {name}",
                    op,
                )
            )
    return index


def _value_name(value: SSAValue) -> str:
    return f"%{value.name_hint}" if value.name_hint else "the memref"


@register_impls
class LoopnestFunctions(InterpreterFunctions):
    @impl(loopnest.ForOp)
    def run_for(
        self, interpreter: Interpreter, op: loopnest.ForOp, args: PythonValues
    ) -> PythonValues:
        dims = list(args)
        lb = evaluate_map(op.lower_bound.data, dims)[0]
        ub = evaluate_map(op.upper_bound.data, dims)[0]
        for i in range(lb, ub, op.step.value.data):
            interpreter.run_ssacfg_region(op.body, (i,), "loopnest.for")
        return ()

    @impl_terminator(loopnest.YieldOp)
    def run_yield(
        self, interpreter: Interpreter, op: loopnest.YieldOp, args: PythonValues
    ):
        return ReturnedValues(()), ()

    @impl(loopnest.LoadOp)
    def run_load(
        self, interpreter: Interpreter, op: loopnest.LoadOp, args: PythonValues
    ) -> PythonValues:
        array, *dims = args
        return (array.load(_checked_index(op, array, dims)),)

    @impl(loopnest.StoreOp)
    def run_store(
        self, interpreter: Interpreter, op: loopnest.StoreOp, args: PythonValues
    ) -> PythonValues:
        value, array, *dims = args
        array.store(_checked_index(op, array, dims), value)
        return ()
