"""The thread runtime of natively compiled `parallel` loops.

Compiled code calls `loopnest_parallel_for(entry, ctx, n)` where a loop
marked `parallel` was (`xdsl_group.lowering.outline_parallel`); this module
provides that symbol to the JIT.  It splits the iterations `[0, n)` into at
most `threads` contiguous ranges of near-equal size and calls
`entry(ctx, lo, hi)` for each: the first in the calling thread, the others
on the persistent workers of a thread pool, and returns when all have
finished.

The pool's dispatch is native code (a small LLVM module compiled once with
llvmlite, below): the workers are Python threads that entered it through
ctypes, so they run without the GIL, and handing out ranges and waiting for
them never goes back to Python.  A worker waits for its next range by
spinning for a while (`SPIN_SECONDS`, as OpenMP runtimes do: a sleeping
core can take a millisecond to wake on a virtual machine) and then sleeps on
a condition variable; the caller waits for the workers the same way.  Only
the standard library and llvmlite are needed.

The number of threads is that of the innermost `running(threads)` block of
the calling thread (1 outside any): the JIT sets it around each call, so
functions compiled once run with any thread count.  Concurrent calls each
take a pool of their own (made on demand, then reused), so they do not wait
for each other.  The runtime also provides `loopnest_parallel_requests`,
the number of `running` blocks with more than one thread open in the
process: while it is 0, compiled code calls a region's entry on the whole
range itself instead of calling the runtime (which costs a round trip
through Python); while it is not, a one-thread call goes through the
runtime and still runs on one thread.  An exception inside the runtime
(e.g. `KeyboardInterrupt`) cannot unwind native frames: it is kept, and
`running` raises it after the compiled function returned.
"""

from __future__ import annotations

import ctypes
import math
import os
import platform
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager

SYMBOL = "loopnest_parallel_for"
REQUESTS_SYMBOL = "loopnest_parallel_requests"

# How long an idle worker (or a caller waiting for its workers) spins before
# it sleeps; `XDSL_GROUP_SPIN_US` (microseconds) overrides it.  No spinning
# when there are more threads than cores: a spinning thread would take the
# core of one with work to do.
DEFAULT_SPIN_SECONDS = 1e-3


def spin_seconds(setting: str | None) -> float:
    """The spin time `XDSL_GROUP_SPIN_US` asks for: microseconds, at least 0;
    the default when unset, and with a warning when not a number."""
    if setting is None or not setting.strip():
        return DEFAULT_SPIN_SECONDS
    try:
        value = float(setting)
    except ValueError:
        value = float("nan")
    if not math.isfinite(value):
        warnings.warn(
            f"XDSL_GROUP_SPIN_US={setting!r} is not a number of microseconds; "
            f"spinning {DEFAULT_SPIN_SECONDS * 1e6:.0f} us",
            stacklevel=3,
        )
        return DEFAULT_SPIN_SECONDS
    return max(0.0, value) * 1e-6


SPIN_SECONDS = spin_seconds(os.environ.get("XDSL_GROUP_SPIN_US"))
# Workers per pool; a call asking for more threads runs on this many + 1.
MAX_WORKERS = 255

_ENTRY = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64)
_HOOK = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64)

_local = threading.local()
# Read by compiled code (atomically); written only under `_requests_lock`.
_requests = ctypes.c_int64(0)
_requests_lock = threading.Lock()


def split(n: int, parts: int) -> list[tuple[int, int]]:
    """`[0, n)` as `min(parts, n)` contiguous ranges whose sizes differ by at
    most one (none if `n <= 0`)."""
    if n <= 0:
        return []
    parts = max(1, min(parts, n))
    q, r = divmod(n, parts)
    ranges: list[tuple[int, int]] = []
    lo = 0
    for k in range(parts):
        hi = lo + q + (1 if k < r else 0)
        ranges.append((lo, hi))
        lo = hi
    return ranges


# The pool's memory block, in 8-byte words: a header, three 128-byte areas
# for the pthread objects (larger than any libc's), then one 64-byte slot
# per worker (its own cache line): the generation of its range, the entry,
# the context, lo and hi.
_PENDING, _SLEEPERS, _CALLER_WAITING, _SPIN = 0, 1, 2, 3
_MUTEX, _WORK, _DONE, _SLOTS = 16, 32, 48, 64
_SLOT_WORDS = 8


def _relax_instruction() -> tuple[str, str]:
    """The declaration and call of the CPU's spin-wait hint (none if unknown)."""
    machine = platform.machine().lower()
    if machine in ("x86_64", "amd64", "i386", "i686"):
        return "declare void @llvm.x86.sse2.pause()", "call void @llvm.x86.sse2.pause()"
    if machine in ("aarch64", "arm64"):
        return "declare void @llvm.aarch64.hint(i32)", "call void @llvm.aarch64.hint(i32 1)"
    return "", ""


