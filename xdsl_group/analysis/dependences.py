"""Exact memory dependence analysis of `loopnest` programs (islpy).

For every pair of accesses to the same memref, at least one a store, the
dependence relation holds the pairs of instances (source, sink) that touch
the same element, with the source executed first in the original program.
"First" is the program's schedule: lexicographic order on the loops the two
accesses share, then textual order.  Its *distance set* is the set of
differences sink - source over the shared loops.  Everything is computed by
isl on exact integer sets, so nothing is approximated: a permutation of loops
is legal iff no distance becomes lexicographically negative.

Distinct memref values are assumed not to alias (as MLIR does for memref
function arguments).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import islpy as isl
from xdsl.dialects import arith
from xdsl.ir import Operation, SSAValue

from xdsl_group.analysis.loop_structure import access_str
from xdsl_group.analysis.polyhedral import (
    Access,
    collect_accesses,
    isl_failures_refuse,
    maximum,
    minimum,
    sample,
)
from xdsl_group.dialects.loopnest import ForOp, LoadOp, StoreOp


def _common_depth(a: Access, b: Access) -> int:
    n = 0
    for x, y in zip(a.context.loops, b.context.loops):
        if x is not y:
            break
        n += 1
    return n


def _before_constraint(c: int, textual: bool) -> str:
    """isl constraint "source instance s precedes sink instance t" over the
    first c (shared) loops, then textual order when all shared IVs agree."""
    terms = []
    for k in range(c):
        eq = [f"s{j} = t{j}" for j in range(k)]
        terms.append(" and ".join(eq + [f"s{k} < t{k}"]))
    if textual:
        terms.append(" and ".join([f"s{j} = t{j}" for j in range(c)] or ["true"]))
    return " or ".join(f"({t})" for t in terms) or "false"


@dataclass
class Dependence:
    """Instances of `source` that must run before instances of `sink`."""

    source: Access
    sink: Access
    loops: tuple[ForOp, ...]
    """The loops enclosing both accesses, outermost first."""
    distances: isl.Set
    """{ sink - source over `loops` }, non-empty."""
    reduction: bool = False
    """Both ends belong to one recognised reduction `X[f] = X[f] op ...`."""

    @property
    def kind(self) -> str:
        if self.source.is_write and self.sink.is_write:
            return "output"
        return "flow" if self.source.is_write else "anti"


def dependence(source: Access, sink: Access, source_first: bool) -> Dependence | None:
    """The dependence from `source` to `sink` (same memref), None if empty.

    `source_first`: `source` is textually before `sink` (instances with all
    shared IVs equal then run source first).
    """
    c = _common_depth(source, sink)
    rel = source.relation("A").apply_range(sink.relation("A").reverse())
    ns, nt = source.context.depth, sink.context.depth
    s = ", ".join(f"s{k}" for k in range(ns))
    t = ", ".join(f"t{k}" for k in range(nt))
    order = isl.Map(f"{{ [{s}] -> [{t}] : {_before_constraint(c, source_first)} }}")
    rel = rel.intersect(order)
    if rel.is_empty():
        return None
    shared = rel.project_out(isl.dim_type.in_, c, ns - c).project_out(
        isl.dim_type.out, c, nt - c
    )
    return Dependence(source, sink, source.context.loops[:c], shared.deltas())


def _reduction_chain_reaches(value: SSAValue, load: LoadOp, kind: type) -> bool:
    """`value` is `load` combined with other values by `kind` ops only (each
    intermediate result used once), i.e. `load op x op y ...`."""
    owner = value.owner
    if owner is load:
        return True
    if not isinstance(owner, kind) or len(list(value.uses)) != 1:
        return False
    return any(_reduction_chain_reaches(v, load, kind) for v in owner.operands)


_REDUCTION_KINDS = (arith.AddfOp, arith.AddiOp, arith.MulfOp, arith.MuliOp)


def recognised_reductions(root: Operation) -> dict[SSAValue, tuple[LoadOp, StoreOp]]:
    """Memrefs updated under `root` only by one `X[f] = X[f] op (...)` statement.

    The load and store use the same indices (same map and operands), `op` is one
    of add/mul (integer or float) applied along a chain starting at the load,
    and `X` has no other access under `root`.  Reordering the instances of
    such a statement only reassociates the reduction.
    """
    by_memref: dict[SSAValue, list[LoadOp | StoreOp]] = {}
    for op in root.walk():
        if isinstance(op, LoadOp | StoreOp):
            by_memref.setdefault(op.memref, []).append(op)
    found: dict[SSAValue, tuple[LoadOp, StoreOp]] = {}
    for memref, ops in by_memref.items():
        loads = [op for op in ops if isinstance(op, LoadOp)]
        stores = [op for op in ops if isinstance(op, StoreOp)]
        if len(loads) != 1 or len(stores) != 1:
            continue
        load, store = loads[0], stores[0]
        if load.parent_block() is not store.parent_block():
            continue
        if load.map.data != store.map.data or tuple(load.indices) != tuple(store.indices):
            continue
        root_op = store.value.owner
        if not isinstance(root_op, _REDUCTION_KINDS):
            continue
        if len(list(load.result.uses)) != 1:
            continue
        if _reduction_chain_reaches(store.value, load, type(root_op)) and len(
            list(store.value.uses)
        ) == 1:
            found[memref] = (load, store)
    return found


def dependences(root: Operation) -> list[Dependence]:
    """Every dependence between two accesses under `root` (loops outside
    `root` count as shared context).

    Raises `LoopnestError` naming the sink access if isl fails on a pair: a
    dependence that cannot be computed cannot be proved absent.
    """
    accesses = collect_accesses(root)
    reductions = recognised_reductions(root)
    deps: list[Dependence] = []
    for i, a in enumerate(accesses):
        for j, b in enumerate(accesses):
            if a.memref is not b.memref or not (a.is_write or b.is_write):
                continue
            what = (
                f"the dependence analysis from the {access_str(a.op)} to the "
                f"{access_str(b.op)}"
            )
            with isl_failures_refuse(b.op, what):
                dep = dependence(a, b, source_first=i < j)
            if dep is None:
                continue
            red = reductions.get(a.memref)
            dep.reduction = red is not None and any(a.op is x for x in red) and any(
                b.op is x for x in red
            )
            deps.append(dep)
    return deps


def _lex_negative(n: int) -> isl.Set:
    names = ", ".join(f"d{k}" for k in range(n))
    terms = []
    for k in range(n):
        terms.append(" and ".join([f"d{j} = 0" for j in range(k)] + [f"d{k} < 0"]))
    cons = " or ".join(f"({t})" for t in terms) or "false"
    return isl.Set(f"{{ [{names}] : {cons} }}")


def _component(s: isl.Set, k: int, at: int) -> str:
    """Distance k over the non-empty set `s` (which has `at` there): its
    value if constant, else its sign if it has one, else `*`."""
    lo, hi = minimum(s, k, at), maximum(s, k, at)
    if lo == hi:
        return str(lo)
    if lo > 0:
        return "+"
    if hi < 0:
        return "-"
    return "*"


def _describe(dep: Dependence, distances: isl.Set, reduction_note: str) -> str:
    """`dep` with its `distances` (over `dep.loops`): constant components by
    value, others by sign or `*` plus an example; `reduction_note` appended
    when it is a reduction."""
    names = ", ".join(loop.name_str for loop in dep.loops)
    example = sample(distances)
    comps = ", ".join(_component(distances, k, example[k]) for k in range(len(dep.loops)))
    text = (
        f"{dep.kind} dependence from the {access_str(dep.source.op)} to the "
        f"{access_str(dep.sink.op)}, distance ({comps}) over loops ({names})"
    )
    if any(c in ("*", "+", "-") for c in comps.split(", ")):
        text += f", e.g. ({', '.join(map(str, example))})"
    if dep.reduction:
        text += f" ({reduction_note})"
    return text


@dataclass
class Violation:
    """A dependence that a loop permutation would reverse."""

    dependence: Dependence
    reversed_distances: isl.Set
    """The distances (in the original loop order) that become negative."""

    description: str
    """`flow dependence from the store to ... distance (1, *) over loops
    (i, j), e.g. (1, -1)`: computed with the violation, under its guard."""

    def describe(self) -> str:
        return self.description


def permutation_violation(
    band: Sequence[ForOp], new_order: Sequence[ForOp], strict: bool
) -> Violation | None:
    """The first dependence inside `band` (a chain of loops, outermost first)
    that executing the band in `new_order` would reverse, or None if the
    permutation preserves every dependence.  Recognised reductions may be
    reordered unless `strict`.

    Raises `LoopnestError` naming the band's outer loop if isl fails: an
    unproved permutation is refused."""
    deps = dependences(band[0])
    with isl_failures_refuse(band[0], "the dependence check of the permutation"):
        return _first_violation(deps, band, new_order, strict)


def _first_violation(
    deps: list[Dependence],
    band: Sequence[ForOp],
    new_order: Sequence[ForOp],
    strict: bool,
) -> Violation | None:
    for dep in deps:
        if dep.reduction and not strict:
            continue
        loops = dep.loops
        if not all(any(l is b for l in loops) for b in band):
            continue  # not both inside the band: their order is unchanged
        first = next(k for k, l in enumerate(loops) if l is band[0])
        positions = list(range(len(loops)))
        for k, loop in enumerate(new_order):
            positions[first + k] = next(j for j, l in enumerate(loops) if l is loop)
        n = len(loops)
        src = ", ".join(f"d{k}" for k in range(n))
        dst = ", ".join(f"d{p}" for p in positions)
        permute = isl.Map(f"{{ [{src}] -> [{dst}] }}")
        bad = dep.distances.apply(permute).intersect(_lex_negative(n))
        if not bad.is_empty():
            reversed_ = bad.apply(permute.reverse())
            return Violation(
                dep, reversed_, _describe(dep, reversed_, "a reduction; strict=true forbids reordering it")
            )
    return None


def _carried_at(k: int, n: int) -> isl.Set:
    """Distances over n loops that loop k carries: zero before k, non-zero at k."""
    names = ", ".join(f"d{j}" for j in range(n))
    cons = " and ".join([f"d{j} = 0" for j in range(k)] + [f"d{k} != 0"])
    return isl.Set(f"{{ [{names}] : {cons} }}")


@dataclass
class CarriedDependence:
    """A dependence between two iterations of one loop."""

    dependence: Dependence
    distances: isl.Set
    """Its distances (over `dependence.loops`) that the loop carries."""

    def describe(self) -> str:
        return _describe(
            self.dependence, self.distances, "a reduction: its iterations would race on one element"
        )


def carried_dependence(loop: ForOp) -> CarriedDependence | None:
    """The first dependence between two different iterations of `loop` (the
    enclosing loops' iterations equal), or None if its iterations touch
    disjoint elements wherever one of them writes.  Reductions count; flow
    dependences are reported first."""
    kinds = {"flow": 0, "anti": 1, "output": 2}
    for dep in sorted(dependences(loop), key=lambda d: kinds[d.kind]):
        k = next((j for j, l in enumerate(dep.loops) if l is loop), None)
        if k is None:
            continue
        carried = dep.distances.intersect(_carried_at(k, len(dep.loops)))
        if not carried.is_empty():
            return CarriedDependence(dep, carried)
    return None
