"""Compile `loopnest` functions to native code with llvmlite and call them on numpy arrays.

The module is lowered by `convert-loopnest-to-llvm`, translated to LLVM IR by
xDSL's llvmlite backend, optimised at -O3 with loop and SLP vectorisation
for the host CPU (its name and features; the module gets the target's
triple and data layout, without which LLVM barely vectorises), and
JIT-compiled by MCJIT.  Only PyPI packages are needed (`xdsl[llvm]`).
"""

from __future__ import annotations

import ctypes
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
from xdsl.dialects import affine, func, memref
from xdsl.dialects.builtin import MemRefType, ModuleOp

from xdsl_group.api import apply, check_arguments, find_function
from xdsl_group.dialects import loopnest
from xdsl_group.errors import LoopnestError

_CACHE_SIZE = 64
_lock = threading.Lock()
_engines: OrderedDict[tuple[str, bool], _Compiled] = OrderedDict()
_initialized = False


def _llvm() -> Any:
    import llvmlite.binding as llvm

    return llvm


def host_target_machine() -> Any:
    """A new target machine for the host CPU (name and features), -O3.

    A fresh one per engine: an MCJIT engine takes ownership of its target
    machine and frees it with itself.
    """
    llvm = _llvm()
    global _initialized
    if not _initialized:
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        _register_c_runtime(llvm)
        _initialized = True
    target = llvm.Target.from_default_triple()
    return target.create_target_machine(
        cpu=llvm.get_host_cpu_name(),
        features=llvm.get_host_cpu_features().flatten(),
        opt=3,
        jit=True,
    )


def _register_c_runtime(llvm: Any) -> None:
    """Bind the C library functions lowered local buffers call (`malloc`,
    `free`; `memset` for zero-filling) to this process's own, so MCJIT
    resolves them whatever the platform's default symbol search."""
    import ctypes.util

    libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
    for name in ("malloc", "free", "memset"):
        address = ctypes.cast(getattr(libc, name), ctypes.c_void_p).value
        if address:
            llvm.add_symbol(name, address)
    address = ctypes.cast(_alloc_failed_callback, ctypes.c_void_p).value
    llvm.add_symbol("xdsl_group_alloc_failed", address)


# A failed `memref.alloc` in native code records its size here and returns
# from the function (`convert-loopnest-to-llvm{checked-alloc=true}`); the
# caller raises `MemoryError`.
_alloc_failures = threading.local()


@ctypes.CFUNCTYPE(None, ctypes.c_int64)
def _alloc_failed_callback(nbytes: int) -> None:
    _alloc_failures.nbytes = nbytes


def _raise_alloc_failure(func_name: str) -> None:
    nbytes = getattr(_alloc_failures, "nbytes", None)
    if nbytes is not None:
        _alloc_failures.nbytes = None
        raise MemoryError(
            f"@{func_name}: memref.alloc could not allocate {nbytes} bytes; the call "
            "stopped there (arguments may be partly written)"
        )


def lower_to_llvm(module: ModuleOp, noalias: bool = False) -> ModuleOp:
    """`module` (a copy) lowered to the `llvm` dialect."""
    return apply(
        module,
        f"convert-loopnest-to-llvm{{noalias={str(noalias).lower()} checked-alloc=true}}",
    )


def llvm_ir(module: ModuleOp, noalias: bool = False, optimize: bool = False) -> str:
    """LLVM IR text for `module`, for the host target; optimised if asked."""
    from xdsl.backend.llvm.convert import convert_module

    llvm = _llvm()
    tm = host_target_machine()
    lowered = lower_to_llvm(module, noalias)
    try:
        ir_module = convert_module(lowered, fallback_target_triple=llvm.get_process_triple())
    except NotImplementedError as e:
        raise LoopnestError(f"LLVM translation failed: {e}") from None
    ir_module.data_layout = str(tm.target_data)
    text = str(ir_module)
    if not optimize:
        return text
    mod = llvm.parse_assembly(text)
    _optimize(mod, tm)
    return str(mod)


def _optimize(mod: Any, tm: Any) -> None:
    llvm = _llvm()
    mod.triple = tm.triple
    mod.data_layout = str(tm.target_data)
    mod.verify()
    pto = llvm.create_pipeline_tuning_options(speed_level=3)
    pto.loop_vectorization = True
    pto.slp_vectorization = True
    pto.loop_unrolling = True
    pb = llvm.create_pass_builder(tm, pto)
    pb.getModulePassManager().run(mod, pb)


@dataclass
class _Compiled:
    engine: Any
    module: Any  # kept alive with the engine


def _cached(key: tuple[str, bool], build: Any) -> _Compiled:
    with _lock:
        if key in _engines:
            _engines.move_to_end(key)
            return _engines[key]
    compiled = build()
    with _lock:
        _engines[key] = compiled
        while len(_engines) > _CACHE_SIZE:
            _engines.popitem(last=False)
    return compiled


def _build_engine(text: str) -> _Compiled:
    llvm = _llvm()
    tm = host_target_machine()
    mod = llvm.parse_assembly(text)
    _optimize(mod, tm)
    engine = llvm.create_mcjit_compiler(mod, tm)
    engine.finalize_object()
    return _Compiled(engine, mod)


