"""`vectorize-loops` and its lowering, run: vector code gives the numpy
reference's result bitwise (exact mode computes each lane as the scalar
loop computes its iteration) for every width, masked pieces included, for
float and integer elements, on one and two threads; a marker the loop does
not satisfy is a located error, not wrong code."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from programs import conv_text

import xdsl_group
from xdsl_group import reference
from xdsl_group.errors import LoopnestError

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"

COLUMNS_INNERMOST = "interchange-loops{order=co,ci,oh,kh,kw,ow}"


def conv_arrays(seed: int = 0):
    rng = np.random.default_rng(seed)
    I = rng.integers(-3, 4, (8, 8, 8)).astype(np.float32)
    W = rng.integers(-3, 4, (8, 8, 3, 3)).astype(np.float32)
    return I, W


@pytest.mark.parametrize("width", [0, 1, 2, 3, 4, 5, 6])
def test_vectorized_conv_equals_the_reference(width: int):
    """Six columns in pieces of every width: 6 = 4 + 2, 3 + 3, 5 + 1 (a
    masked 8-lane load narrowed to 5), ..."""
    module = xdsl_group.parse((EXAMPLES / "conv2d.mlir").read_text())
    vec = xdsl_group.apply(
        module, f"{COLUMNS_INNERMOST},vectorize-loops{{loop=ow width={width}}}"
    )
    I, W = conv_arrays()
    want = reference.conv2d(I, W)
    for threads in (1, 2):
        O = np.zeros((8, 6, 6), np.float32)
        xdsl_group.jit(vec, "conv2d", threads=threads)(O, I, W)
        np.testing.assert_array_equal(O, want)
    O = np.zeros((8, 6, 6), np.float32)
    xdsl_group.interpret(vec, "conv2d", O, I, W)
    np.testing.assert_array_equal(O, want)


def test_vectorized_and_unrolled_conv_on_non_integer_data_equals_scalar_code():
    """Exact mode: the vector code rounds as the scalar code does, bitwise,
    on data where order and contraction would show."""
    module = xdsl_group.parse((EXAMPLES / "conv2d.mlir").read_text())
    scalar = xdsl_group.apply(module, COLUMNS_INNERMOST)
    vec = xdsl_group.apply(
        scalar, "vectorize-loops{loop=ow width=4},split-loops{loop=co factor=4},"
        "interchange-loops{order=ci,oh,kh,kw,co_i},unroll-loops{loop=co_i factor=0}"
    )
    rng = np.random.default_rng(3)
    I = rng.standard_normal((8, 8, 8)).astype(np.float32)
    W = rng.standard_normal((8, 8, 3, 3)).astype(np.float32)
    a, b = np.zeros((8, 6, 6), np.float32), np.zeros((8, 6, 6), np.float32)
    xdsl_group.jit(scalar, "conv2d")(a, I, W)
    xdsl_group.jit(vec, "conv2d")(b, I, W)
    np.testing.assert_array_equal(a, b)
    fast = np.zeros((8, 6, 6), np.float32)
    xdsl_group.jit(vec, "conv2d", fast_math=True)(fast, I, W)
    np.testing.assert_allclose(fast, a, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", ["i32", "i64", "f64"])
def test_vectorized_elements_of_other_types(dtype: str):
    """Integer and f64 elements, a broadcast scalar operand and a masked
    7-lane piece (widened to 8)."""
    np_t = {"i32": np.int32, "i64": np.int64, "f64": np.float64}[dtype]
    mul, add = ("arith.muli", "arith.addi") if dtype[0] == "i" else ("arith.mulf", "arith.addf")
    text = f"""func.func @axpy(%Y: memref<3x15x{dtype}>, %X: memref<3x17x{dtype}>, %A: memref<3x{dtype}>) {{
  loopnest.for i %i in range(3) {{
    loopnest.for j %j in range(15) {{
      %x = loopnest.load %X[%i, %j + 2] : memref<3x17x{dtype}>
      %a = loopnest.load %A[%i] : memref<3x{dtype}>
      %y = loopnest.load %Y[%i, %j] : memref<3x15x{dtype}>
      %p = {mul} %a, %x : {dtype}
      %s = {add} %y, %p : {dtype}
      loopnest.store %s, %Y[%i, %j] : memref<3x15x{dtype}>
    }}
  }}
  func.return
}}"""
    module = xdsl_group.apply(xdsl_group.parse(text), "vectorize-loops{loop=j width=8}")
    assert "vectorize(8)" in str(module)
    rng = np.random.default_rng(1)
    Y = rng.integers(-9, 10, (3, 15)).astype(np_t)
    X = rng.integers(-9, 10, (3, 17)).astype(np_t)
    A = rng.integers(-9, 10, 3).astype(np_t)
    want = Y + A[:, None] * X[:, 2:]
    got = Y.copy()
    xdsl_group.jit(module, "axpy")(got, X, A)
    np.testing.assert_array_equal(got, want)


def test_auto_schedule_vectorizes_contiguous_columns_and_unrolls_strided_ones():
    """The pass's schedule for a 14-column conv vectorises the column loop
    (one 14-lane vector: masked input loads); a stride-2 conv's columns are
    unrolled.  Both compute the reference, natively."""
    rng = np.random.default_rng(2)
    dense = xdsl_group.parse(conv_text(16, 4, 14, 14))
    piped = xdsl_group.schedule_pipeline(dense, registers=32, vector_bits=512)
    assert "vectorize-loops{loop=ow width=16}" in piped
    I = rng.integers(-3, 4, (4, 16, 16)).astype(np.float32)
    W = rng.integers(-3, 4, (16, 4, 3, 3)).astype(np.float32)
    O = np.zeros((16, 14, 14), np.float32)
    xdsl_group.jit(xdsl_group.apply(dense, piped), "conv")(O, I, W)
    np.testing.assert_array_equal(O, reference.conv2d(I, W))
    strided = xdsl_group.parse(conv_text(8, 4, 15, 15, stride=2))
    piped = xdsl_group.schedule_pipeline(strided, registers=32, vector_bits=256)
    assert "vectorize-loops" not in piped and "unroll-loops{loop=ow" in piped


def test_a_marker_the_loop_does_not_satisfy_is_a_located_error():
    text = """func.func @f(%A: memref<4x4xf32>) {
  loopnest.for i %i in range(4) vectorize(4) {
    loopnest.for j %j in range(4) {
      %v = loopnest.load %A[%i, %j] : memref<4x4xf32>
      loopnest.store %v, %A[%i, %j] : memref<4x4xf32>
    }
  }
  func.return
}"""
    module = xdsl_group.parse(text, "marked.mlir")
    with pytest.raises(LoopnestError) as err:
        xdsl_group.jit(module, "f")
    assert "marked.mlir:2:3" in str(err.value)
    assert "is marked vectorize(4) but cannot be vectorised: it is not innermost" in str(err.value)
    # The interpreter runs the loop in order: the marker promises only
    # independence, which holds here.
    A = np.arange(16, dtype=np.float32).reshape(4, 4)
    xdsl_group.interpret(module, "f", A)
    np.testing.assert_array_equal(A, np.arange(16, dtype=np.float32).reshape(4, 4))
