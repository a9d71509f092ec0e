"""Polyhedral views of `loopnest` programs, built with islpy.

A statement instance is a point of its *iteration domain*: the integer tuples
of the induction variables of its enclosing loops (outermost first) that the
loop bounds and steps admit.  An access is an isl map from that domain to the
memref's index space.  Everything is exact: bounds, indices, floordiv/mod and
steps translate to isl constraints one to one.

Dimension names in the isl objects are `i0, i1, ...` by depth, so domains of
different statements line up on their common loops; `LoopContext.loops` keeps
the `ForOp` behind each dimension.

Every analysis built on these views runs under `isl_failures_refuse`: if isl
reports an error, the analysis cannot decide, and its client refuses the
program with a diagnostic naming the op instead of crashing (or accepting).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import islpy as isl
from xdsl.ir import Operation, SSAValue

from xdsl_group.analysis.affine_utils import evaluate_map, isl_expr
from xdsl_group.dialects.loopnest import ForOp, LoadOp, StoreOp, enclosing_loops
from xdsl_group.errors import LoopnestError

# isl appends the C source position of the failing check; it says nothing
# about the user's program.
_ISL_SOURCE_POSITION = re.compile(r"\s+in\s+\S+\.c:\d+\s*$")


def isl_failure_reason(error: Exception) -> str:
    """The first line of an isl (or recursion) error, without isl's C source
    position."""
    text = str(error).strip().splitlines()
    first = text[0] if text else type(error).__name__
    return _ISL_SOURCE_POSITION.sub("", first)


@contextmanager
def isl_failures_refuse(op: Operation, what: str) -> Iterator[None]:
    """Turn a failure of isl inside `what` into a refusal naming `op`.

    An analysis that isl cannot complete has not proved anything, so the
    program is refused, never accepted.  `RecursionError` counts too: the isl
    text of an expression is built recursively.
    """
    try:
        yield
    except (isl.Error, RecursionError) as e:
        raise LoopnestError(
            f"{what} could not be completed (isl: {isl_failure_reason(e)}), so "
            "the program is refused",
            op,
        ) from None


def integer_value(v: isl.Val, what: str) -> int:
    """`v` as a Python int; isl.Error if it is infinite or not a number (an
    unbounded or empty set), which the caller's `isl_failures_refuse` turns
    into a refusal."""
    if not v.is_int():
        raise isl.Error(f"{what} is {v}, not an integer")
    return int(v.to_python())


# Exact answers from emptiness tests only.
#
# With the isl bundled by islpy 2026.2, optimisation over sets with
# existentially quantified divisions (floordiv/mod indices, strided loops) is
# not reliable: `lexmin` fails ("affine expression involves some of the
# domain dimensions") or returns an empty set for a non-empty one, and
# `dim_min_val` can return a value outside the set.  Emptiness tests and
# sampling hold up, so minima are derived from them: isl's optimum is taken
# only once two emptiness tests confirm it, else it is found by a search.


def _val(v: int) -> isl.Val:
    return isl.Val(str(v))


def _nonempty_up_to(s: isl.Set, k: int, v: int) -> bool:
    return not s.upper_bound_val(isl.dim_type.set, k, _val(v)).is_empty()


def sample(s: isl.Set) -> tuple[int, ...]:
    """Some integer point of the non-empty set `s`."""
    p = s.sample_point()
    if p.is_void():
        raise isl.Error("no sample point in a non-empty set")
    return tuple(
        integer_value(p.get_coordinate_val(isl.dim_type.set, k), "a coordinate")
        for k in range(s.dim(isl.dim_type.set))
    )


_SEARCH_LIMIT = 2**66
"""Beyond any 64-bit index value: a search reaching it means an unbounded set."""


def minimum(s: isl.Set, k: int, at: int) -> int:
    """The smallest value dimension `k` takes in the bounded set `s`, given
    `at` >= that minimum (e.g. a value it takes; checked)."""
    if not _nonempty_up_to(s, k, at):
        raise isl.Error(f"dimension {k} of the set has no value up to {at}")
    hint = s.dim_min_val(k)
    if hint.is_int():
        v = int(hint.to_python())
        if v <= at and _nonempty_up_to(s, k, v) and not _nonempty_up_to(s, k, v - 1):
            return v
    # The minimum is in (at - gap, at]: widen the gap, then bisect.
    hi, gap = at, 1
    while _nonempty_up_to(s, k, at - gap):
        hi = at - gap
        gap *= 2
        if gap > _SEARCH_LIMIT:
            raise isl.Error(f"dimension {k} of the set is unbounded below")
    lo = at - gap  # nothing at or below lo
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _nonempty_up_to(s, k, mid):
            hi = mid
        else:
            lo = mid
    return hi


def maximum(s: isl.Set, k: int, at: int) -> int:
    """The largest value dimension `k` takes in the bounded set `s`, given
    `at` <= that maximum (e.g. a value it takes; checked)."""
    return -minimum(s.neg(), k, -at)


def lexmin_point(s: isl.Set) -> tuple[int, ...] | None:
    """The lexicographically smallest integer point of the bounded set `s`,
    or None if `s` is empty: minimise dimension k, fix it, go on."""
    if s.is_empty():
        return None
    point: list[int] = []
    for k in range(s.dim(isl.dim_type.set)):
        v = minimum(s, k, sample(s)[k])
        s = s.fix_val(isl.dim_type.set, k, _val(v))
        point.append(v)
    return tuple(point)


def isl_set(dims: Sequence[str], constraints: Sequence[str], params: str = "") -> isl.Set:
    """`{ [dims] : constraints }` (a conjunction; none is `true`), over the
    parameters `params` if given."""
    cons = " and ".join(constraints) or "true"
    prefix = f"[{params}] -> " if params else ""
    return isl.Set(f"{prefix}{{ [{', '.join(dims)}] : {cons} }}")


def isl_map(
    dims: Sequence[str], target: str, exprs: Sequence[str], constraints: Sequence[str] = ()
) -> isl.Map:
    """`{ [dims] -> target[exprs] : constraints }` (a conjunction)."""
    where = f" : {' and '.join(constraints)}" if constraints else ""
    return isl.Map(f"{{ [{', '.join(dims)}] -> {target}[{', '.join(exprs)}]{where} }}")


def _operand_names(operands: Sequence[SSAValue], loops: Sequence[ForOp]) -> list[str]:
    """isl names of `operands`, each the IV of one of `loops`."""
    position = {loop.induction_variable: k for k, loop in enumerate(loops)}
    return [f"i{position[v]}" for v in operands]


@dataclass(frozen=True)
class LoopContext:
    """The loops enclosing a point of the program, outermost first.

    The isl objects built from the loops are memoised on the context: a
    context describes the loops as they are when it is made, so make a new
    one (`of`, `collect_accesses`) after rewriting them.
    """

    loops: tuple[ForOp, ...]
    _memo: dict[Any, Any] = field(
        default_factory=dict, init=False, compare=False, hash=False, repr=False
    )

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
        if "constraints" not in self._memo:
            self._memo["constraints"] = self._constraints()
        return list(self._memo["constraints"])

    def _constraints(self) -> list[str]:
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
        key = ("domain", params)
        if key not in self._memo:
            self._memo[key] = isl_set(self.dim_names, self.constraints(), params)
        return self._memo[key]

    def where(self, condition: str) -> isl.Set:
        """The iterations of the domain at which `condition` (isl text over
        `dim_names`) holds; accesses of one nest share their index
        expressions, so the sets are memoised by the condition."""
        key = ("where", condition)
        if key not in self._memo:
            cond = isl.Set(f"{{ [{', '.join(self.dim_names)}] : {condition} }}")
            self._memo[key] = self.domain().intersect(cond)
        return self._memo[key]

    def env(self, point: Sequence[int]) -> dict[SSAValue, int]:
        """The induction variables' values at `point` (outermost first)."""
        return {
            loop.induction_variable: v for loop, v in zip(self.loops, point, strict=True)
        }

    def executes(self, point: Sequence[int]) -> bool:
        """Whether the loops run the iteration `point`, by evaluating their
        bounds and steps directly (no isl): a check of isl's answers."""
        env = self.env(point)
        for loop, v in zip(self.loops, point, strict=True):
            lb, ub = loop.bound_values(env)
            if not (lb <= v < ub and (v - lb) % loop.step_value == 0):
                return False
        return True


