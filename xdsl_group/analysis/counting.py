"""Exact operation and footprint counts of `loopnest` functions, with isl.

`flop_count` is the number of floating-point arithmetic operations a
function executes: every float op of `arith` (`addf`, `subf`, `mulf`,
`divf`, `remf`, `negf`, the `maximumf`/`minimumf`/`maxnumf`/`minnumf`
family and `cmpf`) counts once per instance, so a multiply-add is 2.  An
op's instances are the points of its iteration domain (the loops enclosing
it, `polyhedral.LoopContext`).  `read_elements` is the number of distinct
elements of one argument the function loads: the cardinality of the union
of its loads' footprints (`polyhedral.Access`).  Both are exact for any
affine nest (dependent bounds, steps, floordiv/mod indices) and raise
`LoopnestError` naming the op where they cannot be (an op whose float work
is unknown, a nested region other than a loop's, a call, an isl failure).

Counting.  The islpy this project pins has isl without its counting
extension (no symbolic cardinality), so domains are counted with
`Set.count_val`, which scans the points.  To keep that cheap on real layers
the innermost loops whose trip count is the same for every iteration of
the loops around them (`constant_trip_count`, exact) are multiplied in
rather than scanned: a dense or grouped convolution is a product of trip
counts, and only the loops down to the last one with a varying trip count
(a triangular nest) are scanned.
"""

from __future__ import annotations

from collections.abc import Iterator

import islpy as isl
from xdsl.dialects import func
from xdsl.dialects.builtin import AnyFloat, MemRefType, ModuleOp
from xdsl.ir import Operation
from xdsl.traits import IsTerminator

from xdsl_group.analysis.polyhedral import (
    Access,
    LoopContext,
    constant_trip_count,
    integer_value,
    isl_failures_refuse,
)
from xdsl_group.dialects.loopnest import ForOp, LoadOp, StoreOp
from xdsl_group.errors import LoopnestError

FLOAT_ARITHMETIC = frozenset(
    f"arith.{name}"
    for name in (
        "addf", "subf", "mulf", "divf", "remf", "negf", "cmpf",
        "maximumf", "minimumf", "maxnumf", "minnumf",
    )
)
"""Ops counted once per instance."""

_FREE = frozenset(
    f"arith.{name}"
    for name in (
        "constant", "select", "bitcast", "extf", "truncf",
        "sitofp", "uitofp", "fptosi", "fptoui",
    )
) | {LoadOp.name, StoreOp.name, ForOp.name, "memref.alloc", "memref.alloca", "memref.dealloc"}
"""Ops that move or convert floats without arithmetic on them: count 0."""


def _function(module: ModuleOp, func_name: str) -> func.FuncOp:
    for op in module.walk():
        if isinstance(op, func.FuncOp) and op.sym_name.data == func_name:
            if not op.body.blocks:
                raise LoopnestError(f"@{func_name} is only declared, it has no body", op)
            return op
    names = [op.sym_name.data for op in module.walk() if isinstance(op, func.FuncOp)]
    raise LoopnestError(
        f"no function @{func_name} in the module"
        + (f" (functions: {', '.join(names)})" if names else " (it has no functions)")
    )


def _body_ops(fn: func.FuncOp) -> Iterator[Operation]:
    """Every op of `fn`'s body, checked to sit directly in the function or in
    a loop body (where its iteration domain is that of the loops)."""
    for op in fn.body.walk():
        _check_placement(fn, op)
        yield op


def _check_placement(fn: func.FuncOp, op: Operation) -> None:
    """`op` sits directly in `fn` or in loop bodies only (else its
    instances, hence its count or footprint, are unknown)."""
    parent = op.parent_op()
    if parent is not fn and not isinstance(parent, ForOp):
        assert parent is not None
        raise LoopnestError(
            f"cannot count exactly inside '{parent.name}': only ops in loop bodies "
            "and the function body have a known number of instances",
            op,
        )


def _is_float(op: Operation) -> bool:
    return any(isinstance(v.type, AnyFloat) for v in (*op.operands, *op.results))


def _check_nesting(fn: func.FuncOp, op: Operation) -> None:
    """`op` and every op around it up to `fn` are placed as `_check_placement` requires."""
    current: Operation | None = op
    while current is not None and current is not fn:
        _check_placement(fn, current)
        current = current.parent_op()


