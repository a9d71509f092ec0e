"""The JIT against the interpreter and the numpy references.

xDSL's interpreter computes `o + i * w` in Python (double precision) and
rounds to f32 only at the store, while native code rounds after every f32
operation.  So on random inputs the two agree to a few ulps, not bitwise;
bitwise equality is checked (1) against a numpy emulation that performs the
f32 operations in the program's own order, and (2) against the interpreter
and the reference on small-integer inputs, where every operation is exact.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest

import xdsl_group
from xdsl_group import reference
from xdsl_group.errors import LoopnestError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _dense(co: int) -> range:
    return range(8)


def _grouped(co: int) -> range:
    g = co // 4
    return range(4 * g, 4 * g + 4)


def _peeled(co: int) -> range:
    if co < 2:
        return range(8)
    g = (co - 2) // 3
    return range(4 * g, 4 * g + 4)


# (file stem = function name, input channels summed for each output channel, reference)
CASES = [
    ("conv2d", _dense, lambda I, W: reference.conv2d(I, W)),
    ("conv2d_grouped", _grouped, lambda I, W: reference.grouped_conv2d(I, W, 2)),
    ("conv2d_peeled_grouped", _peeled, lambda I, W: reference.peeled_grouped_conv2d(I, W, 2, 2)),
]


def f32_in_order(I, W, channels) -> np.ndarray:
    """O[co] accumulated in the examples' order (ci, then kh, kw), rounding
    every product and sum to f32 as native code does."""
    O = np.zeros((8, 6, 6), np.float32)
    for co in range(8):
        for ci in channels(co):
            for kh in range(3):
                for kw in range(3):
                    O[co] = O[co] + I[ci, kh : kh + 6, kw : kw + 6] * W[co, ci, kh, kw]
    return O


def load(name: str):
    return xdsl_group.parse((EXAMPLES / f"{name}.mlir").read_text(), f"{name}.mlir")


@pytest.mark.parametrize("name,channels,ref", CASES, ids=[c[0] for c in CASES])
def test_example_jit_matches_interpreter_and_reference(name, channels, ref):
    module = load(name)
    fn = xdsl_group.jit(module, name)
    rng = np.random.default_rng(7)

    # Random inputs: bitwise equal to the f32 emulation, close to the others.
    I = rng.standard_normal((8, 8, 8)).astype(np.float32)
    W = rng.standard_normal((8, 8, 3, 3)).astype(np.float32)
    O = np.zeros((8, 6, 6), np.float32)
    fn(O, I, W)
    np.testing.assert_array_equal(O, f32_in_order(I, W, channels))
    np.testing.assert_allclose(O, ref(I, W), rtol=1e-5, atol=1e-5)
    O_interp = np.zeros_like(O)
    xdsl_group.interpret(module, name, O_interp, I, W)
    np.testing.assert_allclose(O, O_interp, rtol=1e-5, atol=1e-5)

    # Small integers: every operation exact, all three bitwise equal.
    I = rng.integers(-4, 5, (8, 8, 8)).astype(np.float32)
    W = rng.integers(-4, 5, (8, 8, 3, 3)).astype(np.float32)
    O = np.zeros((8, 6, 6), np.float32)
    fn(O, I, W)
    O_interp = np.zeros_like(O)
    xdsl_group.interpret(module, name, O_interp, I, W)
    np.testing.assert_array_equal(O, O_interp)
    np.testing.assert_array_equal(O, ref(I, W))


def test_argument_checks():
    fn = xdsl_group.jit(load("conv2d"), "conv2d")
    O = np.zeros((8, 6, 6), np.float32)
    I = np.zeros((8, 8, 8), np.float32)
    W = np.zeros((8, 8, 3, 3), np.float32)
    with pytest.raises(ValueError, match="takes 3 arrays, 2 were given"):
        fn(O, I)
    with pytest.raises(ValueError, match=r"argument #1 must have shape \(8, 8, 8\)"):
        fn(O, np.zeros((8, 8, 9), np.float32), W)
    with pytest.raises(ValueError, match="argument #2 must have dtype float32"):
        fn(O, I, W.astype(np.float64))
    with pytest.raises(ValueError, match="argument #0 must be a numpy array"):
        fn([0.0], I, W)
    with pytest.raises(ValueError, match="written but read-only"):
        O.flags.writeable = False
        fn(O, I, W)
    with pytest.raises(ValueError, match="no function @nope"):
        xdsl_group.jit(load("conv2d"), "nope")


def test_non_contiguous_arguments_are_copied_in_and_out():
    fn = xdsl_group.jit(load("conv2d"), "conv2d")
    rng = np.random.default_rng(3)
    I = rng.standard_normal((8, 8, 8)).astype(np.float32)
    W = rng.standard_normal((8, 8, 3, 3)).astype(np.float32)
    big = np.zeros((8, 6, 12), np.float32)
    O = big[:, :, ::2]  # a strided view
    I_t = np.asfortranarray(I)
    fn(O, I_t, W)
    np.testing.assert_array_equal(O, f32_in_order(I, W, _dense))
    assert not big[:, :, 1::2].any()


AXPY = """
builtin.module {
  func.func @axpy(%X: memref<8xf32>, %Y: memref<8xf32>) {
    loopnest.for i %i in range(8) {
      %x = loopnest.load %X[%i] : memref<8xf32>
      %y = loopnest.load %Y[%i] : memref<8xf32>
      %s = arith.addf %x, %y : f32
      loopnest.store %s, %Y[%i] : memref<8xf32>
    }
    func.return
  }
}
"""


def test_overlapping_written_arguments_are_refused():
    """A written argument sharing memory with another is refused before the
    call (as by `interpret`), so the one compiled version assumes `noalias`;
    interleaved but disjoint views are accepted."""
    fn = xdsl_group.jit(xdsl_group.parse(AXPY), "axpy")
    a = np.arange(8, dtype=np.float32)
    with pytest.raises(
        ValueError,
        match=r"@axpy arguments #0 \(%X\) and #1 \(%Y\) overlap and #1 \(%Y\) is written",
    ):
        fn(a, a)
    np.testing.assert_array_equal(a, np.arange(8))  # nothing ran
    big = np.arange(16, dtype=np.float32)
    with pytest.raises(ValueError, match="overlap"):
        fn(big[::2], big[2:10])
    np.testing.assert_array_equal(big, np.arange(16))
    fn(big[::2], big[1::2])
    np.testing.assert_array_equal(big[1::2], np.arange(1, 16, 2) + np.arange(0, 16, 2))
    x, y = np.ones(8, np.float32), np.arange(8, dtype=np.float32)
    fn(x, y)
    np.testing.assert_array_equal(y, np.arange(8) + 1)
    assert "noalias" in fn._compiled.module.get_function("axpy").__str__()


def test_compiled_engines_are_cached():
    # `xdsl_group.jit` the attribute is the function; the module is here.
    jit_module = importlib.import_module("xdsl_group.jit")

    module = xdsl_group.parse(AXPY)
    xdsl_group.jit(module, "axpy")
    before = len(jit_module._engines)
    again = xdsl_group.jit(xdsl_group.parse(AXPY), "axpy")
    assert len(jit_module._engines) == before
    y = np.zeros(8, np.float32)
    again(np.ones(8, np.float32), y)
    assert (y == 1).all()


INTEGER_NEST = """
builtin.module {
  func.func @ints(%O: memref<4x3xi32>, %A: memref<12xi32>, %B: memref<3x4xi32>) {
    loopnest.for i %i in range(1, 12, 2) {
      loopnest.for j %j in range(%i floordiv 4, 3) {
        %a = loopnest.load %A[%i] : memref<12xi32>
        %o = loopnest.load %O[%i floordiv 3, %i mod 3] : memref<4x3xi32>
        %b = loopnest.load %B[%j, %i mod 4] : memref<3x4xi32>
        %p = arith.muli %a, %b : i32
        %lt = arith.cmpi slt, %p, %o : i32
        %m = arith.select %lt, %o, %p : i32
        %q = arith.floordivsi %m, %a : i32
        %s = arith.subi %m, %q : i32
        loopnest.store %s, %O[%i floordiv 3, %i mod 3] : memref<4x3xi32>
      }
    }
    func.return
  }
}
"""


def test_integer_ops_floordiv_mod_and_steps_match_interpreter():
    module = xdsl_group.parse(INTEGER_NEST)
    fn = xdsl_group.jit(module, "ints")
    rng = np.random.default_rng(11)
    for _ in range(3):
        A = rng.integers(-9, 10, 12).astype(np.int32)
        A[A == 0] = 1
        B = rng.integers(-9, 10, (3, 4)).astype(np.int32)
        O = rng.integers(-9, 10, (4, 3)).astype(np.int32)
        O_interp = O.copy()
        fn(O, A, B)
        xdsl_group.interpret(module, "ints", O_interp, A, B)
        np.testing.assert_array_equal(O, O_interp)


def test_out_of_bounds_access_is_refused():
    text = AXPY.replace("%X[%i]", "%X[%i + 1]")
    with pytest.raises(LoopnestError, match=r"%X\[%i \+ 1\] reads out of bounds: index %i \+ 1 of dimension 0 takes values in \[1, 8\] but the dimension has size 8"):
        xdsl_group.jit(xdsl_group.parse(text), "axpy")


def test_unsupported_op_is_named():
    text = AXPY.replace("%s = arith.addf %x, %y : f32", "%s = math.exp %x : f32")
    with pytest.raises(LoopnestError, match="unsupported op 'math.exp'"):
        xdsl_group.jit(xdsl_group.parse(text), "axpy")


def test_llvm_ir_is_vectorised_for_the_host():
    """The optimised IR of the benchmark's best loop order uses vector code."""
    from xdsl_group.jit import llvm_ir

    ir = llvm_ir(load("conv2d"), noalias=True, optimize=True)
    assert "<8 x float>" in ir or "<4 x float>" in ir


