"""Function-local buffers (`memref.alloc`/`alloca`/`dealloc`): the JIT, the
interpreter, numpy and MLIR 22's own pipeline compute the same numbers.

Data are small integers in f32, so every operation is exact and results are
compared bitwise.  MLIR leaves a new buffer's contents undefined; the
programs cross-checked with MLIR write every element before reading it,
and the read-before-write case (our zero-filling) is checked against the
interpreter and numpy only.
"""

from __future__ import annotations

import numpy as np
import pytest

import xdsl_group
from xdsl_group.api import find_function
from xdsl_group.errors import LoopnestError
from xdsl_group.jit import written_arguments

from test_mlir_crosscheck import (  # the helpers, not the tests
    MLIR_OPT,
    MLIR_PIPELINE,
    MLIR_TRANSLATE,
    generic,
    run_llvm_ir,
    run_tool,
)

needs_mlir = pytest.mark.skipif(
    MLIR_OPT is None or MLIR_TRANSLATE is None,
    reason="MLIR 22 tools not installed (apt-get install mlir-22-tools)",
)

# C = relu(A @ B) + 1 through a heap temporary T (MLIR: contents of a new
# buffer are undefined, so T is cleared first).
MATMUL_RELU = """
func.func @matmul_relu(%A: memref<4x3xf32>, %B: memref<3x5xf32>, %C: memref<4x5xf32>) {
  %T = memref.alloc() {alignment = 64 : i64} : memref<4x5xf32>
  loopnest.for i %i in range(4) {
    loopnest.for j %j in range(5) {
      %z = arith.constant 0.0 : f32
      loopnest.store %z, %T[%i, %j] : memref<4x5xf32>
      loopnest.for k %k in range(3) {
        %a = loopnest.load %A[%i, %k] : memref<4x3xf32>
        %b = loopnest.load %B[%k, %j] : memref<3x5xf32>
        %t = loopnest.load %T[%i, %j] : memref<4x5xf32>
        %p = arith.mulf %a, %b : f32
        %s = arith.addf %t, %p : f32
        loopnest.store %s, %T[%i, %j] : memref<4x5xf32>
      }
    }
  }
  loopnest.for i %i in range(4) {
    loopnest.for j %j in range(5) {
      %t = loopnest.load %T[%i, %j] : memref<4x5xf32>
      %z = arith.constant 0.0 : f32
      %one = arith.constant 1.0 : f32
      %r = arith.maximumf %t, %z : f32
      %o = arith.addf %r, %one : f32
      loopnest.store %o, %C[%i, %j] : memref<4x5xf32>
    }
  }
  memref.dealloc %T : memref<4x5xf32>
  func.return
}
"""

# A 1-D blur in two passes, per row: a padded heap row allocated and freed in
# the loop, and a stack row (alloca in the loop: one slot for all iterations).
BLUR = """
func.func @blur(%X: memref<6x8xf32>, %Y: memref<6x8xf32>) {
  loopnest.for r %r in range(6) {
    %pad = memref.alloc() : memref<10xf32>
    %row = memref.alloca() : memref<8xf32>
    %z = arith.constant 0.0 : f32
    loopnest.store %z, %pad[0] : memref<10xf32>
    loopnest.store %z, %pad[9] : memref<10xf32>
    loopnest.for c %c in range(8) {
      %x = loopnest.load %X[%r, %c] : memref<6x8xf32>
      loopnest.store %x, %pad[%c + 1] : memref<10xf32>
    }
    loopnest.for c %c in range(8) {
      %a = loopnest.load %pad[%c] : memref<10xf32>
      %b = loopnest.load %pad[%c + 1] : memref<10xf32>
      %d = loopnest.load %pad[%c + 2] : memref<10xf32>
      %s = arith.addf %a, %b : f32
      %t = arith.addf %s, %d : f32
      loopnest.store %t, %row[%c] : memref<8xf32>
    }
    loopnest.for c %c in range(8) {
      %v = loopnest.load %row[%c] : memref<8xf32>
      %w = loopnest.load %row[7 - %c] : memref<8xf32>
      %u = arith.subf %v, %w : f32
      loopnest.store %u, %Y[%r, %c] : memref<6x8xf32>
    }
    memref.dealloc %pad : memref<10xf32>
  }
  func.return
}
"""

# Upstream style (as in LLVM's own affine tests): affine loops, a stack
# temporary outside the nest, i32 data.
AFFINE_STACK = """
func.func @prefix(%X: memref<16xi32>, %Y: memref<16xi32>) {
  %acc = memref.alloca() : memref<1xi32>
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0 : i32
  affine.store %zero, %acc[%c0] : memref<1xi32>
  affine.for %i = 0 to 16 {
    %x = affine.load %X[%i] : memref<16xi32>
    %a = affine.load %acc[%c0] : memref<1xi32>
    %s = arith.addi %a, %x : i32
    affine.store %s, %acc[%c0] : memref<1xi32>
    affine.store %s, %Y[%i] : memref<16xi32>
  }
  func.return
}
"""


