"""xDSL interpreter functions for function-local buffers (`memref.alloc`/`alloca`).

xDSL 0.74 interprets `memref.alloc` (zero-filled) and `memref.dealloc` (a
no-op) but not `memref.alloca`.  Both allocations here give a fresh
zero-filled buffer each time they run, as the native lowering does
(`loopnest-finalize-memref-to-llvm` clears every local buffer when it is allocated),
so a program that reads a buffer before writing it gives the same numbers in
both.  Dynamic sizes are taken from the op's operands.
"""

from __future__ import annotations

from math import prod
from typing import Any

from xdsl.dialects import memref
from xdsl.dialects.builtin import DYNAMIC_INDEX, MemRefType
from xdsl.interpreter import (
    Interpreter,
    InterpreterFunctions,
    PythonValues,
    impl,
    register_impls,
)
from xdsl.interpreters.builtin import xtype_for_el_type
from xdsl.interpreters.shaped_array import ShapedArray
from xdsl.interpreters.utils.ptr import TypedPtr
from xdsl.ir import Operation
from xdsl.utils.exceptions import InterpretationError


def _zeroed(interpreter: Interpreter, op: Operation, ty: Any, sizes: PythonValues) -> ShapedArray[Any]:
    assert isinstance(ty, MemRefType)
    dynamic = iter(sizes)
    shape = [next(dynamic) if d == DYNAMIC_INDEX else d for d in ty.get_shape()]
    if any(d < 0 for d in shape):
        raise InterpretationError(f"{op.name}: negative size in shape {shape}")
    xtype = xtype_for_el_type(ty.get_element_type(), interpreter.index_bitwidth)
    try:
        return ShapedArray(TypedPtr[Any].zeros(prod(shape), xtype=xtype), shape)
    except (MemoryError, OverflowError):
        raise MemoryError(
            f"{op.name}: cannot allocate a buffer of {prod(shape)} elements"
        ) from None


@register_impls
class LocalBufferFunctions(InterpreterFunctions):
    @impl(memref.AllocOp)
    def run_alloc(
        self, interpreter: Interpreter, op: memref.AllocOp, args: PythonValues
    ) -> PythonValues:
        return (_zeroed(interpreter, op, op.memref.type, args[: len(op.dynamic_sizes)]),)

    @impl(memref.AllocaOp)
    def run_alloca(
        self, interpreter: Interpreter, op: memref.AllocaOp, args: PythonValues
    ) -> PythonValues:
        return (_zeroed(interpreter, op, op.memref.type, args[: len(op.dynamic_sizes)]),)

    @impl(memref.DeallocOp)
    def run_dealloc(
        self, interpreter: Interpreter, op: memref.DeallocOp, args: PythonValues
    ) -> PythonValues:
        return ()
