"""Lower `memref.load`/`memref.store` on static memrefs to `llvm` pointer ops,
and function-local buffers (`memref.alloc`/`alloca`/`dealloc`) to `malloc`,
entry-block `llvm.alloca` and `free`."""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from xdsl.context import Context
from xdsl.dialects import func, llvm, memref, vector
from xdsl.dialects.builtin import (
    AnyFloat,
    DenseArrayBase,
    IntegerAttr,
    IntegerType,
    MemRefType,
    ModuleOp,
    NoneAttr,
    AffineMapAttr,
    UnrealizedConversionCastOp,
    VectorType,
    i1,
    i8,
    i64,
)
from xdsl.ir import Block, Operation, SSAValue
from xdsl.ir.affine import AffineMap
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.rewriter import InsertPoint

from xdsl_group.errors import LoopnestError
from xdsl_group.lowering.runtime_checks import (
    as_i64_or_int,
    bounds_reason,
    constant,
    constant_value,
    guard,
    icmp,
    is_in_bounds,
)
from xdsl_group.lowering.llvm_common import (
    cast_to,
    convert_type,
    descriptor_type,
    replace_with,
    rewrite_module,
    to_llvm,
)

# nsw|nuw: the linearised offset of an in-bounds access of a static memref is
# non-negative and below its size (an out-of-bounds memref access is
# undefined behaviour), so no step of computing it wraps.
_NO_WRAP = llvm.OverflowAttr.from_int(3)


def static_strides(ty: MemRefType, op: Operation) -> tuple[int, ...]:
    """Row-major strides of a static, identity-layout memref (else refuse)."""
    shape = ty.get_shape()
    if any(d < 0 for d in shape):
        raise LoopnestError(
            f"memref type {ty} has dynamic sizes; only static shapes are supported", op
        )
    identity = isinstance(ty.layout, NoneAttr) or (
        isinstance(ty.layout, AffineMapAttr)
        and ty.layout.data == AffineMap.identity(len(shape))
    )
    if not identity:
        raise LoopnestError(f"memref type {ty} has a non-identity layout", op)
    strides: list[int] = []
    acc = 1
    for d in reversed(shape):
        strides.append(acc)
        acc *= d
    return tuple(reversed(strides))


def element_pointer(
    rewriter: PatternRewriter, op: Operation, mem: SSAValue, indices
) -> tuple[list[Operation], SSAValue]:
    """Ops computing `&mem[indices]`: the aligned pointer plus the linear
    offset (static strides folded to constants; MLIR puts the static offset
    0 of an identity layout there too)."""
    ty = mem.type
    assert isinstance(ty, MemRefType)
    strides = static_strides(ty, op)
    desc = to_llvm(rewriter, mem, op)
    ops: list[Operation] = []
    aligned = llvm.ExtractValueOp(DenseArrayBase.from_list(i64, [1]), desc, llvm.LLVMPointerType())
    ops.append(aligned)
    offset: SSAValue | None = None
    for index, stride in zip(indices, strides):
        term = cast_to(rewriter, index, i64, op)
        if stride != 1:
            c = llvm.ConstantOp(IntegerAttr(stride, i64), i64)
            mul = llvm.MulOp(term, c.result, overflow=_NO_WRAP)
            ops += [c, mul]
            term = mul.res
        if offset is None:
            offset = term
        else:
            add = llvm.AddOp(offset, term, overflow=_NO_WRAP)
            ops.append(add)
            offset = add.res
    if offset is None:
        zero = llvm.ConstantOp(IntegerAttr(0, i64), i64)
        ops.append(zero)
        offset = zero.result
    gep = llvm.GEPOp.from_mixed_indices(
        aligned.results[0], [offset], convert_type(ty.element_type, op), inbounds=True
    )
    ops.append(gep)
    return ops, gep.result


def insert_bounds_checks(module: ModuleOp) -> None:
    """Check every index of the accesses not proven in bounds (no
    `loopnest.in_bounds`) against its dimension before the access runs:
    `index <u size` also catches negative indices.  A constant index in
    bounds needs no check."""
    accesses = [
        op
        for op in module.walk()
        if isinstance(op, memref.LoadOp | memref.StoreOp) and not is_in_bounds(op)
    ]
    for op in accesses:
        ty = op.memref.type
        assert isinstance(ty, MemRefType)
        static_strides(ty, op)  # refuse unsupported layouts before checking
        for d, (index, size) in enumerate(zip(op.indices, ty.get_shape())):
            c = constant_value(index)
            if c is not None and 0 <= c < size:
                continue
            i = as_i64_or_int(index, op)
            bad = icmp(i, constant(size, i64, op), "uge", op)
            guard(op, bad, "IndexError", bounds_reason(op, d))


