"""Lower `cf` branches to the `llvm` dialect (MLIR's `convert-cf-to-llvm`)."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import cf, llvm
from xdsl.dialects.builtin import ModuleOp, UnrealizedConversionCastOp
from xdsl.ir import Block, Operation
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    RewritePattern,
)
from xdsl.rewriter import InsertPoint, Rewriter

from xdsl_group.errors import LoopnestError
from xdsl_group.lowering.llvm_common import cast_to, convert_type, rewrite_module


def convert_block_arguments(block: Block) -> None:
    """Give a non-entry block's arguments their LLVM types (index -> i64);
    the body keeps seeing the old type through a cast at the block start."""
    for arg in list(block.args):
        old = arg.type
        new_type = convert_type(old, block.parent_op())
        if new_type == old:
            continue
        new_arg = Rewriter.replace_value_with_new_type(arg, new_type)
        cast = UnrealizedConversionCastOp.get([new_arg], [old])
        Rewriter.insert_op(cast, InsertPoint.at_start(block))
        new_arg.replace_uses_with_if(cast.results[0], lambda use: use.operation is not cast)


class LowerBranches(RewritePattern):
    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /):
        if isinstance(op, cf.BranchOp):
            args = [
                cast_to(rewriter, v, a.type, op)
                for v, a in zip(op.arguments, op.successor.args)
            ]
            rewriter.replace(op, llvm.BrOp(op.successor, *args))
        elif isinstance(op, cf.ConditionalBranchOp):
            then_args = [
                cast_to(rewriter, v, a.type, op)
                for v, a in zip(op.then_arguments, op.then_block.args)
            ]
            else_args = [
                cast_to(rewriter, v, a.type, op)
                for v, a in zip(op.else_arguments, op.else_block.args)
            ]
            rewriter.replace(
                op,
                llvm.CondBrOp(op.cond, op.then_block, then_args, op.else_block, else_args),
            )
        elif op.dialect_name() == "cf":
            raise LoopnestError(
                f"unsupported op '{op.name}': loopnest-convert-cf-to-llvm lowers cf.br and cf.cond_br only",
                op,
            )


@dataclass(frozen=True)
class ConvertCfToLLVMPass(ModulePass):
    """Lower `cf.br`/`cf.cond_br` to `llvm.br`/`llvm.cond_br`.

    Arguments of non-entry blocks get their LLVM types (`index` -> `i64`),
    bridged to unconverted users by casts.  `cf.assert` and `cf.switch` are
    refused with an error naming the op.
    """

    name = "loopnest-convert-cf-to-llvm"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for inner in op.walk():
            for region in inner.regions:
                for block in list(region.blocks)[1:]:
                    convert_block_arguments(block)
        rewrite_module(op, [LowerBranches()])
