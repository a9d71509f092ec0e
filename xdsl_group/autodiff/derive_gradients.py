"""`derive-gradients`: add the vector-Jacobian product `@f_vjp` of each
function `@f` that writes memref arguments.

`@f` maps its inputs (the memref arguments it only reads) to its outputs (the
ones it writes, starting from zero).  `@f_vjp` takes `@f`'s arguments, then
an incoming gradient per output (`dO`), then a gradient buffer per input
(`dI`, `dW`) that it accumulates into.  Each statement `X[a] (+)= e` of `@f`
gets an adjoint nest over the statement's own iteration domain (its
enclosing loops cloned, bounds kept), whose body is reverse-mode
differentiation of `e`: for `O[a] += I[b] * W[c]`,
`dI[b] += dO[a] * W[c]` and `dW[c] += dO[a] * I[b]`.  Every instance of an
adjoint statement only adds to gradient buffers, so any order of the
instances is correct; the scheduling passes may reorder them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects import arith, func
from xdsl.dialects.builtin import FloatAttr, ModuleOp
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.rewriter import InsertPoint

from xdsl_group.autodiff.statements import (
    Differentiable,
    Statement,
    analyse_function,
    written_arguments,
)
from xdsl_group.dialects.loopnest import ForOp, LoadOp, StoreOp
from xdsl_group.errors import LoopnestError

VJP_SUFFIX = "_vjp"


def vjp_name(func_name: str) -> str:
    return func_name + VJP_SUFFIX


def plan_gradients(module: ModuleOp) -> list[Differentiable]:
    """Analyse every function that writes a memref argument; refuse the whole
    module if one is outside the supported class."""
    names = {
        op.sym_name.data for op in module.walk() if isinstance(op, func.FuncOp)
    }
    plans: list[Differentiable] = []
    for fn in [op for op in module.walk() if isinstance(op, func.FuncOp)]:
        if not fn.body.blocks or not written_arguments(fn):
            continue
        name = vjp_name(fn.sym_name.data)
        if name in names:
            raise LoopnestError(
                f"cannot add @{name}: the module already has a function of that name",
                fn,
            )
        plans.append(analyse_function(fn))
    return plans


def build_vjp(plan: Differentiable) -> func.FuncOp:
    """The function `@f_vjp` for an analysed `@f` (see the module docstring)."""
    fn = plan.function
    args = list(fn.body.block.args)
    types = [a.type for a in args]
    extra = [args[k] for k in plan.outputs] + [args[k] for k in plan.inputs]
    block = Block(arg_types=types + [a.type for a in extra])
    new_args = list(block.args)
    for old, new in zip(args, new_args):
        new.name_hint = old.name_hint
    for old, new in zip(extra, new_args[len(args):]):
        new.name_hint = f"d{old.name_hint}" if old.name_hint else None
    # Gradient of each original argument: dX for outputs, dI for inputs.
    gradient: dict[SSAValue, SSAValue] = {
        extra[k]: new_args[len(args) + k] for k in range(len(extra))
    }
    mapping: dict[SSAValue, SSAValue] = dict(zip(args, new_args))
    for statement in plan.statements:
        _emit_adjoint(statement, block, mapping, gradient)
    block.add_op(func.ReturnOp())
    vjp = func.FuncOp(
        vjp_name(fn.sym_name.data),
        (block.arg_types, ()),
        Region(block),
        fn.sym_visibility,
    )
    vjp.location = fn.location
    return vjp


def _emit_adjoint(
    s: Statement,
    block: Block,
    arguments: dict[SSAValue, SSAValue],
    gradient: dict[SSAValue, SSAValue],
) -> None:
    if not _reaches_an_input(s.expression):
        return  # e.g. a constant store: nothing flows to the inputs
    mapping = dict(arguments)
    parent = block
    for loop in s.context.loops:
        clone = ForOp(
            loop.loop_name,
            loop.lower_bound.data,
            loop.upper_bound.data,
            [mapping[v] for v in loop.bound_operands],
            loop.step_value,
        )
        clone.location = loop.location
        clone.induction_variable.name_hint = loop.induction_variable.name_hint
        mapping[loop.induction_variable] = clone.induction_variable
        _append(parent, clone)
        parent = clone.body.block
    body: list[Operation] = []

    # Values that depend on some input load: only they receive gradients.
    active: set[SSAValue] = set()
    for op in s.ops:
        if isinstance(op, LoadOp) or any(v in active for v in op.operands):
            active.add(op.results[0])
    # Forward values the derivative needs (the other factor of each product),
    # recomputed in program order: the adjoint reads inputs, never outputs.
    needed: set[SSAValue] = set()
    for op in reversed(s.ops):  # users before operands
        if isinstance(op, arith.MulfOp):
            if op.lhs in active:
                needed.add(op.rhs)
            if op.rhs in active:
                needed.add(op.lhs)
        elif isinstance(op, arith.MaximumfOp | arith.MinimumfOp):
            needed.update(op.operands)  # compared to route the gradient
        elif isinstance(op, arith.SelectOp):
            needed.add(op.cond)
        if op.results[0] in needed and not isinstance(op, LoadOp):
            needed.update(op.operands)
    for op in s.ops:
        if op.results[0] in needed:
            body.append(op.clone(mapping))

    def emit(op: Operation) -> SSAValue:
        body.append(op)
        return op.results[0]

    store = s.store
    indices = [mapping[v] for v in store.indices]
    incoming = emit(LoadOp(gradient[store.memref], indices, store.map.data))
    adjoint: dict[SSAValue, SSAValue] = {s.expression: incoming}

    zeros: list[SSAValue] = []

    def routed(cond: SSAValue, amount: SSAValue, taken: bool) -> SSAValue:
        """`amount` where `cond` is (taken) or is not (not taken) true, else 0."""
        if not zeros:
            zeros.append(emit(arith.ConstantOp(FloatAttr(0.0, amount.type))))
        if taken:
            return emit(arith.SelectOp(cond, amount, zeros[0]))
        return emit(arith.SelectOp(cond, zeros[0], amount))

    def contribute(value: SSAValue, amount: Callable[[], SSAValue]) -> None:
        if value not in active:
            return
        if value in adjoint:
            adjoint[value] = emit(arith.AddfOp(adjoint[value], amount()))
        else:
            adjoint[value] = amount()

    for op in reversed(s.ops):
        a = adjoint.get(op.results[0])
        if a is None:
            continue
        match op:
            case arith.AddfOp():
                contribute(op.lhs, lambda: a)
                contribute(op.rhs, lambda: a)
            case arith.SubfOp():
                contribute(op.lhs, lambda: a)
                contribute(op.rhs, lambda: emit(arith.NegfOp(a)))
            case arith.MulfOp():
                lhs, rhs = op.lhs, op.rhs
                contribute(lhs, lambda: emit(arith.MulfOp(a, mapping[rhs])))
                contribute(rhs, lambda: emit(arith.MulfOp(a, mapping[lhs])))
            case arith.NegfOp():
                contribute(op.operand, lambda: emit(arith.NegfOp(a)))
            case arith.MaximumfOp() | arith.MinimumfOp():
                # The gradient goes to the operand chosen; on a tie, to the
                # second (so relu = maximumf(x, 0) has gradient 0 at x = 0).
                pred = "ogt" if isinstance(op, arith.MaximumfOp) else "olt"
                lhs, rhs = op.lhs, op.rhs
                first = emit(arith.CmpfOp(mapping[lhs], mapping[rhs], pred))
                contribute(lhs, lambda: routed(first, a, True))
                contribute(rhs, lambda: routed(first, a, False))
            case arith.SelectOp():
                cond = mapping[op.cond]
                t, f = op.lhs, op.rhs
                contribute(t, lambda: routed(cond, a, True))
                contribute(f, lambda: routed(cond, a, False))
            case LoadOp():
                target = gradient[op.memref]
                idx = [mapping[v] for v in op.indices]
                old = emit(LoadOp(target, idx, op.map.data))
                new = emit(arith.AddfOp(old, a))
                body.append(StoreOp(new, target, idx, op.map.data))
            case _:
                pass  # constants and comparisons: no gradient
    for op in body:
        _append(parent, op)


def _differentiable_operands(op: Operation) -> tuple[SSAValue, ...]:
    """The operands a gradient flows to (not a select's condition, not the
    operands of a comparison or a constant)."""
    if isinstance(op, arith.SelectOp):
        return (op.lhs, op.rhs)
    if isinstance(op, arith.CmpfOp | arith.ConstantOp | LoadOp):
        return ()
    return tuple(op.operands)


def _reaches_an_input(root: SSAValue) -> bool:
    """Whether a gradient flowing into `root` reaches some input load."""
    stack, seen = [root], set[SSAValue]()
    while stack:
        v = stack.pop()
        if v in seen or not isinstance(v.owner, Operation):
            continue
        seen.add(v)
        if isinstance(v.owner, LoadOp):
            return True
        stack.extend(_differentiable_operands(v.owner))
    return False


def _append(block: Block, op: Operation) -> None:
    """Append to a function body, or before a loop body's terminator."""
    last = block.last_op
    if last is not None and isinstance(block.parent_op(), ForOp):
        block.insert_op_before(op, last)
    else:
        block.add_op(op)


