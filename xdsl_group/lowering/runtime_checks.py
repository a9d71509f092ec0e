"""Run-time checks emitted by the native lowering.

What the static bounds proof does not cover (`memref`/`affine` accesses with
computed indices, integer division by a divisor not known to be safe) is
checked in the generated code.  A failed check stores its error code into
the module's global `loopnest_runtime_error` (an `i32`, 0 while no check
failed) and returns from the function at once; the code is 1 + the check's
position in the module attribute `loopnest.runtime_errors`, a list of
`[exception type name, one-line diagnostic]` pairs, so the JIT raises the
error (`IndexError`, `ZeroDivisionError`, `OverflowError`) naming the op
after the call.  The reasons are shared with the interpreter's checks
(`xdsl_group.interpreters.checked`) so both backends fail identically.

Checks branch to their failure block, so everything after a check, e.g.
the `sdiv` it guards, is in a block dominated by it: LLVM speculates a
division above a branch only when it can prove it cannot trap.
"""

from __future__ import annotations

from xdsl.dialects import affine, arith, func, llvm, memref
from xdsl.dialects.builtin import (
    ArrayAttr,
    FileLineColLoc,
    IntegerAttr,
    IntegerType,
    MemRefType,
    ModuleOp,
    StringAttr,
    UnitAttr,
    UnrealizedConversionCastOp,
    i32,
)
from xdsl.ir import Attribute, Block, Operation, SSAValue
from xdsl.rewriter import InsertPoint, Rewriter

from xdsl_group.dialects.attributes import (
    IN_BOUNDS_ATTR,
    ORIGIN_ATTR,
    RUNTIME_ERRORS_ATTR,
)
from xdsl_group.errors import LoopnestError

ERROR_GLOBAL = "loopnest_runtime_error"

DIVISION_BY_ZERO = "division by zero"


def overflow_reason(op: Operation) -> str:
    return f"signed division overflow: the minimum {op.results[0].type} value divided by -1"


def bounds_reason(op: Operation, dim: int) -> str:
    mem = op.operands[1] if isinstance(op, memref.StoreOp | affine.StoreOp) else op.operands[0]
    ty = mem.type
    assert isinstance(ty, MemRefType)
    name = f"%{mem.name_hint}" if mem.name_hint else "the memref"
    size = ty.get_shape()[dim]
    return f"index of dimension {dim} of {name} ({ty}) is out of bounds [0, {size})"


def diagnostic(reason: str, op: Operation) -> str:
    """`format_diagnostic` for `op`, under the name of the op it was lowered
    from (a `memref.load` lowered from `affine.load` reports `affine.load`)."""
    loc = op.location
    where = (
        f"{loc.filename.data}:{loc.line.data}:{loc.column.data}: "
        if isinstance(loc, FileLineColLoc)
        else ""
    )
    origin = op.attributes.get(ORIGIN_ATTR)
    name = origin.data if isinstance(origin, StringAttr) else op.name
    return f"{where}error: '{name}' op: {reason}"


def carry_origin(old: Operation, new: Operation) -> None:
    """Keep `old`'s location and in-bounds proof on its lowering `new`, and,
    if `new` will be checked at run time, the name of the op it reports."""
    keep_proof(old, new)
    if IN_BOUNDS_ATTR not in old.attributes:
        new.attributes[ORIGIN_ATTR] = old.attributes.get(ORIGIN_ATTR, StringAttr(old.name))


def keep_proof(old: Operation, new: Operation) -> None:
    """Keep `old`'s location and in-bounds proof (if any) on its lowering."""
    new.location = old.location
    if IN_BOUNDS_ATTR in old.attributes:
        new.attributes[IN_BOUNDS_ATTR] = UnitAttr()


def mark_in_bounds(op: Operation) -> None:
    op.attributes[IN_BOUNDS_ATTR] = UnitAttr()


def is_in_bounds(op: Operation) -> bool:
    return IN_BOUNDS_ATTR in op.attributes


def constant_value(value: SSAValue) -> int | None:
    """The integer `value` is a constant of (through casts), if it is one."""
    while True:
        owner = value.owner
        if isinstance(owner, UnrealizedConversionCastOp) and len(owner.inputs) == 1:
            value = owner.inputs[0]
            continue
        if isinstance(owner, arith.ConstantOp | llvm.ConstantOp):
            attr = owner.value
            if isinstance(attr, IntegerAttr):
                return attr.value.data
        return None


def as_i64_or_int(value: SSAValue, before: Operation) -> SSAValue:
    """`value` with its LLVM type (`index` becomes `i64`), through a cast."""
    from xdsl_group.lowering.llvm_common import convert_type, existing_as

    target = convert_type(value.type, before)
    if (existing := existing_as(value, target)) is not None:
        return existing
    cast = UnrealizedConversionCastOp.get([value], [target])
    Rewriter.insert_op(cast, InsertPoint.before(before))
    return cast.results[0]


