"""Run-time safety of `interpret` and `jit` (issue classes 3, 4 and 5).

- Native crashes from data: integer division by zero or overflowing, and
  accesses the static bounds proof does not cover, raise the same error with
  the same message in both backends instead of killing the process.
- Aliased arguments: a written argument overlapping another is refused with
  the same `ValueError` in both; read-only arguments may overlap.
- Partial effects: everything is validated before running, and a run-time
  error leaves every argument unchanged.

Oracles are numpy (its own integer division and wrapping arithmetic), not
the interpreter.
"""

from __future__ import annotations

import numpy as np
import pytest

import xdsl_group
from xdsl_group import api
from xdsl_group.api import written_arguments, find_function


def both_backends(module, name):
    """The two ways to run `@name`: interpreter and JIT."""
    native = xdsl_group.jit(module, name)
    return {
        "interp": lambda *a: xdsl_group.interpret(module, name, *a),
        "jit": native,
    }


def raised(run, arrays, exc):
    """Run, expecting `exc`; returns its message and checks that no argument changed."""
    before = [a.copy() for a in arrays]
    with pytest.raises(exc) as info:
        run(*arrays)
    for a, b in zip(arrays, before):
        np.testing.assert_array_equal(a, b)
    return str(info.value)


# ---------------------------------------------------------------------------
# Class 3: native crashes from data



def at(file: str, text: str, op_name: str) -> str:
    """`file:line:col: ` of the first op named `op_name` in `text` (parsed
    ops are located at their name)."""
    for line_no, line in enumerate(text.splitlines(), 1):
        col = line.find(op_name + " ")
        if col >= 0:
            return f"{file}:{line_no}:{col + 1}: "
    raise AssertionError(f"no {op_name} in the text")

DIVIDE = """
func.func @div(%O: memref<6x{t}>, %A: memref<6x{t}>, %B: memref<6x{t}>) {{
  loopnest.for i %i in range(6) {{
    %a = loopnest.load %A[%i] : memref<6x{t}>
    %b = loopnest.load %B[%i] : memref<6x{t}>
    %q = arith.{op} %a, %b : {t}
    loopnest.store %q, %O[%i] : memref<6x{t}>
  }}
  func.return
}}
"""

DIVISIONS = ["divsi", "divui", "remsi", "remui", "floordivsi", "ceildivsi", "ceildivui"]


