"""Benchmark: ResNet-style 3x3 convolutions, dense and grouped, JIT-compiled.

64 -> 64 channels, 56x56 input, 3x3 kernel, no padding (valid convolution,
so the output is 54x54: 2*64*64*54*54*9 = 215 MFLOP dense), fp32, one
thread.  Reports time and GFLOP/s of the JIT-compiled loop nests (dense in
the seed's loop order and in the best of several orders, grouped G in
{2, 4, 8, 16, 32, 64}, the seed's Example 2), beside numpy and, if
installed, PyTorch `conv2d(groups=G)`; checks the floors; writes the table
to docs/benchmarks.md.

Every loop-nest variant is produced by the project's passes from one dense
convolution in the seed's loop order: `interchange-loops{order=...}` for the
loop orders, `group-loops{loops=co,ci groups=G}` for grouping and
`peel-loops{loop=co count=U}` before it for Example 2.  A variant the passes
refuse is reported as such, not written by hand.

The second part times the auto-scheduled nests (`auto-schedule` applied to
the seed-order conv, grouped with `group-loops{... compact=true}` first, so
the weights have PyTorch's layout), exact and with `fast_math=True`, on 1
and 2 threads, interleaved with PyTorch `conv2d(groups=G)` at 1 and 2
threads (`torch.set_num_threads`), for G in {1, 2, 4, 8, 16, 32, 64} on the
64->64 56x56 layer and the dense conv of the ResNet stages 128x28x28,
256x14x14 and 512x7x7; it checks the floors of the schedule issue.
`--schedule PIPELINE` replaces `auto-schedule` by a pipeline of your own
(applied after the grouping), to study a schedule.

    python bench/conv_bench.py [--quick] [--no-write] [--schedules-only] [--schedule PIPELINE]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
# PyTorch's OpenMP workers would otherwise spin after each call and take a
# core from the calls interleaved with it (ours on 2 threads included).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import xdsl_group  # noqa: E402
from xdsl_group import reference  # noqa: E402
from xdsl_group.errors import LoopnestError  # noqa: E402

CO = CI = 64
H = W = 56
K = 3
OH, OW = H - K + 1, W - K + 1
DENSE_FLOP = 2 * CO * CI * OH * OW * K * K
GROUPS = (2, 4, 8, 16, 32, 64)
PEEL, PEEL_GROUPS = 16, 4  # Example 2: 16 dense output channels, 48 grouped 4 ways

SEED_ORDER = ("co", "ci", "oh", "ow", "kh", "kw")


def dense_seed_conv(co: int = CO, ci: int = CI, h: int = H, w: int = W) -> str:
    """The seed's dense convolution (valid, 3x3) at the given sizes (the
    benchmark's by default), in its loop order."""
    oh, ow = h - K + 1, w - K + 1
    o_t = f"memref<{co}x{oh}x{ow}xf32>"
    i_t = f"memref<{ci}x{h}x{w}xf32>"
    w_t = f"memref<{co}x{ci}x{K}x{K}xf32>"
    trips = {"co": co, "ci": ci, "oh": oh, "ow": ow, "kh": K, "kw": K}
    lines = [f"  func.func @conv(%O: {o_t}, %I: {i_t}, %W: {w_t}) {{"]
    for depth, name in enumerate(SEED_ORDER):
        lines.append("  " * (depth + 2) + f"loopnest.for {name} %{name} in range({trips[name]}) {{")
    pad = "  " * (len(SEED_ORDER) + 2)
    lines += [
        pad + f"%o = loopnest.load %O[%co, %oh, %ow] : {o_t}",
        pad + f"%i = loopnest.load %I[%ci, %oh + %kh, %ow + %kw] : {i_t}",
        pad + f"%w = loopnest.load %W[%co, %ci, %kh, %kw] : {w_t}",
        pad + "%p = arith.mulf %i, %w : f32",
        pad + "%s = arith.addf %o, %p : f32",
        pad + f"loopnest.store %s, %O[%co, %oh, %ow] : {o_t}",
    ]
    lines += ["  " * (depth + 2) + "}" for depth in reversed(range(len(SEED_ORDER)))]
    return "\n".join(["builtin.module {", *lines, "    func.return", "  }", "}"])


