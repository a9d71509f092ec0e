"""raise-affine-to-loopnest on IR nobody here wrote: MLIR's lowering of
linalg.conv_2d_nchw_fchw, raised and run against numpy."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import xdsl_group
from xdsl_group import reference
from xdsl_group.context import all_passes
from xdsl_group.dialects.loopnest import ForOp

INPUTS = Path(__file__).resolve().parents[1] / "filecheck" / "raise" / "inputs"
LINALG = INPUTS / "conv_2d_nchw_fchw.linalg.mlir"
CHECKED_IN = INPUTS / "conv_2d_nchw_fchw.affine.mlir"
MLIR_OPT = shutil.which("mlir-opt-22")


def lowered_by_mlir(generic: bool) -> str:
    cmd = [MLIR_OPT, "--convert-linalg-to-affine-loops", str(LINALG)]
    if generic:
        cmd.append("--mlir-print-op-generic")
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def inputs(seed: int = 0):
    rng = np.random.default_rng(seed)
    I = rng.standard_normal((1, 8, 8, 8)).astype(np.float32)
    W = rng.standard_normal((8, 8, 3, 3)).astype(np.float32)
    return I, W


def raise_and_run(text: str, pipeline: str = "raise-affine-to-loopnest"):
    module = xdsl_group.apply(xdsl_group.parse(text, "conv.mlir"), pipeline)
    assert "affine." not in str(module)
    names = [op.name_str for op in module.walk() if isinstance(op, ForOp)]
    I, W = inputs()
    O = np.zeros((1, 8, 6, 6), np.float32)
    xdsl_group.interpret(module, "conv", I, W, O)
    return names, I, W, O


def test_checked_in_lowering_raises_and_runs():
    names, I, W, O = raise_and_run(CHECKED_IN.read_text())
    # Loops n, f, oh, ow, c, kh, kw in MLIR's order.
    assert names == ["i0", "i1", "i2", "i3", "i4", "i5", "i6"]
    np.testing.assert_allclose(O[0], reference.conv2d(I[0], W), rtol=1e-4, atol=1e-4)


def test_raised_conv_passes_the_bounds_check():
    module = xdsl_group.apply(
        xdsl_group.parse(CHECKED_IN.read_text()),
        "raise-affine-to-loopnest,loopnest-check-bounds",
    )
    assert "loopnest.for" in str(module)


@pytest.mark.skipif(MLIR_OPT is None, reason="mlir-opt-22 not found (Debian package mlir-22-tools)")
@pytest.mark.parametrize("generic", [True, False], ids=["generic", "custom"])
def test_fresh_mlir_lowering_raises_and_runs(generic):
    text = lowered_by_mlir(generic)
    if generic:
        # Identical to the checked-in copy, which is raised and run above.
        assert text == CHECKED_IN.read_text(), "the checked-in lowering is stale"
        return
    _, I, W, O = raise_and_run(text)
    np.testing.assert_allclose(O[0], reference.conv2d(I[0], W), rtol=1e-4, atol=1e-4)


# The raised nest names the output-channel loop i1 and the input-channel loop
# i4; grouping them G ways turns MLIR's convolution into a grouped one.
GROUPS = 2


def test_raised_conv_grouped_matches_grouped_reference():
    if "group-loops" not in all_passes():
        pytest.skip("pass 'group-loops' is not part of this build yet")
    text = lowered_by_mlir(True) if MLIR_OPT else CHECKED_IN.read_text()
    _, I, W, O = raise_and_run(
        text, f"raise-affine-to-loopnest,group-loops{{loops=i1,i4 groups={GROUPS}}}"
    )
    np.testing.assert_allclose(
        O[0], reference.grouped_conv2d(I[0], W, GROUPS), rtol=1e-4, atol=1e-4
    )


def test_loopnest_affine_loopnest_round_trip():
    """Lowering to affine and raising back gives the same program (so what was
    tested to run still runs)."""
    examples = Path(__file__).resolve().parents[2] / "examples"
    module = xdsl_group.parse((examples / "conv2d.mlir").read_text())
    for pipeline in (
        "convert-loopnest-to-affine,raise-affine-to-loopnest",
        "convert-loopnest-to-affine{affine-accesses=true},raise-affine-to-loopnest",
    ):
        back = xdsl_group.apply(module, pipeline)
        assert str(back) == str(module)


def test_strict_refusal_leaves_module_unchanged():
    text = """
func.func @f(%A: memref<8xf32>, %v: f32, %n: index) {
  affine.for %i = 0 to 8 {
    affine.store %v, %A[%i] : memref<8xf32>
  }
  affine.for %i = 0 to %n {
    affine.store %v, %A[%i] : memref<8xf32>
  }
  func.return
}
"""
    module = xdsl_group.parse(text)
    before = str(module)
    with pytest.raises(xdsl_group.LoopnestError, match=r"\(loop 'i1' in @f\) cannot be raised to loopnest: 'affine.for' uses %n"):
        xdsl_group.apply(module, "raise-affine-to-loopnest{strict=true}")
    assert str(module) == before


def test_warning_names_the_reason(capfd):
    text = """
func.func @f(%A: memref<8xf32>, %v: f32, %n: index) {
  affine.for %i = 0 to %n {
    affine.store %v, %A[%i] : memref<8xf32>
  }
  func.return
}
"""
    module = xdsl_group.apply(xdsl_group.parse(text), "raise-affine-to-loopnest")
    assert "affine.for" in str(module)
    err = capfd.readouterr().err
    assert err.startswith("warning: 'affine.for' op (loop 'i0' in @f): not raised to loopnest: 'affine.for' uses %n")