def compile_llvm_ir(text: str) -> _Compiled:
    """Optimise and JIT-compile LLVM IR text (e.g. from `mlir-translate`),
    cached by the text."""
    key = ("ir:" + hashlib.sha256(text.encode()).hexdigest(), False)
    return _cached(key, lambda: _build_engine(text))


def _compile(module: ModuleOp, noalias: bool) -> _Compiled:
    """Lower, optimise and JIT-compile `module`, cached by its text."""
    key = (hashlib.sha256(str(module).encode()).hexdigest(), noalias)
    return _cached(key, lambda: _build_engine(llvm_ir(module, noalias)))


def memref_function(compiled: _Compiled, name: str, types: list[MemRefType]) -> Any:
    """A ctypes function for `name`, taking MLIR's expanded memref arguments."""
    address = compiled.engine.get_function_address(name)
    if not address:
        raise LoopnestError(f"no function @{name} in the compiled module")
    argtypes: list[Any] = []
    for t in types:
        rank = len(t.get_shape())
        argtypes += [ctypes.c_void_p, ctypes.c_void_p] + [ctypes.c_int64] * (1 + 2 * rank)
    return ctypes.CFUNCTYPE(None, *argtypes)(address)


def memref_arguments(buffers: list[np.ndarray[Any, Any]]) -> list[Any]:
    """The expanded descriptor fields (allocated, aligned, offset, sizes,
    strides in elements) of C-contiguous arrays."""
    args: list[Any] = []
    for buf in buffers:
        ptr = buf.ctypes.data
        strides = [s // buf.itemsize for s in buf.strides]
        args += [ptr, ptr, 0, *buf.shape, *strides]
    return args


def written_arguments(fn: func.FuncOp) -> set[int]:
    """Indices of the memref arguments the function stores to."""
    args = list(fn.body.blocks[0].args) if fn.body.blocks else []
    written: set[int] = set()
    for op in fn.walk():
        if isinstance(op, loopnest.StoreOp | memref.StoreOp | affine.StoreOp) and op.memref in args:
            written.add(args.index(op.memref))
    return written


class JitFunction:
    """A native function taking numpy arrays; outputs are written in place.

    Arguments are checked against the function's memref types (arity, shape,
    dtype: `ValueError`).  Non-contiguous arrays are copied in and out.
    Compiled code assumes non-overlapping arguments (`noalias`); when some
    arrays share memory a version without that assumption is used.
    """

    def __init__(self, module: ModuleOp, func_name: str):
        self.func_name = func_name
        self._module = module.clone()
        self._fn = find_function(self._module, func_name)
        if self._fn.function_type.outputs.data:
            raise LoopnestError(
                f"@{func_name} returns values; the JIT runs functions that write "
                "their memref arguments in place",
                self._fn,
            )
        types = self._fn.function_type.inputs.data
        for i, t in enumerate(types):
            if not isinstance(t, MemRefType):
                raise LoopnestError(
                    f"@{func_name} argument #{i} has type {t}; the JIT takes memrefs only",
                    self._fn,
                )
        self._types: list[MemRefType] = list(types)  # type: ignore[arg-type]
        self._written = written_arguments(self._fn)
        self._cfuncs: dict[bool, Any] = {}
        self._cfunc(True)  # compile now: errors surface at jit() time

    def _cfunc(self, noalias: bool) -> Any:
        if noalias not in self._cfuncs:
            compiled = _compile(self._module, noalias)
            cfunc = memref_function(compiled, self.func_name, self._types)
            self._cfuncs[noalias] = (cfunc, compiled)
        return self._cfuncs[noalias][0]

    def __call__(self, *arrays: np.ndarray[Any, Any]) -> None:
        check_arguments(self._fn, arrays)
        for i, arr in enumerate(arrays):
            if i in self._written and not arr.flags.writeable:
                raise ValueError(f"@{self.func_name} argument #{i} is written but read-only")
        buffers = [a if a.flags.c_contiguous else np.ascontiguousarray(a) for a in arrays]
        overlap = any(
            np.may_share_memory(buffers[i], buffers[j])
            for i in range(len(buffers))
            for j in range(i + 1, len(buffers))
        )
        self._cfunc(not overlap)(*memref_arguments(buffers))
        _raise_alloc_failure(self.func_name)
        for i, (arr, buf) in enumerate(zip(arrays, buffers)):
            if buf is not arr and i in self._written:
                arr[...] = buf

    def __repr__(self) -> str:
        return f"<jit @{self.func_name}>"


def jit(module: ModuleOp, func_name: str) -> JitFunction:
    """Compile `@func_name` of `module` to native code; returns a callable.

    `jit(m, "conv2d")(O, I, W)` runs the function on numpy arrays and writes
    outputs in place, like `interpret`.  Compiled engines are cached by the
    module's text, so re-jitting an unchanged module is free.  Raises
    `LoopnestError` if the module cannot be lowered (naming the op).
    """
    return JitFunction(module, func_name)
