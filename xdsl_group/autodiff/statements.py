"""Which `loopnest` functions can be differentiated, statement by statement.

A *statement* is one `loopnest.store X[a] = v`.  It is differentiable when the
stored value `v` is an expression over float loads of *inputs* (memref
arguments the function never writes) and float constants, built with
`arith.addf`, `subf`, `mulf` and `negf`; or the accumulation
`addf(load X[a], e)` of such an `e` into the very element the statement
writes (a reduction `X[a] += e`).  Anything else is refused with a diagnostic
naming the op: it could only be differentiated with a wrong gradient.

Overwrites `X[a] = e` are exact only if every element of X is written once:
proven with isl on the statements' access relations, or refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import islpy as isl

from xdsl.dialects import arith, func
from xdsl.dialects.builtin import FileLineColLoc, Float32Type, Float64Type, MemRefType
from xdsl.ir import Block, BlockArgument, Operation, SSAValue

from xdsl_group.analysis.loop_structure import access_str, value_name
from xdsl_group.analysis.polyhedral import Access, LoopContext
from xdsl_group.dialects.loopnest import ForOp, LoadOp, StoreOp, YieldOp, enclosing_loops
from xdsl_group.errors import LoopnestError

DIFFERENTIABLE_OPS: tuple[type[Operation], ...] = (
    arith.AddfOp,
    arith.SubfOp,
    arith.MulfOp,
    arith.NegfOp,
    arith.MaximumfOp,
    arith.MinimumfOp,
    arith.SelectOp,
    arith.CmpfOp,
    arith.ConstantOp,
    LoadOp,
)
_STRUCTURAL_OPS = (ForOp, YieldOp, StoreOp, func.ReturnOp)


@dataclass(frozen=True)
class Statement:
    """One store and the expression it stores.

    `expression` is the value whose gradient flows to the inputs: the stored
    value itself, or for an accumulation `X[a] += e` the addend `e`.
    `ops` are the expression's operations in program order (loads of inputs,
    constants, arithmetic); `accumulation` is the load of `X[a]`, if any.
    """

    store: StoreOp
    expression: SSAValue
    ops: tuple[Operation, ...]
    accumulation: LoadOp | None

    @property
    def output(self) -> BlockArgument:
        memref = self.store.memref
        assert isinstance(memref, BlockArgument)
        return memref

    @property
    def context(self) -> LoopContext:
        return LoopContext.of(self.store)


@dataclass(frozen=True)
class Differentiable:
    """A function in the supported class: its outputs, inputs and statements."""

    function: func.FuncOp
    outputs: tuple[int, ...]
    inputs: tuple[int, ...]
    statements: tuple[Statement, ...]


def written_arguments(fn: func.FuncOp) -> set[int]:
    """Positions of the arguments some `loopnest.store` writes."""
    args = list(fn.body.block.args)
    return {
        args.index(op.memref)
        for op in fn.walk()
        if isinstance(op, StoreOp) and op.memref in args
    }


def analyse_function(fn: func.FuncOp) -> Differentiable:
    """Classify `fn`'s arguments and statements, or refuse (`LoopnestError`)."""
    name = fn.sym_name.data
    if not fn.body.blocks:
        raise LoopnestError(f"@{name} has no body to differentiate", fn)
    if fn.function_type.outputs.data:
        raise LoopnestError(
            f"@{name} returns values; gradients are derived for functions that "
            "write their memref arguments",
            fn,
        )
    args = list(fn.body.block.args)
    for k, arg in enumerate(args):
        t = arg.type
        if not isinstance(t, MemRefType) or not isinstance(
            t.element_type, Float32Type | Float64Type
        ):
            raise LoopnestError(
                f"@{name} argument #{k} ({value_name(arg)}) has type {t}; gradients "
                "are derived for memrefs of f32 or f64 only",
                fn,
            )
    for op in fn.walk():
        if op is fn or isinstance(op, _STRUCTURAL_OPS + DIFFERENTIABLE_OPS):
            continue
        raise LoopnestError(_unsupported(op) + _where(op), op)
    written = written_arguments(fn)
    outputs = tuple(sorted(written))
    inputs = tuple(k for k in range(len(args)) if k not in written)
    stores = [op for op in fn.walk() if isinstance(op, StoreOp)]
    for store in stores:
        if store.memref not in args:
            raise LoopnestError(
                f"stores to {value_name(store.memref)}, which is not an argument of @{name}",
                store,
            )
    statements = tuple(_statement(store, set(args[k] for k in outputs)) for store in stores)
    _check_single_writes(statements)
    return Differentiable(fn, outputs, inputs, statements)


def _unsupported(op: Operation) -> str:
    if isinstance(op, arith.DivfOp):
        return (
            "division is not differentiated (its gradient divides by the "
            f"divisor's square); {_CLASS}"
        )
    return f"'{op.name}' is not in the differentiable class; {_CLASS}"