def variant_pipeline(order, groups: int = 1, peel: int = 0) -> str:
    """The pass pipeline that turns the dense seed-order conv into a variant.

    Example 2 peels and groups in the seed order, then permutes both nests
    (the peeled loop is `co_peel`): peeling `co` after moving `ci` outside it
    would leave the peeled channels inside the grouped `ci` loop.
    """
    steps = []
    if peel:
        steps += [f"peel-loops{{loop=co count={peel}}}", f"group-loops{{loops=co,ci groups={groups}}}"]
        if tuple(order) != SEED_ORDER:
            steps.append(f"interchange-loops{{order={','.join(order)}}}")
            peeled = ["co_peel" if n == "co" else n for n in order]
            steps.append(f"interchange-loops{{order={','.join(peeled)}}}")
        return ",".join(steps)
    if tuple(order) != SEED_ORDER:
        steps.append(f"interchange-loops{{order={','.join(order)}}}")
    if groups > 1:
        steps.append(f"group-loops{{loops=co,ci groups={groups}}}")
    return ",".join(steps)


# Candidate orders for the dense convolution (the best one is reported).
ORDERS = [
    SEED_ORDER,
    ("co", "ci", "kh", "oh", "ow", "kw"),
    ("co", "ci", "oh", "kh", "ow", "kw"),
    ("ci", "co", "oh", "ow", "kh", "kw"),
    ("co", "ci", "oh", "ow", "kw", "kh"),
    ("co", "ci", "kh", "kw", "oh", "ow"),
    ("ci", "co", "kh", "kw", "oh", "ow"),
    ("co", "oh", "ow", "ci", "kh", "kw"),
]


NOTES = """
What limits the loop nests (and what does not):

- LLVM vectorises along `ow` (8 floats per AVX2 register, 16 with AVX-512
  on Zen 4); there is no
  register blocking over `co` or `oh`, so each multiply-add loads and stores
  its output element. PyTorch's
  dense convolution (an im2col/GEMM-style kernel) keeps accumulators in
  registers and reuses each loaded input many times.
- No fast-math: every f32 product and sum is rounded in the program's order
  and none is fused into an FMA, so the native results are exactly those of
  the program's f32 operations (half the peak FLOP rate of FMA code).
- Grouping divides the work by G; how much of their speed per multiply-add
  the nests and PyTorch's kernels keep is in the table. PyTorch's grouped
  kernels lose most from G=8 on (its G=32 kernel is slower than its G=16
  and G=64 ones on both machines measured so far), which is where the
  compiled nests win.
- The machine is a shared 2-core virtual machine: repeated runs vary by
  10-30 %. The floors are measured with interleaved calls so that both sides
  of each ratio see the same load.
"""


def timeit(fn, min_time: float = 0.3, min_reps: int = 5) -> float:
    """Median seconds per call (after one warm-up call)."""
    fn()
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < min_reps or time.perf_counter() - start < min_time:
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
        if len(times) >= 200:
            break
    return statistics.median(times)


def paired(fa, fb, rounds: int = 31) -> tuple[float, float]:
    """Median seconds of `fa` and `fb`, calls interleaved so that load changes
    on a shared machine hit both alike (used for the floor ratios)."""
    fa(), fb()
    ta: list[float] = []
    tb: list[float] = []
    for _ in range(rounds):
        t = time.perf_counter()
        fa()
        ta.append(time.perf_counter() - t)
        t = time.perf_counter()
        fb()
        tb.append(time.perf_counter() - t)
    return statistics.median(ta), statistics.median(tb)


