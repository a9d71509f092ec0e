"""Lower `func` to the `llvm` dialect (MLIR's `convert-func-to-llvm`).

Calling convention (MLIR's default): every memref argument is expanded into
its descriptor's fields, `ptr allocated, ptr aligned, i64 offset, i64
sizes[N], i64 strides[N]` (3 + 2N scalar arguments); `index` is `i64`.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func, llvm
from xdsl.dialects.builtin import (
    ArrayAttr,
    DenseArrayBase,
    DictionaryAttr,
    MemRefType,
    ModuleOp,
    UnitAttr,
    UnrealizedConversionCastOp,
    i64,
)
from xdsl.ir import Attribute, Block, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.rewriter import BlockInsertPoint, InsertPoint, Rewriter

from xdsl_group.errors import LoopnestError
from xdsl_group.lowering.llvm_common import convert_type, descriptor_type, rewrite_module, to_llvm


def expanded_argument_types(t: Attribute, op: Operation) -> list[Attribute]:
    """The scalar LLVM arguments one `func` argument of type `t` becomes."""
    if isinstance(t, MemRefType):
        rank = len(t.get_shape())
        ptr = llvm.LLVMPointerType()
        return [ptr, ptr, i64] + [i64] * (2 * rank)
    return [convert_type(t, op)]


@dataclass
class LowerFunc(RewritePattern):
    noalias: bool

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: func.FuncOp, rewriter: PatternRewriter):
        inputs = op.function_type.inputs.data
        outputs = op.function_type.outputs.data
        if len(outputs) > 1:
            raise LoopnestError("functions with several results are not supported", op)
        result_t = convert_type(outputs[0], op) if outputs else None
        if isinstance(result_t, llvm.LLVMStructType):
            raise LoopnestError("returning a memref is not supported", op)

        arg_types: list[Attribute] = []
        arg_attrs: list[DictionaryAttr] = []
        old_attrs = op.arg_attrs.data if op.arg_attrs is not None else None
        for i, t in enumerate(inputs):
            expanded = expanded_argument_types(t, op)
            arg_types += expanded
            given = old_attrs[i].data if old_attrs is not None else {}
            noalias = self.noalias or "llvm.noalias" in given
            for j, _ in enumerate(expanded):
                is_ptr = isinstance(t, MemRefType) and j < 2
                attrs = {"llvm.noalias": UnitAttr()} if is_ptr and noalias else {}
                arg_attrs.append(DictionaryAttr(attrs))

        fn_type = llvm.LLVMFunctionType(arg_types, result_t)
        other: dict[str, Attribute | None] = {}
        if any(a.data for a in arg_attrs):
            other["arg_attrs"] = ArrayAttr(arg_attrs)
        new = llvm.FuncOp(
            op.sym_name,
            fn_type,
            linkage=llvm.LinkageAttr("external"),
            other_props=other,
        )

        if op.body.blocks:
            old_entry = op.body.blocks[0]
            entry = Block(arg_types=arg_types)
            Rewriter.insert_block(entry, BlockInsertPoint.before(old_entry))
            values: list[SSAValue] = []
            k = 0
            for t, old_arg in zip(inputs, old_entry.args):
                n = len(expanded_argument_types(t, op))
                fields = list(entry.args[k : k + n])
                _name_fields(fields, old_arg.name_hint, t)
                k += n
                values.append(_rebuild(rewriter, entry, t, fields))
            rewriter.inline_block(old_entry, InsertPoint.at_end(entry), values)
            body = rewriter.move_region_contents_to_new_regions(op.body)
            new = llvm.FuncOp(
                op.sym_name,
                fn_type,
                linkage=llvm.LinkageAttr("external"),
                body=body,
                other_props=other,
            )
        rewriter.replace(op, new)


def _name_fields(fields: list[SSAValue], hint: str | None, t: Attribute) -> None:
    """Readable names for the expanded arguments: `%O_aligned`, `%O_size0`..."""
    if hint is None:
        return
    if not isinstance(t, MemRefType):
        fields[0].name_hint = hint
        return
    rank = len(t.get_shape())
    names = ["allocated", "aligned", "offset"]
    names += [f"size{i}" for i in range(rank)] + [f"stride{i}" for i in range(rank)]
    for field, name in zip(fields, names):
        field.name_hint = f"{hint}_{name}"


def _rebuild(
    rewriter: PatternRewriter, entry: Block, t: Attribute, fields: list[SSAValue]
) -> SSAValue:
    """The old argument's value from its expanded fields (a descriptor for a
    memref), cast back to the old type for the not-yet-converted body."""
    at_end = InsertPoint.at_end(entry)
    if isinstance(t, MemRefType):
        rank = len(t.get_shape())
        desc_t = descriptor_type(rank)
        undef = llvm.UndefOp(desc_t)
        rewriter.insert(undef, at_end)
        desc = undef.res
        positions = [[0], [1], [2]] + [[3, i] for i in range(rank)] + [
            [4, i] for i in range(rank)
        ]
        for pos, field in zip(positions, fields):
            ins = llvm.InsertValueOp(DenseArrayBase.from_list(i64, pos), desc, field)
            rewriter.insert(ins, at_end)
            desc = ins.results[0]
        value = desc
    else:
        value = fields[0]
    if value.type == t:
        return value
    cast = UnrealizedConversionCastOp.get([value], [t])
    rewriter.insert(cast, at_end)
    return cast.results[0]


class LowerReturn(RewritePattern):
    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /):
        if isinstance(op, func.ReturnOp):
            value = to_llvm(rewriter, op.arguments[0], op) if op.arguments else None
            rewriter.replace(op, llvm.ReturnOp(value))
        elif op.dialect_name() == "func" and not isinstance(op, func.FuncOp):
            raise LoopnestError(
                f"unsupported op '{op.name}': loopnest-convert-func-to-llvm lowers "
                "func.func and func.return only",
                op,
            )


@dataclass(frozen=True)
class ConvertFuncToLLVMPass(ModulePass):
    """Lower `func.func`/`func.return` to `llvm.func`/`llvm.return`.

    Uses MLIR's default calling convention: a memref argument becomes the
    fields of its descriptor (`allocated`, `aligned`, `offset`, `sizes...`,
    `strides...`), rebuilt into the descriptor struct at the function entry.
    With `noalias=true` (or a `llvm.noalias` argument attribute, as in MLIR)
    the memref pointers are marked `noalias`, which is valid only when the
    caller passes non-overlapping buffers.  `func.call` is refused.
    """

    name = "loopnest-convert-func-to-llvm"

    noalias: bool = False

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        rewrite_module(op, [LowerReturn()])
        rewrite_module(op, [LowerFunc(self.noalias)])