class _Instances:
    """Exact instance counts of ops, sharing trip counts and prefix counts."""

    def __init__(self) -> None:
        self._trips: dict[ForOp, int | None] = {}
        self._prefixes: dict[tuple[ForOp, ...], int] = {}

    def _trip(self, loop: ForOp) -> int | None:
        if loop not in self._trips:
            self._trips[loop] = constant_trip_count(loop)
        return self._trips[loop]

    def of(self, op: Operation) -> int:
        """How many times `op` runs: the cardinality of its loops' domain."""
        loops = LoopContext.of(op).loops
        k, product = len(loops), 1
        # Innermost loops running the same number of times for every
        # iteration around them multiply; the rest is scanned.
        while k > 0 and (trip := self._trip(loops[k - 1])) is not None:
            product *= trip
            k -= 1
        if k == 0 or product == 0:
            return product
        prefix = loops[:k]
        if prefix not in self._prefixes:
            with isl_failures_refuse(prefix[-1], "counting the iterations of this loop nest"):
                domain = LoopContext(prefix).domain()
                self._prefixes[prefix] = integer_value(domain.count_val(), "the iteration count")
        return self._prefixes[prefix] * product


def flop_count(module: ModuleOp, func_name: str) -> int:
    """Floating-point arithmetic ops @func_name executes (exact): each float
    op of `arith` times the number of its instances; a multiply-add is 2.
    `LoopnestError` (naming the op) for an op whose float work is unknown
    (`math.*`, a call, ...) or that sits in a region other than a loop's."""
    fn = _function(module, func_name)
    instances = _Instances()
    total = 0
    for op in _body_ops(fn):
        if op.name in FLOAT_ARITHMETIC:
            total += instances.of(op)
        elif isinstance(op, func.CallOp):
            raise LoopnestError(
                f"cannot count the floating-point operations of the call to "
                f"@{op.callee.root_reference.data}",
                op,
            )
        elif op.name not in _FREE and not op.has_trait(IsTerminator) and _is_float(op):
            raise LoopnestError(
                f"cannot count the floating-point operations of '{op.name}' "
                f"(counted: {', '.join(sorted(n.removeprefix('arith.') for n in FLOAT_ARITHMETIC))})",
                op,
            )
    return total


def read_elements(module: ModuleOp, func_name: str, argument: str | int) -> int:
    """Distinct elements of an argument of @func_name (by name, e.g. "W",
    or by position) that the function loads (exact, isl): the cardinality of
    the union of its loads' footprints.  `LoopnestError` for an unknown
    argument, one that is not a memref, or one used by another op than
    `loopnest.load`/`loopnest.store` (its reads would be unknown)."""
    fn = _function(module, func_name)
    args = fn.body.blocks[0].args
    names = [a.name_hint or f"#{k}" for k, a in enumerate(args)]
    if isinstance(argument, int):
        if not 0 <= argument < len(args):
            raise LoopnestError(
                f"@{func_name} has {len(args)} arguments, there is no argument #{argument}", fn
            )
        arg = args[argument]
    else:
        found = [a for a in args if a.name_hint == argument]
        if not found:
            raise LoopnestError(
                f"@{func_name} has no argument named '{argument}' (arguments: "
                f"{', '.join(names) or 'none'})",
                fn,
            )
        arg = found[0]
    shown = f"argument #{arg.index} (%{names[arg.index]})"
    if not isinstance(arg.type, MemRefType):
        raise LoopnestError(f"{shown} of @{func_name} is not a memref", fn)
    footprint: isl.Set | None = None
    for op in fn.body.walk():
        if arg not in op.operands:
            continue
        if isinstance(op, StoreOp) and op.memref is arg:
            continue
        if not (isinstance(op, LoadOp) and op.memref is arg):
            raise LoopnestError(
                f"cannot count the elements of {shown} read: it is also used by '{op.name}'",
                op,
            )
        _check_nesting(fn, op)
        with isl_failures_refuse(op, "counting the elements this load reads"):
            touched = Access(op, LoopContext.of(op)).footprint()
            footprint = touched if footprint is None else footprint.union(touched)
    if footprint is None:
        return 0
    with isl_failures_refuse(fn, f"counting the elements of {shown} read"):
        return integer_value(footprint.coalesce().count_val(), "the element count")

