"""The interpreter and the affine lowering against the numpy reference."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import xdsl_group
from xdsl_group import reference

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def conv_module():
    return xdsl_group.parse((EXAMPLES / "conv2d.mlir").read_text(), "conv2d.mlir")


def conv_inputs(seed: int = 0):
    rng = np.random.default_rng(seed)
    I = rng.standard_normal((8, 8, 8)).astype(np.float32)
    W = rng.standard_normal((8, 8, 3, 3)).astype(np.float32)
    return I, W


def test_conv_interpreter_matches_numpy(conv_module):
    I, W = conv_inputs()
    O = np.zeros((8, 6, 6), np.float32)
    xdsl_group.interpret(conv_module, "conv2d", O, I, W)
    np.testing.assert_allclose(O, reference.conv2d(I, W), rtol=1e-5, atol=1e-5)


def test_affine_lowering_runs_in_xdsl_interpreter(conv_module):
    """The printed affine IR, re-parsed, runs in xDSL's stock interpreters."""
    I, W = conv_inputs(1)
    lowered = xdsl_group.apply(conv_module, "convert-loopnest-to-affine")
    text = str(lowered)
    assert "loopnest." not in text.replace("loopnest.name", "")
    reparsed = xdsl_group.parse(text)
    O_affine = np.zeros((8, 6, 6), np.float32)
    xdsl_group.interpret(reparsed, "conv2d", O_affine, I, W)
    O_loopnest = np.zeros((8, 6, 6), np.float32)
    xdsl_group.interpret(conv_module, "conv2d", O_loopnest, I, W)
    np.testing.assert_array_equal(O_affine, O_loopnest)
    np.testing.assert_allclose(O_affine, reference.conv2d(I, W), rtol=1e-5, atol=1e-5)