def numpy_conv(I, Wt, groups: int = 1):
    windows = np.lib.stride_tricks.sliding_window_view(I, (K, K), axis=(1, 2))
    cig, cog = CI // groups, CO // groups
    out = np.empty((CO, OH, OW), np.float32)
    for g in range(groups):
        win = windows[g * cig : (g + 1) * cig]  # ci, oh, ow, kh, kw
        wg = Wt[g * cog : (g + 1) * cog]  # co, ci/G, kh, kw (compact)
        out[g * cog : (g + 1) * cog] = np.tensordot(wg, win, axes=([1, 2, 3], [0, 3, 4]))
    return out


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import llvmlite
    import llvmlite.binding as llvm

    host = llvm.get_host_cpu_name()
    llvm_version = ".".join(map(str, llvm.llvm_version_info))
    return (
        f"{model} (LLVM host CPU: {host}), {os.cpu_count()} cores, {platform.system()} "
        f"{platform.machine()}, Python {platform.python_version()}, numpy {np.__version__}, "
        f"llvmlite {llvmlite.__version__} (LLVM {llvm_version})"
    )


def orders_part(args) -> tuple[str, bool]:
    """Loop orders, grouping and Example 2 from the seed order, 1 thread
    (the first issue's benchmark); its markdown section and floors."""
    rng = np.random.default_rng(0)
    I = rng.standard_normal((CI, H, W)).astype(np.float32)
    Wt = rng.standard_normal((CO, CI, K, K)).astype(np.float32)
    rows: list[tuple[str, float, float]] = []  # (name, seconds, flop)
    calls: dict[str, object] = {}  # label -> zero-argument call, for the paired floors

    dense = xdsl_group.parse(dense_seed_conv(), "conv.mlir")
    refused: list[str] = []

    def run_loopnest(label: str, order, groups: int = 1, peel: int = 0) -> float:
        pipeline = variant_pipeline(order, groups, peel)
        try:
            module = xdsl_group.apply(dense, pipeline) if pipeline else dense
        except LoopnestError as e:
            refused.append(f"- {label}: `{pipeline}` refused by the passes: {e}")
            print(f"  {label:<48} refused by the passes: {e}", flush=True)
            return float("inf")
        fn = xdsl_group.jit(module, "conv")
        O = np.zeros((CO, OH, OW), np.float32)
        fn(O, I, Wt)
        if peel:
            want = reference.peeled_grouped_conv2d(I, Wt, peel, groups)
            flop = DENSE_FLOP * peel // CO + DENSE_FLOP * (CO - peel) // CO // groups
        else:
            want = reference.grouped_conv2d(I, Wt, groups) if groups > 1 else reference.conv2d(I, Wt)
            flop = DENSE_FLOP // groups
        np.testing.assert_allclose(O, want, rtol=1e-3, atol=1e-3)
        seconds = timeit(lambda: fn(O, I, Wt))
        calls[label] = lambda: fn(O, I, Wt)
        rows.append((label, seconds, flop))
        print(f"  {label:<48} {seconds * 1e3:9.3f} ms {flop / seconds / 1e9:7.1f} GFLOP/s", flush=True)
        return seconds

    print(f"conv {CI}->{CO}, {H}x{W} input, {K}x{K}, valid (output {OH}x{OW}), fp32, 1 thread")

    seed_label = "jit dense, seed order " + ",".join(SEED_ORDER)
    t_seed = run_loopnest(seed_label, SEED_ORDER)
    best_order, t_best, best_label = SEED_ORDER, t_seed, seed_label
    for order in ORDERS[1 : 4 if args.quick else None]:
        label = "jit dense, order " + ",".join(order)
        t = run_loopnest(label, order)
        if t < t_best and t != float("inf"):
            best_order, t_best, best_label = order, t, label
    grouped: dict[int, float] = {}
    for g in GROUPS:
        grouped[g] = run_loopnest(f"jit grouped G={g}, seed order", SEED_ORDER, groups=g)
    best_grouped: dict[int, float] = {}
    if best_order != SEED_ORDER:
        for g in GROUPS:
            best_grouped[g] = run_loopnest(f"jit grouped G={g}, best order", best_order, groups=g)
    run_loopnest(f"jit Example 2 (peel {PEEL}, group {PEEL_GROUPS}), seed order", SEED_ORDER, PEEL_GROUPS, PEEL)
    run_loopnest(f"jit Example 2 (peel {PEEL}, group {PEEL_GROUPS}), best order", best_order, PEEL_GROUPS, PEEL)

    # numpy (tensordot over sliding windows)
    for g in (1, *GROUPS):
        wc = np.ascontiguousarray(np.concatenate(
            [Wt[i * (CO // g):(i + 1) * (CO // g), i * (CI // g):(i + 1) * (CI // g)] for i in range(g)]
        ))
        np.testing.assert_allclose(
            numpy_conv(I, wc, g),
            reference.grouped_conv2d(I, Wt, g) if g > 1 else reference.conv2d(I, Wt),
            rtol=1e-3, atol=1e-3,
        )
        s = timeit(lambda: numpy_conv(I, wc, g))
        rows.append((f"numpy tensordot, groups={g}", s, DENSE_FLOP // g))
        print(f"  {rows[-1][0]:<48} {s * 1e3:9.3f} ms {DENSE_FLOP / g / s / 1e9:7.1f} GFLOP/s", flush=True)

    torch_dense = None
    try:
        import torch
        import torch.nn.functional as F

        torch.set_num_threads(1)
        ti = torch.from_numpy(I)[None]
        for g in (1, *GROUPS):
            wc = torch.from_numpy(np.ascontiguousarray(np.concatenate(
                [Wt[i * (CO // g):(i + 1) * (CO // g), i * (CI // g):(i + 1) * (CI // g)] for i in range(g)]
            )))
            with torch.no_grad():
                s = timeit(lambda: F.conv2d(ti, wc, groups=g))
            if g == 1:
                torch_dense = s
                calls["torch dense"] = lambda w=wc: F.conv2d(ti, w, groups=1)
            rows.append((f"PyTorch {torch.__version__} conv2d, groups={g}", s, DENSE_FLOP // g))
            print(f"  {rows[-1][0]:<48} {s * 1e3:9.3f} ms {DENSE_FLOP / g / s / 1e9:7.1f} GFLOP/s", flush=True)
    except ImportError:
        print("  PyTorch not installed (pip install -e '.[bench]'): skipped")

    # The floors, each measured with interleaved calls (see `paired`).
    pd, pg = paired(calls[seed_label], calls["jit grouped G=4, seed order"])
    g4_speedup = pd / pg
    lines = [
        f"- grouped G=4 vs dense, both in the seed order (interleaved): {pd * 1e3:.2f} ms / "
        f"{pg * 1e3:.2f} ms = {g4_speedup:.2f}x faster "
        f"(floor 3.2x: {'PASS' if g4_speedup >= 3.2 else 'FAIL'})",
        f"- best dense order found: {','.join(best_order)} "
        f"({DENSE_FLOP / t_best / 1e9:.1f} GFLOP/s, {t_seed / t_best:.2f}x the seed order)",
    ]
    ok = g4_speedup >= 3.2
    if torch_dense is not None:
        with torch.no_grad():
            pb, pt = paired(calls[best_label], calls["torch dense"])
        ratio = pt / pb
        ok = ok and ratio >= 0.25
        lines.append(
            f"- best dense order vs PyTorch dense (interleaved): {pb * 1e3:.2f} ms vs "
            f"{pt * 1e3:.2f} ms = {ratio:.2f}x PyTorch's speed "
            f"(floor 0.25x: {'PASS' if ratio >= 0.25 else 'FAIL'})"
        )
        for g in GROUPS:
            t_torch = next(s for n, s, _ in rows if n.startswith("PyTorch") and n.endswith(f"groups={g}"))
            t_ours = min(grouped[g], best_grouped.get(g, grouped[g]))
            lines.append(f"- G={g}: best jit grouped / PyTorch groups={g}: {t_torch / t_ours:.2f}x PyTorch's speed")
    else:
        lines.append("- best dense order vs PyTorch dense: not measured (PyTorch not installed)")
    lines += refused
    print("\n" + "\n".join(lines))

    table = ["| variant | time (ms) | GFLOP/s |", "|---|---:|---:|"]
    table += [f"| {n} | {s * 1e3:.3f} | {f / s / 1e9:.1f} |" for n, s, f in rows]
    section = (
        "## Loop orders and grouping (single thread)\n\n"
        f"Convolution {CI}->{CO} channels, {H}x{W} input, {K}x{K} kernel, no padding "
        f"(valid, {OH}x{OW} output), fp32, single thread; {DENSE_FLOP / 1e6:.0f} MFLOP dense, "
        "G times fewer grouped (GFLOP/s counts the useful multiply-adds of each variant).\n"
        "`jit` rows are loop nests compiled by `xdsl_group.jit` (llvmlite, host CPU, -O3 with "
        "loop and SLP vectorisation), each produced by the passes from the dense convolution in "
        "the seed's loop order: `interchange-loops{order=...}` for a loop order, "
        "`group-loops{loops=co,ci groups=G}` for grouping, "
        "`peel-loops{loop=co count=U},group-loops{loops=co,ci groups=G}` for Example 2 "
        "(then `interchange-loops` on both nests for a non-seed order); "
        f"Example 2 peels {PEEL} dense output channels and groups "
        f"the other {CO - PEEL} {PEEL_GROUPS} ways.\n\n"
        + "\n".join(table) + "\n\nRatios (same run):\n\n"
        + "\n".join(lines) + "\n" + NOTES
    )
    return section, ok


# (channels, input height = width, groups) of the scheduled convolutions
STAGES = [(64, 56, (1, 2, 4, 8, 16, 32, 64)), (128, 28, (1,)), (256, 14, (1,)), (512, 7, (1,))]
# The issue's floors at 1 thread, fast-math, against PyTorch at 1 thread.
FAST_FLOORS = {1: 0.75, 4: 1.2, 8: 1.6, 16: 3.0, 64: 1.5}
EXACT_DENSE_FLOOR = 0.55
THREADS_FLOOR = 1.6

SCHEDULE_NOTES = """
What limits the scheduled nests (read from the generated code; the numbers
are in the table above). The schedules depend on the machine:
`auto-schedule` blocks for the vector width LLVM uses on the host (512 bits
on Zen 4, 256 on AVX2 cores and on Rocket Lake) and its register count.

- Dense 64->64 layer on Zen 4: a block of 8 output channels x 32 columns
  and its 8 x 22 tail, the columns vectorised (`vectorize-loops`: two
  16-lane vectors a row, the tail's second one 6 lanes in a ymm register),
  updated by fused multiply-adds inside `ci, kh, kw`; LLVM unrolls `kw` and
  keeps the block in registers. It is FMA-bound (Zen 4 issues one 512-bit
  FMA a cycle, as two 256-bit halves). 54 columns now fill 3 zmm and one
  ymm register a row (54 of 56 lanes of the slots used); before the
  vectorised tails (unrolled copies left to LLVM's SLP vectoriser) they
  took 3 zmm + 2 xmm (84 %). For scale, this machine's FMA peak is about
  116 GFLOP/s on one core (a register-only loop of independent FMAs) and
  OpenBLAS's single-thread 512x512 sgemm ran at 89 GFLOP/s.
- G=16: 4 channels (a group) x the whole 54-column row, 16 accumulators;
  it runs at about 85 % of that peak in a quiet run. What remains is the
  per-block overhead of a short reduction (36 steps between loading and
  storing the 16 accumulators) and the input loads; a hand-written LLVM
  kernel of the same block with one flattened 36-step reduction loop ran
  about 5 % faster side by side.
- Narrow layers: 512x7x7 has 5 output columns, one ymm register a row
  with 5 of its 8 lanes used (before: 4 + 1 floats, an xmm register and a
  scalar), in blocks 16 channels high; vectorising along the output
  channels instead would need another output layout.
- PyTorch (oneDNN) uses AVX-512 kernels with blocked weight layouts here;
  at its best its dense and G<=8 convolutions run near the machine's FMA
  peak (dense up to 100 GFLOP/s, G=4 0.6 ms, G=8 0.43 ms in runs of the same
  day); its grouped kernels vary by up to 40 % from run to run.
  Its grouped kernels lose efficiency from G=8 on (G=16 and G=32 well below
  its dense rate), which is where the nests win most.
- Grouped layers do CI/G x 9 multiply-adds per output (36 at G=16): each
  block's accumulators are loaded and stored once per 36 steps, and a group
  has only CO/G output channels for the row block (4 at G=16), so blocks
  are small and their overhead larger than in the dense layer.
- Exact mode (no `fast_math`) issues a multiply and an add per
  multiply-add, each rounded as the program says: about 0.7x the fast-math
  speed on the same schedule.
- Threads: `threads=2` runs the outermost parallel loop (the output-channel
  block loop, or the group loop) in two halves on this 2-core virtual
  machine. The dense layers gain 1.5-1.9x; what limits them is the virtual
  machine: in some calls both halves run at half speed (the two virtual
  cores then share a physical one), and a sleeping core can take up to a
  millisecond to wake. The pool's workers spin for 1 ms after a range
  before sleeping, which hides the wake-up when calls follow each other
  (the first runtime, whose Python workers slept at once, gave 1.5x).
  Layers under about 0.3 ms gain little: the round trip through the
  runtime's Python callback costs tens of microseconds (one thread runs the
  region in place, without the runtime).
- PyTorch runs with `OMP_WAIT_POLICY=PASSIVE` (set above): by default its
  OpenMP workers spin long after each call and took the second core from
  the calls interleaved with them (our 2-thread calls ran up to 3x slower).
  Passive waiting costs PyTorch its own wake-ups: alone, with 3 ms between
  calls, its 2-thread dense 64->64 56x56 conv took 1.30 ms by default and
  1.67 ms passive. The `fast 2T / torch 2T` column is therefore
  favourable to the nests; no floor uses it.
- PyTorch's time for one layer varies from run to run on this shared
  machine by up to about 40 % (G=16: 0.41 to 0.73 ms in runs of the same
  day), more than the nests' times do, so the grouped ratios move with it;
  the table is one run, as the floors ask.
"""


def interleaved(calls: dict[str, tuple], rounds: int) -> dict[str, float]:
    """Median seconds of each `(setup, call)`; every round times each call
    once, in turn, so load changes on a shared machine hit all alike.  The
    setup (e.g. setting PyTorch's thread count) is not timed."""
    times: dict[str, list[float]] = {k: [] for k in calls}
    for setup, call in calls.values():
        setup()
        call()
    for _ in range(rounds):
        for k, (setup, call) in calls.items():
            setup()
            t = time.perf_counter()
            call()
            times[k].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}


def scheduled(module, override: str | None):
    """`module` scheduled by `auto-schedule` (or by the pipeline `override`),
    and the pipeline that was applied."""
    if override is not None:
        return xdsl_group.apply(module, override), override
    schedule_pipeline = getattr(xdsl_group, "schedule_pipeline", None)
    if schedule_pipeline is None:
        from xdsl_group.transforms.auto_schedule import schedule_pipeline
    return xdsl_group.apply(module, "auto-schedule"), schedule_pipeline(module)


def schedules_part(args) -> tuple[str, bool]:
    """The auto-scheduled nests beside PyTorch, 1 and 2 threads, interleaved."""
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        print("  PyTorch not installed (pip install -e '.[bench]'): scheduled part skipped")
        return "## Scheduled nests\n\nNot measured: PyTorch is not installed.\n", True
    rng = np.random.default_rng(1)
    rows: list[dict] = []
    pipelines: list[str] = []
    refused: list[str] = []
    print("\nauto-scheduled nests vs PyTorch, 1 and 2 threads, interleaved")
    for channels, size, groups_list in STAGES:
        I = rng.standard_normal((channels, size, size)).astype(np.float32)
        Wfull = rng.standard_normal((channels, channels, K, K)).astype(np.float32)
        out = size - K + 1
        seed = xdsl_group.parse(dense_seed_conv(channels, channels, size, size), "conv.mlir")
        for g in groups_list:
            if args.quick and g not in (1, 8, 64):
                continue
            label = f"{channels}x{size}x{size}" + (f" G={g}" if g > 1 else " dense")
            cg = channels // g
            Wc = np.ascontiguousarray(np.concatenate(
                [Wfull[i * cg:(i + 1) * cg, i * cg:(i + 1) * cg] for i in range(g)]
            ))
            base = seed if g == 1 else xdsl_group.apply(seed, f"group-loops{{loops=co,ci groups={g} compact=true}}")
            override = args.schedule
            try:
                t0 = time.perf_counter()
                module, pipeline = scheduled(base, override)
                t_sched = time.perf_counter() - t0
                t0 = time.perf_counter()
                exact1 = xdsl_group.jit(module, "conv")
                fast1 = xdsl_group.jit(module, "conv", fast_math=True)
                t_jit = time.perf_counter() - t0
            except LoopnestError as e:
                refused.append(f"- {label}: refused: {e}")
                print(f"  {label}: refused: {e}", flush=True)
                continue
            exact2 = xdsl_group.jit(module, "conv", threads=2)
            fast2 = xdsl_group.jit(module, "conv", fast_math=True, threads=2)
            pipelines.append(f"- {label}: `{pipeline}`")
            want = reference.grouped_conv2d(I, Wc, g) if g > 1 else reference.conv2d(I, Wfull)
            outs = {}
            for name, fn in (("exact1", exact1), ("exact2", exact2), ("fast1", fast1), ("fast2", fast2)):
                O = np.zeros((channels, out, out), np.float32)
                fn(O, I, Wc if g > 1 else Wfull)
                outs[name] = O
            np.testing.assert_allclose(outs["exact1"], want, rtol=1e-3, atol=1e-3)
            np.testing.assert_allclose(outs["fast1"], want, rtol=1e-3, atol=1e-3)
            assert np.array_equal(outs["exact1"], outs["exact2"]), label
            assert np.array_equal(outs["fast1"], outs["fast2"]), label
            W_arg = Wc if g > 1 else Wfull
            O = np.zeros((channels, out, out), np.float32)
            ti = torch.from_numpy(I)[None]
            tw = torch.from_numpy(Wc)
            none = lambda: None  # noqa: E731
            calls = {
                "exact 1T": (none, lambda f=exact1: f(O, I, W_arg)),
                "exact 2T": (none, lambda f=exact2: f(O, I, W_arg)),
                "fast 1T": (none, lambda f=fast1: f(O, I, W_arg)),
                "fast 2T": (none, lambda f=fast2: f(O, I, W_arg)),
                "torch 1T": (lambda: torch.set_num_threads(1), lambda: F.conv2d(ti, tw, groups=g)),
                "torch 2T": (lambda: torch.set_num_threads(2), lambda: F.conv2d(ti, tw, groups=g)),
            }
            with torch.no_grad():
                t = interleaved(calls, rounds=11 if args.quick else 25)
            torch.set_num_threads(1)
            flop = 2 * channels * cg * out * out * K * K
            rows.append({"label": label, "channels": channels, "groups": g, "flop": flop, **t})
            print(
                f"  {label:<18} " + " ".join(f"{k} {v * 1e3:8.3f} ms" for k, v in t.items())
                + f"  (schedule {t_sched:.1f} s, compile {t_jit:.1f} s)",
                flush=True,
            )

    cols = ["exact 1T", "exact 2T", "fast 1T", "fast 2T", "torch 1T", "torch 2T"]
    table = [
        "| layer | " + " | ".join(f"{c} (ms)" for c in cols)
        + " | fast 1T GFLOP/s | fast 1T / torch 1T | exact 1T / torch 1T | fast 2T / torch 2T | fast 2T / fast 1T |",
        "|---|" + "---:|" * (len(cols) + 5),
    ]
    for r in rows:
        table.append(
            f"| {r['label']} | " + " | ".join(f"{r[c] * 1e3:.3f}" for c in cols)
            + f" | {r['flop'] / r['fast 1T'] / 1e9:.1f}"
            + f" | {r['torch 1T'] / r['fast 1T']:.2f}x | {r['torch 1T'] / r['exact 1T']:.2f}x"
            + f" | {r['torch 2T'] / r['fast 2T']:.2f}x | {r['fast 1T'] / r['fast 2T']:.2f}x |"
        )

    checks: list[str] = []
    ok = True

    def check(text: str, value: float, floor: float) -> None:
        nonlocal ok
        passed = value >= floor
        ok = ok and passed
        checks.append(f"- {text}: {value:.2f}x (floor {floor}x: {'PASS' if passed else 'FAIL'})")

    layer = {r["groups"]: r for r in rows if r["channels"] == CO}
    for g, floor in FAST_FLOORS.items():
        if g in layer:
            r = layer[g]
            what = "dense" if g == 1 else f"G={g}"
            check(f"{what}, fast-math, 1 thread, vs PyTorch 1 thread", r["torch 1T"] / r["fast 1T"], floor)
    if 1 in layer:
        r = layer[1]
        check("dense, exact, 1 thread, vs PyTorch 1 thread", r["torch 1T"] / r["exact 1T"], EXACT_DENSE_FLOOR)
        check("dense, fast-math, 2 threads vs 1 thread", r["fast 1T"] / r["fast 2T"], THREADS_FLOOR)
    checks += refused
    print("\n" + "\n".join(checks))
    section = (
        "## Scheduled nests vs PyTorch, 1 and 2 threads\n\n"
        "Each nest is the seed-order valid 3x3 convolution of its layer (input CxSxS, output "
        "Cx(S-2)x(S-2), fp32), grouped by `group-loops{loops=co,ci groups=G compact=true}` "
        "(PyTorch's weight layout), then scheduled by the pipeline listed below the table "
        "(`auto-schedule`'s choice unless stated), compiled by `xdsl_group.jit` exact and with "
        "`fast_math=True`, on 1 and 2 threads (`threads=2` runs the loop the schedule marks "
        "`parallel` on two threads). PyTorch: `torch.nn.functional.conv2d(groups=G)`, no padding, "
        "`torch.set_num_threads(1)` / `(2)`, `OMP_WAIT_POLICY=PASSIVE` (see the notes below). All six are timed in interleaved rounds "
        "(medians), so the ratios compare calls made under the same load. GFLOP/s counts "
        "the useful multiply-adds.\n\n"
        + "\n".join(table) + "\n\nFloors of the schedule issue (same run):\n\n"
        + "\n".join(checks) + "\n\nSchedules:\n\n" + "\n".join(pipelines) + "\n"
        + SCHEDULE_NOTES
    )
    return section, ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer loop orders and groupings")
    ap.add_argument("--no-write", action="store_true", help="do not write docs/benchmarks.md")
    ap.add_argument("--schedules-only", action="store_true", help="only the scheduled nests")
    ap.add_argument("--schedule", help="a pipeline replacing auto-schedule")
    args = ap.parse_args()

    print(f"machine: {machine()}\n")
    sections: list[str] = []
    ok = True
    if not args.schedules_only:
        section, passed = orders_part(args)
        sections.append(section)
        ok = ok and passed
    section, passed = schedules_part(args)
    sections.append(section)
    ok = ok and passed
    if not args.no_write:
        doc = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
        doc.parent.mkdir(exist_ok=True)
        doc.write_text(
            "# Benchmarks\n\n"
            "Written by `python bench/conv_bench.py` (one run; numbers are medians of repeated calls).\n\n"
            f"Machine: {machine()}.\n\n" + "\n".join(sections)
        )
        print(f"\nwrote {doc}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
