"""The JIT's code-generation options: `threads` (loops marked `parallel`)
and `fast_math`.

Oracles: the interpreter and the unmarked program's exact JIT (bitwise, for
any thread count), numpy in float64 with the standard error bound of an
f32 dot product (for fast-math), numpy's own integer division (errors).
"""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import xdsl_group
from xdsl_group import parallel_runtime
from xdsl_group.jit import llvm_ir

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def marked(text: str, *loops: str) -> str:
    """`text` with every `loopnest.for L` for L in `loops` marked `parallel`."""
    for name in loops:
        pattern = re.compile(rf"(loopnest\.for {name} %\w+ in range\([^)]*\))( \{{)")
        text, n = pattern.subn(r"\1 parallel\2", text)
        assert n, name
    return text


def conv_inputs(rng: np.random.Generator):
    I = rng.standard_normal((8, 8, 8)).astype(np.float32)
    W = rng.standard_normal((8, 8, 3, 3)).astype(np.float32)
    return I, W


def run(fn, I, W) -> np.ndarray:
    O = np.zeros((8, 6, 6), np.float32)
    fn(O, I, W)
    return O


# (example, loops marked): the outermost loop; a loop inside sequential
# ones (a region per iteration of co, ci); nested marks (only g is
# outlined); a loop whose bounds depend on an outer loop; two nests.
MARKINGS = [
    ("conv2d", ("co",)),
    ("conv2d", ("oh",)),
    ("conv2d", ("co", "ow")),
    ("conv2d_grouped", ("g", "co")),
    ("conv2d_grouped", ("co",)),
    ("conv2d_peeled_grouped", ("co",)),
]


@pytest.mark.parametrize("name,loops", MARKINGS, ids=[f"{n}-{'+'.join(l)}" for n, l in MARKINGS])
def test_threads_are_bitwise_equal_to_one_thread_and_the_interpreter(name, loops):
    text = (EXAMPLES / f"{name}.mlir").read_text()
    plain = xdsl_group.parse(text)
    module = xdsl_group.parse(marked(text, *loops))
    I, W = conv_inputs(np.random.default_rng(1))
    want = np.zeros((8, 6, 6), np.float32)
    xdsl_group.interpret(module, name, want, I, W)
    np.testing.assert_array_equal(run(xdsl_group.jit(plain, name), I, W), want)
    for threads in (1, 2, 3, 8):
        got = run(xdsl_group.jit(module, name, threads=threads), I, W)
        np.testing.assert_array_equal(got, want, err_msg=f"threads={threads}")
    fast_one = run(xdsl_group.jit(module, name, fast_math=True), I, W)
    for threads in (2, 3):
        got = run(xdsl_group.jit(module, name, fast_math=True, threads=threads), I, W)
        np.testing.assert_array_equal(got, fast_one, err_msg=f"fast-math threads={threads}")


def test_only_the_outermost_marked_loop_of_each_nest_is_outlined():
    text = marked((EXAMPLES / "conv2d_peeled_grouped.mlir").read_text(), "g", "co", "oh")
    ir = llvm_ir(xdsl_group.parse(text), noalias=True, parallel=True)
    chunks = sorted(set(re.findall(r'define void @"?(conv2d_peeled_grouped\.parallel\d+)"?\(', ir)))
    # first nest: co (oh inside it); second nest: g (co, oh inside it)
    assert chunks == ["conv2d_peeled_grouped.parallel0", "conv2d_peeled_grouped.parallel1"]
    assert len(re.findall(r"call .*@\"?loopnest_parallel_for", ir)) == 2
    plain = llvm_ir(xdsl_group.parse(text), noalias=True)
    assert "loopnest_parallel_for" not in plain


def test_scalar_and_index_live_ins_reach_the_chunks():
    src = """
    func.func @scale(%A: memref<5x9xf32>, %S: memref<2xf32>, %K: memref<3xi32>) {
      %s = loopnest.load %S[1] : memref<2xf32>
      %k = loopnest.load %K[2] : memref<3xi32>
      loopnest.for i %i in range(5) {
        loopnest.for j %j in range(%i, 9, 2) parallel {
          %v = loopnest.load %A[%i, %j] : memref<5x9xf32>
          %f = arith.sitofp %k : i32 to f32
          %p = arith.mulf %v, %s : f32
          %q = arith.addf %p, %f : f32
          loopnest.store %q, %A[%i, %j] : memref<5x9xf32>
        }
      }
      func.return
    }
    """
    module = xdsl_group.parse(src)
    A0 = np.random.default_rng(2).standard_normal((5, 9)).astype(np.float32)
    S = np.array([0, 1.5], np.float32)
    K = np.array([0, 0, -3], np.int32)
    want = A0.copy()
    for i in range(5):
        for j in range(i, 9, 2):
            want[i, j] = np.float32(want[i, j] * S[1]) + np.float32(-3)
    for threads in (1, 2, 4):
        A = A0.copy()
        xdsl_group.jit(module, "scale", threads=threads)(A, S, K)
        np.testing.assert_array_equal(A, want)