@dataclass(frozen=True)
class Access:
    """One `loopnest.load`/`loopnest.store` with its iteration domain and
    relation (memoised, like the context's domain)."""

    op: LoadOp | StoreOp
    context: LoopContext
    _memo: dict[Any, Any] = field(
        default_factory=dict, init=False, compare=False, hash=False, repr=False
    )

    @property
    def is_write(self) -> bool:
        return isinstance(self.op, StoreOp)

    @property
    def memref(self) -> SSAValue:
        return self.op.memref

    def index_strs(self) -> list[str]:
        if "indices" not in self._memo:
            names = _operand_names(self.op.indices, self.context.loops)
            self._memo["indices"] = [isl_expr(e, names) for e in self.op.map.data.results]
        return list(self._memo["indices"])

    def domain(self) -> isl.Set:
        return self.context.domain()

    def relation(self, array_name: str = "A") -> isl.Map:
        """`{ [i0..in] -> A[indices] : i in domain }`."""
        key = ("relation", array_name)
        if key not in self._memo:
            m = isl_map(self.context.dim_names, array_name, self.index_strs())
            self._memo[key] = m.intersect_domain(self.domain())
        return self._memo[key]

    def footprint(self) -> isl.Set:
        """The set of memref indices the access touches over its whole domain."""
        if "footprint" not in self._memo:
            self._memo["footprint"] = self.relation().range()
        return self._memo["footprint"]

    def indices_at(self, point: Sequence[int]) -> tuple[int, ...]:
        """The access's indices at iteration `point`, evaluated directly."""
        env = self.context.env(point)
        return evaluate_map(self.op.map.data, [env[v] for v in self.op.indices])