def test_pass_names_do_not_clash_with_xdsl():
    """A name clash with a built-in pass makes xDSL's universe raise."""
    from xdsl.transforms import get_all_passes

    from xdsl_group.universe import PASSES

    ours = {
        "convert-loopnest-to-llvm",
        "loopnest-convert-affine-to-scf",
        "loopnest-finalize-memref-to-llvm",
        "loopnest-convert-arith-to-llvm",
        "loopnest-convert-cf-to-llvm",
        "loopnest-convert-func-to-llvm",
    }
    assert ours <= set(PASSES)
    assert not set(PASSES) & set(get_all_passes())


def test_bounds_proof_is_exact_on_small_nests():
    """`(2 * i) mod 4` only takes 0 and 2: accepted for a memref of 3,
    although interval arithmetic alone would allow 3 (the check is exact)."""
    text = """
builtin.module {
  func.func @strided(%O: memref<3xf32>, %A: memref<4xf32>) {
    loopnest.for i %i in range(4) {
      %a = loopnest.load %A[%i] : memref<4xf32>
      %o = loopnest.load %O[(%i * 2) mod 4] : memref<3xf32>
      %s = arith.addf %o, %a : f32
      loopnest.store %s, %O[(%i * 2) mod 4] : memref<3xf32>
    }
    func.return
  }
}
"""
    module = xdsl_group.parse(text)
    O, A = np.zeros(3, np.float32), np.arange(1, 5, dtype=np.float32)
    xdsl_group.jit(module, "strided")(O, A)
    np.testing.assert_array_equal(O, [1 + 3, 0, 2 + 4])


