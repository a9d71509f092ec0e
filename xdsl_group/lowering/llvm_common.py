"""Type conversion and cast materialisation shared by the `*-to-llvm` passes.

The passes follow MLIR's partial-conversion style: each converts its own ops
and bridges to not-yet-converted neighbours with
`builtin.unrealized_conversion_cast`; `reconcile-unrealized-casts` removes
the matching pairs at the end.  `index` becomes `i64`; a memref becomes
MLIR's descriptor struct `{ptr allocated, ptr aligned, i64 offset,
[N x i64] sizes, [N x i64] strides}`.
"""

from __future__ import annotations

from xdsl.dialects import llvm
from xdsl.dialects.builtin import (
    AnyFloat,
    IndexType,
    IntegerType,
    MemRefType,
    ModuleOp,
    UnrealizedConversionCastOp,
    VectorType,
    i64,
)
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
)
from xdsl.rewriter import InsertPoint

from xdsl_group.errors import LoopnestError


def descriptor_type(rank: int) -> llvm.LLVMStructType:
    """MLIR's memref descriptor for a ranked memref."""
    ptr = llvm.LLVMPointerType()
    fields: list[Attribute] = [ptr, ptr, i64]
    if rank:
        fields += [llvm.LLVMArrayType(rank, i64)] * 2
    return llvm.LLVMStructType.from_type_list(fields)


def convert_type(t: Attribute, op: Operation | None = None) -> Attribute:
    """The LLVM-dialect type standing for `t` (LoopnestError if none)."""
    if isinstance(t, IndexType):
        return i64
    if isinstance(t, IntegerType | AnyFloat):
        return t
    if isinstance(t, llvm.LLVMPointerType | llvm.LLVMStructType):
        return t
    if isinstance(t, MemRefType):
        return descriptor_type(len(t.get_shape()))
    if (
        isinstance(t, VectorType)
        and len(t.get_shape()) == 1
        and isinstance(t.element_type, IntegerType | AnyFloat)
    ):
        return t
    raise LoopnestError(f"type {t} has no LLVM lowering", op)


def existing_as(value: SSAValue, target: Attribute) -> SSAValue | None:
    """`value` if it has type `target`, or the source of the cast that made it
    if that has; None when a new cast is needed."""
    if value.type == target:
        return value
    owner = value.owner
    if (
        isinstance(owner, UnrealizedConversionCastOp)
        and len(owner.inputs) == 1
        and owner.inputs[0].type == target
    ):
        return owner.inputs[0]
    return None


def cast_to(
    rewriter: PatternRewriter, value: SSAValue, target: Attribute, before: Operation
) -> SSAValue:
    """`value` as type `target`: itself, the source of a cast, or a new cast."""
    if (existing := existing_as(value, target)) is not None:
        return existing
    cast = UnrealizedConversionCastOp.get([value], [target])
    rewriter.insert(cast, InsertPoint.before(before))
    return cast.results[0]


def to_llvm(rewriter: PatternRewriter, value: SSAValue, before: Operation) -> SSAValue:
    return cast_to(rewriter, value, convert_type(value.type, before), before)


def replace_with(
    rewriter: PatternRewriter,
    op: Operation,
    new_ops: list[Operation],
    new_value: SSAValue | None,
) -> None:
    """Replace `op` by `new_ops`; its single result (if any) becomes `new_value`,
    cast back to the old type when that differs (e.g. i64 -> index)."""
    # Insert first, then replace with no new ops: only the result keeps the
    # old name (xDSL would otherwise give it to every new op's results).
    for new in new_ops:
        rewriter.insert(new, InsertPoint.before(op))
    if new_value is None or not op.results:
        rewriter.replace(op, [], [None] * len(op.results))
        return
    old = op.results[0]
    if new_value.type != old.type:
        back = UnrealizedConversionCastOp.get([new_value], [old.type])
        rewriter.insert(back, InsertPoint.before(op))
        new_value = back.results[0]
    if new_value.name_hint is None:
        new_value.name_hint = old.name_hint
    rewriter.replace(op, [], [new_value])


def rewrite_module(
    module: ModuleOp, patterns: list[RewritePattern], recursive: bool = False
) -> None:
    """Apply `patterns` greedily; a refusal surfaces as a fresh one-line
    `LoopnestError` (xDSL's walker would attach a dump of the whole IR)."""
    try:
        PatternRewriteWalker(
            GreedyRewritePatternApplier(patterns), apply_recursively=recursive
        ).rewrite_module(module)
    except LoopnestError as e:
        raise LoopnestError(e.reason, e.op) from None