def _ints(rng, shape, dtype=np.float32):
    return rng.integers(-4, 5, shape).astype(dtype)


def _matmul_relu_case():
    rng = np.random.default_rng(1)
    A, B = _ints(rng, (4, 3)), _ints(rng, (3, 5))
    return (A, B, np.zeros((4, 5), np.float32)), 2, np.maximum(A @ B, 0) + 1


def _blur_case():
    X = _ints(np.random.default_rng(2), (6, 8))
    P = np.pad(X, ((0, 0), (1, 1)))
    row = P[:, :-2] + P[:, 1:-1] + P[:, 2:]
    return (X, np.zeros((6, 8), np.float32)), 1, row - row[:, ::-1]


def _prefix_case():
    X = _ints(np.random.default_rng(3), (16,), np.int32)
    return (X, np.zeros(16, np.int32)), 1, np.cumsum(X).astype(np.int32)


CASES = {
    "matmul_relu": (MATMUL_RELU, _matmul_relu_case),
    "blur": (BLUR, _blur_case),
    "prefix": (AFFINE_STACK, _prefix_case),
}


def _copy(arrays):
    return tuple(a.copy() for a in arrays)


@pytest.mark.parametrize("name", sorted(CASES))
def test_local_buffers_jit_interpreter_numpy(name):
    text, case = CASES[name]
    module = xdsl_group.parse(text, f"{name}.mlir")
    arrays, out, expected = case()
    jitted, interpreted = _copy(arrays), _copy(arrays)
    xdsl_group.jit(module, name)(*jitted)
    xdsl_group.interpret(module, name, *interpreted)
    np.testing.assert_array_equal(jitted[out], expected)
    np.testing.assert_array_equal(interpreted[out], expected)
    # Inputs are untouched; stores to local buffers are no argument writes.
    for k, a in enumerate(arrays):
        if k != out:
            np.testing.assert_array_equal(jitted[k], a)
    assert written_arguments(find_function(module, name)) == {out}


@needs_mlir
@pytest.mark.parametrize("name", sorted(CASES))
def test_local_buffers_equal_mlir22_pipeline(name):
    text, case = CASES[name]
    module = xdsl_group.parse(text, f"{name}.mlir")
    # xDSL reads the short form `affine.load %X[%i]` as a symbol map, which
    # MLIR rejects (an induction variable is no symbol); raising and lowering
    # again gives maps over dims.
    affine = xdsl_group.apply(
        module, "raise-affine-to-loopnest{strict=true},convert-loopnest-to-affine"
    )
    lowered = run_tool(MLIR_OPT, f"--pass-pipeline={MLIR_PIPELINE}", stdin=generic(affine))
    assert "llvm.call @malloc" in lowered or "llvm.alloca" in lowered
    ir = run_tool(MLIR_TRANSLATE, "--mlir-to-llvmir", stdin=lowered)
    arrays, out, expected = case()
    theirs, ours = _copy(arrays), _copy(arrays)
    run_llvm_ir(ir, module, name, theirs)
    xdsl_group.jit(module, name)(*ours)
    np.testing.assert_array_equal(theirs[out], expected)
    np.testing.assert_array_equal(ours[out], theirs[out])


@needs_mlir
def test_our_local_buffer_lowering_accepted_by_mlir_translate_22():
    module = xdsl_group.parse(BLUR, "blur.mlir")
    lowered = xdsl_group.apply(module, "convert-loopnest-to-llvm")
    ir = run_tool(MLIR_TRANSLATE, "--mlir-to-llvmir", stdin=str(lowered))
    assert "call ptr @malloc(i64 40)" in ir and "call void @free(" in ir
    arrays, out, expected = _blur_case()
    run_llvm_ir(ir, module, "blur", arrays)
    np.testing.assert_array_equal(arrays[out], expected)


def test_raised_nest_over_local_buffer_runs():
    # raise-affine-to-loopnest keeps the stack temporary; the result still runs.
    module = xdsl_group.parse(AFFINE_STACK, "prefix.mlir")
    raised = xdsl_group.apply(module, "raise-affine-to-loopnest{strict=true}")
    assert any(op.name == "loopnest.for" for op in raised.walk())
    arrays, out, expected = _prefix_case()
    jitted, interpreted = _copy(arrays), _copy(arrays)
    xdsl_group.jit(raised, "prefix")(*jitted)
    xdsl_group.interpret(raised, "prefix", *interpreted)
    np.testing.assert_array_equal(jitted[out], expected)
    np.testing.assert_array_equal(interpreted[out], expected)