def _word(name: str, index: int) -> str:
    """`%name`, the address of word `index` of the pool block `%p`."""
    return f"%{name} = getelementptr i64, ptr %p, i64 {index}"


# One step of a spin-wait loop `spinning` (counter %i, budget %spin): the
# CPU's hint, then back to `spinning` or, once the budget is spent, `sleep`.
_SPIN_STEP = """relaxing:
  call void @relax()
  %i1 = add i64 %i, 1
  %more = icmp ult i64 %i1, %spin
  br i1 %more, label %spinning, label %sleep
"""


def _pool_ir() -> str:
    """The pool's dispatch: `pool_worker(p, k)` (the loop of worker k, never
    returns), `pool_run(p, entry, ctx, ranges, count, spin)` (range 0 in the
    caller, range k on worker k - 1) and `pool_relax(n)` (n spin hints, to
    calibrate the spin).  A range is posted by storing it in the worker's
    slot and then incrementing the slot's generation (`seq_cst`); a worker
    that sees a new generation runs the range and decrements `pending`.
    Sleepers count themselves under the mutex before re-checking, and the
    poster checks the count after posting, so no wake-up is lost (both
    `seq_cst`); the caller's wait for `pending == 0` works the same way."""
    relax_decl, relax_call = _relax_instruction()

    def slot(name: str, field: int) -> str:  # the address of field `field` of slot %s
        return f"  %{name}.w = add i64 %s, {field}\n  %{name} = getelementptr i64, ptr %p, i64 %{name}.w"

    return f"""
declare i32 @pthread_mutex_lock(ptr)
declare i32 @pthread_mutex_unlock(ptr)
declare i32 @pthread_cond_wait(ptr, ptr)
declare i32 @pthread_cond_broadcast(ptr)
{relax_decl}

define private void @relax() alwaysinline {{
  {relax_call}
  ret void
}}

; Wake the threads waiting on condition %which if the count (or flag) at
; %asleep says there are any; read after the caller's own seq_cst update.
define private void @wake(ptr %p, ptr %asleep, i64 %which) {{
entry:
  %n = load atomic i64, ptr %asleep seq_cst, align 8
  %any = icmp ne i64 %n, 0
  br i1 %any, label %broadcast, label %done
broadcast:
  {_word("m", _MUTEX)}
  %cv = getelementptr i64, ptr %p, i64 %which
  call i32 @pthread_mutex_lock(ptr %m)
  call i32 @pthread_cond_broadcast(ptr %cv)
  call i32 @pthread_mutex_unlock(ptr %m)
  br label %done
done:
  ret void
}}

define void @pool_worker(ptr %p, i64 %k) {{
entry:
  %sk = mul i64 %k, {_SLOT_WORDS}
  %s = add i64 %sk, {_SLOTS}
  %gen = getelementptr i64, ptr %p, i64 %s
{slot("pentry", 1)}
{slot("pctx", 2)}
{slot("plo", 3)}
{slot("phi", 4)}
  {_word("pspin", _SPIN)}
  {_word("pending", _PENDING)}
  {_word("sleepers", _SLEEPERS)}
  {_word("waiting", _CALLER_WAITING)}
  {_word("m", _MUTEX)}
  {_word("cv", _WORK)}
  br label %wait
wait:
  %seen = phi i64 [ 0, %entry ], [ %g, %next ]
  %spin = load atomic i64, ptr %pspin monotonic, align 8
  br label %spinning
spinning:
  %i = phi i64 [ 0, %wait ], [ %i1, %relaxing ]
  %g0 = load atomic i64, ptr %gen acquire, align 8
  %new0 = icmp ne i64 %g0, %seen
  br i1 %new0, label %run, label %relaxing
{_SPIN_STEP}sleep:
  call i32 @pthread_mutex_lock(ptr %m)
  atomicrmw add ptr %sleepers, i64 1 seq_cst
  br label %sleeping
sleeping:
  %g1 = load atomic i64, ptr %gen seq_cst, align 8
  %new1 = icmp ne i64 %g1, %seen
  br i1 %new1, label %woken, label %block
block:
  call i32 @pthread_cond_wait(ptr %cv, ptr %m)
  br label %sleeping
woken:
  atomicrmw sub ptr %sleepers, i64 1 seq_cst
  call i32 @pthread_mutex_unlock(ptr %m)
  br label %run
run:
  %g = phi i64 [ %g0, %spinning ], [ %g1, %woken ]
  %f = load ptr, ptr %pentry, align 8
  %ctx = load ptr, ptr %pctx, align 8
  %lo = load i64, ptr %plo, align 8
  %hi = load i64, ptr %phi, align 8
  call void %f(ptr %ctx, i64 %lo, i64 %hi)
  %left = atomicrmw sub ptr %pending, i64 1 seq_cst
  %last = icmp eq i64 %left, 1
  br i1 %last, label %notify, label %next
notify:
  call void @wake(ptr %p, ptr %waiting, i64 {_DONE})
  br label %next
next:
  br label %wait
}}

define void @pool_run(ptr %p, ptr %f, ptr %ctx, ptr %ranges, i64 %count, i64 %spin) {{
entry:
  {_word("pspin", _SPIN)}
  store atomic i64 %spin, ptr %pspin monotonic, align 8
  {_word("pending", _PENDING)}
  %others = sub i64 %count, 1
  store atomic i64 %others, ptr %pending seq_cst, align 8
  %any = icmp sgt i64 %others, 0
  br i1 %any, label %posting, label %own
posting:
  %k = phi i64 [ 1, %entry ], [ %k1, %posting ]
  %rk = mul i64 %k, 2
  %plo.in = getelementptr i64, ptr %ranges, i64 %rk
  %lo = load i64, ptr %plo.in, align 8
  %rk1 = add i64 %rk, 1
  %phi.in = getelementptr i64, ptr %ranges, i64 %rk1
  %hi = load i64, ptr %phi.in, align 8
  %slot = sub i64 %k, 1
  %sk = mul i64 %slot, {_SLOT_WORDS}
  %s = add i64 %sk, {_SLOTS}
  %gen = getelementptr i64, ptr %p, i64 %s
{slot("pe", 1)}
  store ptr %f, ptr %pe, align 8
{slot("pc", 2)}
  store ptr %ctx, ptr %pc, align 8
{slot("pl", 3)}
  store i64 %lo, ptr %pl, align 8
{slot("ph", 4)}
  store i64 %hi, ptr %ph, align 8
  atomicrmw add ptr %gen, i64 1 seq_cst
  %k1 = add i64 %k, 1
  %again = icmp slt i64 %k1, %count
  br i1 %again, label %posting, label %posted
posted:
  {_word("psl", _SLEEPERS)}
  call void @wake(ptr %p, ptr %psl, i64 {_WORK})
  br label %own
own:
  %lo0 = load i64, ptr %ranges, align 8
  %phi0 = getelementptr i64, ptr %ranges, i64 1
  %hi0 = load i64, ptr %phi0, align 8
  call void %f(ptr %ctx, i64 %lo0, i64 %hi0)
  br label %spinning
spinning:
  %i = phi i64 [ 0, %own ], [ %i1, %relaxing ]
  %left = load atomic i64, ptr %pending acquire, align 8
  %done = icmp eq i64 %left, 0
  br i1 %done, label %finish, label %relaxing
{_SPIN_STEP}sleep:
  {_word("m", _MUTEX)}
  {_word("pw", _CALLER_WAITING)}
  {_word("cv", _DONE)}
  call i32 @pthread_mutex_lock(ptr %m)
  store atomic i64 1, ptr %pw seq_cst, align 8
  br label %sleeping
sleeping:
  %left1 = load atomic i64, ptr %pending seq_cst, align 8
  %done1 = icmp eq i64 %left1, 0
  br i1 %done1, label %woken, label %block
block:
  call i32 @pthread_cond_wait(ptr %cv, ptr %m)
  br label %sleeping
woken:
  store atomic i64 0, ptr %pw seq_cst, align 8
  call i32 @pthread_mutex_unlock(ptr %m)
  br label %finish
finish:
  ret void
}}

define void @pool_relax(i64 %n) {{
entry:
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %i1, %loop ]
  call void @relax()
  %i1 = add i64 %i, 1
  %c = icmp ult i64 %i1, %n
  br i1 %c, label %loop, label %exit
exit:
  ret void
}}
"""


