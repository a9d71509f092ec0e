"""The stable Python API: parse, apply, interpret."""

from __future__ import annotations

from typing import Any

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    Float32Type,
    Float64Type,
    IntegerType,
    MemRefType,
    ModuleOp,
    f32,
    f64,
    i32,
    i64,
)
from xdsl.interpreter import Interpreter
from xdsl.interpreters.utils.ptr import RawPtr, TypedPtr
from xdsl.interpreters.shaped_array import ShapedArray
from xdsl.parser import Parser
from xdsl.passes import PassPipeline
from xdsl.utils.exceptions import ArgSpecParseError, DiagnosticException, ParseError

from xdsl_group.context import all_passes, make_context
from xdsl_group.errors import LoopnestError


def parse(text: str, name: str = "<input>") -> ModuleOp:
    """Parse MLIR text (every xDSL dialect and `loopnest` known) and verify it.

    Raises `LoopnestError` with the parser's or verifier's message.
    """
    try:
        module = Parser(make_context(), text, name).parse_module()
        module.verify()
    except ParseError as e:
        raise LoopnestError(str(e)) from None
    except DiagnosticException as e:
        raise LoopnestError(_first_line(e)) from None
    return module


def apply(module: ModuleOp, pipeline: str) -> ModuleOp:
    """Run a pass pipeline (`xdsl-opt -p` syntax) on a copy of `module`.

    Returns the transformed copy; `module` itself is never modified, so a
    refused transformation leaves nothing half-rewritten.  Raises
    `LoopnestError` on an unknown pass, a bad option or a refusal.
    """
    try:
        passes = PassPipeline.parse_spec(all_passes(), pipeline)
    except ArgSpecParseError as e:  # a BaseException in xDSL 0.74
        raise LoopnestError(f"invalid pipeline '{pipeline}': {_last_line(e)}") from None
    except Exception as e:  # xDSL raises ValueError/Exception for bad specs
        raise LoopnestError(f"invalid pipeline '{pipeline}': {_last_line(e)}") from None
    result = module.clone()
    try:
        passes.apply(make_context(), result)
        result.verify()
    except LoopnestError:
        raise
    except DiagnosticException as e:
        raise LoopnestError(_first_line(e)) from None
    return result


def _last_line(e: BaseException) -> str:
    """The message of an error printed with its source context (a caret line)."""
    lines = [l.strip() for l in str(e).splitlines() if l.strip()]
    return lines[-1] if lines else type(e).__name__


def _first_line(e: Exception) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


_ELEMENT_TYPES: dict[Any, tuple[np.dtype[Any], Any]] = {
    f32: (np.dtype(np.float32), f32),
    f64: (np.dtype(np.float64), f64),
    i32: (np.dtype(np.int32), i32),
    i64: (np.dtype(np.int64), i64),
}


def numpy_dtype(element_type: Any) -> np.dtype[Any]:
    """The numpy dtype matching a memref element type (ValueError if none)."""
    try:
        return _ELEMENT_TYPES[element_type][0]
    except KeyError:
        raise ValueError(f"unsupported element type {element_type}") from None


def find_function(module: ModuleOp, func_name: str) -> func.FuncOp:
    for op in module.walk():
        if isinstance(op, func.FuncOp) and op.sym_name.data == func_name:
            return op
    names = [
        op.sym_name.data for op in module.walk() if isinstance(op, func.FuncOp)
    ]
    raise ValueError(f"no function @{func_name} in the module (has: {names})")


def check_arguments(
    fn: func.FuncOp, arrays: tuple[np.ndarray[Any, Any], ...]
) -> list[MemRefType]:
    """Check arity, shapes and dtypes of numpy arguments against `fn`."""
    name = fn.sym_name.data
    inputs = fn.function_type.inputs.data
    if len(arrays) != len(inputs):
        raise ValueError(
            f"@{name} takes {len(inputs)} arrays, {len(arrays)} were given"
        )
    types: list[MemRefType] = []
    for i, (arr, ty) in enumerate(zip(arrays, inputs)):
        if not isinstance(ty, MemRefType):
            raise ValueError(f"@{name} argument #{i} has type {ty}; only memrefs are supported")
        if not isinstance(arr, np.ndarray):
            raise ValueError(f"@{name} argument #{i} must be a numpy array, got {type(arr).__name__}")
        shape = tuple(ty.get_shape())
        if arr.shape != shape:
            raise ValueError(
                f"@{name} argument #{i} must have shape {shape}, got {arr.shape}"
            )
        want = numpy_dtype(ty.element_type)
        if arr.dtype != want:
            raise ValueError(
                f"@{name} argument #{i} must have dtype {want}, got {arr.dtype}"
            )
        types.append(ty)
    return types


def interpret(module: ModuleOp, func_name: str, *arrays: np.ndarray[Any, Any]) -> None:
    """Run `@func_name` in xDSL's interpreter on numpy arrays.

    Arrays are passed as the function's memref arguments; what the function
    writes is copied back into them (outputs are written in place).  Float
    operations round to their type at every step, as native code does.  Raises
    `ValueError` on a wrong arity, shape or dtype.
    """
    from xdsl.interpreters import affine, arith, builtin, func as func_impl
    from xdsl.interpreters import math as math_impl
    from xdsl.interpreters import memref, scf

    from xdsl_group.interpreters.float_arith import FloatArithFunctions
    from xdsl_group.interpreters.loopnest import LoopnestFunctions

    fn = find_function(module, func_name)
    types = check_arguments(fn, arrays)
    shaped: list[ShapedArray[Any]] = []
    for arr, ty in zip(arrays, types):
        xtype = _ELEMENT_TYPES[ty.element_type][1]
        data = np.ascontiguousarray(arr)
        ptr = TypedPtr(RawPtr(bytearray(data.tobytes())), xtype=xtype)
        shaped.append(ShapedArray(ptr, list(arr.shape)))

    interpreter = Interpreter(module)
    for impls in (
        arith.ArithFunctions(),
        builtin.BuiltinFunctions(),
        func_impl.FuncFunctions(),
        memref.MemRefFunctions(),
        scf.ScfFunctions(),
        affine.AffineFunctions(),
        math_impl.MathFunctions(),
        LoopnestFunctions(),
    ):
        interpreter.register_implementations(impls)
    interpreter.register_implementations(FloatArithFunctions(), override=True)
    interpreter.call_op(fn, tuple(shaped))

    for arr, sa in zip(arrays, shaped):
        out = np.frombuffer(bytes(sa.data_ptr.raw.memory), dtype=arr.dtype)
        arr[...] = out.reshape(arr.shape)
