"""Registers the `loopnest` dialect and the project's passes with xDSL tools.

Reached through the `xdsl.universe` entry point, so the stock `xdsl-opt`
knows them after `pip install`.  Factories import lazily: every `xdsl-opt`
start loads this module.
"""

from __future__ import annotations

from collections.abc import Callable

from xdsl.ir import Dialect
from xdsl.passes import ModulePass
from xdsl.universe import Universe


def _loopnest() -> Dialect:
    """`loopnest` together with its `transform.loopnest` extension.

    xDSL 0.74 finds an op's dialect by the name before the first dot and has
    no way to extend `transform`, so `transform.loopnest.*` ops cannot load
    on their own: they load with `loopnest`, whose ops every payload of
    theirs holds (a script after the payload parses; `xdsl_group.parse`
    loads them up front).
    """
    from xdsl_group.dialects.loopnest import Loopnest
    from xdsl_group.dialects.transform_loopnest import TransformLoopnest

    return Dialect(
        Loopnest.name,
        [*Loopnest.operations, *TransformLoopnest.operations],
        [*Loopnest.attributes, *TransformLoopnest.attributes],
    )


def _convert_loopnest_to_affine() -> type[ModulePass]:
    from xdsl_group.lowering.convert_loopnest_to_affine import (
        ConvertLoopnestToAffinePass,
    )

    return ConvertLoopnestToAffinePass


def _group_loops() -> type[ModulePass]:
    from xdsl_group.transforms.group_loops import GroupLoopsPass

    return GroupLoopsPass


def _interchange_loops() -> type[ModulePass]:
    from xdsl_group.transforms.interchange_loops import InterchangeLoopsPass

    return InterchangeLoopsPass


def _peel_loops() -> type[ModulePass]:
    from xdsl_group.transforms.peel_loops import PeelLoopsPass

    return PeelLoopsPass


def _bottleneck_loops() -> type[ModulePass]:
    from xdsl_group.transforms.bottleneck_loops import BottleneckLoopsPass

    return BottleneckLoopsPass


def _split_loops() -> type[ModulePass]:
    from xdsl_group.transforms.split_loops import SplitLoopsPass

    return SplitLoopsPass


def _unroll_loops() -> type[ModulePass]:
    from xdsl_group.transforms.unroll_loops import UnrollLoopsPass

    return UnrollLoopsPass


def _parallelize_loops() -> type[ModulePass]:
    from xdsl_group.transforms.parallelize_loops import ParallelizeLoopsPass

    return ParallelizeLoopsPass


def _vectorize_loops() -> type[ModulePass]:
    from xdsl_group.transforms.vectorize_loops import VectorizeLoopsPass

    return VectorizeLoopsPass


def _auto_schedule() -> type[ModulePass]:
    from xdsl_group.transforms.auto_schedule import AutoSchedulePass

    return AutoSchedulePass


def _loopnest_transform_interpreter() -> type[ModulePass]:
    from xdsl_group.transforms.loopnest_transform_interpreter import (
        LoopnestTransformInterpreterPass,
    )

    return LoopnestTransformInterpreterPass


def _check_bounds() -> type[ModulePass]:
    from xdsl_group.analysis.loopnest_check_bounds import CheckBoundsPass

    return CheckBoundsPass


def _raise_affine() -> type[ModulePass]:
    from xdsl_group.raising.raise_affine_to_loopnest import RaiseAffineToLoopnestPass

    return RaiseAffineToLoopnestPass


def _convert_loopnest_to_llvm() -> type[ModulePass]:
    from xdsl_group.lowering.convert_loopnest_to_llvm import (
        ConvertLoopnestToLLVMPass,
    )

    return ConvertLoopnestToLLVMPass


def _convert_affine_to_scf() -> type[ModulePass]:
    from xdsl_group.lowering.loopnest_convert_affine_to_scf import ConvertAffineToScfPass

    return ConvertAffineToScfPass


def _finalize_memref_to_llvm() -> type[ModulePass]:
    from xdsl_group.lowering.loopnest_finalize_memref_to_llvm import (
        FinalizeMemrefToLLVMPass,
    )

    return FinalizeMemrefToLLVMPass


def _convert_arith_to_llvm() -> type[ModulePass]:
    from xdsl_group.lowering.loopnest_convert_arith_to_llvm import ConvertArithToLLVMPass

    return ConvertArithToLLVMPass


def _convert_cf_to_llvm() -> type[ModulePass]:
    from xdsl_group.lowering.loopnest_convert_cf_to_llvm import ConvertCfToLLVMPass

    return ConvertCfToLLVMPass


def _convert_func_to_llvm() -> type[ModulePass]:
    from xdsl_group.lowering.loopnest_convert_func_to_llvm import ConvertFuncToLLVMPass

    return ConvertFuncToLLVMPass


def _derive_gradients() -> type[ModulePass]:
    from xdsl_group.autodiff.derive_gradients import DeriveGradientsPass

    return DeriveGradientsPass


PASSES: dict[str, Callable[[], type[ModulePass]]] = {
    "convert-loopnest-to-affine": _convert_loopnest_to_affine,
    "group-loops": _group_loops,
    "interchange-loops": _interchange_loops,
    "peel-loops": _peel_loops,
    "bottleneck-loops": _bottleneck_loops,
    "split-loops": _split_loops,
    "unroll-loops": _unroll_loops,
    "parallelize-loops": _parallelize_loops,
    "vectorize-loops": _vectorize_loops,
    "auto-schedule": _auto_schedule,
    "loopnest-transform-interpreter": _loopnest_transform_interpreter,
    "loopnest-check-bounds": _check_bounds,
    "raise-affine-to-loopnest": _raise_affine,
    "convert-loopnest-to-llvm": _convert_loopnest_to_llvm,
    "loopnest-convert-affine-to-scf": _convert_affine_to_scf,
    "loopnest-finalize-memref-to-llvm": _finalize_memref_to_llvm,
    "loopnest-convert-arith-to-llvm": _convert_arith_to_llvm,
    "loopnest-convert-cf-to-llvm": _convert_cf_to_llvm,
    "loopnest-convert-func-to-llvm": _convert_func_to_llvm,
    "derive-gradients": _derive_gradients,
}

UNIVERSE = Universe(
    all_dialects={"loopnest": _loopnest},
    all_passes=PASSES,
)


# One-line diagnostics for the project's own errors in the stock xDSL tools
# (xdsl-opt would print a traceback); xDSL's own errors are left alone.
from xdsl_group.tool_diagnostics import install as _install_tool_diagnostics  # noqa: E402

_install_tool_diagnostics()