def test_concurrent_calls_with_different_thread_counts():
    module = xdsl_group.parse(marked((EXAMPLES / "conv2d.mlir").read_text(), "co"))
    I, W = conv_inputs(np.random.default_rng(3))
    want = run(xdsl_group.jit(module, "conv2d"), I, W)
    failures: list[str] = []

    def worker(threads: int) -> None:
        fn = xdsl_group.jit(module, "conv2d", threads=threads)
        for _ in range(20):
            if not np.array_equal(run(fn, I, W), want):
                failures.append(f"threads={threads}")

    pool = [threading.Thread(target=worker, args=(t,)) for t in (1, 2, 3, 2)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert failures == []


CHECKED = """
func.func @div(%O: memref<8xi32>, %A: memref<8xi32>, %B: memref<8xi32>) {
  loopnest.for i %i in range(8) parallel {
    %a = loopnest.load %A[%i] : memref<8xi32>
    %b = loopnest.load %B[%i] : memref<8xi32>
    %q = arith.divsi %a, %b : i32
    loopnest.store %q, %O[%i] : memref<8xi32>
  }
  func.return
}
"""


@pytest.mark.parametrize("threads", [1, 2, 4])
def test_errors_raise_the_first_failure_in_program_order_and_change_nothing(threads):
    module = xdsl_group.parse(CHECKED, "div.mlir")
    fn = xdsl_group.jit(module, "div", threads=threads)
    A = np.arange(1, 9, dtype=np.int32) * 7
    B = np.array([1, 2, 3, 4, 5, 6, 7, 8], np.int32)
    O = np.full(8, -5, np.int32)
    fn(O, A, B)
    np.testing.assert_array_equal(O, A // B)  # positive operands: floor == trunc
    # iteration 1 overflows, iteration 6 divides by zero (another chunk when
    # threads > 1): the overflow comes first in program order.
    A[1], B[1], B[6] = np.iinfo(np.int32).min, -1, 0
    for _ in range(5):
        O = np.full(8, -5, np.int32)
        with pytest.raises(OverflowError, match="signed division overflow"):
            fn(O, A, B)
        np.testing.assert_array_equal(O, np.full(8, -5, np.int32))
    B[1] = 1
    O = np.full(8, -5, np.int32)
    with pytest.raises(ZeroDivisionError, match="error: 'arith.divsi' op: division by zero"):
        fn(O, A, B)
    np.testing.assert_array_equal(O, np.full(8, -5, np.int32))


def test_error_flag_accesses_are_atomic_with_parallel_regions():
    ir = llvm_ir(xdsl_group.parse(CHECKED), noalias=True, parallel=True)
    flag = [line.strip() for line in ir.splitlines() if "@\"loopnest_runtime_error\"" in line and "global" not in line]
    assert flag and all(" atomic " in line and "monotonic" in line for line in flag), flag


@pytest.mark.parametrize("threads", [0, -1, 1.5, True, "2"])
def test_bad_thread_counts_are_refused(threads):
    module = xdsl_group.parse((EXAMPLES / "conv2d.mlir").read_text())
    with pytest.raises(ValueError, match="threads must be a positive integer"):
        xdsl_group.jit(module, "conv2d", threads=threads)


def test_split_covers_the_range_in_near_equal_contiguous_parts():
    for n in range(0, 40):
        for parts in range(1, 10):
            ranges = parallel_runtime.split(n, parts)
            assert [i for lo, hi in ranges for i in range(lo, hi)] == list(range(n))
            assert len(ranges) == min(n, parts)
            sizes = [hi - lo for lo, hi in ranges]
            assert not sizes or max(sizes) - min(sizes) <= 1


def test_engines_are_shared_across_thread_counts_not_fast_math():
    module = xdsl_group.parse(marked((EXAMPLES / "conv2d.mlir").read_text(), "co"))
    exact = xdsl_group.jit(module, "conv2d")
    assert xdsl_group.jit(module, "conv2d", threads=2)._compiled is exact._compiled
    fast = xdsl_group.jit(module, "conv2d", fast_math=True)
    assert fast._compiled is not exact._compiled
    assert xdsl_group.jit(module, "conv2d", fast_math=True, threads=4)._compiled is fast._compiled


def _host_has_fma() -> bool:
    import llvmlite.binding as llvm

    features = llvm.get_host_cpu_features()
    return bool(features.get("fma", False))


def test_fast_math_stays_within_the_dot_product_error_bound():
    """|O - O64| <= gamma_n * sum |i * w| elementwise (n terms per output),
    the bound of any order-preserving f32 evaluation with or without FMA;
    with FMA on the host, fast-math results actually differ from exact ones."""
    text = (EXAMPLES / "conv2d.mlir").read_text()
    module = xdsl_group.parse(text)
    rng = np.random.default_rng(4)
    I = (rng.standard_normal((8, 8, 8)) * 10).astype(np.float32)
    W = rng.standard_normal((8, 8, 3, 3)).astype(np.float32)
    I64, W64 = I.astype(np.float64), W.astype(np.float64)
    win = np.lib.stride_tricks.sliding_window_view(I64, (3, 3), axis=(1, 2))
    ref = np.einsum("cxykl,ockl->oxy", win, W64)
    mag = np.einsum("cxykl,ockl->oxy", np.abs(win), np.abs(W64))
    n = 8 * 3 * 3
    u = 2.0**-24
    gamma = n * u / (1 - n * u)
    exact = run(xdsl_group.jit(module, "conv2d"), I, W)
    fast = run(xdsl_group.jit(module, "conv2d", fast_math=True), I, W)
    for got in (exact, fast):
        assert np.all(np.abs(got - ref) <= gamma * mag)
    if _host_has_fma():
        assert not np.array_equal(fast, exact)
        import llvmlite.binding as llvm
        from xdsl_group.jit import _optimize, host_target_machine

        tm = host_target_machine()
        asm = {}
        for fm in (False, True):
            mod = llvm.parse_assembly(llvm_ir(module, noalias=True, fast_math=fm))
            _optimize(mod, tm)
            asm[fm] = tm.emit_assembly(mod)
        assert "vfmadd" in asm[True] and "vfmadd" not in asm[False]


def test_pass_options_spelled_like_mlir():
    text = (EXAMPLES / "conv2d.mlir").read_text()
    module = xdsl_group.parse(marked(text, "co"))
    lowered = str(xdsl_group.apply(module, "convert-loopnest-to-llvm{fast-math=true parallel=true}"))
    assert "#llvm.fastmath<contract>" in lowered and "@loopnest_parallel_for" in lowered
    default = str(xdsl_group.apply(module, "convert-loopnest-to-llvm"))
    assert "fastmath" not in default and "loopnest_parallel_for" not in default


def test_a_failure_inside_the_runtime_is_raised_after_the_call(monkeypatch):
    """The runtime runs under native frames, where an exception cannot
    propagate: it is raised by the JIT once the compiled function returned."""
    module = xdsl_group.parse(marked((EXAMPLES / "conv2d.mlir").read_text(), "co"))
    fn = xdsl_group.jit(module, "conv2d", threads=2)
    I, W = conv_inputs(np.random.default_rng(5))

    def failing(n: int, parts: int):
        raise MemoryError("no memory for the ranges")

    monkeypatch.setattr(parallel_runtime, "split", failing)
    with pytest.raises(MemoryError, match="no memory for the ranges"):
        run(fn, I, W)
    monkeypatch.undo()
    np.testing.assert_array_equal(run(fn, I, W), run(xdsl_group.jit(module, "conv2d"), I, W))


def test_one_thread_runs_regions_in_place_unless_a_call_wants_more(monkeypatch):
    """While no call wants more than one thread, compiled code runs a region
    itself (the runtime is not entered); while one does, every call goes
    through the runtime, a one-thread call still on one thread.  The request
    counter is back to 0 after each call, raising or not."""
    module = xdsl_group.parse(marked((EXAMPLES / "conv2d.mlir").read_text(), "co"))
    I, W = conv_inputs(np.random.default_rng(6))
    want = run(xdsl_group.jit(module, "conv2d"), I, W)
    ranges: list[tuple[int, int]] = []
    split = parallel_runtime.split

    def spy(n: int, parts: int):
        got = split(n, parts)
        ranges.extend(got)
        return got

    monkeypatch.setattr(parallel_runtime, "split", spy)
    one = xdsl_group.jit(module, "conv2d")
    np.testing.assert_array_equal(run(one, I, W), want)
    assert ranges == []  # in place
    np.testing.assert_array_equal(run(xdsl_group.jit(module, "conv2d", threads=2), I, W), want)
    assert ranges == [(0, 4), (4, 8)]
    assert parallel_runtime._requests.value == 0
    ranges.clear()
    with parallel_runtime.running(2):  # as another thread's call would
        assert parallel_runtime._requests.value == 1
        np.testing.assert_array_equal(run(one, I, W), want)
    assert ranges == [(0, 8)]  # through the runtime, on one thread
    assert parallel_runtime._requests.value == 0
    with pytest.raises(KeyError), parallel_runtime.running(3):
        raise KeyError("interrupted")
    assert parallel_runtime._requests.value == 0


def _stress(fn, I, W, want, calls: int) -> list[str]:
    """`calls` calls of `fn` on a thread of their own, with a deadline: a
    lost wake-up in the pool shows as a hang, reported, not waited for."""
    failures: list[str] = []

    def body() -> None:
        for k in range(calls):
            if not np.array_equal(run(fn, I, W), want):
                failures.append(f"call {k}")

    t = threading.Thread(target=body, daemon=True)
    t.start()
    t.join(timeout=120)
    return failures + (["still running after 120 s (a lost wake-up?)"] if t.is_alive() else [])


@pytest.mark.parametrize("spin", [0.0, 2e-6])
def test_the_pool_hands_out_and_collects_ranges_when_threads_sleep(monkeypatch, spin):
    """Without spinning (or with very little), every hand-over goes through
    the pool's condition variables: workers sleep between calls and the
    caller sleeps until the last range is done."""
    monkeypatch.setattr(parallel_runtime, "SPIN_SECONDS", spin)
    module = xdsl_group.parse(marked((EXAMPLES / "conv2d.mlir").read_text(), "co"))
    I, W = conv_inputs(np.random.default_rng(7))
    want = run(xdsl_group.jit(module, "conv2d"), I, W)
    for threads in (2, 3):
        fn = xdsl_group.jit(module, "conv2d", threads=threads)
        assert _stress(fn, I, W, want, 300) == []


def test_idle_workers_sleep():
    """After a call, the workers spin for about `SPIN_SECONDS` at most and
    then sleep: an idle process takes (almost) no CPU time."""
    module = xdsl_group.parse(marked((EXAMPLES / "conv2d.mlir").read_text(), "co"))
    I, W = conv_inputs(np.random.default_rng(8))
    run(xdsl_group.jit(module, "conv2d", threads=2), I, W)
    time.sleep(0.05 + 2 * parallel_runtime.SPIN_SECONDS)
    cpu, wall = time.process_time(), time.perf_counter()
    time.sleep(0.3)
    assert time.process_time() - cpu < 0.1 * (time.perf_counter() - wall)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_runs_parallel_regions_on_a_pool_of_its_own():
    module = xdsl_group.parse(marked((EXAMPLES / "conv2d.mlir").read_text(), "co"))
    I, W = conv_inputs(np.random.default_rng(9))
    want = run(xdsl_group.jit(module, "conv2d"), I, W)
    fn = xdsl_group.jit(module, "conv2d", threads=2)
    assert np.array_equal(run(fn, I, W), want)  # the parent's workers exist
    pid = os.fork()
    if pid == 0:  # the child: report through the exit status only
        ok = not _stress(fn, I, W, want, 20)
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_the_spin_setting_is_read_leniently():
    default = parallel_runtime.DEFAULT_SPIN_SECONDS
    assert parallel_runtime.spin_seconds(None) == default
    assert parallel_runtime.spin_seconds(" ") == default
    assert parallel_runtime.spin_seconds("250") == pytest.approx(250e-6)
    assert parallel_runtime.spin_seconds("0") == 0.0
    assert parallel_runtime.spin_seconds("-5") == 0.0
    for bad in ("fast", "nan", "inf"):
        with pytest.warns(UserWarning, match="XDSL_GROUP_SPIN_US"):
            assert parallel_runtime.spin_seconds(bad) == default


def test_when_no_worker_can_start_the_caller_runs_every_range(monkeypatch):
    module = xdsl_group.parse(marked((EXAMPLES / "conv2d.mlir").read_text(), "co"))
    I, W = conv_inputs(np.random.default_rng(10))
    want = run(xdsl_group.jit(module, "conv2d"), I, W)
    fn = xdsl_group.jit(module, "conv2d", threads=2)
    run(fn, I, W)  # the dispatch is compiled
    fresh = parallel_runtime._Pools()
    fresh._native = parallel_runtime._pools._native
    monkeypatch.setattr(parallel_runtime, "_pools", fresh)  # a pool without workers

    def refuse(self):
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    np.testing.assert_array_equal(run(fn, I, W), want)
    assert fresh._idle and fresh._idle[0].workers == []
