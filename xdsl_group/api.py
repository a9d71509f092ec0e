"""The stable Python API: parse, apply, interpret."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    MemRefType,
    ModuleOp,
    f32,
    f64,
    i32,
    i64,
)
from xdsl.ir import Operation, SSAValue
from xdsl.passes import PassPipeline
from xdsl.utils.exceptions import ArgSpecParseError, DiagnosticException, ParseError

from xdsl_group.context import all_passes, make_context
from xdsl_group.errors import LoopnestError
from xdsl_group.parse_errors import (
    LocatingParser,
    parse_diagnostic,
    parse_error_diagnostic,
    parse_failure,
    verify_diagnostic,
    verify_failure,
)


def parse(text: str, name: str = "<input>") -> ModuleOp:
    """Parse MLIR text (every xDSL dialect and `loopnest` known) and verify it.

    Raises `LoopnestError` with one diagnostic line, `file:line:col: error:
    ...` when the position is known: the parser's or verifier's message, and
    also for input xDSL fails on with a plain exception (semi-affine maps,
    input nested beyond the recursion limit, an upstream verifier crashing).
    """
    try:
        parser = LocatingParser(make_context(), text, name)
        module = parser.parse_module()
    except ParseError as e:
        raise parse_error_diagnostic(e) from None
    except DiagnosticException as e:
        raise parse_diagnostic(e, parser) from None
    except Exception as e:  # noqa: BLE001 - xDSL raises plain exceptions on some input
        raise parse_failure(e, parser) from None
    try:
        module.verify()
    except DiagnosticException as e:
        raise verify_diagnostic(e, module) from None
    except Exception as e:  # noqa: BLE001 - an upstream verifier crashing
        raise verify_failure(e, module) from None
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


# Ops whose memref operands are only read.
_READS: tuple[type[Operation], ...] = ()
# Ops whose memref result is a view of (aliases) their memref operand.
_VIEWS: tuple[type[Operation], ...] = ()


def _memory_op_kinds() -> None:
    global _READS, _VIEWS
    if _READS:
        return
    from xdsl.dialects import affine, memref

    from xdsl_group.dialects import loopnest

    _READS = (loopnest.LoadOp, memref.LoadOp, affine.LoadOp, memref.DimOp)
    _VIEWS = (
        memref.SubviewOp,
        memref.CastOp,
        memref.ReinterpretCastOp,
        memref.CollapseShapeOp,
        memref.ExpandShapeOp,
        memref.MemorySpaceCastOp,
    )


def _is_stored_to(value: SSAValue, module: Operation | None, visiting: set[Any]) -> bool:
    """Whether the memory behind `value` may be written: by a store, through a
    view of it, in a called function, or anywhere it escapes to (a use this
    analysis does not know counts as a write)."""
    from xdsl.dialects import affine, memref

    from xdsl_group.dialects import loopnest

    _memory_op_kinds()
    for use in value.uses:
        op = use.operation
        if isinstance(op, _READS):
            continue
        if isinstance(op, loopnest.StoreOp | memref.StoreOp | affine.StoreOp):
            if op.memref is value:
                return True
            continue  # only an index operand (a memref never is)
        if isinstance(op, _VIEWS):
            if any(_is_stored_to(r, module, visiting) for r in op.results):
                return True
            continue
        if isinstance(op, func.CallOp):
            callee = _callee(module, op.callee.string_value())
            if callee is None or not callee.body.blocks:
                return True
            key = (callee, use.index)
            if key in visiting:
                continue  # a recursive call: the callee's other uses decide
            visiting.add(key)
            if _is_stored_to(callee.body.blocks[0].args[use.index], module, visiting):
                return True
            continue
        return True
    return False


def _callee(module: Operation | None, name: str) -> func.FuncOp | None:
    if module is None:
        return None
    for op in module.walk():
        if isinstance(op, func.FuncOp) and op.sym_name.data == name:
            return op
    return None


def written_arguments(fn: func.FuncOp) -> set[int]:
    """Indices of the memref arguments `fn` may write.

    Sound: stores through views (`memref.subview`, casts), in functions it
    calls (`func.call`, resolved in the enclosing module) and any use the
    analysis does not know (e.g. returning the memref) count as writes.
    """
    if not fn.body.blocks:
        return set(range(len(fn.function_type.inputs.data)))
    module = fn.parent_op()
    while module is not None and not isinstance(module, ModuleOp):
        module = module.parent_op()
    return {
        i
        for i, arg in enumerate(fn.body.blocks[0].args)
        if isinstance(arg.type, MemRefType)
        and _is_stored_to(arg, module, {(fn, i)})
    }


# Effort numpy may spend proving two arrays disjoint (see `np.shares_memory`).
_OVERLAP_WORK = 100_000


def _describe(fn: func.FuncOp, i: int) -> str:
    args = fn.body.blocks[0].args if fn.body.blocks else ()
    if i < len(args) and args[i].name_hint:
        return f"#{i} (%{args[i].name_hint})"
    return f"#{i}"


def random_arrays(
    fn: func.FuncOp, types: Sequence[MemRefType], seed: int = 0
) -> list[np.ndarray[Any, Any]]:
    """Arrays of the static `types` of `fn`'s arguments: zeros for those it
    writes, small random values (standard normal floats, integers in
    [-8, 8)) for the others, from `seed`."""
    rng = np.random.default_rng(seed)
    written = written_arguments(fn)
    arrays: list[np.ndarray[Any, Any]] = []
    for i, t in enumerate(types):
        dtype = numpy_dtype(t.element_type)
        shape = tuple(t.get_shape())
        if i in written:
            arrays.append(np.zeros(shape, dtype))
        elif dtype.kind == "f":
            arrays.append(rng.standard_normal(shape).astype(dtype))
        else:
            arrays.append(rng.integers(-8, 8, shape).astype(dtype))
    return arrays


def validate_arguments(
    fn: func.FuncOp, arrays: tuple[np.ndarray[Any, Any], ...], written: set[int]
) -> list[MemRefType]:
    """Everything checked before a call, in `interpret` and the JIT alike
    (`ValueError`): arity, shapes and dtypes (`check_arguments`), that every
    argument the function writes (`written`) is writeable, and that no
    written argument overlaps another argument (read-only arguments may
    overlap each other).  Overlap is decided exactly; when numpy finds it too
    hard to decide, the arguments are refused as possibly overlapping."""
    types = check_arguments(fn, arrays)
    check_sharing(fn, arrays, written)
    return types


def check_sharing(
    fn: func.FuncOp, arrays: tuple[np.ndarray[Any, Any], ...], written: set[int]
) -> None:
    """The part of `validate_arguments` after shapes and dtypes: written
    arguments are writeable and share no memory with any other argument."""
    name = fn.sym_name.data
    for i in sorted(written):
        if not arrays[i].flags.writeable:
            raise ValueError(
                f"@{name} argument {_describe(fn, i)} is written but read-only"
            )
    for i in range(len(arrays)):
        for j in range(i + 1, len(arrays)):
            if i not in written and j not in written:
                continue
            try:
                overlap = np.shares_memory(arrays[i], arrays[j], max_work=_OVERLAP_WORK)
                how = "overlap"
            except np.exceptions.TooHardError:
                overlap, how = True, "may overlap"
            if overlap:
                w = i if i in written else j
                raise ValueError(
                    f"@{name} arguments {_describe(fn, i)} and {_describe(fn, j)} {how} "
                    f"and {_describe(fn, w)} is written by the function; "
                    "written arguments must not share memory with any other argument"
                )


def interpret(module: ModuleOp, func_name: str, *arrays: np.ndarray[Any, Any]) -> None:
    """Run `@func_name` in xDSL's interpreter on numpy arrays.

    Arrays are passed as the function's memref arguments; the function runs
    on copies, and what it writes is copied back into them (outputs are
    written in place) once it has returned.  Float operations round to their
    type at every step, as native code does.

    Everything is validated before anything runs (`validate_arguments`):
    a wrong arity, shape or dtype, a read-only array for an argument the
    function writes, or a written argument that overlaps another raises
    `ValueError`.  Integer division by zero raises `ZeroDivisionError`, a
    signed quotient that overflows `OverflowError`, an out-of-bounds access
    `IndexError` (each naming the op, as in the JIT); then every argument is
    left unchanged.
    """
    # xDSL's interpreters are imported on first use: `xdsl.interpreters`
    # loads every dialect's interpreter (RISC-V included), a large part of
    # the start-up time of every tool run that never interprets.
    from xdsl.interpreter import Interpreter
    from xdsl.interpreters import affine, arith, builtin, func as func_impl
    from xdsl.interpreters import math as math_impl
    from xdsl.interpreters import memref, scf
    from xdsl.interpreters.shaped_array import ShapedArray
    from xdsl.interpreters.utils.ptr import RawPtr, TypedPtr

    from xdsl_group.interpreters.checked import CheckedFunctions
    from xdsl_group.interpreters.affine import AffineFunctions
    from xdsl_group.interpreters.float_arith import FloatArithFunctions
    from xdsl_group.interpreters.loopnest import LoopnestFunctions
    from xdsl_group.interpreters.memref import LocalBufferFunctions

    fn = find_function(module, func_name)
    written = written_arguments(fn)
    types = validate_arguments(fn, arrays, written)
    # A free that native code refuses (double, early, of an argument) is
    # undefined: refused here too, before running.
    from xdsl_group.lowering.loopnest_finalize_memref_to_llvm import check_deallocs

    check_deallocs(fn)
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
    interpreter.register_implementations(CheckedFunctions(), override=True)
    # Upstream affine with symbols and bound operands; zero-filled local buffers.
    interpreter.register_implementations(AffineFunctions(), override=True)
    interpreter.register_implementations(LocalBufferFunctions(), override=True)
    interpreter.call_op(fn, tuple(shaped))

    for i in sorted(written):
        out = np.frombuffer(bytes(shaped[i].data_ptr.raw.memory), dtype=arrays[i].dtype)
        arrays[i][...] = out.reshape(arrays[i].shape)