def _module_of(op: Operation) -> ModuleOp:
    parent = op.parent_op()
    while parent is not None and not isinstance(parent, ModuleOp):
        parent = parent.parent_op()
    if parent is None:
        raise LoopnestError("a run-time check needs an enclosing module", op)
    return parent


def _register(module: ModuleOp, kind: str, message: str) -> int:
    """The error code of `message` in the module's table (added if new)."""
    old = module.attributes.get(RUNTIME_ERRORS_ATTR)
    entries = list(old.data) if isinstance(old, ArrayAttr) else []
    entry = ArrayAttr([StringAttr(kind), StringAttr(message)])
    if entry not in entries:
        entries.append(entry)
    module.attributes[RUNTIME_ERRORS_ATTR] = ArrayAttr(entries)
    if not any(
        isinstance(g, llvm.GlobalOp) and g.sym_name.data == ERROR_GLOBAL
        for g in module.body.block.ops
    ):
        # `common`: a zero-initialised definition the JIT can look up by name.
        glob = llvm.GlobalOp(i32, ERROR_GLOBAL, "common", value=IntegerAttr(0, i32))
        Rewriter.insert_op(glob, InsertPoint.at_start(module.body.block))
    return entries.index(entry) + 1


def _failure_return(fn: Operation, point: InsertPoint) -> None:
    """A return from `fn` (its results undefined: the caller raises)."""
    from xdsl_group.lowering.llvm_common import convert_type

    if isinstance(fn, func.FuncOp):
        values: list[SSAValue] = []
        for t in fn.function_type.outputs.data:
            undef = llvm.UndefOp(convert_type(t, fn))
            Rewriter.insert_op(undef, point)
            v = undef.res
            if v.type != t:
                cast = UnrealizedConversionCastOp.get([v], [t])
                Rewriter.insert_op(cast, point)
                v = cast.results[0]
            values.append(v)
        Rewriter.insert_op(func.ReturnOp(*values), point)
        return
    assert isinstance(fn, llvm.FuncOp)
    result: Attribute = fn.function_type.output
    if isinstance(result, llvm.LLVMVoidType):
        Rewriter.insert_op(llvm.ReturnOp(None), point)
    else:
        undef = llvm.UndefOp(result)
        Rewriter.insert_op(undef, point)
        Rewriter.insert_op(llvm.ReturnOp(undef.res), point)


def guard(op: Operation, bad: SSAValue, kind: str, reason: str) -> None:
    """Fail with `kind`(`reason` at `op`) when the `i1` `bad` is true, before
    `op` runs: split `op`'s block, branch to a block that records the error
    code and returns.  `op` must be in a function body in CFG form (the
    native pipeline emits checks after `convert-scf-to-cf`)."""
    block = op.parent_block()
    fn = op.parent_op()
    if block is None or not isinstance(fn, func.FuncOp | llvm.FuncOp):
        raise LoopnestError(
            "this op needs a run-time check, which needs unstructured control "
            "flow: lower structured loops first (convert-scf-to-cf)",
            op,
        )
    code = _register(_module_of(op), kind, diagnostic(reason, op))
    rest = block.split_before(op)
    region = block.parent
    assert region is not None
    fail = Block()
    region.add_block(fail)
    at_fail = InsertPoint.at_end(fail)
    address = llvm.AddressOfOp(ERROR_GLOBAL, llvm.LLVMPointerType())
    value = llvm.ConstantOp(IntegerAttr(code, i32), i32)
    for new in (address, value, llvm.StoreOp(value.result, address.result)):
        Rewriter.insert_op(new, at_fail)
    _failure_return(fn, at_fail)
    Rewriter.insert_op(llvm.CondBrOp(bad, fail, [], rest, []), InsertPoint.at_end(block))


def icmp(a: SSAValue, b: SSAValue, pred: str, before: Operation) -> SSAValue:
    flag = llvm.ICmpPredicateFlag(pred)
    o = llvm.ICmpOp(a, b, IntegerAttr(flag.to_int(), 64))
    Rewriter.insert_op(o, InsertPoint.before(before))
    return o.res


def constant(value: int, t: Attribute, before: Operation) -> SSAValue:
    o = llvm.ConstantOp(IntegerAttr(value, t), t)
    Rewriter.insert_op(o, InsertPoint.before(before))
    return o.result


def minimum_signed(t: Attribute) -> int:
    assert isinstance(t, IntegerType)
    return -(1 << (t.width.data - 1))
