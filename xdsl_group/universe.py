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
    from xdsl_group.dialects.loopnest import Loopnest

    return Loopnest


def _convert_loopnest_to_affine() -> type[ModulePass]:
    from xdsl_group.transforms.convert_loopnest_to_affine import (
        ConvertLoopnestToAffinePass,
    )

    return ConvertLoopnestToAffinePass


def _convert_loopnest_to_llvm() -> type[ModulePass]:
    from xdsl_group.transforms.convert_loopnest_to_llvm import (
        ConvertLoopnestToLLVMPass,
    )

    return ConvertLoopnestToLLVMPass


def _convert_affine_to_scf() -> type[ModulePass]:
    from xdsl_group.transforms.convert_affine_to_scf import ConvertAffineToScfPass

    return ConvertAffineToScfPass


def _finalize_memref_to_llvm() -> type[ModulePass]:
    from xdsl_group.transforms.convert_memref_to_llvm import (
        FinalizeMemrefToLLVMPass,
    )

    return FinalizeMemrefToLLVMPass


def _convert_arith_to_llvm() -> type[ModulePass]:
    from xdsl_group.transforms.convert_arith_to_llvm import ConvertArithToLLVMPass

    return ConvertArithToLLVMPass


def _convert_cf_to_llvm() -> type[ModulePass]:
    from xdsl_group.transforms.convert_cf_to_llvm import ConvertCfToLLVMPass

    return ConvertCfToLLVMPass


def _convert_func_to_llvm() -> type[ModulePass]:
    from xdsl_group.transforms.convert_func_to_llvm import ConvertFuncToLLVMPass

    return ConvertFuncToLLVMPass


PASSES: dict[str, Callable[[], type[ModulePass]]] = {
    "convert-loopnest-to-affine": _convert_loopnest_to_affine,
    "convert-loopnest-to-llvm": _convert_loopnest_to_llvm,
    "convert-affine-to-scf": _convert_affine_to_scf,
    "finalize-memref-to-llvm": _finalize_memref_to_llvm,
    "convert-arith-to-llvm": _convert_arith_to_llvm,
    "convert-cf-to-llvm": _convert_cf_to_llvm,
    "convert-func-to-llvm": _convert_func_to_llvm,
}

UNIVERSE = Universe(
    all_dialects={"loopnest": _loopnest},
    all_passes=PASSES,
)


def _install_cli_excepthook() -> None:
    """Make the stock xDSL tools report diagnostics as MLIR tools do.

    xdsl-opt lets a failed verification or pass escape as a Python traceback.
    When an xDSL command-line tool loads this plugin, print such a diagnostic
    as its message alone (the IR dump xDSL attaches is dropped) and exit 1.
    """
    import os
    import sys

    if not os.path.basename(sys.argv[0] if sys.argv else "").startswith("xdsl-"):
        return
    from xdsl.utils.exceptions import DiagnosticException, ParseError

    previous = sys.excepthook

    def hook(kind, value, tb):  # pyright: ignore[reportMissingParameterType]
        if isinstance(value, DiagnosticException | ParseError):
            message = str(value).rstrip("\n")
            if not message.lstrip().startswith(("error:", "<")) and ": error:" not in message:
                message = f"error: {message}"
            print(message, file=sys.stderr)
            sys.stderr.flush()
            return
        previous(kind, value, tb)

    sys.excepthook = hook


_install_cli_excepthook()
