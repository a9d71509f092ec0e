"""`loopnest-check-bounds`: prove every access in bounds or refuse."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from xdsl_group.analysis.bounds import check_bounds


@dataclass(frozen=True)
class CheckBoundsPass(ModulePass):
    """Check statically that no `loopnest.load`/`loopnest.store` indexes outside
    its memref, for any iteration.

    Exact (isl): it refuses a program only if some iteration of some access
    really goes out of bounds, naming the array, the dimension, the index
    expression, the range of values it takes and the first offending
    iteration.  The IR is not changed.
    """

    name = "loopnest-check-bounds"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        check_bounds(op)