class LowerMemrefAccess(RewritePattern):
    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /):
        if isinstance(op, memref.LoadOp):
            ops, ptr = element_pointer(rewriter, op, op.memref, op.indices)
            load = llvm.LoadOp(ptr, convert_type(op.res.type, op))
            replace_with(rewriter, op, [*ops, load], load.dereferenced_value)
        elif isinstance(op, memref.StoreOp):
            ops, ptr = element_pointer(rewriter, op, op.memref, op.indices)
            value = to_llvm(rewriter, op.value, op)
            replace_with(rewriter, op, [*ops, llvm.StoreOp(value, ptr)], None)
        elif isinstance(op, vector.LoadOp):
            ops, ptr = element_pointer(rewriter, op, op.base, op.indices)
            ty = op.result.type
            load = llvm.LoadOp(ptr, ty, alignment=element_bytes(op.base.type, op))
            replace_with(rewriter, op, [*ops, load], load.dereferenced_value)
        elif isinstance(op, vector.StoreOp):
            ops, ptr = element_pointer(rewriter, op, op.base, op.indices)
            value = to_llvm(rewriter, op.vector, op)
            store = llvm.StoreOp(value, ptr, alignment=element_bytes(op.base.type, op))
            replace_with(rewriter, op, [*ops, store], None)
        elif isinstance(op, vector.MaskedLoadOp):
            ops, ptr = element_pointer(rewriter, op, op.base, op.indices)
            ty = op.result.type
            assert isinstance(ty, VectorType)
            mask = to_llvm(rewriter, op.mask, op)
            pass_thru = to_llvm(rewriter, op.pass_thru, op)
            element = ty.element_type
            kind = "f" if isinstance(element, AnyFloat) else "i"
            bits = element.bitwidth if isinstance(element, AnyFloat) else element.width.data
            # LLVM 22's form: the alignment (here none promised beyond the
            # element's) is a parameter attribute, no longer an operand.
            call = llvm.CallIntrinsicOp(
                f"llvm.masked.load.v{ty.get_shape()[0]}{kind}{bits}.p0", [ptr, mask, pass_thru], [ty]
            )
            replace_with(rewriter, op, [*ops, call], call.results[0])
        elif op.dialect_name() == "memref":
            raise LoopnestError(
                f"unsupported op '{op.name}': loopnest-finalize-memref-to-llvm lowers "
                "memref.load/store/alloc/alloca/dealloc on static memrefs only",
                op,
            )


# Static allocas are hoisted into the entry block and live for the whole call;
# more than this much per function is refused rather than risk overflowing
# the caller's stack.
MAX_STACK_BYTES = 1 << 20


def element_bytes(ty: MemRefType, op: Operation) -> int:
    """The storage size of one element (as LLVM stores it)."""
    el = convert_type(ty.element_type, op)
    if isinstance(el, IntegerType):
        return (el.width.data + 7) // 8
    if isinstance(el, AnyFloat):
        return el.bitwidth // 8
    raise LoopnestError(f"memref element type {ty.element_type} is not supported", op)


def buffer_bytes(ty: MemRefType, op: Operation) -> int:
    static_strides(ty, op)  # static shape and identity layout, or refuse
    nbytes = prod(ty.get_shape()) * element_bytes(ty, op)
    if nbytes >= 1 << 62:
        raise LoopnestError(f"a buffer of type {ty} ({nbytes} bytes) is too large", op)
    return nbytes


def _i64(value: int) -> llvm.ConstantOp:
    return llvm.ConstantOp(IntegerAttr(value, i64), i64)


def _fresh_descriptor(
    ty: MemRefType, allocated: SSAValue, aligned: SSAValue
) -> tuple[list[Operation], SSAValue]:
    """MLIR's descriptor of a new buffer: offset 0, static sizes, row-major strides."""
    shape = ty.get_shape()
    ops: list[Operation] = [undef := llvm.UndefOp(descriptor_type(len(shape)))]
    desc = undef.res
    strides = [prod(shape[k + 1 :]) for k in range(len(shape))]
    fields: list[tuple[list[int], int | SSAValue]] = [([0], allocated), ([1], aligned), ([2], 0)]
    fields += [([3, k], d) for k, d in enumerate(shape)]
    fields += [([4, k], st) for k, st in enumerate(strides)]
    for pos, value in fields:
        if isinstance(value, int):
            ops.append(c := _i64(value))
            value = c.result
        ops.append(ins := llvm.InsertValueOp(DenseArrayBase.from_list(i64, pos), desc, value))
        desc = ins.results[0]
    return ops, desc


