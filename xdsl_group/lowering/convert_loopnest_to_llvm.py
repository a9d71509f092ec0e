"""The whole native lowering: `loopnest` to the `llvm` dialect in one pass."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import llvm
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.transforms.convert_scf_to_cf import ConvertScfToCf
from xdsl.transforms.reconcile_unrealized_casts import ReconcileUnrealizedCastsPass

from xdsl_group.analysis.bounds import check_bounds
from xdsl_group.dialects import loopnest
from xdsl_group.errors import LoopnestError
from xdsl_group.lowering.runtime_checks import IN_BOUNDS_ATTR, mark_in_bounds
from xdsl_group.lowering.loopnest_convert_affine_to_scf import ConvertAffineToScfPass
from xdsl_group.lowering.loopnest_convert_arith_to_llvm import ConvertArithToLLVMPass
from xdsl_group.lowering.loopnest_convert_cf_to_llvm import ConvertCfToLLVMPass
from xdsl_group.lowering.loopnest_convert_func_to_llvm import ConvertFuncToLLVMPass
from xdsl_group.lowering.convert_loopnest_to_affine import (
    ConvertLoopnestToAffinePass,
)
from xdsl_group.lowering.loopnest_finalize_memref_to_llvm import (
    FinalizeMemrefToLLVMPass,
    check_deallocs,
    guard_allocations,
)
from xdsl_group.lowering.fast_math import FAST_MATH_FLAGS, set_fast_math
from xdsl_group.lowering.outline_parallel import (
    finish_parallel_regions,
    outline_parallel_loops,
)


class _OutlineParallelLoops(ModulePass):
    """Step 1 of `xdsl_group.lowering.outline_parallel`, on scf."""

    name = "outline-parallel-loops"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        outline_parallel_loops(op)


def lowering_passes(noalias: bool = False, parallel: bool = False) -> list[ModulePass]:
    return [
        ConvertLoopnestToAffinePass(),
        ConvertAffineToScfPass(),
        *([_OutlineParallelLoops()] if parallel else []),
        ConvertScfToCf(),
        FinalizeMemrefToLLVMPass(),
        ConvertArithToLLVMPass(),
        ConvertCfToLLVMPass(),
        ConvertFuncToLLVMPass(noalias=noalias),
        ReconcileUnrealizedCastsPass(),
    ]


def check_llvm_only(module: ModuleOp) -> None:
    """Refuse, naming it, the first op the lowering left behind."""
    for op in module.walk():
        if op is module or isinstance(op, llvm.FuncOp):
            continue
        if op.dialect_name() != "llvm":
            raise LoopnestError(
                f"unsupported op '{op.name}': no lowering to the llvm dialect", op
            )


@dataclass(frozen=True)
class ConvertLoopnestToLLVMPass(ModulePass):
    """Lower `loopnest` (with `arith`, `func`) all the way to the `llvm` dialect.

    First proves every access in bounds with the exact isl check of
    `loopnest-check-bounds` (native code has no bounds checks; an access that
    leaves its memref for some iteration is refused, naming it and its range)
    and checks every `memref.dealloc` frees a `memref.alloc` buffer once,
    after its last use, then runs `convert-loopnest-to-affine`, `loopnest-convert-affine-to-scf`,
    `convert-scf-to-cf`, `loopnest-finalize-memref-to-llvm`, `loopnest-convert-arith-to-llvm`,
    `loopnest-convert-cf-to-llvm`, `loopnest-convert-func-to-llvm` and
    `reconcile-unrealized-casts`.  Accesses the proof does not cover
    (`memref`/`affine` accesses) and integer divisions that may trap are
    checked at run time (`xdsl_group.lowering.runtime_checks`).  Any op
    left that is not `llvm` is refused by name.

    Options: `noalias=true` marks memref arguments `noalias` (only valid
    when the caller passes non-overlapping buffers, as the JIT checks).
    `fast-math=true` puts the `contract` fast-math flag on every floating
    `fadd`/`fsub`/`fmul`, so LLVM may fuse a multiply and an add into one FMA
    (one rounding instead of two); without it results are exactly those of
    the program's f32 operations.  `parallel=true` outlines the outermost
    `parallel` loop of each nest into a chunk function called through the
    runtime hook `loopnest_parallel_for` (`xdsl_group.lowering.outline_parallel`;
    the JIT provides it); without it the marks are ignored.
    `checked-alloc=true` makes a failed `malloc` of a `memref.alloc` call
    `@xdsl_group_alloc_failed(i64 bytes)` and return (the JIT then raises
    `MemoryError`); without it, as in MLIR, a failed allocation is not checked.
    """

    name = "convert-loopnest-to-llvm"

    noalias: bool = False
    fast_math: bool = False
    parallel: bool = False

    checked_alloc: bool = False

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        check_bounds(op)
        check_deallocs(op)
        # Only what the proof covers goes unchecked; an `in_bounds` mark in
        # the input is not trusted.
        for inner in op.walk():
            inner.attributes.pop(IN_BOUNDS_ATTR, None)
            if isinstance(inner, loopnest.LoadOp | loopnest.StoreOp):
                mark_in_bounds(inner)
        for p in lowering_passes(self.noalias, self.parallel):
            p.apply(ctx, op)
        finish_parallel_regions(op)
        if self.fast_math:
            set_fast_math(op, FAST_MATH_FLAGS)
        check_llvm_only(op)
        if self.checked_alloc:
            guard_allocations(op)
