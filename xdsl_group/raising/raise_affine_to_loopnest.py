"""`raise-affine-to-loopnest`: bring upstream `affine` loop nests into `loopnest`.

Loop names: an `affine.for` carrying a string attribute `loopnest.name` keeps
that name (so `convert-loopnest-to-affine` round-trips).  Every other loop is
named `i<k>`: `k` counts the function's `affine.for` ops in pre-order
(outermost first, then the body in program order), skipping numbers whose name
a `loopnest.name` attribute in the same function already uses.  Names do not
depend on which nests can be raised.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects import affine, arith, func, memref
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, StringAttr
from xdsl.ir import Operation, SSAValue
from xdsl.ir.affine import AffineExpr, AffineMap
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)

from xdsl_group.analysis.affine_utils import (
    compress_dims,
    non_affine_reason,
    substitute,
)
from xdsl_group.dialects.attributes import NAME_ATTR
from xdsl_group.dialects.loopnest import ForOp, LoadOp, StoreOp
from xdsl_group.errors import LoopnestError


class NotRaisable(Exception):
    """Why a nest stays in `affine`; `op` is the construct at fault."""

    def __init__(self, reason: str, op: Operation):
        super().__init__(reason)
        self.reason = reason
        self.op = op


def loop_names(root: Operation) -> dict[affine.ForOp, str]:
    """The loopnest name of every `affine.for` under `root` (see module doc)."""
    loops = [op for op in root.walk() if isinstance(op, affine.ForOp)]
    taken = {
        a.data
        for op in loops
        if isinstance(a := op.attributes.get(NAME_ATTR), StringAttr)
    }
    names: dict[affine.ForOp, str] = {}
    k = 0
    for op in loops:
        attr = op.attributes.get(NAME_ATTR)
        if isinstance(attr, StringAttr):
            names[op] = attr.data
            continue
        while f"i{k}" in taken:
            k += 1
        names[op] = f"i{k}"
        k += 1
    return names


def _show(value: SSAValue) -> str:
    return f"%{value.name_hint}" if value.name_hint else "an SSA value"


@dataclass
class _NestRaiser:
    """Builds the `loopnest` twin of one `affine.for` nest, or raises
    `NotRaisable`.  The affine IR is only read, so a refusal leaves it intact."""

    names: dict[affine.ForOp, str]
    depth_of: dict[SSAValue, int] = field(default_factory=dict)
    new_ivs: list[SSAValue] = field(default_factory=list)
    loop_names: list[str] = field(default_factory=list)
    value_map: dict[SSAValue, SSAValue] = field(default_factory=dict)

    # -- affine expressions of index values ----------------------------------

    def index_expr(self, value: SSAValue, user: Operation) -> AffineExpr:
        """`value` as an affine expression over the new nest's dims."""
        if value in self.depth_of:
            return AffineExpr.dimension(self.depth_of[value])
        owner = value.owner
        if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr):
            return AffineExpr.constant(owner.value.value.data)
        if isinstance(owner, affine.ApplyOp):
            m = owner.map.data
            if len(m.results) != 1:
                raise NotRaisable("an affine.apply with several results", owner)
            return self.substitute(m, owner.mapOperands, owner)[0]
        raise NotRaisable(
            f"'{user.name}' uses {_show(value)}, which is not an affine function of "
            "the nest's induction variables and constants (symbols bound to "
            "other values cannot be expressed in loopnest)",
            user,
        )

    def substitute(
        self, m: AffineMap, operands: Sequence[SSAValue], user: Operation
    ) -> list[AffineExpr]:
        """The results of `m` applied to `operands`.  Symbols bound to induction
        variables (xDSL's reading of `affine.load %A[%i + 1]`) are dims here."""
        if len(operands) != m.num_dims + m.num_symbols:
            raise NotRaisable(
                f"'{user.name}' gives {len(operands)} operands to the map {m}", user
            )
        exprs = [self.index_expr(v, user) for v in operands]
        dims, syms = exprs[: m.num_dims], exprs[m.num_dims :]
        try:
            results = [substitute(e, dims, syms) for e in m.results]
        except NotImplementedError:  # xDSL refuses products of two non-constants
            raise NotRaisable(f"'{user.name}' uses the non-affine map {m}", user) from None
        for e in results:
            if (reason := non_affine_reason(e)) is not None:
                raise NotRaisable(f"'{user.name}' is not affine in the nest: {reason}", user)
        return results

    def dim_map(self, exprs: Sequence[AffineExpr]) -> tuple[AffineMap, list[SSAValue]]:
        return compress_dims(AffineMap(len(self.new_ivs), 0, tuple(exprs)), self.new_ivs)

    # -- ops -------------------------------------------------------------------

    def loop(self, op: affine.ForOp) -> ForOp:
        name = self.names[op]
        if op.inits or op.results:
            raise NotRaisable(f"loop '{name}' carries values (iter_args)", op)
        if name in self.loop_names:
            raise NotRaisable(
                f"loop '{name}' has the name of an enclosing loop", op
            )
        bounds: list[AffineExpr] = []
        for which, kind, m, operands in (
            ("lower", "max", op.lowerBoundMap.data, op.lowerBoundOperands),
            ("upper", "min", op.upperBoundMap.data, op.upperBoundOperands),
        ):
            if len(m.results) != 1:
                raise NotRaisable(
                    f"loop '{name}' has a {kind} of {len(m.results)} expressions as "
                    f"its {which} bound",
                    op,
                )
            bounds.extend(self.substitute(m, operands, op))
        bound_map, bound_operands = self.dim_map(bounds)
        n = bound_map.num_dims
        new = ForOp(
            name,
            AffineMap(n, 0, (bound_map.results[0],)),
            AffineMap(n, 0, (bound_map.results[1],)),
            bound_operands,
            op.step.value.data,
        )
        iv = new.induction_variable
        iv.name_hint = name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) else None
        old_iv = op.body.block.args[0]
        self.depth_of[old_iv] = len(self.new_ivs)
        self.new_ivs.append(iv)
        self.loop_names.append(name)
        self.value_map[old_iv] = iv
        try:
            terminator = new.body.block.last_op
            assert terminator is not None
            for inner in op.body.block.ops:
                for created in self.body_op(inner):
                    new.body.block.insert_op_before(created, terminator)
        finally:
            self.new_ivs.pop()
            self.loop_names.pop()
            del self.depth_of[old_iv]
        return new

    def access(
        self, op: Operation, mem: SSAValue, exprs: Sequence[AffineExpr]
    ) -> tuple[AffineMap, list[SSAValue]]:
        if mem in self.value_map:
            raise NotRaisable(f"'{op.name}' accesses a memref defined in the nest", op)
        rank = len(mem.type.get_shape())  # pyright: ignore
        if len(exprs) != rank:
            raise NotRaisable(
                f"'{op.name}' gives {len(exprs)} indices for a memref of rank {rank}", op
            )
        return self.dim_map(exprs)

    def body_op(self, op: Operation) -> list[Operation]:
        match op:
            case affine.YieldOp():
                if op.operands:
                    raise NotRaisable("'affine.yield' yields values", op)
                return []
            case affine.ForOp():
                return [self.loop(op)]
            case affine.ApplyOp():
                for use in op.result.uses:
                    if not isinstance(
                        use.operation,
                        affine.ApplyOp | affine.LoadOp | affine.StoreOp
                        | memref.LoadOp | memref.StoreOp | affine.ForOp,
                    ) or (
                        isinstance(use.operation, affine.StoreOp | memref.StoreOp)
                        and use.index < 2
                    ):
                        raise NotRaisable(
                            f"an affine.apply result is used as a value by "
                            f"'{use.operation.name}'",
                            op,
                        )
                return []  # folded into the accesses that use it
            case affine.LoadOp():
                exprs = self.substitute(op.map.data, op.indices, op)
                m, idx = self.access(op, op.memref, exprs)
                new = LoadOp(op.memref, idx, m)
                new.result.name_hint = op.result.name_hint
                self.value_map[op.result] = new.result
                return [new]
            case memref.LoadOp():
                exprs = [self.index_expr(v, op) for v in op.indices]
                m, idx = self.access(op, op.memref, exprs)
                new = LoadOp(op.memref, idx, m)
                new.result.name_hint = op.res.name_hint
                self.value_map[op.res] = new.result
                return [new]
            case affine.StoreOp() | memref.StoreOp():
                if isinstance(op, affine.StoreOp):
                    exprs = self.substitute(op.map.data, op.indices, op)
                else:
                    exprs = [self.index_expr(v, op) for v in op.indices]
                m, idx = self.access(op, op.memref, exprs)
                value = self.value_map.get(op.value, op.value)
                return [StoreOp(value, op.memref, idx, m)]
            case _ if op.dialect_name() == "arith" and not op.regions:
                new = op.clone(value_mapper=self.value_map)
                return [new]
        raise NotRaisable(
            f"its body contains '{op.name}', which loopnest cannot express "
            "(allowed: affine.for, affine.apply, affine/memref load and store, arith)",
            op,
        )


