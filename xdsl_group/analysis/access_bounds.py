"""Prove every `loopnest` access stays inside its memref.

Native code has no bounds checks, so the LLVM lowering refuses a program
unless each index of each access is provably within `[0, size)` for every
iteration.  The extreme values of an index are found by substituting, from
the innermost loop outwards, each induction variable by the bound that
pushes the expression in the wanted direction (`ub - 1` or `lb`, themselves
affine in the outer variables).  This is exact for non-empty loops whose
trip count does not depend on outer loops, and sound (over-approximating)
otherwise; expressions with floordiv/ceildiv/mod combine exact bounds of
their linear parts by interval arithmetic, also sound.  When these bounds
say "maybe out of bounds" and the nest is small, the loops are run to get
the exact range, so small nests are never refused wrongly.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import MemRefType, ModuleOp
from xdsl.ir import BlockArgument, Operation, SSAValue
from xdsl.ir.affine import (
    AffineBinaryOpExpr,
    AffineBinaryOpKind,
    AffineExpr,
)

from xdsl_group.analysis.affine_utils import linear_form
from xdsl_group.dialects import loopnest
from xdsl_group.dialects.loopnest import affine_expr_str
from xdsl_group.errors import LoopnestError

# A linear form over SSA values (induction variables).
Form = tuple[dict[SSAValue, int], int]


def _loop_of(v: SSAValue) -> loopnest.ForOp:
    if isinstance(v, BlockArgument):
        parent = v.block.parent_op()
        if isinstance(parent, loopnest.ForOp) and parent.induction_variable is v:
            return parent
    raise LoopnestError(f"index operand {v} is not a loopnest induction variable")


def _depth(loop: loopnest.ForOp) -> int:
    return len(list(loopnest.enclosing_loops(loop)))


def _form(expr: AffineExpr, operands: Sequence[SSAValue]) -> Form | None:
    lf = linear_form(expr)
    if lf is None:
        return None
    coeffs: dict[SSAValue, int] = {}
    for d, c in lf[0].items():
        v = operands[d]
        coeffs[v] = coeffs.get(v, 0) + c
    return {v: c for v, c in coeffs.items() if c}, lf[1]


def _bound_form(loop: loopnest.ForOp, upper: bool) -> tuple[Form | None, AffineExpr]:
    m = (loop.upper_bound if upper else loop.lower_bound).data
    return _form(m.results[0], list(loop.bound_operands)), m.results[0]


def _last_iteration(loop: loopnest.ForOp) -> Form | None:
    """The exact last value of the induction variable, `lb + step * ((ub -
    lb - 1) // step)`, when the trip count does not depend on outer loops."""
    lb, _ = _bound_form(loop, False)
    ub, _ = _bound_form(loop, True)
    if lb is None or ub is None or lb[0] != ub[0]:
        return None
    span = ub[1] - lb[1]
    if span <= 0:
        return None
    step = loop.step_value
    return dict(lb[0]), lb[1] + step * ((span - 1) // step)


def extreme(expr: AffineExpr, operands: Sequence[SSAValue], maximize: bool) -> int:
    """max (or min) of `expr` over the iteration space of its operands' loops."""
    form = _form(expr, operands)
    if form is None:
        return _interval(expr, operands)[1 if maximize else 0]
    coeffs, const = dict(form[0]), form[1]
    while coeffs:
        v = max(coeffs, key=lambda x: _depth(_loop_of(x)))
        k = coeffs.pop(v)
        loop = _loop_of(v)
        upper = (k > 0) == maximize
        bound, bexpr = _bound_form(loop, upper)
        shift = -1 if upper else 0  # the last iteration is at most ub - 1
        if upper:
            last = _last_iteration(loop)
            if last is not None:
                bound, shift = last, 0
        if bound is None:
            # A non-linear bound: use its numeric extreme instead.
            value = extreme(bexpr, list(loop.bound_operands), upper)
            const += k * (value + shift)
            continue
        for w, c in bound[0].items():
            coeffs[w] = coeffs.get(w, 0) + k * c
            if coeffs[w] == 0:
                del coeffs[w]
        const += k * (bound[1] + shift)
    return const


