"""Polyhedral views of `loopnest` programs, built with islpy.

A statement instance is a point of its *iteration domain*: the integer tuples
of the induction variables of its enclosing loops (outermost first) that the
loop bounds and steps admit.  An access is an isl map from that domain to the
memref's index space.  Everything is exact: bounds, indices, floordiv/mod and
steps translate to isl constraints one to one.

Dimension names in the isl objects are `i0, i1, ...` by depth, so domains of
different statements line up on their common loops; `LoopContext.loops` keeps
the `ForOp` behind each dimension.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import islpy as isl
from xdsl.ir import Operation, SSAValue
from xdsl.ir.affine import (
    AffineBinaryOpExpr,
    AffineBinaryOpKind,
    AffineConstantExpr,
    AffineDimExpr,
    AffineExpr,
)

from xdsl_group.dialects.loopnest import ForOp, LoadOp, StoreOp, enclosing_loops


def isl_expr(expr: AffineExpr, names: Sequence[str]) -> str:
    """An affine expression in isl's textual syntax, dim i spelled `names[i]`."""
    match expr:
        case AffineConstantExpr(value=v):
            return str(v)
        case AffineDimExpr(position=p):
            return names[p]
        case AffineBinaryOpExpr(kind=kind, lhs=lhs, rhs=rhs):
            a, b = isl_expr(lhs, names), isl_expr(rhs, names)
            match kind:
                case AffineBinaryOpKind.Add:
                    return f"({a} + {b})"
                case AffineBinaryOpKind.Mul:
                    # isl wants `c*(e)` with a literal integer c.
                    if isinstance(rhs, AffineConstantExpr):
                        return f"({rhs.value}*({a}))"
                    return f"({lhs}*({b}))"
                case AffineBinaryOpKind.FloorDiv:
                    return f"floor(({a}) / {b})"
                case AffineBinaryOpKind.CeilDiv:
                    return f"ceil(({a}) / {b})"
                case AffineBinaryOpKind.Mod:
                    return f"({a} mod {b})"
    raise ValueError(f"not an affine dim expression: {expr}")


def _operand_names(operands: Sequence[SSAValue], loops: Sequence[ForOp]) -> list[str]:
    """isl names of `operands`, each the IV of one of `loops`."""
    position = {loop.induction_variable: k for k, loop in enumerate(loops)}
    return [f"i{position[v]}" for v in operands]


@dataclass(frozen=True)
class LoopContext:
    """The loops enclosing a point of the program, outermost first."""

    loops: tuple[ForOp, ...]

    @staticmethod
    def of(op: Operation) -> LoopContext:
        """Loops strictly enclosing `op` (for a ForOp: excluding itself)."""
        return LoopContext(tuple(reversed(list(enclosing_loops(op)))))

    @property
    def depth(self) -> int:
        return len(self.loops)

    @property
    def dim_names(self) -> list[str]:
        return [f"i{k}" for k in range(self.depth)]

    def bound_strs(self, k: int) -> tuple[str, str]:
        """isl text of the lower and upper bound of loop k, over `dim_names`."""
        loop = self.loops[k]
        names = _operand_names(loop.bound_operands, self.loops[:k])
        return (
            isl_expr(loop.lower_bound.data.results[0], names),
            isl_expr(loop.upper_bound.data.results[0], names),
        )

    def constraints(self) -> list[str]:
        """isl constraints of the loops' bounds and steps, over `dim_names`."""
        out: list[str] = []
        for k, loop in enumerate(self.loops):
            names = _operand_names(loop.bound_operands, self.loops[:k])
            lb = isl_expr(loop.lower_bound.data.results[0], names)
            ub = isl_expr(loop.upper_bound.data.results[0], names)
            iv = f"i{k}"
            out.append(f"{lb} <= {iv} < {ub}")
            if loop.step_value != 1:
                out.append(f"({iv} - {lb}) mod {loop.step_value} = 0")
        return out

    def domain(self, params: str = "") -> isl.Set:
        """The iteration domain `{ [i0, ..., in] : bounds }`."""
        cons = " and ".join(self.constraints()) or "true"
        prefix = f"[{params}] -> " if params else ""
        return isl.Set(f"{prefix}{{ [{', '.join(self.dim_names)}] : {cons} }}")


@dataclass(frozen=True)
class Access:
    """One `loopnest.load`/`loopnest.store` with its iteration domain and relation."""

    op: LoadOp | StoreOp
    context: LoopContext

    @property
    def is_write(self) -> bool:
        return isinstance(self.op, StoreOp)

    @property
    def memref(self) -> SSAValue:
        return self.op.memref

    def index_strs(self) -> list[str]:
        names = _operand_names(self.op.indices, self.context.loops)
        return [isl_expr(e, names) for e in self.op.map.data.results]

    def domain(self) -> isl.Set:
        return self.context.domain()

    def relation(self, array_name: str = "A") -> isl.Map:
        """`{ [i0..in] -> A[indices] : i in domain }`."""
        dims = ", ".join(self.context.dim_names)
        idx = ", ".join(self.index_strs())
        m = isl.Map(f"{{ [{dims}] -> {array_name}[{idx}] }}")
        return m.intersect_domain(self.domain())

    def footprint(self) -> isl.Set:
        """The set of memref indices the access touches over its whole domain."""
        return self.relation().range()


def collect_accesses(root: Operation) -> list[Access]:
    """Every loopnest access under `root`, in program (pre-)order."""
    return [
        Access(op, LoopContext.of(op))
        for op in root.walk()
        if isinstance(op, LoadOp | StoreOp)
    ]


def constant_trip_count(loop: ForOp) -> int | None:
    """The loop's trip count if it is the same for every iteration of the
    enclosing loops (e.g. `range(%g * 4, %g * 4 + 4)` has 4), else None.

    Exact: computed over the enclosing iteration domain with isl.
    """
    ctx = LoopContext.of(loop)
    step = loop.step_value
    if ctx.depth == 0:
        lb, ub = loop.bound_values({})
        return max(-(-(ub - lb) // step), 0)
    domain = ctx.domain()
    if domain.is_empty():
        return None
    names = _operand_names(loop.bound_operands, ctx.loops)
    lb = isl_expr(loop.lower_bound.data.results[0], names)
    ub = isl_expr(loop.upper_bound.data.results[0], names)
    dims = ", ".join(ctx.dim_names)
    trip = isl.PwAff(f"{{ [{dims}] -> [(ceil((({ub}) - ({lb})) / {step}))] }}")
    trip = trip.intersect_domain(domain)
    lo, hi = trip.min_val(), trip.max_val()
    if lo.is_int() and hi.is_int() and lo.eq(hi):
        return max(int(lo.to_python()), 0)
    return None
