"""Compile `loopnest` functions to native code with llvmlite and call them on numpy arrays.

The module is lowered by `convert-loopnest-to-llvm`, translated to LLVM IR by
xDSL's llvmlite backend, optimised at -O3 with loop and SLP vectorisation
for the host CPU (its name and features; the module gets the target's
triple and data layout, without which LLVM barely vectorises), and
JIT-compiled by MCJIT.  Only PyPI packages are needed (`xdsl[llvm]`).

Options: `fast_math=True` lets LLVM fuse multiply-adds (`contract`);
`threads=N` runs loops marked `parallel` on N threads
(`xdsl_group.parallel_runtime`).  Loops marked `parallel` are always
outlined, so the compiled code is the same for every thread count.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from xdsl.dialects import func, memref
from xdsl.dialects.builtin import ArrayAttr, MemRefType, ModuleOp

from xdsl_group.api import (
    apply,
    check_sharing,
    find_function,
    numpy_dtype,
    validate_arguments,
    written_arguments,  # re-exported: part of this module's interface
)
from xdsl_group import parallel_runtime
from xdsl_group.errors import LoopnestError
from xdsl_group.dialects.attributes import RUNTIME_ERRORS_ATTR

# The lowering (and xDSL's `llvm` dialect with it) is imported on first
# compile: `import xdsl_group`, which every tool run does, stays cheaper.

_CACHE_SIZE = 64
_lock = threading.Lock()
# key: (module text digest, options)
_engines: OrderedDict[tuple[str, tuple[bool, ...]], _Compiled] = OrderedDict()
_initialized = False


def _llvm() -> Any:
    import llvmlite.binding as llvm

    return llvm


@functools.cache
def host_cpu_features() -> str:
    """The host CPU's features as LLVM spells them (`+avx2,+fma,...`)."""
    return str(_llvm().get_host_cpu_features().flatten())


_PROBE_IR = """
define void @probe(ptr noalias %a, ptr noalias %b, i64 %n) {
entry:
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %j, %loop ]
  %pa = getelementptr float, ptr %a, i64 %i
  %pb = getelementptr float, ptr %b, i64 %i
  %x = load float, ptr %pa
  %y = load float, ptr %pb
  %s = fadd float %x, %y
  store float %s, ptr %pa
  %j = add i64 %i, 1
  %c = icmp ult i64 %j, %n
  br i1 %c, label %loop, label %exit
exit:
  ret void
}
"""


@functools.cache
def host_vector_bits() -> int:
    """The width of the vectors LLVM's vectoriser uses on the host CPU: 512
    on AVX-512 cores it does not tune for 256-bit vectors (e.g. Zen 4), 256
    on other AVX cores (e.g. Rocket Lake, where a 512-bit FMA takes both
    FMA ports), 128 with SSE only.  Read off the code it makes for a simple
    f32 loop, so it follows LLVM's own tuning of the CPU."""
    llvm = _llvm()
    tm = host_target_machine()
    mod = llvm.parse_assembly(_PROBE_IR)
    _optimize(mod, tm)
    asm = tm.emit_assembly(mod)
    for register, bits in (("zmm", 512), ("ymm", 256)):
        if register in asm:
            return bits
    return 128


def host_target_machine() -> Any:
    """A new target machine for the host CPU (name and features), -O3.

    A fresh one per engine: an MCJIT engine takes ownership of its target
    machine and frees it with itself.
    """
    from xdsl_group.lowering.outline_parallel import RUNTIME_FUNCTION

    llvm = _llvm()
    global _initialized
    if not _initialized:
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        _register_c_runtime(llvm)
        # Compiled `parallel` loops call the thread runtime by this name.
        llvm.add_symbol(RUNTIME_FUNCTION, parallel_runtime.hook_address())
        llvm.add_symbol(parallel_runtime.REQUESTS_SYMBOL, parallel_runtime.requests_address())
        _initialized = True
    target = llvm.Target.from_default_triple()
    return target.create_target_machine(
        cpu=llvm.get_host_cpu_name(),
        features=llvm.get_host_cpu_features().flatten(),
        opt=3,
        jit=True,
    )