def _interval(expr: AffineExpr, operands: Sequence[SSAValue]) -> tuple[int, int]:
    """Bounds of a non-linear expression: linear parts exactly (`extreme`),
    combined by interval arithmetic (floordiv/ceildiv are monotone)."""
    form = _form(expr, operands)
    if form is not None:
        return extreme(expr, operands, False), extreme(expr, operands, True)
    match expr:
        case AffineBinaryOpExpr(kind=kind, lhs=lhs, rhs=rhs):
            a = _interval(lhs, operands)
            b = _interval(rhs, operands)
            if kind == AffineBinaryOpKind.Add:
                return a[0] + b[0], a[1] + b[1]
            if kind == AffineBinaryOpKind.Mul:
                products = [x * y for x in a for y in b]
                return min(products), max(products)
            c = b[0]  # the verifier guarantees a positive constant divisor
            if kind == AffineBinaryOpKind.FloorDiv:
                return a[0] // c, a[1] // c
            if kind == AffineBinaryOpKind.CeilDiv:
                return -(-a[0] // c), -(-a[1] // c)
            if a[0] // c == a[1] // c:
                return a[0] % c, a[1] % c
            return 0, c - 1
    raise LoopnestError(f"cannot analyse affine expression '{expr}'")


def _iteration_count(op: Operation) -> int:
    """An upper bound on how many times `op` runs."""
    count = 1
    for loop in loopnest.enclosing_loops(op):
        ops = list(loop.bound_operands)
        lo = extreme(loop.lower_bound.data.results[0], ops, False)
        hi = extreme(loop.upper_bound.data.results[0], ops, True)
        count *= max(0, -(-(hi - lo) // loop.step_value))
    return count


def _enumerated_range(
    op: loopnest.LoadOp | loopnest.StoreOp, dim: int
) -> tuple[int, int] | None:
    """Exact (min, max) of index `dim` by running the loops (None if never run)."""
    loops = list(reversed(list(loopnest.enclosing_loops(op))))
    m = op.map.data
    result: list[int] = []
    env: dict[SSAValue, int] = {}

    def run(depth: int) -> None:
        if depth == len(loops):
            value = m.eval([env[v] for v in op.indices], [])[dim]
            result[:] = [min(result[0], value), max(result[1], value)] if result else [value, value]
            return
        loop = loops[depth]
        lb, ub = loop.bound_values(env)
        for i in range(lb, ub, loop.step_value):
            env[loop.induction_variable] = i
            run(depth + 1)

    run(0)
    return (result[0], result[1]) if result else None


# Above this many iterations a possibly out-of-bounds access is refused
# without running its loops to check it.
ENUMERATION_LIMIT = 20_000


def _empty(op: Operation) -> bool:
    """True if some enclosing loop provably never runs (nothing to check)."""
    for loop in loopnest.enclosing_loops(op):
        ops = list(loop.bound_operands)
        lo = extreme(loop.lower_bound.data.results[0], ops, False)
        hi = extreme(loop.upper_bound.data.results[0], ops, True)
        if hi <= lo:
            return True
    return False


def check_access(op: loopnest.LoadOp | loopnest.StoreOp) -> None:
    """Raise LoopnestError unless every index of `op` is provably in bounds."""
    ty = op.memref.type
    assert isinstance(ty, MemRefType)
    shape = ty.get_shape()
    operands = list(op.indices)
    names = [_loop_of(v).name_str for v in operands]
    if _empty(op):
        return
    for i, (expr, size) in enumerate(zip(op.map.data.results, shape)):
        lo = extreme(expr, operands, False)
        hi = extreme(expr, operands, True)
        if (lo < 0 or hi >= size) and _iteration_count(op) <= ENUMERATION_LIMIT:
            # The symbolic bounds may over-approximate (strided or empty
            # loops, floordiv/mod): small nests are checked exactly.
            exact = _enumerated_range(op, i)
            if exact is None:
                return
            lo, hi = exact
        if lo < 0 or hi >= size:
            raise LoopnestError(
                f"index #{i} '{affine_expr_str(expr, names)}' ranges over "
                f"[{lo}, {hi}], outside [0, {size - 1}] of {ty}",
                op,
            )


def check_module_accesses(module: ModuleOp) -> None:
    """`check_access` on every loopnest access of `module`."""
    for op in module.walk():
        if isinstance(op, loopnest.LoadOp | loopnest.StoreOp):
            check_access(op)
