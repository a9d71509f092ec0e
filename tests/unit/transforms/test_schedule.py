"""The schedule passes (`split-loops`, `unroll-loops`, `parallelize-loops`)
and `auto-schedule` run on convolutions and a matmul: the scheduled programs
give the numpy references' results in the interpreter and natively
(bitwise: the data are small integers, so every f32 sum is exact in any
order), and `auto-schedule` applies exactly the pipeline it states."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from programs import conv_text

import xdsl_group
from xdsl_group import reference, schedule_pipeline

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


MATMUL = """func.func @mm(%C: memref<20x21xf32>, %A: memref<20x5xf32>, %B: memref<5x21xf32>) {
  loopnest.for i %i in range(20) {
    loopnest.for j %j in range(21) {
      loopnest.for k %k in range(5) {
        %c = loopnest.load %C[%i, %j] : memref<20x21xf32>
        %a = loopnest.load %A[%i, %k] : memref<20x5xf32>
        %b = loopnest.load %B[%k, %j] : memref<5x21xf32>
        %p = arith.mulf %a, %b : f32
        %s = arith.addf %c, %p : f32
        loopnest.store %s, %C[%i, %j] : memref<20x21xf32>
      }
    }
  }
  func.return
}"""


def ints(shape, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(-3, 4, size=shape).astype(np.float32)


def strided_conv(I: np.ndarray, W: np.ndarray, stride: int, oh: int, ow: int) -> np.ndarray:
    k = W.shape[2]
    windows = np.lib.stride_tricks.sliding_window_view(I, (k, k), axis=(1, 2))
    windows = windows[:, : oh * stride : stride, : ow * stride : stride]
    return np.einsum("cyxhw,ochw->oyx", windows, W).astype(np.float32)


def case(name: str):
    """(module, function, arrays with O zero, expected O)."""
    if name == "matmul":
        A, B = ints((20, 5), 1), ints((5, 21), 2)
        return xdsl_group.parse(MATMUL), "mm", [np.zeros((20, 21), np.float32), A, B], A @ B
    if name == "example2":
        m = xdsl_group.parse((EXAMPLES / "conv2d_peeled_grouped.mlir").read_text())
        I, W = ints((8, 8, 8), 1), ints((8, 8, 3, 3), 2)
        expected = reference.peeled_grouped_conv2d(I, W, dense=2, groups=2)
        return m, "conv2d_peeled_grouped", [np.zeros((8, 6, 6), np.float32), I, W], expected
    shapes = {
        "dense_odd": (10, 2, 3, 19, 1, ""),
        "stride2": (6, 2, 3, 18, 2, ""),
        "grouped": (8, 4, 4, 9, 1, "group-loops{loops=co,ci groups=2}"),
        "grouped_compact": (8, 4, 4, 9, 1, "group-loops{loops=co,ci groups=2 compact=true}"),
        "depthwise": (4, 4, 6, 18, 1, "group-loops{loops=co,ci groups=4}"),
        "resnet_7x7": (16, 2, 7, 7, 1, ""),
        "resnet_14x14": (8, 2, 14, 14, 1, ""),
    }
    co, ci, oh, ow, stride, pre = shapes[name]
    m = xdsl_group.parse(conv_text(co, ci, oh, ow, stride=stride))
    h, w = (oh - 1) * stride + 3, (ow - 1) * stride + 3
    I, W = ints((ci, h, w), 1), ints((co, ci, 3, 3), 2)
    if pre:
        m = xdsl_group.apply(m, pre)
    groups = {"grouped": 2, "grouped_compact": 2, "depthwise": 4}.get(name, 1)
    if name == "grouped_compact":
        W = W[:, : ci // groups]  # compact layout [CO, CI/G, KH, KW]
    expected = (
        strided_conv(I, W, stride, oh, ow)
        if groups == 1
        else reference.grouped_conv2d(I, W, groups)
    )
    return m, "conv", [np.zeros((co, oh, ow), np.float32), I, W], expected


CASES = [
    "dense_odd",
    "stride2",
    "grouped",
    "grouped_compact",
    "depthwise",
    "example2",
    "matmul",
    "resnet_7x7",
    "resnet_14x14",
]


def run(module, fn: str, arrays, native: bool, threads: int = 1) -> np.ndarray:
    args = [a.copy() for a in arrays]
    if native:
        xdsl_group.jit(module, fn, threads=threads)(*args)
    else:
        xdsl_group.interpret(module, fn, *args)
    return args[0]


@pytest.mark.parametrize("name", CASES)
def test_auto_schedule_computes_the_reference(name: str):
    module, fn, arrays, expected = case(name)
    pipeline = schedule_pipeline(module)
    assert "unroll-loops" in pipeline and "parallelize-loops" in pipeline, pipeline
    scheduled = xdsl_group.apply(module, pipeline)
    if name in ("dense_odd", "example2"):
        # The pass applies exactly the pipeline it states.
        assert str(xdsl_group.apply(module, "auto-schedule")) == str(scheduled)
    np.testing.assert_array_equal(run(scheduled, fn, arrays, native=False), expected)
    np.testing.assert_array_equal(run(scheduled, fn, arrays, native=True), expected)
    np.testing.assert_array_equal(
        run(scheduled, fn, arrays, native=True, threads=2), expected
    )


def test_auto_schedule_blocks_by_the_cost_model():
    """The block minimising the estimated cycles within the registers: on
    32 registers 8 channels x 24 columns (3 vectors) for 54 columns, with
    the 6-column tail blocked as well, the column blocks vectorised; 4 x 24
    on 16 registers; 16 channels x the 7 columns (one vector); oh x ow for a
    depthwise conv (its channel loops run once per group).  A stride-2
    conv's columns are not contiguous in the input: unrolled instead, for
    LLVM's SLP vectoriser."""
    dense = xdsl_group.parse(conv_text(64, 64, 56, 56))
    wide = schedule_pipeline(dense, registers=32, vector_bits=256)
    assert "split-loops{loop=co factor=8}" in wide
    assert "split-loops{loop=ow factor=24}" in wide
    assert "interchange-loops{order=ci,kh,kw,ow_i}" in wide
    assert "interchange-loops{order=ci,kh,kw,ow_tail}" in wide
    assert wide.endswith(
        "vectorize-loops{loop=ow_i width=8},vectorize-loops{loop=ow_tail width=8},"
        "unroll-loops{loop=co_i factor=0}"
    )
    assert "parallelize-loops{loop=co}" in wide
    narrow = schedule_pipeline(dense, registers=16, vector_bits=256)
    assert "split-loops{loop=co factor=4}" in narrow and "split-loops{loop=ow factor=24}" in narrow
    small = schedule_pipeline(
        xdsl_group.parse(conv_text(512, 8, 7, 7)), registers=32, vector_bits=256
    )
    # 7 columns take one register a row: 16 rows fit.
    assert "split-loops{loop=co factor=16}" in small and "split-loops{loop=ow" not in small
    assert "vectorize-loops{loop=ow width=8}" in small
    strided = schedule_pipeline(
        xdsl_group.parse(conv_text(128, 4, 28, 28, stride=2)), registers=16, vector_bits=256
    )
    assert "split-loops{loop=ow factor=8}" in strided
    assert "unroll-loops{loop=ow_i factor=0}" in strided and "vectorize-loops" not in strided
    depthwise = schedule_pipeline(
        xdsl_group.apply(
            xdsl_group.parse(conv_text(8, 8, 12, 20)), "group-loops{loops=co,ci groups=8}"
        ),
        registers=32,
        vector_bits=256,
    )
    assert "split-loops{loop=ow factor=16}" in depthwise
    assert "vectorize-loops{loop=ow_i width=8}" in depthwise
    assert "unroll-loops{loop=oh factor=0}" in depthwise
    assert "parallelize-loops{loop=g}" in depthwise
    # The pass states the same pipeline for the same registers.
    assert str(xdsl_group.apply(dense, "auto-schedule{registers=16 vector_bits=256}")) == str(
        xdsl_group.apply(dense, narrow)
    )


