"""Outline loops marked `parallel` into chunk functions run by a thread runtime.

Used by `convert-loopnest-to-llvm{parallel=true}` (the JIT always sets it)
in two steps:

1. `outline_parallel_loops`, on `scf` (after `loopnest-convert-affine-to-scf`): the
   outermost `scf.for` marked `loopnest.parallel` of each nest becomes a
   chunk function `@f.parallelK(live-ins..., %lo: index, %hi: index)`
   running the iterations `lo <= k < hi` of the loop (`iv = lb + k * step`).
   Its live-ins are the values the loop uses from outside: memrefs (passed
   as their descriptors, so the chunk's pointers are `noalias` like the
   function's own) and scalars; constants are cloned into it.  In its place
   the function stores the live-ins into a stack context (one 8-byte slot
   per descriptor field or scalar, in the chunk's argument order) and calls
   `loopnest_parallel_for(@f.parallelK.entry, ctx, trip_count)`, which the
   runtime implements by calling `@f.parallelK.entry(ctx, lo, hi)` (the
   trampoline that loads the slots and calls the chunk) on disjoint ranges
   covering `[0, trip_count)`, possibly on several threads, and returns when
   all have.  While the runtime's counter `loopnest_parallel_requests` (an
   external `i64`: calls running that asked for more than one thread) is 0,
   the function calls `@f.parallelK.entry(ctx, 0, trip_count)` itself
   instead: one thread needs no runtime, and a call into it costs some
   20 us.  Either way the chunk computes the same iterations.  Loops
   nested in an outlined one run inside its chunk; a loop is kept in place
   (sequential) when a live-in is neither a scalar nor a memref argument or
   allocation of the function (a view could alias one).
2. `finish_parallel_regions`, on the `llvm` dialect (after the rest of the
   lowering): fills in the trampolines from the lowered chunk signatures,
   and, if the module has run-time checks, makes every access to their error
   flag atomic (chunks may fail concurrently) and returns from the function
   right after a region whose chunks failed, as a failed check does.

The code does not depend on the number of threads: chunks compute exactly
the iterations of the loop, each in its own order, so any split gives the
bitwise same results as running the loop in place.
"""

from __future__ import annotations

from collections.abc import Iterator

from xdsl.dialects import arith, func, llvm, memref, scf
from xdsl.dialects.builtin import (
    AnyFloat,
    DenseArrayBase,
    FunctionType,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
    ModuleOp,
    StringAttr,
    SymbolRefAttr,
    UnrealizedConversionCastOp,
    i32,
    i64,
)
from xdsl.ir import Attribute, Block, BlockArgument, Operation, Region, SSAValue
from xdsl.rewriter import InsertPoint, Rewriter

from xdsl_group.dialects.attributes import CHUNK_ATTR, PARALLEL_ATTR
from xdsl_group.lowering.llvm_common import descriptor_type
from xdsl_group.lowering.runtime_checks import ERROR_GLOBAL, constant_value

RUNTIME_FUNCTION = "loopnest_parallel_for"
REQUESTS_GLOBAL = "loopnest_parallel_requests"
_MONOTONIC = 2  # LLVM's atomic ordering `monotonic`


# --------------------------------------------------------------------------
# Step 1: outlining on scf
# --------------------------------------------------------------------------


