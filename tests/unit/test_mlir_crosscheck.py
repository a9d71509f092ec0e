"""Cross-checks against upstream MLIR 22 (Debian `mlir-22-tools`).

(a) Our `convert-loopnest-to-affine` output, lowered by MLIR 22's own
    pipeline and translated to LLVM IR, computes the same numbers as our JIT
    (bitwise: same f32 operations in the same order) and the reference.
(b) Our `llvm`-dialect output is accepted by `mlir-translate-22`, and the
    LLVM IR it produces computes the same numbers.

Both run MLIR's LLVM IR through the same llvmlite JIT (MLIR's default
calling convention is the one our lowering uses).  Skipped, with the reason
shown, when the MLIR 22 tools are not installed.
"""

from __future__ import annotations

import shutil
import subprocess
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from xdsl.printer import Printer

import xdsl_group
from xdsl_group import reference
from xdsl_group.api import find_function
from xdsl_group.jit import compile_llvm_ir, memref_arguments, memref_function

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MLIR_OPT = shutil.which("mlir-opt-22")
MLIR_TRANSLATE = shutil.which("mlir-translate-22")

pytestmark = pytest.mark.skipif(
    MLIR_OPT is None or MLIR_TRANSLATE is None,
    reason="MLIR 22 tools not installed (apt-get install mlir-22-tools)",
)

MLIR_PIPELINE = (
    "builtin.module(func.func(lower-affine),convert-scf-to-cf,expand-strided-metadata,"
    "lower-affine,finalize-memref-to-llvm,convert-arith-to-llvm,convert-cf-to-llvm,"
    "convert-func-to-llvm,reconcile-unrealized-casts)"
)

CASES = [
    ("conv2d", lambda I, W: reference.conv2d(I, W)),
    ("conv2d_grouped", lambda I, W: reference.grouped_conv2d(I, W, 2)),
    ("conv2d_peeled_grouped", lambda I, W: reference.peeled_grouped_conv2d(I, W, 2, 2)),
]


def generic(module) -> str:
    out = StringIO()
    Printer(stream=out, print_generic_format=True).print_op(module)
    return out.getvalue()


def run_tool(*args: str, stdin: str) -> str:
    proc = subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"{args[0]} failed:\n{proc.stderr}"
    return proc.stdout


def run_llvm_ir(ir: str, module, name: str, arrays) -> None:
    fn = find_function(module, name)
    types = list(fn.function_type.inputs.data)
    cfunc = memref_function(compile_llvm_ir(ir), name, types)
    cfunc(*memref_arguments(list(arrays)))


def inputs(seed: int):
    rng = np.random.default_rng(seed)
    I = rng.standard_normal((8, 8, 8)).astype(np.float32)
    W = rng.standard_normal((8, 8, 3, 3)).astype(np.float32)
    return I, W


def ours(module, name, I, W):
    O = np.zeros((8, 6, 6), np.float32)
    xdsl_group.jit(module, name)(O, I, W)
    return O


@pytest.mark.parametrize("affine_accesses", [False, True], ids=["memref-access", "affine-access"])
@pytest.mark.parametrize("name,ref", CASES, ids=[c[0] for c in CASES])
def test_affine_output_lowered_and_run_by_mlir22(name, ref, affine_accesses):
    module = xdsl_group.parse((EXAMPLES / f"{name}.mlir").read_text(), name)
    flag = "true" if affine_accesses else "false"
    affine = xdsl_group.apply(module, f"convert-loopnest-to-affine{{affine-accesses={flag}}}")
    lowered = run_tool(MLIR_OPT, f"--pass-pipeline={MLIR_PIPELINE}", stdin=generic(affine))
    ir = run_tool(MLIR_TRANSLATE, "--mlir-to-llvmir", stdin=lowered)
    I, W = inputs(5)
    O = np.zeros((8, 6, 6), np.float32)
    run_llvm_ir(ir, module, name, (O, I, W))
    np.testing.assert_array_equal(O, ours(module, name, I, W))
    np.testing.assert_allclose(O, ref(I, W), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name,ref", CASES, ids=[c[0] for c in CASES])
def test_our_llvm_dialect_accepted_by_mlir_translate_22(name, ref):
    module = xdsl_group.parse((EXAMPLES / f"{name}.mlir").read_text(), name)
    lowered = xdsl_group.apply(module, "convert-loopnest-to-llvm")
    ir = run_tool(MLIR_TRANSLATE, "--mlir-to-llvmir", stdin=str(lowered))
    assert f"define void @{name}(" in ir
    I, W = inputs(6)
    O = np.zeros((8, 6, 6), np.float32)
    run_llvm_ir(ir, module, name, (O, I, W))
    np.testing.assert_array_equal(O, ours(module, name, I, W))
    np.testing.assert_allclose(O, ref(I, W), rtol=1e-5, atol=1e-5)
