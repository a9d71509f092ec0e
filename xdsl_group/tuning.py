"""`tune`: a measured search over `auto-schedule`'s candidates.

The cost model of `auto-schedule` ranks register blocks by an estimate;
on a given machine the best-estimated block is not always the fastest
(LLVM's unrolling and register allocation, the core's port layout).
`tune` compiles the model's few best schedules (`candidate_pipelines`: the
default first, then the next-ranked blocks), checks that each computes what
the default computes, times them in interleaved rounds on the same inputs,
and returns the fastest as a pipeline, so the result is reproducible with
`xdsl-opt -p` like any schedule.  It never replaces the deterministic
default: `auto-schedule` and `schedule_pipeline` do not depend on timings.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from xdsl.dialects.builtin import MemRefType, ModuleOp

from xdsl_group.api import apply, find_function, random_arrays, written_arguments
from xdsl_group.errors import LoopnestError
from xdsl_group.transforms.auto_schedule import MAX_UNROLLED, candidate_pipelines


@dataclass(frozen=True)
class Tuned:
    """What `tune` found: the fastest `pipeline`, the `default` one
    (`schedule_pipeline`'s), and the median seconds per call of each
    candidate timed, in candidate order."""

    pipeline: str
    default: str
    times: dict[str, float] = field(default_factory=dict)

    @property
    def speedup(self) -> float:
        """The default's time over the chosen one's (1.0 if it is the default)."""
        return self.times[self.default] / self.times[self.pipeline]

    def __str__(self) -> str:
        lines = []
        for k, (pipeline, seconds) in enumerate(self.times.items()):
            mark = "*" if pipeline == self.pipeline else " "
            tag = "default" if pipeline == self.default else f"rank {k}"
            lines.append(f"{mark} {seconds * 1e3:9.3f} ms  {tag:8}  {pipeline}")
        return "\n".join(lines)


def random_arguments(
    module: ModuleOp, func_name: str, seed: int = 0
) -> list[np.ndarray[Any, Any]]:
    """Arrays for the memref arguments of `@func_name`: zeros for those it
    writes, small random values for the others (`api.random_arrays`)."""
    fn = find_function(module, func_name)
    types = list(fn.function_type.inputs.data)
    for i, t in enumerate(types):
        if not isinstance(t, MemRefType) or any(d < 0 for d in t.get_shape()):
            raise LoopnestError(
                f"tune: argument #{i} of @{func_name} is {t}: give `arrays` for "
                "functions with dynamic or non-memref arguments"
            )
    return random_arrays(fn, types, seed)


def tune(
    module: ModuleOp,
    func_name: str,
    *,
    candidates: int = 6,
    fast_math: bool = True,
    threads: int = 1,
    rounds: int = 15,
    arrays: list[np.ndarray[Any, Any]] | None = None,
    registers: int | None = None,
    vector_bits: int | None = None,
    max_unrolled: int = MAX_UNROLLED,
) -> Tuned:
    """Time up to `candidates` schedules of `module` (the default and the
    cost model's next-ranked ones) as `jit(..., fast_math, threads)` runs
    `@func_name` on `arrays` (default: `random_arguments`), and return the
    fastest (median of `rounds` interleaved calls).

    Each candidate must compute what the default computes (bitwise without
    fast-math, where schedules do not reorder any sum; within 1e-4 relative
    with it, where FMA contraction may differ): a mismatch raises
    `LoopnestError`, as it would be a miscompilation."""
    from xdsl_group.jit import jit

    if not isinstance(candidates, int) or isinstance(candidates, bool) or candidates < 1:
        raise ValueError(f"tune: candidates must be a positive integer, got {candidates!r}")
    if not isinstance(rounds, int) or isinstance(rounds, bool) or rounds < 1:
        raise ValueError(f"tune: rounds must be a positive integer, got {rounds!r}")
    fn = find_function(module, func_name)
    inputs = arrays if arrays is not None else random_arguments(module, func_name)
    written = sorted(written_arguments(fn))
    pipelines = candidate_pipelines(module, candidates, registers, max_unrolled, vector_bits)
    compiled = []
    reference: list[np.ndarray[Any, Any]] | None = None
    for pipeline in pipelines:
        scheduled = apply(module, pipeline) if pipeline else module
        call = jit(scheduled, func_name, fast_math=fast_math, threads=threads)
        work = [a.copy() for a in inputs]
        call(*work)
        outputs = [work[i] for i in written]
        if reference is None:
            reference = outputs
        else:
            for i, got, want in zip(written, outputs, reference):
                scale = max(1.0, float(np.abs(want).max(initial=0)))
                same = (
                    np.allclose(got, want, rtol=1e-4, atol=1e-4 * scale)
                    if fast_math
                    else np.array_equal(got, want)
                )
                if not same:
                    raise LoopnestError(
                        f"tune: the schedule '{pipeline}' computes argument #{i} of "
                        f"@{func_name} differently from the default schedule"
                    )
        compiled.append((pipeline, call, [a.copy() for a in inputs]))
    samples: dict[str, list[float]] = {p: [] for p in pipelines}
    for _ in range(rounds):
        for pipeline, call, work in compiled:
            start = time.perf_counter()
            call(*work)
            samples[pipeline].append(time.perf_counter() - start)
    times = {p: statistics.median(v) for p, v in samples.items()}
    best = min(pipelines, key=lambda p: (times[p], pipelines.index(p)))
    return Tuned(best, pipelines[0], times)