def collect_accesses(root: Operation) -> list[Access]:
    """Every loopnest access under `root`, in program (pre-)order.

    Accesses under the same loops share one `LoopContext`, so each loop
    nest's domain is built once.
    """
    contexts: dict[Operation | None, LoopContext] = {}
    out: list[Access] = []
    for op in root.walk():
        if isinstance(op, LoadOp | StoreOp):
            parent = op.parent_op()
            if parent not in contexts:
                contexts[parent] = LoopContext.of(op)
            out.append(Access(op, contexts[parent]))
    return out


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
    with isl_failures_refuse(loop, f"computing the trip count of loop '{loop.name_str}'"):
        return _trip_count_over(ctx, loop, step)


def _trip_count_over(ctx: LoopContext, loop: ForOp, step: int) -> int | None:
    domain = ctx.domain()
    if domain.is_empty():
        return None
    names = _operand_names(loop.bound_operands, ctx.loops)
    lb = isl_expr(loop.lower_bound.data.results[0], names)
    ub = isl_expr(loop.upper_bound.data.results[0], names)
    dims = ", ".join(ctx.dim_names)
    # The count at one iteration of the enclosing loops, evaluated directly;
    # constant iff no iteration gives another one.
    at = sample(domain)
    if not ctx.executes(at):
        raise isl.Error(f"the sample {at} of the iteration domain is not an iteration")
    lb_at, ub_at = loop.bound_values(ctx.env(at))
    count = -(-(ub_at - lb_at) // step)
    trip = f"ceil((({ub}) - ({lb})) / {step})"
    other = isl.Set(f"{{ [{dims}] : {trip} < {count} or {trip} > {count} }}")
    if domain.intersect(other).is_empty():
        return max(count, 0)
    return None
