"""The thread runtime of natively compiled `parallel` loops.

Compiled code calls `loopnest_parallel_for(entry, ctx, n)` where a loop
marked `parallel` was (`xdsl_group.lowering.outline_parallel`); this module
provides that symbol to the JIT.  It splits the iterations `[0, n)` into at
most `threads` contiguous ranges of near-equal size and calls
`entry(ctx, lo, hi)` for each: the first in the calling thread, the others
on persistent worker threads, and returns when all have finished.  ctypes
releases the GIL around each native call, so the ranges run concurrently
with nothing but the standard library.

The number of threads is that of the innermost `running(threads)` block of
the calling thread (1 outside any): the JIT sets it around each call, so
functions compiled once run with any thread count, and concurrent calls
with different counts do not interfere.  The runtime also provides
`loopnest_parallel_requests`, the number of `running` blocks with more
than one thread open in the process: while it is 0, compiled code calls a
region's entry on the whole range itself instead of calling the runtime
(which costs a round trip through Python); while it is not, a one-thread
call goes through the runtime and still runs on one thread.  An exception inside the runtime
(e.g. `KeyboardInterrupt` while waiting) cannot unwind native frames: the
runtime still waits for every started range (they read the caller's stack),
and `running` raises the exception after the compiled function returned.
"""

from __future__ import annotations

import ctypes
import os
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

SYMBOL = "loopnest_parallel_for"
REQUESTS_SYMBOL = "loopnest_parallel_requests"

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


class _Workers:
    """Daemon threads, each taking tasks from its own queue; grown on demand."""

    def __init__(self) -> None:
        self._queues: list[queue.SimpleQueue[Callable[[], None]]] = []
        self._lock = threading.Lock()

    def _ensure(self, count: int) -> list[queue.SimpleQueue[Callable[[], None]]]:
        with self._lock:
            while len(self._queues) < count:
                q: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
                t = threading.Thread(
                    target=_serve, args=(q,), name=f"loopnest-worker-{len(self._queues)}", daemon=True
                )
                t.start()
                self._queues.append(q)
            return self._queues[:count]

    def run(self, tasks: list[Callable[[], None]]) -> None:
        """Run `tasks[0]` here and the others on workers; return when all are done."""
        if not tasks:
            return
        others = tasks[1:]
        done = threading.Semaphore(0)

        def signalling(task: Callable[[], None]) -> Callable[[], None]:
            def run() -> None:
                try:
                    task()
                finally:
                    done.release()

            return run

        try:
            queues = self._ensure(len(others))
        except RuntimeError:  # no thread could be started: run them all here
            for task in tasks:
                task()
            return
        submitted = 0
        try:
            for q, task in zip(queues, others):
                q.put(signalling(task))
                submitted += 1
            tasks[0]()
        finally:
            # The tasks use the compiled caller's stack frame (its context):
            # wait for every submitted one, even if interrupted meanwhile.
            interrupt: BaseException | None = None
            while submitted:
                try:
                    done.acquire()
                    submitted -= 1
                except BaseException as e:  # noqa: BLE001 - re-raised below
                    interrupt = e
            if interrupt is not None:
                raise interrupt


def _serve(q: queue.SimpleQueue[Callable[[], None]]) -> None:
    while True:
        q.get()()


_workers = _Workers()
_entries: dict[int, Callable[[int, int, int], None]] = {}


def _reset_after_fork() -> None:
    # The workers do not exist in a forked child.
    global _workers
    _workers = _Workers()


os.register_at_fork(after_in_child=_reset_after_fork)


def _entry(address: int) -> Callable[[int, int, int], None]:
    fn = _entries.get(address)
    if fn is None:
        fn = _entries[address] = _ENTRY(address)
    return fn


def _parallel_for(entry: int, ctx: int, n: int) -> None:
    # Called from native code (ctypes takes the GIL).  An exception cannot
    # cross the native frames: it is kept and raised by `running` once the
    # compiled function has returned.
    try:
        threads = getattr(_local, "threads", 1)
        fn = _entry(entry)
        ranges = split(n, threads)
        if len(ranges) <= 1:
            for lo, hi in ranges:
                fn(ctx, lo, hi)
            return
        _workers.run([lambda lo=lo, hi=hi: fn(ctx, lo, hi) for lo, hi in ranges])
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