class _Native:
    """The compiled dispatch (one per process) and its spin calibration."""

    def __init__(self) -> None:
        import llvmlite.binding as llvm

        from xdsl_group.jit import host_target_machine

        self.libc = ctypes.CDLL(None)  # the process's symbols: libc's and pthread's
        # Initialises LLVM's native target and binds the C library functions
        # the dispatch calls (`xdsl_group.jit._register_c_runtime`).
        machine = host_target_machine()
        module = llvm.parse_assembly(_pool_ir())
        module.verify()
        self.engine = llvm.create_mcjit_compiler(module, machine)
        self.engine.finalize_object()
        address = self.engine.get_function_address
        self.worker = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64)(address("pool_worker"))
        self.run = ctypes.CFUNCTYPE(
            None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
            ctypes.c_int64, ctypes.c_int64,
        )(address("pool_run"))
        relax = ctypes.CFUNCTYPE(None, ctypes.c_int64)(address("pool_relax"))
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            relax(20_000)
            best = min(best, time.perf_counter() - t)
        self.relax_per_second = 20_000 / max(best, 1e-9)
        try:
            self.cores = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            self.cores = os.cpu_count() or 1


class _Pool:
    """Up to `MAX_WORKERS` worker threads and their slots; one call at a time."""

    def __init__(self, native: _Native) -> None:
        self.native = native
        words = _SLOTS + _SLOT_WORDS * MAX_WORKERS
        self._memory = ctypes.create_string_buffer(8 * words + 64)
        self.address = (ctypes.addressof(self._memory) + 63) & ~63
        libc = native.libc
        if libc.pthread_mutex_init(ctypes.c_void_p(self.address + 8 * _MUTEX), None) or any(
            libc.pthread_cond_init(ctypes.c_void_p(self.address + 8 * w), None) for w in (_WORK, _DONE)
        ):
            raise RuntimeError("cannot initialise the thread pool's mutex")
        self.workers: list[threading.Thread] = []

    def run(self, entry: int, ctx: int, ranges: list[tuple[int, int]]) -> None:
        """Run `entry(ctx, lo, hi)` for each range; the first one here."""
        while len(self.workers) < len(ranges) - 1:  # RuntimeError if none can start
            t = threading.Thread(
                target=self.native.worker,
                args=(self.address, len(self.workers)),
                name=f"loopnest-worker-{len(self.workers)}",
                daemon=True,
            )
            t.start()
            self.workers.append(t)
        flat = (ctypes.c_int64 * (2 * len(ranges)))(*(b for r in ranges for b in r))
        spin = 0
        if len(ranges) <= self.native.cores:
            spin = int(SPIN_SECONDS * self.native.relax_per_second)
        self.native.run(self.address, entry, ctx, flat, len(ranges), spin)