def numpy_division(op: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The reference: numpy's integer division (floor) and fmod (truncating)."""
    if op.endswith("ui"):
        u = a.dtype.str.replace("i", "u")
        ua, ub = a.view(u), b.view(u)
        if op == "divui":
            r = ua // ub
        elif op == "remui":
            r = ua % ub
        else:
            r = ua // ub + (ua % ub != 0)
        return r.astype(u).view(a.dtype)
    with np.errstate(over="ignore"):
        rem = np.fmod(a, b)
        trunc = (a - rem) // b
        if op == "divsi":
            return trunc
        if op == "remsi":
            return rem
        if op == "floordivsi":
            return np.floor_divide(a, b)
        return np.floor_divide(a, b) + (np.mod(a, b) != 0)


@pytest.mark.parametrize("t", ["i32", "i64"])
@pytest.mark.parametrize("op", DIVISIONS)
def test_native_crashes_from_data_division_by_zero(op, t):
    module = xdsl_group.parse(DIVIDE.format(op=op, t=t), "div.mlir")
    dtype = np.int32 if t == "i32" else np.int64
    A = np.array([7, -7, 9, -9, 100, 5], dtype)
    B = np.array([2, 2, -4, -4, 7, 3], dtype)
    messages = []
    for run in both_backends(module, "div").values():
        O = np.zeros(6, dtype)
        run(O, A, B)
        np.testing.assert_array_equal(O, numpy_division(op, A, B))
        B0 = B.copy()
        B0[4] = 0  # after four stores: none of them may stay
        O = np.full(6, 3, dtype)
        messages.append(raised(run, [O, A, B0], ZeroDivisionError))
    text = DIVIDE.format(op=op, t=t)
    assert messages[0] == messages[1] == (
        at("div.mlir", text, f"arith.{op}") + f"error: 'arith.{op}' op: division by zero"
    )


@pytest.mark.parametrize("t", ["i32", "i64"])
@pytest.mark.parametrize("op", ["divsi", "floordivsi", "ceildivsi"])
def test_native_crashes_from_data_signed_division_overflow(op, t):
    module = xdsl_group.parse(DIVIDE.format(op=op, t=t), "div.mlir")
    dtype = np.int32 if t == "i32" else np.int64
    low = np.iinfo(dtype).min
    A = np.array([1, 2, 3, low, 5, 6], dtype)
    B = np.array([1, 1, 1, -1, 1, 1], dtype)
    messages = [
        raised(run, [np.zeros(6, dtype), A, B], OverflowError)
        for run in both_backends(module, "div").values()
    ]
    assert messages[0] == messages[1] == (
        at("div.mlir", DIVIDE.format(op=op, t=t), f"arith.{op}")
        + f"error: 'arith.{op}' op: signed division overflow: "
        f"the minimum {t} value divided by -1"
    )
    # The minimum by other divisors, and others by -1, are fine.
    A = np.array([low, low, low + 1, -5, low, 7], dtype)
    B = np.array([1, 2, -1, -1, low, -1], dtype)
    for run in both_backends(module, "div").values():
        O = np.zeros(6, dtype)
        run(O, A, B)
        np.testing.assert_array_equal(O, numpy_division(op, A, B))


@pytest.mark.parametrize("t", ["i32", "i64"])
def test_native_crashes_from_data_remainder_of_minimum_by_minus_one_is_zero(t):
    module = xdsl_group.parse(DIVIDE.format(op="remsi", t=t), "div.mlir")
    dtype = np.int32 if t == "i32" else np.int64
    low = np.iinfo(dtype).min
    A = np.array([low, low, 7, -7, low, 3], dtype)
    B = np.array([-1, 1, -1, -1, 3, -2], dtype)
    for run in both_backends(module, "div").values():
        O = np.full(6, 9, dtype)
        run(O, A, B)
        np.testing.assert_array_equal(O, np.fmod(A, B))
        assert O[0] == 0


GATHER = """
func.func @gather(%O: memref<5xf32>, %A: memref<3x4xf32>, %I: memref<5xi64>, %J: memref<5xi64>) {
  loopnest.for k %k in range(5) {
    %i64 = loopnest.load %I[%k] : memref<5xi64>
    %j64 = loopnest.load %J[%k] : memref<5xi64>
    %i = arith.index_cast %i64 : i64 to index
    %j = arith.index_cast %j64 : i64 to index
    %v = memref.load %A[%i, %j] : memref<3x4xf32>
    loopnest.store %v, %O[%k] : memref<5xf32>
  }
  func.return
}
"""


def test_native_crashes_from_data_computed_memref_indices_are_checked():
    module = xdsl_group.parse(GATHER, "gather.mlir")
    A = np.arange(12, dtype=np.float32).reshape(3, 4)
    I = np.array([0, 2, 1, 2, 0])
    J = np.array([3, 0, 1, 3, 0])
    runs = both_backends(module, "gather")
    for run in runs.values():
        O = np.zeros(5, np.float32)
        run(O, A, I, J)
        np.testing.assert_array_equal(O, A[I, J])
    for bad_i, bad_j, dim in [(3, 0, 0), (-1, 0, 0), (0, 4, 1), (1, -5, 1), (2**40, 0, 0)]:
        I2, J2 = I.copy(), J.copy()
        I2[3], J2[3] = bad_i, bad_j
        messages = [
            raised(run, [np.ones(5, np.float32), A, I2, J2], IndexError)
            for run in runs.values()
        ]
        assert messages[0] == messages[1] == (
            at("gather.mlir", GATHER, "memref.load")
            + f"error: 'memref.load' op: index of dimension {dim} of %A "
            f"(memref<3x4xf32>) is out of bounds [0, {(3, 4)[dim]})"
        )


SCATTER_AFFINE = """
func.func @scatter(%O: memref<4x4xi32>, %I: memref<4xi64>) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c1 = arith.constant 1 : index
  scf.for %k = %c0 to %c4 step %c1 {
    %i64 = memref.load %I[%k] : memref<4xi64>
    %i = arith.index_cast %i64 : i64 to index
    %v = arith.index_cast %k : index to i32
    affine.store %v, %O[%i * 2 - 1, %k] : memref<4x4xi32>
  }
  func.return
}
"""


def test_native_crashes_from_data_affine_store_outside_loopnest_is_checked():
    """No `loopnest` op at all: an `affine.store` with an index computed from
    data, in an `scf.for`; the JIT's message names `affine.store` like the
    interpreter's, although it was lowered to `memref.store`."""
    module = xdsl_group.parse(SCATTER_AFFINE, "scatter.mlir")
    runs = both_backends(module, "scatter")
    I = np.array([1, 2, 1, 2])
    for run in runs.values():
        O = np.zeros((4, 4), np.int32)
        run(O, I)
        expected = np.zeros((4, 4), np.int32)
        expected[I * 2 - 1, np.arange(4)] = np.arange(4)
        np.testing.assert_array_equal(O, expected)
    messages = [
        raised(run, [np.zeros((4, 4), np.int32), np.array([1, 2, 0, 1])], IndexError)
        for run in runs.values()
    ]
    assert messages[0] == messages[1] == (
        at("scatter.mlir", SCATTER_AFFINE, "affine.store")
        + "error: 'affine.store' op: index of dimension 0 of %O "
        "(memref<4x4xi32>) is out of bounds [0, 4)"
    )


def test_native_crashes_from_data_division_only_traps_when_it_runs():
    """A loop-invariant division by zero in a loop that runs no iteration
    must not fail: the optimiser may not hoist the division above its guard
    (it would trap on x86, killing the process)."""
    text = """
func.func @inv(%O: memref<2x2xi32>, %N: memref<2xi32>, %D: memref<2xi32>) {
  loopnest.for i %i in range(2) {
    %n = loopnest.load %N[%i] : memref<2xi32>
    %d = loopnest.load %D[%i] : memref<2xi32>
    loopnest.for j %j in range(%i * 2, 2) {
      %q = arith.divsi %n, %d : i32
      %r = arith.remui %n, %d : i32
      %s = arith.addi %q, %r : i32
      loopnest.store %s, %O[%i, %j] : memref<2x2xi32>
    }
  }
  func.return
}
"""
    module = xdsl_group.parse(text)
    N = np.array([-9, np.iinfo(np.int32).min], np.int32)
    for run in both_backends(module, "inv").values():
        for D in ([2, 0], [2, -1]):
            O = np.zeros((2, 2), np.int32)
            run(O, N, np.array(D, np.int32))
            np.testing.assert_array_equal(O, [[-4 + 1, -4 + 1], [0, 0]])
        raised(run, [np.zeros((2, 2), np.int32), N, np.array([0, 1], np.int32)], ZeroDivisionError)


def test_native_crashes_from_data_proven_code_has_no_checks():
    """What the proof covers and constant divisors carry no run-time check."""
    text = """
func.func @f(%O: memref<8xi32>, %A: memref<8xi32>) {
  %c = arith.constant 3 : i32
  loopnest.for i %i in range(8) {
    %a = loopnest.load %A[(%i * 5) mod 8] : memref<8xi32>
    %q = arith.divsi %a, %c : i32
    %r = arith.remui %a, %c : i32
    %s = arith.addi %q, %r : i32
    loopnest.store %s, %O[%i floordiv 2 + %i mod 2] : memref<8xi32>
  }
  func.return
}
"""
    module = xdsl_group.parse(text)
    assert xdsl_group.jit(module, "f").runtime_checks == []
    gather = xdsl_group.jit(xdsl_group.parse(GATHER), "gather")
    assert [kind for kind, _ in gather.runtime_checks] == ["IndexError", "IndexError"]


def test_native_crashes_from_data_integer_overflow_wraps_in_both():
    """`addi`/`subi`/`muli` wrap (two's complement) in both backends, even
    with the program's `nsw` flags (dropped: they would make poison)."""
    text = """
func.func @wrap(%O: memref<3x4xi32>, %A: memref<4xi32>, %B: memref<4xi32>) {
  loopnest.for i %i in range(4) {
    %a = loopnest.load %A[%i] : memref<4xi32>
    %b = loopnest.load %B[%i] : memref<4xi32>
    %s = arith.addi %a, %b overflow<nsw> : i32
    %d = arith.subi %a, %b overflow<nsw, nuw> : i32
    %m = arith.muli %a, %b overflow<nsw> : i32
    loopnest.store %s, %O[0, %i] : memref<3x4xi32>
    loopnest.store %d, %O[1, %i] : memref<3x4xi32>
    loopnest.store %m, %O[2, %i] : memref<3x4xi32>
  }
  func.return
}
"""
    module = xdsl_group.parse(text)
    top = np.iinfo(np.int32).max
    A = np.array([top, -top - 1, 123456789, -7], np.int32)
    B = np.array([1, 1, 1000, top], np.int32)
    with np.errstate(over="ignore"):
        expected = np.stack([A + B, A - B, A * B])
    for run in both_backends(module, "wrap").values():
        O = np.zeros((3, 4), np.int32)
        run(O, A, B)
        np.testing.assert_array_equal(O, expected)


def test_native_crashes_from_data_shift_amounts_out_of_range_agree():
    """Shifting by at least the bit width (or by a negative amount, read as
    unsigned) shifts every bit out in both backends: 0, or the sign."""
    text = """
func.func @shifts(%O: memref<3x6xi32>, %A: memref<6xi32>, %S: memref<6xi32>) {
  loopnest.for i %i in range(6) {
    %a = loopnest.load %A[%i] : memref<6xi32>
    %s = loopnest.load %S[%i] : memref<6xi32>
    %l = arith.shli %a, %s : i32
    %r = arith.shrsi %a, %s : i32
    %u = arith.shrui %a, %s : i32
    loopnest.store %l, %O[0, %i] : memref<3x6xi32>
    loopnest.store %r, %O[1, %i] : memref<3x6xi32>
    loopnest.store %u, %O[2, %i] : memref<3x6xi32>
  }
  func.return
}
"""
    module = xdsl_group.parse(text)
    A = np.array([-5, 5, -5, 5, -1, 3], np.int32)
    S = np.array([1, 31, 32, 40, -1, 2**31 - 1], np.int32)
    ua = A.view(np.uint32).astype(np.uint64)
    ok = (S >= 0) & (S < 32)
    s = np.where(ok, S, 0).astype(np.uint64)
    expected = np.stack([
        np.where(ok, (ua << s) & 0xFFFFFFFF, 0).astype(np.uint32).view(np.int32),
        np.where(ok, A >> np.where(ok, S, 0), np.where(A < 0, -1, 0)).astype(np.int32),
        np.where(ok, ua >> s, 0).astype(np.uint32).view(np.int32),
    ])
    for run in both_backends(module, "shifts").values():
        O = np.zeros((3, 6), np.int32)
        run(O, A, S)
        np.testing.assert_array_equal(O, expected)


def test_native_crashes_from_data_non_ascii_function_name_runs_under_the_jit():
    text = """
func.func @"échelle_×2"(%A: memref<4xf32>) {
  loopnest.for i %i in range(4) {
    %a = loopnest.load %A[%i] : memref<4xf32>
    %s = arith.addf %a, %a : f32
    loopnest.store %s, %A[%i] : memref<4xf32>
  }
  func.return
}
"""
    module = xdsl_group.parse(text)
    A = np.arange(4, dtype=np.float32)
    xdsl_group.jit(module, "échelle_×2")(A)
    np.testing.assert_array_equal(A, 2 * np.arange(4))


# ---------------------------------------------------------------------------
# Class 4: aliased arguments

SHIFT = """
func.func @shift(%B: memref<8xf32>, %A: memref<8xf32>) {
  loopnest.for i %i in range(7) {
    %a = loopnest.load %A[%i] : memref<8xf32>
    %one = arith.constant 1.0 : f32
    %s = arith.addf %a, %one : f32
    loopnest.store %s, %B[%i + 1] : memref<8xf32>
  }
  func.return
}
"""

ADD = """
func.func @add(%O: memref<8xf32>, %A: memref<8xf32>, %B: memref<8xf32>) {
  loopnest.for i %i in range(8) {
    %a = loopnest.load %A[%i] : memref<8xf32>
    %b = loopnest.load %B[%i] : memref<8xf32>
    %s = arith.addf %a, %b : f32
    loopnest.store %s, %O[%i] : memref<8xf32>
  }
  func.return
}
"""


def test_aliased_arguments_written_overlap_is_refused_in_both():
    module = xdsl_group.parse(SHIFT, "shift.mlir")
    runs = both_backends(module, "shift")
    X = np.arange(8, dtype=np.float32)
    big = np.arange(16, dtype=np.float32)
    cases = [
        ([X, X], "overlap"),
        ([big[:8], big[4:12]], "overlap"),  # partial overlap
        ([big[::2], big[6:14]], "overlap"),  # a strided view meeting a slice
    ]
    for arrays, how in cases:
        messages = [raised(run, arrays, ValueError) for run in runs.values()]
        assert messages[0] == messages[1] == (
            f"@shift arguments #0 (%B) and #1 (%A) {how} and #0 (%B) is written "
            "by the function; written arguments must not share memory with any "
            "other argument"
        )
    # Interleaved views share a buffer but no element: accepted, and right.
    for run in runs.values():
        big = np.arange(16, dtype=np.float32)
        run(big[::2], big[1::2])
        expected = np.arange(16, dtype=np.float32)
        expected[2::2] = np.arange(1, 15, 2) + 1
        np.testing.assert_array_equal(big, expected)


def test_aliased_arguments_read_only_arguments_may_overlap():
    module = xdsl_group.parse(ADD)
    for run in both_backends(module, "add").values():
        A = np.arange(10, dtype=np.float32)
        O = np.zeros(8, np.float32)
        run(O, A[:8], A[2:])
        np.testing.assert_array_equal(O, np.arange(8) + np.arange(2, 10))
        run(O, A[:8], A[:8])
        np.testing.assert_array_equal(O, 2 * np.arange(8))


INCREMENT = """
func.func @inc(%O: memref<4x2xf32>, %A: memref<4x2xf32>) {
  loopnest.for i %i in range(4) {
    loopnest.for j %j in range(2) {
      %a = loopnest.load %A[%i, %j] : memref<4x2xf32>
      %one = arith.constant 1.0 : f32
      %s = arith.addf %a, %one : f32
      loopnest.store %s, %O[%i, %j] : memref<4x2xf32>
    }
  }
  func.return
}
"""


def test_aliased_arguments_undecidable_overlap_is_refused(monkeypatch):
    """Views of one buffer with strides (2, 3) and (7, 7) elements (offset 1)
    are disjoint, which numpy proves with enough work; with too little it
    cannot decide, and the call is refused ("may overlap")."""
    module = xdsl_group.parse(INCREMENT)

    def views():
        base = np.arange(64, dtype=np.float32)
        item = base.itemsize
        O = np.lib.stride_tricks.as_strided(base, (4, 2), (2 * item, 3 * item))
        A = np.lib.stride_tricks.as_strided(base[1:], (4, 2), (7 * item, 7 * item))
        return base, O, A

    for run in both_backends(module, "inc").values():
        base, O, A = views()
        expected = A + 1
        run(O, A)
        np.testing.assert_array_equal(O, expected)
    monkeypatch.setattr(api, "_OVERLAP_WORK", 1)
    for run in both_backends(module, "inc").values():
        base, O, A = views()
        message = raised(run, [O, A], ValueError)
        assert message.startswith("@inc arguments #0 (%O) and #1 (%A) may overlap and #0 (%O) is written")


def test_aliased_arguments_written_analysis_is_sound():
    """Stores through a called function, through a view, and a memref that
    escapes (returned) all count as writes; loads do not."""
    text = """
func.func @set(%M: memref<4xf32>, %v: f32) {
  %c0 = arith.constant 0 : index
  memref.store %v, %M[%c0] : memref<4xf32>
  func.return
}
func.func @get(%M: memref<4xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %v = memref.load %M[%c0] : memref<4xf32>
  func.return %v : f32
}
func.func @via_call(%W: memref<4xf32>, %R: memref<4xf32>) {
  %v = func.call @get(%R) : (memref<4xf32>) -> f32
  func.call @set(%W, %v) : (memref<4xf32>, f32) -> ()
  func.return
}
func.func @via_view(%W: memref<4xf32>, %R: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %v = memref.load %R[%c0] : memref<4xf32>
  %s = memref.subview %W[1] [2] [1] : memref<4xf32> to memref<2xf32, strided<[1], offset: 1>>
  memref.store %v, %s[%c0] : memref<2xf32, strided<[1], offset: 1>>
  func.return
}
func.func @escapes(%W: memref<4xf32>, %R: memref<4xf32>) -> memref<4xf32> {
  %c0 = arith.constant 0 : index
  %v = memref.load %R[%c0] : memref<4xf32>
  func.return %W : memref<4xf32>
}
func.func @recursive(%W: memref<4xf32>, %R: memref<4xf32>) {
  %v = arith.constant 1.0 : f32
  func.call @recursive(%R, %W) : (memref<4xf32>, memref<4xf32>) -> ()
  func.call @set(%W, %v) : (memref<4xf32>, f32) -> ()
  func.return
}
"""
    module = xdsl_group.parse(text)
    written = {name: written_arguments(find_function(module, name)) for name in
               ("set", "get", "via_call", "via_view", "escapes", "recursive")}
    # @recursive swaps its arguments, so both may be written.
    assert written == {
        "set": {0}, "get": set(), "via_call": {0}, "via_view": {0},
        "escapes": {0}, "recursive": {0, 1},
    }
    # The interpreter (which runs calls) refuses R aliasing the written W.
    X = np.zeros(4, np.float32)
    with pytest.raises(ValueError, match=r"#0 \(%W\) and #1 \(%R\) overlap"):
        xdsl_group.interpret(module, "via_call", X, X)
    R = np.full(4, 5, np.float32)
    R.flags.writeable = False
    W = np.zeros(4, np.float32)
    xdsl_group.interpret(module, "via_call", W, R)
    np.testing.assert_array_equal(W, [5, 0, 0, 0])


# ---------------------------------------------------------------------------
# Class 5: partial effects


def test_partial_effects_read_only_input_is_fine_in_both():
    module = xdsl_group.parse(ADD)
    A = np.arange(8, dtype=np.float32)
    A.flags.writeable = False
    for run in both_backends(module, "add").values():
        O = np.zeros(8, np.float32)
        run(O, A, A)
        np.testing.assert_array_equal(O, 2 * np.arange(8))


def test_partial_effects_everything_is_validated_before_running():
    module = xdsl_group.parse(ADD)
    A = np.arange(8, dtype=np.float32)
    for run in both_backends(module, "add").values():
        O = np.zeros(8, np.float32)
        O.flags.writeable = False
        message = raised(run, [O, A, A], ValueError)
        assert message == "@add argument #0 (%O) is written but read-only"
        O = np.full(8, 7, np.float32)
        raised(run, [O, A, A.astype(np.float64)], ValueError)  # last argument bad
        raised(run, [O, A, A[:4]], ValueError)


def test_partial_effects_run_time_error_leaves_arguments_unchanged():
    """Stores happen before the failing iteration; none survive, in either
    backend, also for a non-contiguous output (copied in and out)."""
    module = xdsl_group.parse(DIVIDE.format(op="divsi", t="i64"))
    A = np.arange(1, 7, dtype=np.int64)
    B = np.array([1, 1, 1, 1, 1, 0], np.int64)
    for run in both_backends(module, "div").values():
        big = np.full(12, 4, np.int64)
        raised(run, [big[::2], A, B], ZeroDivisionError)
        assert (big == 4).all()