def outline_parallel_loops(module: ModuleOp) -> None:
    """Outline the outermost `parallel` loop of each nest (see the module doc)."""
    taken = _symbol_names(module)
    functions = [op for op in module.ops if isinstance(op, func.FuncOp) and op.body.blocks]
    for fn in functions:
        count = 0
        last: Operation = fn  # chunks follow their function, in order
        for loop in list(_outermost_marked(fn.body)):
            live_ins = _live_ins(loop, fn)
            if live_ins is None:
                loop.attributes.pop(PARALLEL_ATTR, None)
                continue
            chunk_name = _fresh(f"{fn.sym_name.data}.parallel{count}", taken)
            entry_name = _fresh(f"{chunk_name}.entry", taken)
            count += 1
            chunk = _chunk_function(loop, chunk_name, live_ins)
            Rewriter.insert_op(chunk, InsertPoint.after(last))
            trampoline = llvm.FuncOp(
                entry_name,
                llvm.LLVMFunctionType([llvm.LLVMPointerType(), i64, i64]),
                linkage=llvm.LinkageAttr("external"),
            )
            trampoline.attributes[CHUNK_ATTR] = SymbolRefAttr(chunk_name)
            Rewriter.insert_op(trampoline, InsertPoint.after(chunk))
            last = trampoline
            _declare_runtime(module)
            _call_runtime(loop, fn, entry_name, live_ins)
    if any(isinstance(op, llvm.FuncOp) and CHUNK_ATTR in op.attributes for op in module.ops):
        _declare_requests(module)


def _symbol_names(module: ModuleOp) -> set[str]:
    names: set[str] = set()
    for op in module.ops:
        sym = op.properties.get("sym_name") or op.attributes.get("sym_name")
        if isinstance(sym, StringAttr):
            names.add(sym.data)
    return names


def _fresh(name: str, taken: set[str]) -> str:
    candidate, k = name, 1
    while candidate in taken:
        candidate, k = f"{name}_{k}", k + 1
    taken.add(candidate)
    return candidate


def _outermost_marked(region: Region) -> Iterator[scf.ForOp]:
    for block in region.blocks:
        for op in block.ops:
            if isinstance(op, scf.ForOp) and PARALLEL_ATTR in op.attributes:
                yield op
                continue
            for inner in op.regions:
                yield from _outermost_marked(inner)


def _live_ins(loop: scf.ForOp, fn: func.FuncOp) -> list[SSAValue] | None:
    """The values `loop`'s body and lower bound and step use from outside
    it, in first-use order; None if one cannot be passed to a chunk."""
    inside = set(loop.walk())
    seen: set[SSAValue] = set()
    values: list[SSAValue] = []

    def defined_outside(v: SSAValue) -> bool:
        if isinstance(v, BlockArgument):
            return v.block.parent_op() not in inside
        return v.owner not in inside

    uses = [loop.lb, loop.step] + [
        operand for op in loop.body.walk() for operand in op.operands
    ]
    for v in uses:
        if v in seen or not defined_outside(v):
            continue
        seen.add(v)
        values.append(v)
    entry_args = set(fn.body.blocks[0].args)
    for v in values:
        if _is_constant(v):
            continue
        t = v.type
        if isinstance(t, MemRefType):
            fresh = isinstance(v.owner, memref.AllocOp | memref.AllocaOp)
            if v not in entry_args and not fresh:
                return None
        elif _slot_bytes(t) is None:
            return None
    if loop.iter_args or constant_value(loop.step) is None:
        return None
    return values


def _is_constant(v: SSAValue) -> bool:
    return isinstance(v.owner, arith.ConstantOp)


def _chunk_function(loop: scf.ForOp, name: str, live_ins: list[SSAValue]) -> func.FuncOp:
    """`func.func @name(live-ins..., %lo, %hi)` running iterations [lo, hi)."""
    passed = [v for v in live_ins if not _is_constant(v)]
    block = Block(arg_types=[v.type for v in passed] + [IndexType(), IndexType()])
    mapper: dict[SSAValue, SSAValue] = {}
    for v, arg in zip(passed, block.args):
        mapper[v] = arg
        arg.name_hint = v.name_hint
    lo, hi = block.args[-2], block.args[-1]
    lo.name_hint, hi.name_hint = "lo", "hi"
    for v in live_ins:
        if _is_constant(v):
            const = v.owner.clone()
            block.add_op(const)
            mapper[v] = const.results[0]
    lb, step = mapper[loop.lb], mapper[loop.step]
    start_off = arith.MuliOp(lo, step)
    start = arith.AddiOp(lb, start_off)
    end_off = arith.MuliOp(hi, step)
    end = arith.AddiOp(lb, end_off)
    block.add_ops([start_off, start, end_off, end])
    chunk_loop = loop.clone(value_mapper=mapper)
    chunk_loop.operands[0] = start.result
    chunk_loop.operands[1] = end.result
    chunk_loop.attributes.pop(PARALLEL_ATTR, None)
    block.add_ops([chunk_loop, func.ReturnOp()])
    types = FunctionType.from_lists(list(block.arg_types), [])
    return func.FuncOp(name, types, Region(block))