def _erase_dead_arith(root: Operation) -> None:
    """Drop arithmetic only index computations used (now folded into maps)."""
    for op in reversed(list(root.walk())):
        if op.dialect_name() == "arith" and all(not r.uses for r in op.results):
            op.detach()
            op.erase()


def raise_nest(op: affine.ForOp, names: dict[affine.ForOp, str]) -> ForOp:
    """The `loopnest` equivalent of the nest rooted at `op` (detached), or
    `NotRaisable`.  `op` itself is not modified."""
    new = _NestRaiser(names).loop(op)
    _erase_dead_arith(new)
    return new


def _ancestors(op: Operation):
    parent = op.parent_op()
    while parent is not None:
        yield parent
        parent = parent.parent_op()


def _nearest_for(op: Operation) -> affine.ForOp | None:
    for p in _ancestors(op):
        if isinstance(p, affine.ForOp):
            return p
    return None


def plan_raising(
    root: Operation,
) -> tuple[dict[affine.ForOp, ForOp], list[tuple[affine.ForOp, NotRaisable]], dict[affine.ForOp, str]]:
    """Which nests under `root` can be raised, and to what.

    Returns the raised twin of every raisable outermost nest, the refused
    nests with their reasons (the nests inside a refused one are tried on
    their own), and the loop names.  Nothing is modified.
    """
    scopes = [f for f in root.walk() if isinstance(f, func.FuncOp)] or [root]
    names: dict[affine.ForOp, str] = {}
    for scope in scopes:
        names |= loop_names(scope)
    raised: dict[affine.ForOp, ForOp] = {}
    refused: list[tuple[affine.ForOp, NotRaisable]] = []
    candidates = [
        loop for loop in root.walk()
        if isinstance(loop, affine.ForOp) and _nearest_for(loop) is None
    ]
    while candidates:
        loop = candidates.pop(0)
        try:
            raised[loop] = raise_nest(loop, names)
        except NotRaisable as e:
            refused.append((loop, e))
            candidates[:0] = [
                o for o in loop.body.block.walk()
                if isinstance(o, affine.ForOp) and _nearest_for(o) is loop
            ]
    return raised, refused, names


