"""Fast-math flags for the native lowering (`convert-loopnest-to-llvm{fast-math=true}`).

Only `contract` is set: LLVM may then fuse `a * b + c` into one fused
multiply-add, rounding once instead of twice.  Each fused operation is at
least as accurate as the pair it replaces, and the program's order of
operations is kept: sums are not reassociated (no `reassoc`), and no flag
assumes the absence of NaNs, infinities or signed zeros, so special values
behave as in IEEE arithmetic.
"""

from __future__ import annotations

from xdsl.dialects import llvm
from xdsl.dialects.builtin import ModuleOp
from xdsl.dialects.utils.fast_math import FastMathFlag

FAST_MATH_FLAGS = ("contract",)

_FLOAT_ARITH = (llvm.FAddOp, llvm.FSubOp, llvm.FMulOp)


def set_fast_math(module: ModuleOp, flags: tuple[str, ...] = FAST_MATH_FLAGS) -> None:
    """Put `flags` on every floating add, subtract and multiply of `module`."""
    attr = llvm.FastMathAttr([FastMathFlag(f) for f in flags])
    for op in module.walk():
        if isinstance(op, _FLOAT_ARITH):
            op.fastmathFlags = attr