class _Pools:
    """Idle pools, one taken by each running call (made on first need)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._native: _Native | None = None
        self._idle: list[_Pool] = []

    def run(self, entry: int, ctx: int, ranges: list[tuple[int, int]]) -> None:
        with self._lock:
            if self._native is None:
                self._native = _Native()
            pool = self._idle.pop() if self._idle else _Pool(self._native)
        try:
            pool.run(entry, ctx, ranges)
        except RuntimeError:  # no worker could be started: run them all here
            fn = _entry(entry)
            for lo, hi in ranges:
                fn(ctx, lo, hi)
        finally:
            with self._lock:
                self._idle.append(pool)


_pools = _Pools()
_entries: dict[int, Callable[[int, int, int], None]] = {}


def _reset_after_fork() -> None:
    # The workers do not exist in a forked child (and the mutexes may be
    # held): start afresh, with the compiled dispatch kept.
    global _pools
    native = _pools._native
    _pools = _Pools()
    _pools._native = native


os.register_at_fork(after_in_child=_reset_after_fork)


def _entry(address: int) -> Callable[[int, int, int], None]:
    fn = _entries.get(address)
    if fn is None:
        fn = _entries[address] = _ENTRY(address)
    return fn


def _parallel_for(entry: int, ctx: int, n: int) -> None:
    # Called from native code (ctypes takes the GIL; the pool's native call
    # releases it).  An exception cannot cross the native frames: it is kept
    # and raised by `running` once the compiled function has returned.
    try:
        threads = min(getattr(_local, "threads", 1), MAX_WORKERS + 1)
        ranges = split(n, threads)
        if len(ranges) <= 1:
            fn = _entry(entry)
            for lo, hi in ranges:
                fn(ctx, lo, hi)
            return
        _pools.run(entry, ctx, ranges)
    except BaseException as e:  # noqa: BLE001 - re-raised by `running`
        _local.pending = e


_hook = _HOOK(_parallel_for)


def hook_address() -> int:
    """The address compiled code calls as `loopnest_parallel_for`."""
    return ctypes.cast(_hook, ctypes.c_void_p).value or 0


def requests_address() -> int:
    """The address compiled code reads as `loopnest_parallel_requests`."""
    return ctypes.addressof(_requests)


def _count_request(delta: int) -> None:
    with _requests_lock:
        _requests.value += delta


@contextmanager
def running(threads: int) -> Iterator[None]:
    """Parallel loops started by this thread inside the block use `threads` threads."""
    previous = getattr(_local, "threads", 1)
    _local.threads = threads
    _local.pending = None
    if threads > 1:
        _count_request(1)
    try:
        yield
    finally:
        if threads > 1:
            _count_request(-1)
        _local.threads = previous
        pending, _local.pending = getattr(_local, "pending", None), None
        if pending is not None:
            raise pending