@dataclass
class AddVjpPattern(RewritePattern):
    """Inserts the planned `@f_vjp` right after `@f`."""

    plans: dict[int, Differentiable] = field(default_factory=dict)

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: func.FuncOp, rewriter: PatternRewriter) -> None:
        plan = self.plans.pop(id(op), None)
        if plan is not None:
            rewriter.insert(build_vjp(plan), InsertPoint.after(op))


@dataclass(frozen=True)
class DeriveGradientsPass(ModulePass):
    """Add `@f_vjp`, the vector-Jacobian product, after each function `@f`
    that writes memref arguments.

    `@f_vjp(args of @f, dOut per output, dIn per input)` adds to each `dIn`
    the gradient of `sum(dOut * Out)` with respect to that input, where the
    outputs start from zero.  Each adjoint statement iterates its statement's
    iteration domain (grouped, peeled, interchanged nests work unchanged).
    Supported statements: `X[a] = e` and `X[a] += e` with `e` built from
    loads of inputs, float constants and `arith.addf/subf/mulf/negf`,
    `maximumf/minimumf` and `select` on `cmpf` (ReLU-like bodies); an
    overwrite must write each element once (proven with isl).  Refused, with
    nothing added: division, any other op, reading an output other than the
    accumulated element, non-float memrefs, elements written twice by an
    overwrite, an existing `@f_vjp`.
    """

    name = "derive-gradients"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        plans = plan_gradients(op)
        pattern = AddVjpPattern({id(p.function): p for p in plans})
        PatternRewriteWalker(pattern, apply_recursively=False).rewrite_module(op)


def derive_gradients(module: ModuleOp) -> ModuleOp:
    """A copy of `module` with `@f_vjp` added after each function `@f` that
    writes memref arguments (the `derive-gradients` pass); `module` itself is
    unchanged.  Raises `LoopnestError` on a statement outside the class."""
    from xdsl_group.api import apply

    return apply(module, DeriveGradientsPass.name)
