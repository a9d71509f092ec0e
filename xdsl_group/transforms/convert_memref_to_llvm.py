"""Lower `memref.load`/`memref.store` on static memrefs to `llvm` pointer ops."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import llvm, memref
from xdsl.dialects.builtin import (
    DenseArrayBase,
    IntegerAttr,
    MemRefType,
    ModuleOp,
    NoneAttr,
    AffineMapAttr,
    i64,
)
from xdsl.ir import Operation, SSAValue
from xdsl.ir.affine import AffineMap
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    RewritePattern,
)

from xdsl_group.errors import LoopnestError
from xdsl_group.transforms.runtime_checks import (
    as_i64_or_int,
    bounds_reason,
    constant,
    constant_value,
    guard,
    icmp,
    is_in_bounds,
)
from xdsl_group.transforms.llvm_common import (
    cast_to,
    convert_type,
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
        elif op.dialect_name() == "memref":
            raise LoopnestError(
                f"unsupported op '{op.name}': finalize-memref-to-llvm lowers "
                "memref.load/store on static memrefs only",
                op,
            )


@dataclass(frozen=True)
class FinalizeMemrefToLLVMPass(ModulePass):
    """Lower `memref.load`/`memref.store` to `llvm.getelementptr` + `llvm.load`/`store`.

    The memref is read as MLIR's descriptor (bridged by an
    `unrealized_conversion_cast` that `convert-func-to-llvm` and
    `reconcile-unrealized-casts` resolve); the address is the descriptor's
    aligned pointer plus the row-major linear index, with the static strides
    folded to constants, `nsw`/`nuw` arithmetic and an `inbounds` GEP (an
    out-of-bounds memref access is undefined, as in MLIR).  Accesses not
    marked `loopnest.in_bounds` (by the bounds proof of
    `convert-loopnest-to-llvm`) are checked at run time first: an index
    outside its dimension records an `IndexError` and returns (see
    `xdsl_group.transforms.runtime_checks`).  Only static,
    identity-layout memrefs are supported; other memref ops are refused by
    name.
    """

    name = "finalize-memref-to-llvm"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        insert_bounds_checks(op)
        rewrite_module(op, [LowerMemrefAccess()])