def _declare_runtime(module: ModuleOp) -> None:
    for op in module.ops:
        if isinstance(op, llvm.FuncOp) and op.sym_name.data == RUNTIME_FUNCTION:
            return
    ptr = llvm.LLVMPointerType()
    decl = llvm.FuncOp(
        RUNTIME_FUNCTION,
        llvm.LLVMFunctionType([ptr, ptr, i64]),
        linkage=llvm.LinkageAttr("external"),
    )
    Rewriter.insert_op(decl, InsertPoint.at_start(module.body.block))


def _declare_requests(module: ModuleOp) -> None:
    for op in module.ops:
        if isinstance(op, llvm.GlobalOp) and op.sym_name.data == REQUESTS_GLOBAL:
            return
    decl = llvm.GlobalOp(i64, REQUESTS_GLOBAL, "external")
    Rewriter.insert_op(decl, InsertPoint.at_start(module.body.block))


def _fields(t: MemRefType) -> list[list[int]]:
    """Positions of a memref descriptor's fields, in calling-convention order."""
    rank = len(t.get_shape())
    return [[0], [1], [2]] + [[3, i] for i in range(rank)] + [[4, i] for i in range(rank)]


def _call_runtime(
    loop: scf.ForOp, fn: func.FuncOp, entry_name: str, live_ins: list[SSAValue]
) -> None:
    """Replace `loop` by storing its live-ins and calling the runtime."""
    passed = [v for v in live_ins if not _is_constant(v)]
    n_slots = sum(
        len(_field_types(v.type)) if isinstance(v.type, MemRefType) else 1 for v in passed
    )
    size = llvm.ConstantOp(IntegerAttr(max(n_slots, 1), i64), i64)
    # 8-byte slots typed `ptr`: llvmlite gives an alloca of `ptr` an opaque
    # pointer type, so stores of any type through it are accepted.
    ctx = llvm.AllocaOp(size, llvm.LLVMPointerType(), alignment=8)
    ctx.res.name_hint = "ctx"
    Rewriter.insert_op([size, ctx], InsertPoint.at_start(fn.body.blocks[0]))

    ops: list[Operation] = []

    def emit(op: Operation) -> SSAValue:
        ops.append(op)
        return op.results[0]

    slot = 0
    for v in passed:
        t = v.type
        if isinstance(t, MemRefType):
            desc = emit(UnrealizedConversionCastOp.get([v], [descriptor_type(len(t.get_shape()))]))
            fields = [
                emit(llvm.ExtractValueOp(DenseArrayBase.from_list(i64, pos), desc, ty))
                for pos, ty in zip(_fields(t), _field_types(t))
            ]
        elif isinstance(t, IndexType):
            fields = [emit(UnrealizedConversionCastOp.get([v], [i64]))]
        else:
            fields = [v]
        for value in fields:
            at = emit(_slot_address(ctx.res, slot, value.type))
            ops.append(llvm.StoreOp(value, at))
            slot += 1

    # trip count = max(0, ceil((ub - lb) / step)); the step is a positive constant
    step_value = constant_value(loop.step)
    assert step_value is not None and step_value > 0
    span = emit(arith.SubiOp(loop.ub, loop.lb))
    if step_value != 1:
        bias = emit(arith.ConstantOp(IntegerAttr(step_value - 1, IndexType())))
        span = emit(arith.AddiOp(span, bias))
        span = emit(arith.DivSIOp(span, loop.step))
    zero = emit(arith.ConstantOp(IntegerAttr(0, IndexType())))
    trip = emit(arith.MaxSIOp(span, zero))
    trip64 = emit(UnrealizedConversionCastOp.get([trip], [i64]))
    # No call wants more than one thread: run the whole range here.
    requests_at = emit(llvm.AddressOfOp(REQUESTS_GLOBAL, llvm.LLVMPointerType()))
    requests = emit(llvm.LoadOp(requests_at, i64))
    none = emit(llvm.ConstantOp(IntegerAttr(0, i64), i64))
    serial = emit(
        llvm.ICmpOp(requests, none, IntegerAttr(llvm.ICmpPredicateFlag("eq").to_int(), 64))
    )
    in_place = Block()
    in_place.add_ops([llvm.CallOp(entry_name, ctx.res, none, trip64), scf.YieldOp()])
    threaded = Block()
    trampoline = llvm.AddressOfOp(entry_name, llvm.LLVMPointerType())
    run = llvm.CallOp(RUNTIME_FUNCTION, trampoline.result, ctx.res, trip64)
    threaded.add_ops([trampoline, run, scf.YieldOp()])
    ops.append(scf.IfOp(serial, [], Region(in_place), Region(threaded)))
    Rewriter.insert_op(ops, InsertPoint.before(loop))
    loop.detach()
    loop.erase()


