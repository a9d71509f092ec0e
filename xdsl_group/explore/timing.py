"""Timing of a candidate layer: our native code and PyTorch's nearest equivalent.

Our side is the candidate's program after `auto-schedule`, compiled by the
JIT with `fast_math=True`; PyTorch's is `torch.nn.functional.conv2d` with the
layer's stride and the candidate's groups, on the padded input (our programs
take it pre-padded, so neither side times the padding).  Both report the
median of timed calls after one warm-up call, repeated until both a minimum
number of calls and a minimum total time are reached.  `time_pair` times both
with the calls interleaved, so that a change of load on a shared machine hits
both sides alike.  Torch is imported on first use only.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import numpy as np
from xdsl.dialects.builtin import MemRefType, ModuleOp

from xdsl_group.explore.networks import ConvLayer

MAX_UNROLLED = 32
"""`auto-schedule`'s `max_unrolled` for the exploration: compile time grows
with the unrolled copies (about 0.03 s each) and hundreds of candidates are
compiled, so the register blocks are kept small; every candidate and the
dense baseline are compiled the same way."""
REPEATS = 7
MIN_TIME_S = 0.05
MAX_CALLS = 1000


def _median_times_ms(
    calls: Sequence[Callable[[], Any]], repeats: int, min_time: float
) -> list[float]:
    """Median milliseconds per call of each of `calls`, interleaved: one
    warm-up call each, then rounds calling each once, until `repeats`
    rounds and `min_time` seconds (of the slowest side) have passed."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, not {repeats}")
    for call in calls:
        call()
    times: list[list[float]] = [[] for _ in calls]
    while True:
        for call, ts in zip(calls, times):
            t = time.perf_counter()
            call()
            ts.append(time.perf_counter() - t)
        rounds = len(times[0])
        if rounds >= MAX_CALLS or (
            rounds >= repeats and min(sum(ts) for ts in times) >= min_time
        ):
            break
    return [statistics.median(ts) * 1e3 for ts in times]


def schedule(module: ModuleOp) -> ModuleOp:
    """`module` after `auto-schedule{max_unrolled=32}` (a new module): the
    program that is timed."""
    import xdsl_group

    return xdsl_group.apply(module, f"auto-schedule{{max_unrolled={MAX_UNROLLED}}}")


def _native_call(
    module: ModuleOp, func_name: str, threads: int, scheduled: bool = False
) -> Callable[[], None]:
    """A call of the compiled `@func_name` on fixed random arrays; `module` is
    scheduled first unless `scheduled` says it already is."""
    import xdsl_group
    from xdsl_group.api import find_function, numpy_dtype

    program = module if scheduled else schedule(module)
    fn = xdsl_group.jit(program, func_name, fast_math=True, threads=threads)
    rng = np.random.default_rng(0)
    arrays = []
    for t in find_function(program, func_name).function_type.inputs.data:
        assert isinstance(t, MemRefType)
        shape = tuple(t.get_shape())
        # Small values: the output accumulates over the repeated calls.
        arrays.append(rng.uniform(-0.1, 0.1, shape).astype(numpy_dtype(t.element_type)))
    return lambda: fn(*arrays)


def _torch_call(layer: ConvLayer, groups: int, threads: int) -> Callable[[], Any]:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # no spinning between calls
    import torch
    import torch.nn.functional as F

    if layer.in_channels % groups or layer.out_channels % groups:
        raise ValueError(
            f"{groups} groups do not divide {layer.in_channels} -> {layer.out_channels} channels"
        )
    torch.set_num_threads(threads)
    gen = torch.Generator().manual_seed(0)
    p = layer.padding
    x = torch.rand(
        (1, layer.in_channels, layer.height + 2 * p, layer.width + 2 * p), generator=gen
    )
    w = torch.rand(
        (layer.out_channels, layer.in_channels // groups, layer.kernel, layer.kernel),
        generator=gen,
    )

    def call() -> Any:
        with torch.no_grad():
            return F.conv2d(x, w, stride=layer.stride, groups=groups)

    return call


def native_time_ms(
    module: ModuleOp,
    repeats: int = REPEATS,
    threads: int = 1,
    *,
    func_name: str = "conv",
    min_time: float = MIN_TIME_S,
) -> float:
    """Median ms of `@func_name` of `module` after `auto-schedule`, JIT-compiled
    with `fast_math=True` on `threads` threads."""
    return _median_times_ms([_native_call(module, func_name, threads)], repeats, min_time)[0]


def torch_time_ms(
    layer: ConvLayer,
    groups: int,
    repeats: int = REPEATS,
    threads: int = 1,
    *,
    min_time: float = MIN_TIME_S,
) -> float:
    """Median ms of `conv2d(groups=groups)` with the layer's sizes and stride on
    its padded input, with `torch.set_num_threads(threads)`."""
    return _median_times_ms([_torch_call(layer, groups, threads)], repeats, min_time)[0]


def time_pair(
    module: ModuleOp,
    layer: ConvLayer,
    groups: int | None,
    repeats: int = REPEATS,
    threads: int = 1,
    *,
    func_name: str = "conv",
    min_time: float = MIN_TIME_S,
    lock: AbstractContextManager[Any] | None = None,
    scheduled: bool = False,
) -> tuple[float, float | None]:
    """(native ms, PyTorch ms) with interleaved calls; PyTorch's is None when
    `groups` is None (no PyTorch equivalent).  Both are compiled/prepared
    first; only the measurement holds `lock` (e.g. one timing per host).
    `scheduled`: `module` is already the output of `schedule`."""
    calls: list[Callable[[], Any]] = [_native_call(module, func_name, threads, scheduled)]
    if groups is not None:
        calls.append(_torch_call(layer, groups, threads))
    with lock if lock is not None else nullcontext():
        times = _median_times_ms(calls, repeats, min_time)
    return times[0], (times[1] if groups is not None else None)