def test_packed_entries_never_shadow_a_function_of_the_module():
    """The JIT calls `@f` through a generated `@"f.packed"` (one pointer to
    the descriptor fields); a module that has its own `@"f.packed"` keeps
    both functions as written, each called with its own code."""
    text = """
func.func @f(%A: memref<4xf32>) {
  loopnest.for i %i in range(4) {
    %v = loopnest.load %A[%i] : memref<4xf32>
    %s = arith.addf %v, %v : f32
    loopnest.store %s, %A[%i] : memref<4xf32>
  }
  func.return
}
func.func @"f.packed"(%A: memref<4xf32>) {
  loopnest.for i %i in range(4) {
    %v = loopnest.load %A[%i] : memref<4xf32>
    %s = arith.mulf %v, %v : f32
    loopnest.store %s, %A[%i] : memref<4xf32>
  }
  func.return
}
"""
    module = xdsl_group.parse(text)
    for name, want in (("f", [2, 4, 6, 8]), ("f.packed", [1, 4, 9, 16])):
        A = np.arange(1, 5, dtype=np.float32)
        xdsl_group.jit(module, name)(A)
        np.testing.assert_array_equal(A, want, err_msg=name)
        B = np.arange(1, 5, dtype=np.float32)
        xdsl_group.interpret(module, name, B)
        np.testing.assert_array_equal(A, B, err_msg=name)