def _register_c_runtime(llvm: Any) -> None:
    """Bind the C library functions compiled code calls (`malloc`, `free`
    and `memset` for lowered local buffers; the pthread mutex and condition
    functions for the thread pool's dispatch) to this process's own, so
    MCJIT resolves them whatever the platform's default symbol search."""
    import ctypes.util

    # The process's own symbols as well: the pthread functions live in a
    # library of their own with older C libraries.
    libraries = (ctypes.CDLL(ctypes.util.find_library("c") or None), ctypes.CDLL(None))
    for name in (
        "malloc", "free", "memset",
        "pthread_mutex_lock", "pthread_mutex_unlock", "pthread_cond_wait", "pthread_cond_broadcast",
    ):
        function = next((f for lib in libraries if (f := getattr(lib, name, None)) is not None), None)
        address = ctypes.cast(function, ctypes.c_void_p).value if function is not None else None
        if address:
            llvm.add_symbol(name, address)
    address = ctypes.cast(_alloc_failed_callback, ctypes.c_void_p).value
    llvm.add_symbol("xdsl_group_alloc_failed", address)


# A failed `memref.alloc` in native code records its size here and returns
# from the function (`convert-loopnest-to-llvm{checked-alloc=true}`); the
# caller raises `MemoryError`.
class _AllocFailure:
    """The size of the last failed allocation (set by native code from any
    thread; calls of allocating modules are serialised by `_alloc_lock`)."""

    nbytes: int | None = None


_alloc_failures = _AllocFailure()
_alloc_lock = threading.Lock()


@ctypes.CFUNCTYPE(None, ctypes.c_int64)
def _alloc_failed_callback(nbytes: int) -> None:
    _alloc_failures.nbytes = nbytes


def _raise_alloc_failure(func_name: str, nbytes: int | None) -> None:
    if nbytes is not None:
        raise MemoryError(
            f"@{func_name}: memref.alloc could not allocate {nbytes} bytes; the call "
            "stopped there (arguments are unchanged)"
        )


def _flag(value: bool) -> str:
    return "true" if value else "false"


def lower_to_llvm(
    module: ModuleOp, noalias: bool = False, fast_math: bool = False, parallel: bool = False
) -> ModuleOp:
    """`module` (a copy) lowered to the `llvm` dialect."""
    options = (
        f"noalias={_flag(noalias)} fast-math={_flag(fast_math)} "
        f"parallel={_flag(parallel)} checked-alloc=true"
    )
    return apply(module, f"convert-loopnest-to-llvm{{{options}}}")


def llvm_ir(
    module: ModuleOp,
    noalias: bool = False,
    optimize: bool = False,
    fast_math: bool = False,
    parallel: bool = False,
) -> str:
    """LLVM IR text for `module`, for the host target; optimised if asked.
    `parallel=True` outlines `parallel` loops as the JIT does."""
    return _llvm_ir_and_checks(module, noalias, optimize, fast_math, parallel)[0]


def runtime_errors(lowered: ModuleOp) -> list[tuple[str, str]]:
    """The (exception type, message) of each run-time check of a lowered
    module, by error code - 1."""
    table = lowered.attributes.get(RUNTIME_ERRORS_ATTR)
    if not isinstance(table, ArrayAttr):
        return []
    return [(kind.data, message.data) for kind, message in (e.data for e in table.data)]