def _zero_fill(ptr: SSAValue, nbytes: int) -> list[Operation]:
    """`memset(ptr, 0, nbytes)`: local buffers start zeroed, as in the interpreter."""
    zero = llvm.ConstantOp(IntegerAttr(0, i8), i8)
    size = _i64(nbytes)
    volatile = llvm.ConstantOp(IntegerAttr(0, i1), i1)
    call = llvm.CallIntrinsicOp(
        "llvm.memset.p0.i64", [ptr, zero.result, size.result, volatile.result], []
    )
    return [zero, size, volatile, call]


def _alignment(op: memref.AllocOp | memref.AllocaOp) -> int | None:
    if op.alignment is None:
        return None
    a = op.alignment.value.data
    if a <= 0 or a & (a - 1):
        raise LoopnestError(f"alignment {a} is not a positive power of two", op)
    return a


def _check_local(op: memref.AllocOp | memref.AllocaOp) -> MemRefType:
    ty = op.memref.type
    assert isinstance(ty, MemRefType)
    if op.dynamic_sizes or op.symbol_operands:
        raise LoopnestError(
            f"'{op.name}' with dynamic sizes or layout symbols is not supported; "
            "only static shapes are",
            op,
        )
    return ty


class LowerAlloc(RewritePattern):
    """`memref.alloc` -> `malloc` (over-allocated and aligned up when an
    `alignment` is given, as MLIR does), zero-filled."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: memref.AllocOp, rewriter: PatternRewriter):
        ty = _check_local(op)
        nbytes = buffer_bytes(ty, op)
        align = _alignment(op)
        ptr_t = llvm.LLVMPointerType()
        size = _i64(nbytes + (align or 0))
        call = llvm.CallOp("malloc", size.result, return_type=ptr_t)
        ops: list[Operation] = [size, call]
        allocated = call.returned
        assert allocated is not None
        aligned = allocated
        if align is not None:
            # aligned = (allocated + align - 1) & -align, back to a pointer.
            as_int = llvm.PtrToIntOp(allocated, i64)
            bump = _i64(align - 1)
            add = llvm.AddOp(as_int.output, bump.result)
            mask = _i64(-align)
            rounded = llvm.AndOp(add.res, mask.result)
            back = llvm.IntToPtrOp(rounded.res)
            ops += [as_int, bump, add, mask, rounded, back]
            aligned = back.output
        ops += _zero_fill(aligned, nbytes)
        desc_ops, desc = _fresh_descriptor(ty, allocated, aligned)
        replace_with(rewriter, op, ops + desc_ops, desc)


class LowerAlloca(RewritePattern):
    """`memref.alloca` -> an `llvm.alloca` hoisted into the function's entry
    block, zero-filled where the `memref.alloca` was.

    MLIR's allocation scope of an alloca is the function, and an SSA buffer
    never outlives the loop iteration that defines it, so one slot per
    alloca serves every execution; an `llvm.alloca` left inside a loop would
    grow the stack at every iteration."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: memref.AllocaOp, rewriter: PatternRewriter):
        ty = _check_local(op)
        nbytes = buffer_bytes(ty, op)
        for use in op.memref.uses:
            # Passed on (a branch or yield operand, a select...), the buffer of
            # one execution could meet the next one's: one slot would not do.
            if not isinstance(
                use.operation,
                memref.LoadOp | memref.StoreOp | UnrealizedConversionCastOp,
            ) or (isinstance(use.operation, memref.StoreOp) and use.index == 0):
                raise LoopnestError(
                    f"the buffer is used by '{use.operation.name}'; only a "
                    "memref.alloca that is only loaded from and stored to is supported",
                    op,
                )
        fn = op.parent_op()
        while fn is not None and not isinstance(fn, func.FuncOp | llvm.FuncOp):
            fn = fn.parent_op()
        if fn is None or not fn.body.blocks:
            raise LoopnestError("'memref.alloca' outside a function body", op)
        count = _i64(prod(ty.get_shape()))
        slot = llvm.AllocaOp(
            count.result, convert_type(ty.element_type, op), alignment=_alignment(op) or 16
        )
        entry = fn.body.blocks[0]
        rewriter.insert([count, slot], InsertPoint.at_start(entry))
        desc_ops, desc = _fresh_descriptor(ty, slot.res, slot.res)
        replace_with(rewriter, op, _zero_fill(slot.res, nbytes) + desc_ops, desc)