def _slot_bytes(t: Attribute) -> int | None:
    """The size of a context slot's value, if it fits one 8-byte slot."""
    if isinstance(t, llvm.LLVMPointerType | IndexType):
        return 8
    if isinstance(t, IntegerType):
        width = t.width.data
        return max(width, 8) // 8 if width in (1, 8, 16, 32, 64) else None
    if isinstance(t, AnyFloat):
        width = t.bitwidth
        return width // 8 if width in (16, 32, 64) else None
    return None


def _slot_address(ctx: SSAValue, slot: int, t: Attribute) -> llvm.GEPOp:
    """The address of 8-byte slot `slot`, indexed in units of `t` (xDSL's
    llvmlite backend types a GEP's result by its element type, and a store
    or load must match it)."""
    size = _slot_bytes(t)
    assert size is not None
    return llvm.GEPOp.from_mixed_indices(ctx, [slot * (8 // size)], t)


def _field_types(t: MemRefType) -> list[Attribute]:
    ptr = llvm.LLVMPointerType()
    rank = len(t.get_shape())
    return [ptr, ptr, i64] + [i64] * (2 * rank)


# --------------------------------------------------------------------------
# Step 2: trampolines and error propagation on the llvm dialect
# --------------------------------------------------------------------------


def finish_parallel_regions(module: ModuleOp) -> None:
    """Complete what `outline_parallel_loops` started (see the module doc)."""
    functions = {
        op.sym_name.data: op for op in module.ops if isinstance(op, llvm.FuncOp)
    }
    trampolines = [f for f in functions.values() if CHUNK_ATTR in f.attributes]
    if not trampolines:
        return
    for trampoline in trampolines:
        chunk_ref = trampoline.attributes.pop(CHUNK_ATTR)
        assert isinstance(chunk_ref, SymbolRefAttr)
        _fill_trampoline(trampoline, functions[chunk_ref.root_reference.data])
    has_checks = any(
        isinstance(op, llvm.GlobalOp) and op.sym_name.data == ERROR_GLOBAL
        for op in module.ops
    )
    if not has_checks:
        return
    entries = {RUNTIME_FUNCTION} | {t.sym_name.data for t in trampolines}
    calls = [
        op
        for op in module.walk()
        if isinstance(op, llvm.CallOp)
        and op.callee is not None
        and op.callee.root_reference.data in entries
        and op.parent_op() not in trampolines
    ]
    for call in calls:
        _return_on_error(call)
    _make_error_flag_atomic(module)


def _fill_trampoline(trampoline: llvm.FuncOp, chunk: llvm.FuncOp) -> None:
    """`entry(ctx, lo, hi)`: load the chunk's arguments from the context's
    slots and call it on [lo, hi)."""
    ptr = llvm.LLVMPointerType()
    block = Block(arg_types=[ptr, i64, i64])
    ctx, lo, hi = block.args
    ctx.name_hint, lo.name_hint, hi.name_hint = "ctx", "lo", "hi"
    inputs = list(chunk.function_type.inputs.data)
    args: list[SSAValue] = []
    for slot, t in enumerate(inputs[:-2]):
        at = _slot_address(ctx, slot, t)
        load = llvm.LoadOp(at, t)
        block.add_ops([at, load])
        args.append(load.dereferenced_value)
    block.add_op(llvm.CallOp(chunk.sym_name.data, *args, lo, hi))
    block.add_op(llvm.ReturnOp(None))
    trampoline.body.add_block(block)


def _return_on_error(call: llvm.CallOp) -> None:
    """After a parallel region, return at once if a chunk failed a check."""
    block = call.parent_block()
    fn = call.parent_op()
    assert block is not None and isinstance(fn, llvm.FuncOp)
    nxt = call.next_op
    assert nxt is not None
    rest = block.split_before(nxt)
    flag = llvm.AddressOfOp(ERROR_GLOBAL, llvm.LLVMPointerType())
    code = llvm.LoadOp(flag, i32)
    zero = llvm.ConstantOp(IntegerAttr(0, i32), i32)
    failed = llvm.ICmpOp(
        code.dereferenced_value,
        zero.result,
        IntegerAttr(llvm.ICmpPredicateFlag("ne").to_int(), 64),
    )
    fail = Block()
    fn.body.add_block(fail)
    result = fn.function_type.output
    if isinstance(result, llvm.LLVMVoidType):
        fail.add_op(llvm.ReturnOp(None))
    else:
        undef = llvm.UndefOp(result)
        fail.add_ops([undef, llvm.ReturnOp(undef.res)])
    block.add_ops([flag, code, zero, failed, llvm.CondBrOp(failed.res, fail, [], rest, [])])


def _make_error_flag_atomic(module: ModuleOp) -> None:
    """Chunks on several threads may record a failure at the same time: the
    error flag's loads and stores become `monotonic` atomics."""
    for op in module.walk():
        if isinstance(op, llvm.LoadOp | llvm.StoreOp):
            owner = op.ptr.owner
            if (
                isinstance(owner, llvm.AddressOfOp)
                and owner.global_name.root_reference.data == ERROR_GLOBAL
            ):
                op.ordering = IntegerAttr(_MONOTONIC, i64)
                op.alignment = IntegerAttr(4, i64)


def atomic_error_flag(ir_module: object) -> None:
    """Make the error flag's loads and stores, and the loads of the
    runtime's request counter, atomic (`monotonic`) in llvmlite IR.

    xDSL 0.74's llvmlite backend drops the `ordering` of `llvm.load`/`store`
    that `finish_parallel_regions` sets; this restores it for the flag.
    """
    from llvmlite import ir

    assert isinstance(ir_module, ir.Module)
    for fn in ir_module.functions:
        for block in fn.blocks:
            for instr in list(block.instructions):
                if isinstance(instr, ir.StoreInstr):
                    value, ptr = instr.operands
                    if _is_error_flag(ptr):
                        new = ir.StoreAtomicInstr(block, value, ptr, "monotonic", 4)
                        block.replace(instr, new)
                elif isinstance(instr, ir.LoadInstr):
                    (ptr,) = instr.operands
                    if _is_error_flag(ptr) or _is_global(ptr, REQUESTS_GLOBAL):
                        align = 8 if _is_global(ptr, REQUESTS_GLOBAL) else 4
                        new = ir.LoadAtomicInstr(
                            block, ptr, "monotonic", align, name=instr.name, typ=instr.type
                        )
                        block.replace(instr, new)


def _is_error_flag(ptr: object) -> bool:
    return _is_global(ptr, ERROR_GLOBAL)


def _is_global(ptr: object, name: str) -> bool:
    from llvmlite import ir

    return isinstance(ptr, ir.GlobalVariable) and ptr.name == name
