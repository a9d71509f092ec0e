"""Lower `arith` to the `llvm` dialect (MLIR's `convert-arith-to-llvm`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, llvm, vector
from xdsl.dialects.builtin import (
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    FloatAttr,
    IntegerAttr,
    IntegerType,
    ModuleOp,
    VectorType,
    i32,
)
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    RewritePattern,
)
from xdsl.rewriter import InsertPoint, Rewriter

from xdsl_group.errors import LoopnestError
from xdsl_group.lowering.llvm_common import convert_type, replace_with, rewrite_module, to_llvm
from xdsl_group.lowering.runtime_checks import (
    DIVISION_BY_ZERO,
    as_i64_or_int,
    constant,
    constant_value,
    guard,
    icmp,
    minimum_signed,
    overflow_reason,
)

# Quotients that overflow for the minimum signed value divided by -1.
_SIGNED_QUOTIENTS = (arith.DivSIOp, arith.FloorDivSIOp, arith.CeilDivSIOp)
_DIVISIONS = (
    *_SIGNED_QUOTIENTS,
    arith.RemSIOp,
    arith.DivUIOp,
    arith.RemUIOp,
    arith.CeilDivUIOp,
)


def insert_division_checks(module: ModuleOp) -> None:
    """Guard every integer division and remainder whose divisor may be zero
    (`ZeroDivisionError`) and every signed quotient that may divide the
    minimum value by -1 (`OverflowError`); both trap on x86.  A constant
    divisor (or dividend) that rules a case out emits no check."""
    for op in [o for o in module.walk() if isinstance(o, _DIVISIONS)]:
        a, b = op.operands
        ca, cb = constant_value(a), constant_value(b)
        if cb is None or cb == 0:
            b_ll = as_i64_or_int(b, op)
            zero = constant(0, b_ll.type, op)
            guard(op, icmp(b_ll, zero, "eq", op), "ZeroDivisionError", DIVISION_BY_ZERO)
        if isinstance(op, _SIGNED_QUOTIENTS) and cb in (None, -1):
            a_ll, b_ll = as_i64_or_int(a, op), as_i64_or_int(b, op)
            if ca is not None and ca != minimum_signed(a_ll.type):
                continue
            is_min = icmp(a_ll, constant(minimum_signed(a_ll.type), a_ll.type, op), "eq", op)
            is_m1 = icmp(b_ll, constant(-1, b_ll.type, op), "eq", op)
            both = llvm.AndOp(is_min, is_m1)
            Rewriter.insert_op(both, InsertPoint.before(op))
            guard(op, both.res, "OverflowError", overflow_reason(op))

_INT_BINARY: dict[type[Operation], type[Operation]] = {
    arith.AddiOp: llvm.AddOp,
    arith.SubiOp: llvm.SubOp,
    arith.MuliOp: llvm.MulOp,
    arith.DivSIOp: llvm.SDivOp,
    arith.DivUIOp: llvm.UDivOp,
    arith.RemUIOp: llvm.URemOp,
    arith.AndIOp: llvm.AndOp,
    arith.OrIOp: llvm.OrOp,
    arith.XOrIOp: llvm.XOrOp,
}

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


class LowerVector(RewritePattern):
    """`vector.broadcast` of a scalar and `vector.shuffle` (of vectorised
    loops) to `insertelement` + `shufflevector`."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /):
        if isinstance(op, vector.BroadcastOp):
            ty = op.vector.type
            assert isinstance(ty, VectorType)
            scalar = to_llvm(rewriter, op.source, op)
            undef = llvm.UndefOp(ty)
            zero = llvm.ConstantOp(IntegerAttr(0, i32), i32)
            ins = llvm.InsertElementOp(undef.res, scalar, zero.result)
            splat = llvm.ShuffleVectorOp(
                ins.res, undef.res, DenseArrayBase.from_list(i32, [0] * ty.get_shape()[0]), ty
            )
            replace_with(rewriter, op, [undef, zero, ins, splat], splat.res)
        elif isinstance(op, vector.ShuffleOp):
            v1, v2 = to_llvm(rewriter, op.v1, op), to_llvm(rewriter, op.v2, op)
            mask = DenseArrayBase.from_list(i32, list(op.mask.get_values()))
            o = llvm.ShuffleVectorOp(v1, v2, mask, op.results[0].type)
            replace_with(rewriter, op, [o], o.res)
        elif op.dialect_name() == "vector":
            raise LoopnestError(
                f"unsupported op '{op.name}': the native lowering has no lowering for it", op
            )


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
            elif isinstance(attr, FloatAttr | DenseIntOrFPElementsAttr):
                c = llvm.ConstantOp(attr, res_t)
            else:
                raise LoopnestError(
                    f"unsupported constant {attr}: loopnest-convert-arith-to-llvm lowers "
                    "scalar constants only",
                    op,
                )
            new, value = [c], c.result
        elif kind in _INT_BINARY:
            # The program's `nsw`/`nuw` flags are dropped: overflow wraps (two's
            # complement, as in the interpreter) instead of making poison.
            o = _INT_BINARY[kind](args[0], args[1])
            new, value = [o], o.results[0]
        elif isinstance(op, arith.ShLIOp | arith.ShRSIOp | arith.ShRUIOp):
            new, value = _shift(op, args[0], args[1], res_t)
        elif isinstance(op, arith.RemSIOp):
            new, value = _signed_remainder(op, args[0], args[1], res_t)
        elif isinstance(op, arith.CeilDivUIOp):
            new, value = _unsigned_ceil_div(args[0], args[1], res_t)
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
                f"unsupported op '{op.name}': loopnest-convert-arith-to-llvm has no lowering for it",
                op,
            )
        replace_with(rewriter, op, new, value)