class LowerDealloc(RewritePattern):
    """`memref.dealloc` -> `free` of the descriptor's allocated pointer."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: memref.DeallocOp, rewriter: PatternRewriter):
        ty = op.memref.type
        if not isinstance(ty, MemRefType):
            raise LoopnestError("dealloc of an unranked memref is not supported", op)
        desc = to_llvm(rewriter, op.memref, op)
        allocated = llvm.ExtractValueOp(
            DenseArrayBase.from_list(i64, [0]), desc, llvm.LLVMPointerType()
        )
        call = llvm.CallOp("free", allocated.results[0])
        replace_with(rewriter, op, [allocated, call], None)


_RUNTIME_FUNCTIONS = {
    "malloc": ([i64], llvm.LLVMPointerType()),
    "free": ([llvm.LLVMPointerType()], None),
}


def declare_runtime_functions(module: ModuleOp) -> None:
    """Declare the C library functions the lowered buffers call."""
    called = {
        op.callee.string_value()
        for op in module.walk()
        if isinstance(op, llvm.CallOp) and op.callee is not None
    }
    defined = {
        op.sym_name.data: op for op in module.ops if isinstance(op, func.FuncOp | llvm.FuncOp)
    }
    for name, (inputs, output) in _RUNTIME_FUNCTIONS.items():
        if name not in called:
            continue
        if name in defined:
            existing = defined[name]
            expected = llvm.LLVMFunctionType(inputs, output)
            if not (isinstance(existing, llvm.FuncOp) and existing.function_type == expected
                    and not existing.body.blocks):
                raise LoopnestError(
                    f"the module defines @{name}, which local buffers need from the C library",
                    existing,
                )
            continue
        decl = llvm.FuncOp(
            name, llvm.LLVMFunctionType(inputs, output), linkage=llvm.LinkageAttr("external")
        )
        module.body.block.insert_op_before(decl, module.body.block.first_op) if (
            module.body.block.first_op is not None
        ) else module.body.block.add_op(decl)


def check_deallocs(root: Operation) -> None:
    """Refuse any `memref.dealloc` that could free memory twice, free memory
    it does not own, or leave a use after the free (undefined in MLIR, a
    crash in native code).

    Checked on structured IR (before `convert-scf-to-cf`): a buffer is
    deallocated at most once, by a `memref.dealloc` in the block of its
    `memref.alloc` (so both run equally often), after every other use.  A
    buffer never deallocated is freed by no one (a leak, as in MLIR)."""
    for op in root.walk():
        if not isinstance(op, memref.DeallocOp):
            continue
        buf = op.memref
        alloc = buf.owner
        if not isinstance(alloc, memref.AllocOp):
            what = "a memref.alloca" if isinstance(alloc, memref.AllocaOp) else (
                "a block argument" if not isinstance(alloc, Operation) else f"'{alloc.name}'"
            )
            raise LoopnestError(
                f"deallocates {what}; only buffers from memref.alloc can be freed", op
            )
        block = alloc.parent_block()
        if op.parent_block() is not block or block is None:
            raise LoopnestError(
                "must be in the block of the memref.alloc it frees (else it may "
                "run a different number of times)",
                op,
            )
        for use in buf.uses:
            if use.operation is op:
                continue
            user = block.find_ancestor_op_in_block(use.operation)
            if isinstance(use.operation, memref.DeallocOp):
                raise LoopnestError("deallocates a buffer that is deallocated again", op)
            if user is None or not user.is_before_in_block(op):
                raise LoopnestError(
                    f"the buffer is used by '{use.operation.name}' after it is deallocated",
                    op,
                )


ALLOC_FAILED = "xdsl_group_alloc_failed"


def guard_allocations(module: ModuleOp) -> None:
    """After every `malloc` call in an `llvm.func`, branch on a null result to
    a block that calls `@xdsl_group_alloc_failed(i64 bytes)` and returns, so
    a failed allocation ends the call instead of writing through null.  The
    function must already be a CFG (run after the whole lowering)."""
    calls = [
        op
        for fn in module.ops
        if isinstance(fn, llvm.FuncOp)
        for op in fn.walk()
        if isinstance(op, llvm.CallOp)
        and op.callee is not None
        and op.callee.string_value() == "malloc"
    ]
    if not calls:
        return
    for call in calls:
        fn = call.parent_op()
        block = call.parent_block()
        assert isinstance(fn, llvm.FuncOp) and block is not None and call.next_op is not None
        ptr = call.returned
        assert ptr is not None
        cont = block.split_before(call.next_op)
        fail = Block()
        fn.body.add_block(fail)
        # xDSL's llvm.icmp takes integers only: compare the address with 0.
        address = llvm.PtrToIntOp(ptr, i64)
        zero = _i64(0)
        is_null = llvm.ICmpOp(address.output, zero.result, IntegerAttr(0, 64))  # eq
        block.add_ops(
            [address, zero, is_null, llvm.CondBrOp(is_null.res, fail, [], cont, [])]
        )
        fail.add_op(llvm.CallOp(ALLOC_FAILED, call.args[0]))
        output = fn.function_type.output
        if isinstance(output, llvm.LLVMVoidType):
            fail.add_op(llvm.ReturnOp())
        else:
            undef = llvm.UndefOp(output)
            fail.add_ops([undef, llvm.ReturnOp(undef.res)])
    if not any(isinstance(op, llvm.FuncOp) and op.sym_name.data == ALLOC_FAILED for op in module.ops):
        module.body.block.insert_op_before(
            llvm.FuncOp(
                ALLOC_FAILED,
                llvm.LLVMFunctionType([i64], None),
                linkage=llvm.LinkageAttr("external"),
            ),
            module.body.block.first_op,  # pyright: ignore[reportArgumentType]
        )


def check_stack_use(module: ModuleOp) -> None:
    """Refuse functions whose static allocas together exceed `MAX_STACK_BYTES`."""
    for fn in module.walk():
        if not isinstance(fn, func.FuncOp):
            continue
        total = 0
        for op in fn.walk():
            if isinstance(op, memref.AllocaOp):
                total += buffer_bytes(_check_local(op), op)
                if total > MAX_STACK_BYTES:
                    raise LoopnestError(
                        f"the function's memref.alloca buffers need {total} bytes of "
                        f"stack, more than the {MAX_STACK_BYTES} allowed; use memref.alloc",
                        op,
                    )


@dataclass(frozen=True)
class FinalizeMemrefToLLVMPass(ModulePass):
    """Lower `memref.load`/`memref.store` to `llvm.getelementptr` + `llvm.load`/`store`.

    The memref is read as MLIR's descriptor (bridged by an
    `unrealized_conversion_cast` that `loopnest-convert-func-to-llvm` and
    `reconcile-unrealized-casts` resolve); the address is the descriptor's
    aligned pointer plus the row-major linear index, with the static strides
    folded to constants, `nsw`/`nuw` arithmetic and an `inbounds` GEP (an
    out-of-bounds memref access is undefined, as in MLIR).  Accesses not
    marked `loopnest.in_bounds` (by the bounds proof of
    `convert-loopnest-to-llvm`) are checked at run time first: an index
    outside its dimension records an `IndexError` and returns (see
    `xdsl_group.lowering.runtime_checks`).  Only static,
    identity-layout memrefs are supported; other memref ops are refused by
    name.  `vector.load`/`vector.store` (element-aligned) and
    `vector.maskedload` (`llvm.masked.load`) from vectorised loops are
    lowered the same way; they are always proven in bounds.

    Local buffers: `memref.alloc` calls `malloc` (with an `alignment`, MLIR's
    over-allocation and round-up), `memref.dealloc` calls `free` on the
    allocated pointer, and `memref.alloca` becomes an `llvm.alloca` in the
    function's entry block (so an alloca in a loop does not grow the stack;
    at most `MAX_STACK_BYTES` per function).  Every new buffer is
    zero-filled where it is allocated, as in the interpreter.
    """

    name = "loopnest-finalize-memref-to-llvm"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        try:
            check_stack_use(op)
        except LoopnestError as e:
            raise LoopnestError(e.reason, e.op) from None
        insert_bounds_checks(op)
        rewrite_module(op, [LowerAlloc(), LowerAlloca(), LowerDealloc(), LowerMemrefAccess()])
        declare_runtime_functions(op)