@dataclass
class ReplaceRaisedNest(RewritePattern):
    """Replace each planned `affine.for` nest by its `loopnest` twin."""

    raised: dict[affine.ForOp, ForOp]

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: affine.ForOp, rewriter: PatternRewriter) -> None:
        if (new := self.raised.pop(op, None)) is not None:
            rewriter.replace(op, new, new_results=[])


def _scope_of(op: Operation) -> str:
    parent = op.parent_op()
    while parent is not None and not isinstance(parent, func.FuncOp):
        parent = parent.parent_op()
    return f" in @{parent.sym_name.data}" if isinstance(parent, func.FuncOp) else ""


@dataclass(frozen=True)
class RaiseAffineToLoopnestPass(ModulePass):
    """Raise `affine.for` nests to `loopnest` programs.

    A nest is raised when every loop has single-result bound maps whose
    operands are induction variables of the nest or constants, no iter_args,
    a constant step, and its bodies hold only `affine.for`, `affine.apply`,
    `affine.load`/`affine.store`, `memref.load`/`memref.store` with affine
    indices (from IVs, constants and `affine.apply`) and `arith` ops.  Maps
    whose symbols are bound to induction variables are treated as dims.

    A nest that cannot be raised is left untouched and the reason is printed
    to stderr as `warning: 'affine.for' op (loop 'i0' in @f): not raised to
    loopnest: ...`; its inner nests are then tried on their own.  With
    `strict=true` the first such nest is an error instead (nothing is
    changed).  Loop names: see the module docstring.
    """

    name = "raise-affine-to-loopnest"

    strict: bool = False

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        # Plan everything first, so a strict refusal changes nothing.
        raised, refused, names = plan_raising(op)
        for loop, e in refused:
            where = f"loop '{names[loop]}'{_scope_of(loop)}"
            if self.strict:
                raise LoopnestError(
                    f"({where}) cannot be raised to loopnest: {e.reason}", loop
                )
            print(
                f"warning: 'affine.for' op ({where}): not raised to loopnest: "
                f"{e.reason}",
                file=sys.stderr,
            )
        PatternRewriteWalker(
            ReplaceRaisedNest(raised), apply_recursively=False
        ).rewrite_module(op)
