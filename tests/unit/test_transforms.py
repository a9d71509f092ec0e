"""group-loops, interchange-loops and peel-loops, run against numpy references."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import xdsl_group
from xdsl_group import reference

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def conv():
    return xdsl_group.parse((EXAMPLES / "conv2d.mlir").read_text(), "conv2d.mlir")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(42)
    I = rng.standard_normal((8, 8, 8)).astype(np.float32)
    W = rng.standard_normal((8, 8, 3, 3)).astype(np.float32)
    return I, W


@pytest.fixture(scope="module")
def original(conv, data):
    """The untransformed conv, interpreted."""
    return run(conv, *data)


def run(module, I, W):
    O = np.zeros((8, 6, 6), np.float32)
    xdsl_group.interpret(module, "conv2d", O, I, W)
    return O


def close(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_original_is_a_convolution(original, data):
    close(original, reference.conv2d(*data))


@pytest.mark.parametrize(
    "pipeline",
    [
        # Example 1: each output's sum over (ci, kh, kw) keeps its order.
        "interchange-loops{order=co,oh,ci,ow,kh,kw strict=true}",
        "peel-loops{loop=co count=3}",
        "peel-loops{loop=ow count=2 side=back name=ow_tail}",
    ],
)
def test_order_preserving_transformations_are_exact(conv, data, original, pipeline):
    np.testing.assert_array_equal(run(xdsl_group.apply(conv, pipeline), *data), original)


def test_reduction_reorder_equals_original_up_to_rounding(conv, data, original):
    out = run(xdsl_group.apply(conv, "interchange-loops{order=co,oh,ow,kh,kw,ci}"), *data)
    close(out, original)


@pytest.mark.parametrize("groups", [2, 4, 8])
def test_group_loops_is_a_grouped_convolution(conv, data, groups):
    I, W = data
    out = run(xdsl_group.apply(conv, f"group-loops{{loops=co,ci groups={groups}}}"), I, W)
    close(out, reference.grouped_conv2d(I, W, groups))


@pytest.mark.parametrize("groups", [2, 8])
def test_compact_grouping_takes_pytorch_layout(conv, data, groups):
    I, W = data
    grouped = xdsl_group.apply(
        conv, f"group-loops{{loops=co,ci groups={groups} compact=true}}"
    )
    cog, cig = 8 // groups, 8 // groups
    # The weights a grouped conv layer holds: [CO, CI/G, KH, KW].
    Wc = np.ascontiguousarray(
        np.concatenate(
            [W[g * cog : (g + 1) * cog, g * cig : (g + 1) * cig] for g in range(groups)]
        )
    )
    assert Wc.shape == (8, 8 // groups, 3, 3)
    O = np.zeros((8, 6, 6), np.float32)
    xdsl_group.interpret(grouped, "conv2d", O, I, Wc)
    close(O, reference.grouped_conv2d(I, Wc, groups))


def test_example_2_peeled_then_grouped(conv, data):
    I, W = data
    out = run(
        xdsl_group.apply(conv, "peel-loops{loop=co count=2},group-loops{loops=co,ci groups=2}"),
        I,
        W,
    )
    close(out, reference.peeled_grouped_conv2d(I, W, 2, 2))


def test_example_1_then_grouping(conv, data):
    """Grouping co and ci with oh between them (after Example 1)."""
    I, W = data
    pipeline = "interchange-loops{loops=ci,oh},group-loops{loops=co,ci groups=4}"
    close(run(xdsl_group.apply(conv, pipeline), I, W), reference.grouped_conv2d(I, W, 4))


def test_grouping_one_loop_is_strip_mining(conv, data, original):
    out = run(xdsl_group.apply(conv, "group-loops{loops=oh groups=3}"), *data)
    np.testing.assert_array_equal(out, original)


def test_requests_recorded_in_the_ir(conv):
    marked = str(conv).replace(
        "loopnest.for co %co in range(8) {",
        "loopnest.for co %co in range(8) attributes {loopnest.group = 4 : i64} {",
    ).replace(
        "loopnest.for ci %ci in range(8) {",
        "loopnest.for ci %ci in range(8) attributes {loopnest.group = 4 : i64} {",
    )
    assert marked.count("loopnest.group") == 2
    by_request = xdsl_group.apply(xdsl_group.parse(marked), "group-loops")
    by_option = xdsl_group.apply(conv, "group-loops{loops=co,ci groups=4}")
    assert str(by_request) == str(by_option)


AFFINE_BOUNDS = """
func.func @f(%A: memref<4x12xf32>, %B: memref<4x12xf32>) {
  loopnest.for i %i in range(4) {
    loopnest.for j %j in range(%i, %i + 8, 2) {
      %a = loopnest.load %A[%i, %j] : memref<4x12xf32>
      %b = loopnest.load %B[%i, %j + 1] : memref<4x12xf32>
      %s = arith.addf %a, %b : f32
      loopnest.store %s, %B[%i, %j] : memref<4x12xf32>
    }
  }
  func.return
}
"""


@pytest.mark.parametrize(
    "pipeline",
    [
        "group-loops{loops=j groups=2}",
        "group-loops{loops=j groups=4 name=jj}",
        "peel-loops{loop=j count=1}",
        "peel-loops{loop=j count=3 side=back}",
        "peel-loops{loop=i count=1},group-loops{loops=j groups=2},peel-loops{loop=j count=1 side=back}",
    ],
)
def test_strip_mining_and_peeling_with_steps_and_affine_bounds(pipeline):
    module = xdsl_group.parse(AFFINE_BOUNDS)
    rng = np.random.default_rng(7)
    A, B = (rng.standard_normal((4, 12)).astype(np.float32) for _ in range(2))
    want = B.copy()
    xdsl_group.interpret(module, "f", A.copy(), want)
    got = B.copy()
    xdsl_group.interpret(xdsl_group.apply(module, pipeline), "f", A.copy(), got)
    np.testing.assert_array_equal(got, want)