def test_auto_schedule_follows_the_vector_width():
    """With 512-bit vectors (16 floats) a dense conv's 54 columns are split
    into 32 + 22 (two vectors each, 16 accumulators with 8 channels); a G=16
    grouped conv, 4 channels a group, takes the whole row in one block
    (4 vectors, the last of 6 floats: 16 accumulators, half the
    registers).  Without vectorisation (a stride-2 conv), the rest of a
    row costs a register per power-of-two piece.  The default width is
    the host's, as LLVM vectorises."""
    from xdsl_group.jit import host_cpu_features, host_vector_bits

    dense = xdsl_group.parse(conv_text(64, 64, 56, 56))
    odd = schedule_pipeline(
        xdsl_group.parse(conv_text(64, 64, 54, 54)), registers=32, vector_bits=512
    )
    assert "split-loops{loop=co factor=8}" in odd and "split-loops{loop=ow factor=32}" in odd
    assert "vectorize-loops{loop=ow_tail width=16}" in odd
    grouped = xdsl_group.apply(
        xdsl_group.parse(conv_text(64, 64, 56, 56)), "group-loops{loops=co,ci groups=16 compact=true}"
    )
    row = schedule_pipeline(grouped, registers=32, vector_bits=512)
    assert "split-loops" not in row
    assert "interchange-loops{order=oh,ci,kh,kw,co,ow}" in row
    assert row.endswith("vectorize-loops{loop=ow width=16},unroll-loops{loop=co factor=0}")
    bits = host_vector_bits()
    features = host_cpu_features()
    assert bits in (128, 256, 512)
    if "+avx512f" not in features:
        assert bits <= 256
    if "+avx" not in features:
        assert bits == 128
    assert schedule_pipeline(dense) == schedule_pipeline(dense, vector_bits=bits)


