"""Lower `arith` to the `llvm` dialect (MLIR's `convert-arith-to-llvm`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, llvm
from xdsl.dialects.builtin import (
    FloatAttr,
    IntegerAttr,
    IntegerType,
    ModuleOp,
)
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    RewritePattern,
)

from xdsl_group.errors import LoopnestError
from xdsl_group.transforms.llvm_common import convert_type, replace_with, rewrite_module, to_llvm

_INT_BINARY: dict[type[Operation], type[Operation]] = {
    arith.AddiOp: llvm.AddOp,
    arith.SubiOp: llvm.SubOp,
    arith.MuliOp: llvm.MulOp,
    arith.DivSIOp: llvm.SDivOp,
    arith.DivUIOp: llvm.UDivOp,
    arith.RemSIOp: llvm.SRemOp,
    arith.RemUIOp: llvm.URemOp,
    arith.AndIOp: llvm.AndOp,
    arith.OrIOp: llvm.OrOp,
    arith.XOrIOp: llvm.XOrOp,
    arith.ShLIOp: llvm.ShlOp,
    arith.ShRSIOp: llvm.AShrOp,
    arith.ShRUIOp: llvm.LShrOp,
}
_WITH_OVERFLOW = (arith.AddiOp, arith.SubiOp, arith.MuliOp, arith.ShLIOp)

_FLOAT_BINARY: dict[type[Operation], type[Operation]] = {
    arith.AddfOp: llvm.FAddOp,
    arith.SubfOp: llvm.FSubOp,
    arith.MulfOp: llvm.FMulOp,
    arith.DivfOp: llvm.FDivOp,
    arith.MaxnumfOp: llvm.VectorFMaxOp,  # llvm.maxnum
    arith.MinnumfOp: llvm.VectorFMinOp,  # llvm.minnum
}

_INT_MINMAX: dict[type[Operation], str] = {
    arith.MinSIOp: "slt",
    arith.MaxSIOp: "sgt",
    arith.MinUIOp: "ult",
    arith.MaxUIOp: "ugt",
}

_FLOAT_INTRINSICS: dict[type[Operation], str] = {
    arith.MaximumfOp: "llvm.maximum",
    arith.MinimumfOp: "llvm.minimum",
}

_CASTS: dict[type[Operation], Callable[[SSAValue, Attribute], Operation]] = {
    arith.ExtSIOp: lambda v, t: llvm.SExtOp(v, t),
    arith.ExtUIOp: lambda v, t: llvm.ZExtOp(v, t),
    arith.TruncIOp: lambda v, t: llvm.TruncOp(v, t),
    arith.SIToFPOp: lambda v, t: llvm.SIToFPOp(v, t),
    arith.ExtFOp: lambda v, t: llvm.FPExtOp(v, t),
    arith.TruncFOp: lambda v, t: llvm.FPTruncOp(v, t),
    arith.BitcastOp: lambda v, t: llvm.BitcastOp(v, t),
}


def _icmp(a: SSAValue, b: SSAValue, pred: str) -> llvm.ICmpOp:
    flag = llvm.ICmpPredicateFlag(pred)
    return llvm.ICmpOp(a, b, IntegerAttr(flag.to_int(), 64))


def _const(value: int, t: Attribute) -> llvm.ConstantOp:
    return llvm.ConstantOp(IntegerAttr(value, t), t)


def _signed_div_round(
    a: SSAValue, b: SSAValue, t: Attribute, floor: bool
) -> tuple[list[Operation], SSAValue]:
    """floor/ceil division: the truncated quotient, moved by one when the
    remainder is non-zero and its sign says truncation went the wrong way."""
    q = llvm.SDivOp(a, b)
    r = llvm.SRemOp(a, b)
    zero = _const(0, t)
    nonzero = _icmp(r.res, zero.result, "ne")
    r_neg = _icmp(r.res, zero.result, "slt")
    b_neg = _icmp(b, zero.result, "slt")
    # floor: adjust when signs differ; ceil: when they agree.
    differ = llvm.XOrOp(r_neg.res, b_neg.res)
    ops: list[Operation] = [q, r, zero, nonzero, r_neg, b_neg, differ]
    cond_src = differ.res
    if not floor:
        one_bit = _const(1, IntegerType(1))
        same = llvm.XOrOp(differ.res, one_bit.result)
        ops += [one_bit, same]
        cond_src = same.res
    cond = llvm.AndOp(nonzero.res, cond_src)
    one = _const(1, t)
    moved = (llvm.SubOp if floor else llvm.AddOp)(q.res, one.result)
    sel = llvm.SelectOp(cond.res, moved.res, q.res)
    ops += [cond, one, moved, sel]
    return ops, sel.res


class LowerArith(RewritePattern):
    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /):
        if op.dialect_name() != "arith":
            return
        kind = type(op)
        args = [to_llvm(rewriter, v, op) for v in op.operands]
        res_t = convert_type(op.results[0].type, op) if op.results else None
        new: list[Operation]
        value: SSAValue
        if isinstance(op, arith.ConstantOp):
            attr = op.value
            if isinstance(attr, IntegerAttr):
                c = _const(attr.value.data, res_t)
            elif isinstance(attr, FloatAttr):
                c = llvm.ConstantOp(attr, res_t)
            else:
                raise LoopnestError(
                    f"unsupported constant {attr}: convert-arith-to-llvm lowers "
                    "scalar constants only",
                    op,
                )
            new, value = [c], c.result
        elif kind in _INT_BINARY:
            if kind in _WITH_OVERFLOW:
                flags = op.properties.get("overflowFlags")
                n = _overflow_bits(flags)
                o = _INT_BINARY[kind](args[0], args[1], overflow=llvm.OverflowAttr.from_int(n))
            else:
                o = _INT_BINARY[kind](args[0], args[1])
            new, value = [o], o.results[0]
        elif kind in _FLOAT_BINARY:
            o = _FLOAT_BINARY[kind](args[0], args[1])
            new, value = [o], o.results[0]
        elif isinstance(op, arith.NegfOp):
            o = llvm.FNegOp(args[0])
            new, value = [o], o.results[0]
        elif kind in _INT_MINMAX:
            cmp = _icmp(args[0], args[1], _INT_MINMAX[kind])
            sel = llvm.SelectOp(cmp.res, args[0], args[1])
            new, value = [cmp, sel], sel.res
        elif kind in _FLOAT_INTRINSICS:
            call = llvm.CallIntrinsicOp(
                f"{_FLOAT_INTRINSICS[kind]}.{res_t}", args, [res_t]
            )
            new, value = [call], call.results[0]
        elif isinstance(op, arith.FloorDivSIOp | arith.CeilDivSIOp):
            new, value = _signed_div_round(
                args[0], args[1], res_t, isinstance(op, arith.FloorDivSIOp)
            )
        elif isinstance(op, arith.CmpiOp):
            o = llvm.ICmpOp(args[0], args[1], IntegerAttr(op.predicate.value.data, 64))
            new, value = [o], o.res
        elif isinstance(op, arith.CmpfOp):
            o = llvm.FCmpOp(args[0], args[1], IntegerAttr(op.predicate.value.data, 64))
            new, value = [o], o.res
        elif isinstance(op, arith.SelectOp):
            o = llvm.SelectOp(args[0], args[1], args[2])
            new, value = [o], o.res
        elif isinstance(op, arith.IndexCastOp):
            new, value = _int_resize(args[0], res_t)
        elif kind in _CASTS:
            o = _CASTS[kind](args[0], res_t)
            new, value = [o], o.results[0]
        else:
            raise LoopnestError(
                f"unsupported op '{op.name}': convert-arith-to-llvm has no lowering for it",
                op,
            )
        replace_with(rewriter, op, new, value)


def _overflow_bits(flags: Attribute | None) -> int:
    if flags is None:
        return 0
    text = str(flags)
    return (1 if "nsw" in text else 0) | (2 if "nuw" in text else 0)


def _int_resize(v: SSAValue, t: Attribute) -> tuple[list[Operation], SSAValue]:
    """index_cast between i64 (index) and iN: sign-extend or truncate."""
    src, dst = v.type, t
    assert isinstance(src, IntegerType) and isinstance(dst, IntegerType)
    if src.width.data == dst.width.data:
        return [], v
    o = llvm.SExtOp(v, dst) if src.width.data < dst.width.data else llvm.TruncOp(v, dst)
    return [o], o.results[0]


@dataclass(frozen=True)
class ConvertArithToLLVMPass(ModulePass):
    """Lower scalar `arith` ops to the `llvm` dialect; `index` becomes `i64`.

    Covers constants, integer and float arithmetic (overflow flags kept),
    `floordivsi`/`ceildivsi` (expanded to `sdiv`/`srem` with a sign fix-up),
    min/max, comparisons, `select` and the integer/float casts.  Any other
    `arith` op is refused with an error naming it.
    """

    name = "convert-arith-to-llvm"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        rewrite_module(op, [LowerArith()])