def _llvm_ir_and_checks(
    module: ModuleOp,
    noalias: bool,
    optimize: bool = False,
    fast_math: bool = False,
    parallel: bool = False,
    packed: bool = False,
) -> tuple[str, list[tuple[str, str]]]:
    from xdsl.backend.llvm.convert import convert_module

    from xdsl_group.lowering.outline_parallel import atomic_error_flag

    llvm = _llvm()
    tm = host_target_machine()
    lowered = lower_to_llvm(module, noalias, fast_math, parallel)
    checks = runtime_errors(lowered)
    try:
        ir_module = convert_module(lowered, fallback_target_triple=llvm.get_process_triple())
    except NotImplementedError as e:
        raise LoopnestError(f"LLVM translation failed: {e}") from None
    if parallel:
        atomic_error_flag(ir_module)
    if packed:
        _add_packed_entries(ir_module, module)
    ir_module.data_layout = str(tm.target_data)
    text = str(ir_module)
    if not optimize:
        return text, checks
    mod = llvm.parse_assembly(text)
    _optimize(mod, tm)
    return str(mod), checks


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
    # (exception type, message) per error code - 1 of the run-time checks
    checks: list[tuple[str, str]] = field(default_factory=list)
    # Guards the error global: calls of a module with checks are serialised.
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error_flag(self) -> ctypes.c_int32 | None:
        from xdsl_group.lowering.runtime_checks import ERROR_GLOBAL

        if not self.checks:
            return None
        address = self.engine.get_global_value_address(ERROR_GLOBAL)
        return ctypes.c_int32.from_address(address)


def _cached(key: tuple[str, tuple[bool, ...]], build: Any) -> _Compiled:
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


def _build_engine(text: str, checks: list[tuple[str, str]] | None = None) -> _Compiled:
    llvm = _llvm()
    tm = host_target_machine()
    mod = llvm.parse_assembly(text)
    _optimize(mod, tm)
    engine = llvm.create_mcjit_compiler(mod, tm)
    engine.finalize_object()
    return _Compiled(engine, mod, checks or [])


def compile_llvm_ir(text: str) -> _Compiled:
    """Optimise and JIT-compile LLVM IR text (e.g. from `mlir-translate`),
    cached by the text."""
    key = ("ir:" + hashlib.sha256(text.encode()).hexdigest(), ())
    return _cached(key, lambda: _build_engine(text))


def _compile(module: ModuleOp, noalias: bool, fast_math: bool = False) -> _Compiled:
    """Lower (outlining `parallel` loops), optimise and JIT-compile
    `module`, cached by its text and the options."""
    key = (hashlib.sha256(str(module).encode()).hexdigest(), (noalias, fast_math, True))

    def build() -> _Compiled:
        text, checks = _llvm_ir_and_checks(
            module, noalias, fast_math=fast_math, parallel=True, packed=True
        )
        return _build_engine(text, checks)

    return _cached(key, build)


def _symbol_address(engine: Any, name: str) -> int:
    """The address of function `name`.  llvmlite's `get_function_address`
    encodes names as ASCII; LLVM symbols are bytes, and a non-ASCII MLIR
    name is emitted as its UTF-8 bytes, so look those up."""
    from llvmlite.binding import ffi

    return ffi.lib.LLVMPY_GetFunctionAddress(engine, name.encode("utf-8"))


PACKED_SUFFIX = ".packed"


def _add_packed_entries(ir_module: Any, module: ModuleOp) -> None:
    """For each function of `module` taking memrefs and returning nothing,
    `@"<name>.packed"(ptr %fields)`: it loads the expanded descriptor fields
    from an array of 8-byte slots and calls the function.  One pointer
    argument makes a call from Python several times cheaper than ctypes
    converting every field (`JitFunction`)."""
    from llvmlite import ir

    taken = {f.name for f in ir_module.functions}
    defined = {f.name: f for f in ir_module.functions if not f.is_declaration}
    for op in module.walk():
        if not isinstance(op, func.FuncOp) or op.function_type.outputs.data:
            continue
        name = op.sym_name.data
        target = defined.get(name)
        inputs = op.function_type.inputs.data
        if target is None or not all(isinstance(t, MemRefType) for t in inputs):
            continue
        wrapper_name = name + PACKED_SUFFIX
        if wrapper_name in taken:  # a function of the module has that name
            continue
        ptr = ir.PointerType()
        wrapper = ir.Function(ir_module, ir.FunctionType(ir.VoidType(), [ptr]), wrapper_name)
        builder = ir.IRBuilder(wrapper.append_basic_block())
        (fields,) = wrapper.args
        args = []
        i64_type = ir.IntType(64)
        for k, param in enumerate(target.function_type.args):
            slot = builder.gep(fields, [ir.Constant(i64_type, k)], source_etype=i64_type)
            args.append(builder.load(slot, typ=param, align=8))
        builder.call(target, args)
        builder.ret_void()