def _where(op: Operation) -> str:
    """Where an op without a source location is: its innermost located loop."""
    if isinstance(op.location, FileLineColLoc):
        return ""
    for loop in enclosing_loops(op):
        if isinstance(loop.location, FileLineColLoc):
            return f" (in loop '{loop.name_str}', line {loop.location.line.data})"
    return ""


_CLASS = (
    "gradients support loopnest loads and stores of f32/f64, arith.constant, "
    "addf, subf, mulf, negf, maximumf, minimumf, select and cmpf"
)


def _statement(store: StoreOp, outputs: set[SSAValue]) -> Statement:
    value = store.value
    accumulation: LoadOp | None = None
    expression = value
    owner = value.owner if not isinstance(value, BlockArgument) else None
    if isinstance(owner, arith.AddfOp):
        for side, other in ((owner.lhs, owner.rhs), (owner.rhs, owner.lhs)):
            load = side.owner
            if isinstance(load, LoadOp) and load.memref is store.memref:
                if _same_element(load, store):
                    accumulation, expression = load, other
                    break
    ops: list[Operation] = []
    seen: set[int] = set()

    def visit(v: SSAValue) -> None:
        op = v.owner
        if not isinstance(op, Operation):
            raise LoopnestError("stores a value that is not computed by an op", store)
        if id(op) in seen:
            return
        seen.add(id(op))
        if isinstance(op, LoadOp):
            if op.memref in outputs:
                raise LoopnestError(
                    f"{access_str(op)} reads output {value_name(op.memref)}, which "
                    f"the function writes; only the accumulation of the element a "
                    "statement stores to may read an output (refused: the gradient "
                    "would depend on the order of the writes)",
                    op,
                )
        elif isinstance(op, arith.ConstantOp):
            pass
        else:
            for operand in op.operands:
                visit(operand)
        ops.append(op)

    visit(expression)
    if accumulation is not None:
        _check_accumulation(accumulation, store)
    ops.sort(key=_program_position)
    return Statement(store, expression, tuple(ops), accumulation)


def _program_position(op: Operation) -> tuple[int, ...]:
    """A key ordering ops by their position in the function (pre-order)."""
    path: list[int] = []
    cur: Operation | None = op
    while cur is not None and not isinstance(cur, func.FuncOp):
        block = cur.parent_block()
        if block is None:
            break
        path.append(block.get_operation_index(cur))
        cur = block.parent_op()
    return tuple(reversed(path))


def _same_element(load: LoadOp, store: StoreOp) -> bool:
    """Whether `load` reads exactly the element `store` writes, in every
    iteration: same block and equal access relations (isl)."""
    if load.parent_block() is not store.parent_block():
        return False
    ctx = LoopContext.of(store)
    return Access(load, ctx).relation().is_equal(Access(store, ctx).relation())


def _check_accumulation(load: LoadOp, store: StoreOp) -> None:
    """`X[a] += e` is a reduction only if nothing writes X between the read and
    the write.  (Other uses of the value read are refused where they reach a
    stored value: they read an output.)"""
    block = load.parent_block()
    assert isinstance(block, Block)
    between = False
    for op in block.ops:
        if op is load:
            between = True
        elif op is store:
            break
        elif between:
            for inner in op.walk():
                if isinstance(inner, StoreOp) and inner.memref is store.memref:
                    raise LoopnestError(
                        f"{access_str(inner)} writes {value_name(store.memref)} between "
                        f"the load and the store of an accumulation",
                        inner,
                    )


def _check_single_writes(statements: tuple[Statement, ...]) -> None:
    """An overwrite `X[a] = e` passes the incoming gradient of X[a] to e only
    if no other write to that element exists: each overwrite's access relation
    is injective and its footprint disjoint from every other store's to X."""
    relations = {
        id(s): Access(s.store, s.context).relation() for s in statements
    }
    for s in statements:
        if s.accumulation is not None:
            continue
        rel = relations[id(s)]
        if not rel.is_injective():
            raise LoopnestError(
                f"{access_str(s.store)} overwrites some element of "
                f"{value_name(s.output)} in more than one iteration; the gradient of "
                "an overwrite needs each element written once",
                s.store,
            )
        for t in statements:
            if t is s or t.output is not s.output:
                continue
            common = rel.range().intersect(relations[id(t)].range())
            if not common.is_empty():
                raise LoopnestError(
                    f"{access_str(s.store)} overwrites elements of "
                    f"{value_name(s.output)} that {access_str(t.store)} also writes "
                    f"(e.g. {value_name(s.output)}{_point(common)}); the gradient of an "
                    "overwrite needs each element written once",
                    s.store,
                )


def _point(s: isl.Set) -> str:
    p = s.sample_point()
    n = p.get_space().dim(isl.dim_type.set)
    coords = (p.get_coordinate_val(isl.dim_type.set, k).to_python() for k in range(n))
    return "[" + ", ".join(str(c) for c in coords) + "]"