READ_BEFORE_WRITE = """
func.func @fresh(%O: memref<3x4xi32>) {
  loopnest.for r %r in range(3) {
    %heap = memref.alloc() : memref<4xi32>
    %stack = memref.alloca() : memref<4xi32>
    loopnest.for c %c in range(4) {
      %h = loopnest.load %heap[%c] : memref<4xi32>
      %s = loopnest.load %stack[%c] : memref<4xi32>
      %v = arith.addi %h, %s : i32
      %one = arith.constant 1 : i32
      %w = arith.addi %v, %one : i32
      loopnest.store %w, %heap[%c] : memref<4xi32>
      loopnest.store %w, %stack[%c] : memref<4xi32>
      %o = loopnest.load %O[%r, %c] : memref<3x4xi32>
      %x = arith.addi %o, %v : i32
      loopnest.store %x, %O[%r, %c] : memref<3x4xi32>
    }
    memref.dealloc %heap : memref<4xi32>
  }
  func.return
}
"""


@pytest.mark.parametrize("backend", ["jit", "interp"])
def test_new_buffers_start_zeroed_every_time(backend):
    # Each execution of an alloc/alloca gives a zero-filled buffer, also when
    # the (hoisted) stack slot held the previous iteration's values.  (LLVM
    # may fold reads of uninitialised memory away, so that the native code
    # clears buffers is checked on the IR, tests/filecheck/lowering/local_buffers.mlir.)
    module = xdsl_group.parse(READ_BEFORE_WRITE, "fresh.mlir")
    O = np.full((3, 4), 7, np.int32)
    if backend == "jit":
        xdsl_group.jit(module, "fresh")(O)
    else:
        xdsl_group.interpret(module, "fresh", O)
    np.testing.assert_array_equal(O, np.full((3, 4), 7, np.int32))


def test_local_buffer_out_of_bounds_is_refused_statically():
    bad = BLUR.replace("%pad[%c + 2]", "%pad[%c + 3]")
    module = xdsl_group.parse(bad, "blur.mlir")
    with pytest.raises(LoopnestError, match=r"%pad\[%c \+ 3\] reads out of bounds: .* size 10"):
        xdsl_group.jit(module, "blur")


HUGE = "576460752303423488"  # elements: 2^61 bytes of f32, more than any malloc gives

FAILING_ALLOC = f"""
func.func @oom(%O: memref<1000xf32>) {{
  %T = memref.alloc() : memref<{HUGE}xf32>
  loopnest.for i %i in range(1000) {{
    %v = loopnest.load %O[%i] : memref<1000xf32>
    loopnest.store %v, %T[%i * 7] : memref<{HUGE}xf32>
  }}
  loopnest.for i %i in range(1000) {{
    %w = loopnest.load %T[6993 - %i * 7] : memref<{HUGE}xf32>
    %two = arith.addf %w, %w : f32
    loopnest.store %two, %O[%i] : memref<1000xf32>
  }}
  memref.dealloc %T : memref<{HUGE}xf32>
  func.return
}}
"""


def test_failed_allocation_raises_memory_error():
    module = xdsl_group.parse(FAILING_ALLOC, "oom.mlir")
    O = np.ones(1000, np.float32)
    with pytest.raises(MemoryError, match="@oom: memref.alloc could not allocate 2305843009213693952 bytes"):
        xdsl_group.jit(module, "oom")(O)
    np.testing.assert_array_equal(O, np.ones(1000, np.float32))
    with pytest.raises(MemoryError, match="memref.alloc: cannot allocate"):
        xdsl_group.interpret(module, "oom", O)
    # The same program with a buffer that fits runs.
    small = xdsl_group.parse(FAILING_ALLOC.replace(HUGE, "7000"), "ok.mlir")
    O = np.arange(1000, dtype=np.float32)
    xdsl_group.jit(small, "oom")(O)
    np.testing.assert_array_equal(O, 2 * np.arange(1000, dtype=np.float32)[::-1])


@pytest.mark.parametrize("backend", ["jit", "interp"])
def test_use_after_free_is_refused_by_both_backends(backend):
    text = MATMUL_RELU.replace(
        "  memref.dealloc %T : memref<4x5xf32>\n  func.return",
        "  func.return",
    ).replace(
        "  loopnest.for i %i in range(4) {\n    loopnest.for j %j in range(5) {\n      %t",
        "  memref.dealloc %T : memref<4x5xf32>\n"
        "  loopnest.for i %i in range(4) {\n    loopnest.for j %j in range(5) {\n      %t",
    )
    assert text != MATMUL_RELU
    module = xdsl_group.parse(text, "uaf.mlir")
    arrays, _, _ = _matmul_relu_case()
    with pytest.raises(LoopnestError, match=r"^uaf.mlir:\d+:3: error: 'memref.dealloc' op: the buffer is used by 'loopnest.load' after it is deallocated"):
        if backend == "jit":
            xdsl_group.jit(module, "matmul_relu")(*arrays)
        else:
            xdsl_group.interpret(module, "matmul_relu", *arrays)