def packed_function(compiled: _Compiled, name: str) -> Any:
    """A ctypes function for `@name`'s packed entry: one pointer to its
    expanded memref arguments as 8-byte slots."""
    address = _symbol_address(compiled.engine, name + PACKED_SUFFIX)
    if not address:
        raise LoopnestError(f"no function @{name} in the compiled module")
    return ctypes.CFUNCTYPE(None, ctypes.POINTER(ctypes.c_int64))(address)


def memref_function(compiled: _Compiled, name: str, types: list[MemRefType]) -> Any:
    """A ctypes function for `name`, taking MLIR's expanded memref arguments."""
    address = _symbol_address(compiled.engine, name)
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


class JitFunction:
    """A native function taking numpy arrays; outputs are written in place.

    Arguments are validated before anything runs, exactly as by `interpret`
    (`xdsl_group.api.validate_arguments`: arity, shape, dtype, writeable
    outputs, and no written argument overlapping another: `ValueError`), so
    the code is compiled once, with `noalias`.  Non-contiguous arrays are
    copied in and out.  When the code has run-time checks, the arguments it
    writes run on scratch copies, copied back only if no check failed: a
    failed check (`IndexError`, `ZeroDivisionError`, `OverflowError`, naming
    the op) leaves every argument unchanged.

    `threads` loops marked `parallel` run on that many threads; the code is
    the same for every count, so results are too.  When a check fails in a
    call on several threads, the call is repeated on one thread (on fresh
    copies) so that the error raised is that of the first failing iteration
    in program order, as with `threads=1`.
    """

    def __init__(
        self, module: ModuleOp, func_name: str, *, fast_math: bool = False, threads: int = 1
    ):
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise ValueError(f"threads must be a positive integer, not {threads!r}")
        self.func_name = func_name
        self.fast_math = bool(fast_math)
        self.threads = threads
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
        # A failed malloc returns early too (`checked-alloc`).
        self._allocates = any(isinstance(o, memref.AllocOp) for o in self._module.walk())
        # Compile now: errors surface at jit() time.
        self._compiled = _compile(self._module, noalias=True, fast_math=self.fast_math)
        # Through the packed entry unless the module has a function of its name.
        self._packed = not any(
            isinstance(op, func.FuncOp) and op.sym_name.data == func_name + PACKED_SUFFIX
            for op in self._module.walk()
        )
        if self._packed:
            self._cfunc = packed_function(self._compiled, func_name)
        else:
            self._cfunc = memref_function(self._compiled, func_name, self._types)
        # The arrays passed are C-contiguous of the declared shapes (others
        # are copied), so only the data pointers change from call to call.
        self._expected = [
            (tuple(t.get_shape()), numpy_dtype(t.element_type)) for t in self._types
        ]
        self._template: list[int] = []
        self._pointer_slots: list[int] = []
        for shape, dtype in self._expected:
            strides = [int(np.prod(shape[k + 1 :], dtype=np.int64)) for k in range(len(shape))]
            self._pointer_slots.append(len(self._template))
            self._template += [0, 0, 0, *shape, *strides]
        self._slots = ctypes.c_int64 * max(1, len(self._template))
        # One slot array per calling thread, filled anew by each call (the
        # entry reads it before anything else runs).
        self._local = threading.local()

    @property
    def runtime_checks(self) -> list[tuple[str, str]]:
        """(exception type, message) of each run-time check of the module."""
        return list(self._compiled.checks)

    def _invoke(self, buffers: list[np.ndarray[Any, Any]]) -> None:
        if self._packed:
            self._cfunc(self._fields(buffers))
        else:
            self._cfunc(*memref_arguments(buffers))

    def _fields(self, buffers: list[np.ndarray[Any, Any]]) -> Any:
        """The packed entry's argument slots for C-contiguous `buffers`."""
        fields = getattr(self._local, "fields", None)
        if fields is None:
            fields = self._local.fields = self._slots(*self._template)
        for slot, buf in zip(self._pointer_slots, buffers):
            fields[slot] = fields[slot + 1] = buf.ctypes.data
        return fields

    def __call__(self, *arrays: np.ndarray[Any, Any]) -> None:
        if len(arrays) == len(self._expected) and all(
            type(a) is np.ndarray and a.shape == shape and a.dtype == dtype
            for a, (shape, dtype) in zip(arrays, self._expected)
        ):
            check_sharing(self._fn, arrays, self._written)
        else:  # the diagnostics (or a subclass of ndarray)
            validate_arguments(self._fn, arrays, self._written)
        flag = self._compiled.error_flag()
        if flag is None and not self._allocates:
            buffers = [a if a.flags.c_contiguous else np.ascontiguousarray(a) for a in arrays]
            with parallel_runtime.running(self.threads):
                self._invoke(buffers)
        else:
            buffers, code = self._checked_call(arrays, flag, self.threads)
            if code and self.threads > 1:
                # Which chunk's failure was recorded depends on timing.
                buffers, code = self._checked_call(arrays, flag, 1)
            if code:
                kind, message = self._compiled.checks[code - 1]
                raise _EXCEPTIONS[kind](message)
        for i, (arr, buf) in enumerate(zip(arrays, buffers)):
            if buf is not arr and i in self._written:
                arr[...] = buf

    def _checked_call(
        self, arrays: tuple[np.ndarray[Any, Any], ...], flag: ctypes.c_int32 | None, threads: int
    ) -> tuple[list[np.ndarray[Any, Any]], int]:
        """Run on scratch copies of the written arguments; the error code.
        A failed allocation raises `MemoryError` here, arguments unchanged."""
        buffers = [
            np.array(a, order="C", copy=True)
            if i in self._written or not a.flags.c_contiguous
            else a
            for i, a in enumerate(arrays)
        ]
        lock = _alloc_lock if self._allocates else self._compiled.lock
        with lock, parallel_runtime.running(threads):
            if flag is not None:
                flag.value = 0
            _alloc_failures.nbytes = None
            self._invoke(buffers)
            code = flag.value if flag is not None else 0
            nbytes = _alloc_failures.nbytes
        _raise_alloc_failure(self.func_name, nbytes)
        return buffers, code

    def __repr__(self) -> str:
        return f"<jit @{self.func_name}>"


_EXCEPTIONS: dict[str, type[Exception]] = {
    "IndexError": IndexError,
    "ZeroDivisionError": ZeroDivisionError,
    "OverflowError": OverflowError,
}


def jit(
    module: ModuleOp, func_name: str, *, fast_math: bool = False, threads: int = 1
) -> JitFunction:
    """Compile `@func_name` of `module` to native code; returns a callable.

    `jit(m, "conv2d")(O, I, W)` runs the function on numpy arrays and writes
    outputs in place, like `interpret`.  Compiled engines are cached by the
    module's text and `fast_math`, so re-jitting an unchanged module is free.
    Raises `LoopnestError` if the module cannot be lowered (naming the op).

    `fast_math=True` lets LLVM fuse multiply-adds into FMA instructions
    (results then differ from the interpreter's within the tolerance in
    docs/lowering.md); by default results are bitwise those of the program's
    f32 operations.  `threads=N` runs the outermost loop marked `parallel` of
    each nest on N threads; results are bitwise the same for every N.
    """
    return JitFunction(module, func_name, fast_math=fast_math, threads=threads)
