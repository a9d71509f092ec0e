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


def test_f32_arithmetic_rounds_every_operation():
    """f32 ops round at each step as on hardware: (1 + 2^-30) - 1 is 0 in f32."""
    text = """
    func.func @f(%A: memref<2xf32>) {
      loopnest.for i %i in range(1) {
        %one = arith.constant 1.0 : f32
        %tiny = arith.constant 9.3132257461547852e-10 : f32
        %s = arith.addf %one, %tiny : f32
        %d = arith.subf %s, %one : f32
        loopnest.store %d, %A[%i] : memref<2xf32>
        %c = arith.constant 0.1 : f32
        %m = arith.mulf %c, %c : f32
        loopnest.store %m, %A[%i + 1] : memref<2xf32>
      }
      func.return
    }
    """
    A = np.ones(2, np.float32)
    xdsl_group.interpret(xdsl_group.parse(text), "f", A)
    assert A[0] == 0.0
    assert A[1] == np.float32(0.1) * np.float32(0.1)


def test_interpreter_is_bitwise_equal_to_jit_on_random_data(conv_module):
    I, W = conv_inputs(2)
    O_interp = np.zeros((8, 6, 6), np.float32)
    xdsl_group.interpret(conv_module, "conv2d", O_interp, I, W)
    O_jit = np.zeros((8, 6, 6), np.float32)
    xdsl_group.jit(conv_module, "conv2d")(O_jit, I, W)
    np.testing.assert_array_equal(O_interp, O_jit)
