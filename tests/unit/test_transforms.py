"""group-loops, interchange-loops and peel-loops, run against numpy references.

The transformed convolutions run in the interpreter (against numpy) and as
native code (`xdsl_group.jit`, bitwise equal to the interpreter: the program
order of every f32 operation is the same).  Interpreter results are cached
per pipeline, as one run of the 8-channel conv takes seconds.
"""

from __future__ import annotations

import re
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
def original(interpreted):
    """The untransformed conv, interpreted."""
    return interpreted("")[2]


def run(module, I, W):
    O = np.zeros((8, 6, 6), np.float32)
    xdsl_group.interpret(module, "conv2d", O, I, W)
    return O


def compact_weights(W, groups):
    """The weights a grouped conv layer holds: [CO, CI/G, KH, KW]."""
    cog, cig = 8 // groups, 8 // groups
    return np.ascontiguousarray(
        np.concatenate(
            [W[g * cog : (g + 1) * cog, g * cig : (g + 1) * cig] for g in range(groups)]
        )
    )


@pytest.fixture(scope="module")
def interpreted(conv, data):
    """pipeline -> (transformed module, weights it takes, interpreter output)."""
    cache: dict[str, tuple] = {}

    def get(pipeline: str):
        if pipeline not in cache:
            I, W = data
            module = xdsl_group.apply(conv, pipeline) if pipeline else conv
            m = re.search(r"groups=(\d+) compact=true", pipeline)
            weights = compact_weights(W, int(m.group(1))) if m else W
            cache[pipeline] = (module, weights, run(module, I, weights))
        return cache[pipeline]

    return get


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
def test_order_preserving_transformations_are_exact(interpreted, original, pipeline):
    np.testing.assert_array_equal(interpreted(pipeline)[2], original)


REORDER = "interchange-loops{order=co,oh,ow,kh,kw,ci}"


def test_reduction_reorder_equals_original_up_to_rounding(interpreted, original):
    close(interpreted(REORDER)[2], original)


@pytest.mark.parametrize("groups", [2, 4, 8])
def test_group_loops_is_a_grouped_convolution(interpreted, data, groups):
    I, W = data
    out = interpreted(f"group-loops{{loops=co,ci groups={groups}}}")[2]
    close(out, reference.grouped_conv2d(I, W, groups))


@pytest.mark.parametrize("groups", [2, 4, 8])
def test_compact_grouping_takes_pytorch_layout(interpreted, data, groups):
    I, _ = data
    _, Wc, out = interpreted(f"group-loops{{loops=co,ci groups={groups} compact=true}}")
    assert Wc.shape == (8, 8 // groups, 3, 3)
    close(out, reference.grouped_conv2d(I, Wc, groups))


EXAMPLE_2 = "peel-loops{loop=co count=2},group-loops{loops=co,ci groups=2}"


def test_example_2_peeled_then_grouped(interpreted, data):
    I, W = data
    close(interpreted(EXAMPLE_2)[2], reference.peeled_grouped_conv2d(I, W, 2, 2))


EXAMPLE_1_GROUPED = "interchange-loops{loops=ci,oh},group-loops{loops=co,ci groups=4}"


def test_example_1_then_grouping(interpreted, data):
    """Grouping co and ci with oh between them (after Example 1)."""
    I, W = data
    close(interpreted(EXAMPLE_1_GROUPED)[2], reference.grouped_conv2d(I, W, 4))


@pytest.mark.parametrize(
    "pipeline, want",
    [
        ("", lambda I, W: reference.conv2d(I, W)),
        ("interchange-loops{order=co,oh,ci,ow,kh,kw strict=true}", lambda I, W: reference.conv2d(I, W)),
        (REORDER, lambda I, W: reference.conv2d(I, W)),
        ("peel-loops{loop=co count=3}", lambda I, W: reference.conv2d(I, W)),
        ("peel-loops{loop=ow count=2 side=back name=ow_tail}", lambda I, W: reference.conv2d(I, W)),
        *(
            (f"group-loops{{loops=co,ci groups={g}}}", lambda I, W, g=g: reference.grouped_conv2d(I, W, g))
            for g in (2, 4, 8)
        ),
        *(
            (
                f"group-loops{{loops=co,ci groups={g} compact=true}}",
                lambda I, W, g=g: reference.grouped_conv2d(I, compact_weights(W, g), g),
            )
            for g in (2, 4, 8)
        ),
        (EXAMPLE_2, lambda I, W: reference.peeled_grouped_conv2d(I, W, 2, 2)),
        (EXAMPLE_1_GROUPED, lambda I, W: reference.grouped_conv2d(I, W, 4)),
    ],
)
def test_jit_equals_interpreter(interpreted, data, pipeline, want):
    """Native code of the pass-produced variants: bitwise the interpreter's result."""
    I, W = data
    module, weights, expected = interpreted(pipeline)
    O = np.zeros((8, 6, 6), np.float32)
    xdsl_group.jit(module, "conv2d")(O, I, weights)
    np.testing.assert_array_equal(O, expected)
    close(O, want(I, W))


def test_grouping_one_loop_is_strip_mining(interpreted, original):
    np.testing.assert_array_equal(interpreted("group-loops{loops=oh groups=3}")[2], original)


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