def best_block(*args, **kwargs) -> tuple[int, int]:
    """The (rows, columns) `auto-schedule` takes: the first ranked block."""
    from xdsl_group.transforms.auto_schedule import ranked_blocks

    _, rows, columns = ranked_blocks(*args, **kwargs)[0]
    return rows, columns


def test_ranked_blocks_count_tails():
    """The estimate counts the tail blocks: 54 columns as 2 x 24 + 6 beats
    6 x 8 + 6 (9 blocks of at most 8 FMAs per step)."""
    from xdsl_group.transforms.auto_schedule import nest_cycles

    conv = [(False, True, True), (True, False, False)]  # input, weights
    assert best_block(64, 54, 8, 32, conv) == (8, 24)
    assert nest_cycles(64, 54, 8, 24, 8, conv) < nest_cycles(64, 54, 8, 8, 8, conv)
    # Too few registers for any block with more than one row: 1 x 8.
    assert best_block(64, 54, 8, 3, conv) == (1, 8)
    # At most 64 copies (full and tail blocks together): 8 x 24 is out.
    rows, columns = best_block(64, 54, 8, 32, conv, max_unrolled=64)
    assert rows * columns + rows * (54 % columns) <= 64
    # Vectorised columns count one copy per vector: 8 x 24 makes 8 x 3 + 8 x 1.
    dense = xdsl_group.parse(conv_text(64, 64, 56, 56))
    assert "factor=24" in schedule_pipeline(dense, registers=32, max_unrolled=32, vector_bits=256)
    assert "factor=24" not in schedule_pipeline(
        dense, registers=32, max_unrolled=16, vector_bits=256
    )


def test_auto_schedule_leaves_what_it_cannot_improve():
    text = """func.func @f(%A: memref<8xf32>, %B: memref<8x8xf32>) {
  loopnest.for i %i in range(8) {
    loopnest.for j %j in range(%i, 8) {
      %v = loopnest.load %A[%i] : memref<8xf32>
      %w = loopnest.load %B[%i, %j] : memref<8x8xf32>
      %s = arith.addf %v, %w : f32
      loopnest.store %s, %A[%i] : memref<8xf32>
    }
  }
  func.return
}"""
    module = xdsl_group.parse(text)
    # Triangular: no constant trip count to block; i is parallel.
    assert schedule_pipeline(module) == "parallelize-loops{loop=i}"
    stencil = """func.func @s(%A: memref<8x8xf32>) {
  loopnest.for i %i in range(1, 8) {
    loopnest.for j %j in range(7) {
      %v = loopnest.load %A[%i - 1, %j + 1] : memref<8x8xf32>
      loopnest.store %v, %A[%i, %j] : memref<8x8xf32>
    }
  }
  func.return
}"""
    assert schedule_pipeline(xdsl_group.parse(stencil)) == "parallelize-loops{loop=j}"


@pytest.mark.parametrize(
    "pipeline",
    [
        "split-loops{loop=co factor=3}",
        "split-loops{loop=ow factor=4 name=w4 tail_name=wt},split-loops{loop=w4 factor=2}",
        "unroll-loops{loop=kw factor=0}",
        "unroll-loops{loop=co factor=3},unroll-loops{loop=ow factor=4}",
        "split-loops{loop=co factor=4},interchange-loops{order=ci,oh,ow,kh,kw,co_i},unroll-loops{loop=co_i factor=0}",
        "parallelize-loops{loop=co},parallelize-loops{loop=ow},split-loops{loop=co factor=3}",
    ],
)
def test_schedule_passes_compute_the_reference(pipeline: str):
    module = xdsl_group.parse((EXAMPLES / "conv2d.mlir").read_text())
    I, W = ints((8, 8, 8), 3), ints((8, 8, 3, 3), 4)
    arrays = [np.zeros((8, 6, 6), np.float32), I, W]
    expected = reference.conv2d(I, W)
    scheduled = xdsl_group.apply(module, pipeline)
    np.testing.assert_array_equal(run(scheduled, "conv2d", arrays, native=False), expected)
    np.testing.assert_array_equal(run(scheduled, "conv2d", arrays, native=True), expected)