def _signed_remainder(
    op: arith.RemSIOp, a: SSAValue, b: SSAValue, t: Attribute
) -> tuple[list[Operation], SSAValue]:
    """`srem`, defined for the minimum value by -1 too (its remainder, 0,
    fits; `srem` would trap): a divisor of -1 is replaced by 1."""
    cb = constant_value(op.rhs)
    if cb is not None and cb != -1:
        o = llvm.SRemOp(a, b)
        return [o], o.res
    minus_one = _const(-1, t)
    is_m1 = _icmp(b, minus_one.result, "eq")
    one = _const(1, t)
    safe = llvm.SelectOp(is_m1.res, one.result, b)
    o = llvm.SRemOp(a, safe.res)
    return [minus_one, is_m1, one, safe, o], o.res


def _shift(
    op: Operation, a: SSAValue, b: SSAValue, t: Attribute
) -> tuple[list[Operation], SSAValue]:
    """A shift by an amount (unsigned) of at least the bit width is poison in
    LLVM; here it shifts every bit out: 0, or the sign for `shrsi`, as in
    the interpreter.  The amount is clamped, so no value is poison."""
    assert isinstance(t, IntegerType)
    width = t.width.data
    if (amount := constant_value(op.operands[1])) is not None and 0 <= amount < width:
        kind = {arith.ShLIOp: llvm.ShlOp, arith.ShRSIOp: llvm.AShrOp, arith.ShRUIOp: llvm.LShrOp}
        o = kind[type(op)](a, b)
        return [o], o.results[0]
    top = _const(width - 1, t)
    big = _icmp(b, top.result, "ugt")
    clamped = llvm.SelectOp(big.res, top.result, b)
    ops: list[Operation] = [top, big, clamped]
    if isinstance(op, arith.ShRSIOp):
        o = llvm.AShrOp(a, clamped.res)
        return [*ops, o], o.res
    o = (llvm.ShlOp if isinstance(op, arith.ShLIOp) else llvm.LShrOp)(a, clamped.res)
    zero = _const(0, t)
    sel = llvm.SelectOp(big.res, zero.result, o.res)
    return [*ops, o, zero, sel], sel.res


def _unsigned_ceil_div(
    a: SSAValue, b: SSAValue, t: Attribute
) -> tuple[list[Operation], SSAValue]:
    """`a == 0 ? 0 : (a - 1) / b + 1` (as MLIR expands it; no overflow)."""
    zero = _const(0, t)
    one = _const(1, t)
    is_zero = _icmp(a, zero.result, "eq")
    dec = llvm.SubOp(a, one.result)
    q = llvm.UDivOp(dec.res, b)
    inc = llvm.AddOp(q.res, one.result)
    sel = llvm.SelectOp(is_zero.res, zero.result, inc.res)
    return [zero, one, is_zero, dec, q, inc, sel], sel.res


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

    Integer division and remainder are checked at run time where the
    divisor may be zero or a signed quotient may overflow (see
    `insert_division_checks`); integer overflow otherwise wraps (the
    program's `nsw`/`nuw` flags are dropped, so no value is poison), and a
    shift by at least the bit width gives 0 (the sign for `shrsi`).

    Covers constants, integer and float arithmetic,
    `floordivsi`/`ceildivsi` (expanded to `sdiv`/`srem` with a sign fix-up),
    min/max, comparisons, `select` and the integer/float casts.  Any other
    `arith` op is refused with an error naming it.
    """

    name = "loopnest-convert-arith-to-llvm"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        insert_division_checks(op)
        rewrite_module(op, [LowerArith(), LowerVector()])

