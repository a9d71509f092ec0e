"""The exploration driver: evaluate every candidate of every layer, apply the
Fisher rule, mark the Pareto fronts, choose the whole network, write the
results.

Work is done in Dask tasks (an in-process `LocalCluster` sized to the
machine unless a scheduler address is given).  One task evaluates one
*unit*: the candidates of identical program shape and pipelines, whatever
their layer (two layers of the same shape and consumer-ness draw the same
pipelines), so their transformation, counts and times are computed once;
Fisher Potential stays per layer.  A task compiles what it times (compiled
functions do not travel between processes); the timed calls hold a lock per
host, so timings are not measured under each other's load, while the
transformations, counts, compilations and Fisher Potentials of other tasks
run in parallel.  The results are written by the client into
`OUT/cache/` (one JSON file per key hash, written atomically) as they
arrive, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import socket
import sys
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xdsl_group.errors import LoopnestError
from xdsl_group.explore import results as res
from xdsl_group.explore.networks import ConvLayer, Network, network as network_named
from xdsl_group.explore.space import Candidate, apply_candidate, candidates

if TYPE_CHECKING:
    from torch import nn
    from xdsl.dialects.builtin import ModuleOp

# Bump when a cached entry's meaning changes: old entries are then ignored.
CACHE_VERSION = 2
FUNC = "conv"
TIME_FIELDS = ("time_ms", "torch_time_ms", "next_time_ms")

_GROUPS = re.compile(r"group-loops\{loops=co,ci groups=(\d+)(?: compact=(?:true|false))?\}")


def torch_groups(layer: ConvLayer, pipeline: str, next_pipeline: str = "") -> int | None:
    """The `groups` of the PyTorch conv2d computing what the candidate's
    program computes (its original, dense or grouped, or one `group-loops`
    of `co,ci`), None when PyTorch has no such operator (peeled, split,
    spatially grouped, bottlenecked programs)."""
    if next_pipeline:
        return None
    if pipeline == "":
        return layer.groups
    m = _GROUPS.fullmatch(pipeline)
    return int(m.group(1)) if m else None


# -- keys ------------------------------------------------------------------------


def _shape(layer: ConvLayer) -> list[int]:
    return [layer.in_channels, layer.out_channels, layer.height, layer.width,
            layer.kernel, layer.stride, layer.padding, layer.groups]


def work_key(net: Network, cand: Candidate, threads: int) -> str:
    """What the transformation, counts and times depend on: the shapes and the
    pipelines (not the layer's name), and the thread count."""
    layer = net.layer(cand.layer)
    nxt = _consumer(net, layer) if cand.next_pipeline else None
    return json.dumps({
        "v": CACHE_VERSION, "what": "work", "shape": _shape(layer), "pipeline": cand.pipeline,
        "next_shape": _shape(nxt) if nxt is not None else None,
        "next_pipeline": cand.next_pipeline, "threads": threads,
    }, sort_keys=True)


def fisher_key(net: Network, cand: Candidate, seed: int) -> str:
    """What a Fisher Potential depends on: the network, the candidate (its
    layer, pipelines) and the seed (initialisation and minibatch)."""
    return json.dumps({
        "v": CACHE_VERSION, "what": "fisher", "network": net.name,
        "shape": _shape(net.layer(cand.layer)), "candidate": cand.key, "seed": seed,
    }, sort_keys=True)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _consumer(net: Network, layer: ConvLayer) -> ConvLayer:
    if layer.consumer is None:
        raise LoopnestError(
            f"layer {layer.index} ({layer.name}) has no consumer layer to shrink with it"
        )
    return net.layer(layer.consumer)


# -- one unit of work, on a worker -------------------------------------------------


def _diagnostic(e: BaseException) -> str:
    text = str(e).strip()
    line = text.splitlines()[0] if text else type(e).__name__
    # A refusal: a pass or count refusing the program (LoopnestError), or a
    # program that does not fit the network (ValueError).
    if isinstance(e, (LoopnestError, ValueError)):
        return line
    return f"internal error: {type(e).__name__}: {line}"


def _modules(net: Network, cand: Candidate) -> tuple[ModuleOp, ModuleOp | None]:
    layer = net.layer(cand.layer)
    module = apply_candidate(layer, cand.pipeline)
    nxt = apply_candidate(_consumer(net, layer), cand.next_pipeline) if cand.next_pipeline else None
    return module, nxt


def compute_work(
    net: Network, cand: Candidate, threads: int, lock: AbstractContextManager[Any] | None = None
) -> dict[str, Any]:
    """Transform, count and time one candidate: the work fields of its record,
    or `error` (the one-line diagnostic) and `stage` where it was refused."""
    return _work(net, cand, threads, lock)[0]


def _work(
    net: Network, cand: Candidate, threads: int, lock: AbstractContextManager[Any] | None
) -> tuple[dict[str, Any], tuple[ModuleOp, ModuleOp | None] | None]:
    """`compute_work`, and the modules the Fisher Potential takes (see
    `_fisher_modules`), None if refused."""
    from xdsl_group.analysis.counting import flop_count, read_elements
    from xdsl_group.explore.timing import schedule, time_pair

    layer = net.layer(cand.layer)
    out: dict[str, Any] = {"error": None, "stage": None}
    stage = "apply"
    try:
        module, nxt = _modules(net, cand)
        out["mlir"] = str(module)
        out["next_mlir"] = str(nxt) if nxt is not None else None
        stage = "count"
        out["flops"] = flop_count(module, FUNC)
        out["params"] = read_elements(module, FUNC, "W")
        out["next_flops"] = flop_count(nxt, FUNC) if nxt is not None else None
        out["next_params"] = read_elements(nxt, FUNC, "W") if nxt is not None else None
        stage = "time"
        scheduled = schedule(module)
        out["time_ms"], out["torch_time_ms"] = time_pair(
            scheduled, layer, torch_groups(layer, cand.pipeline, cand.next_pipeline),
            threads=threads, lock=lock, scheduled=True,
        )
        out["next_time_ms"] = (
            time_pair(nxt, layer, None, threads=threads, lock=lock)[0] if nxt is not None else None
        )
    except Exception as e:  # recorded, never fatal to the run
        out.update(error=_diagnostic(e), stage=stage)
        return out, None
    return out, (scheduled, nxt)


def _fisher_modules(net: Network, cand: Candidate) -> tuple[ModuleOp, ModuleOp | None]:
    """The programs Fisher Potential runs: the layer's as it is timed (after
    `auto-schedule`: the same sums in the same order, and its compiled code
    is the one timing compiled), the consumer's as transformed (its adjoint
    is derived from it)."""
    from xdsl_group.explore.timing import schedule

    module, nxt = _modules(net, cand)
    return schedule(module), nxt


_PROCESS_STATE: dict[Any, Any] = {}


def _model_and_batch(net: Network, model: nn.Module | None, seed: int) -> tuple[Any, Any, Any]:
    from xdsl_group.explore.data import minibatch
    from xdsl_group.explore.models import model_for

    if model is None:
        if ("model", net.name) not in _PROCESS_STATE:
            _PROCESS_STATE[("model", net.name)] = model_for(net.name)
        model = _PROCESS_STATE[("model", net.name)]
    if ("batch", seed) not in _PROCESS_STATE:
        _PROCESS_STATE[("batch", seed)] = minibatch(seed)
    images, labels = _PROCESS_STATE[("batch", seed)]
    return model, images, labels


def compute_fisher(
    net: Network, cand: Candidate, model: nn.Module | None, seed: int,
    modules: tuple[ModuleOp, ModuleOp | None] | None = None,
) -> dict[str, Any]:
    """The candidate's Fisher Potential (`fisher`), or `error` and `stage`.
    The original (`pipeline == ""`) keeps the network's own nn.Conv2d;
    `modules` are `_fisher_modules(net, cand)` if already made."""
    import torch

    from xdsl_group.explore.fisher import candidate_fisher

    try:
        mdl, images, labels = _model_and_batch(net, model, seed)
        if cand.pipeline == "" and not cand.next_pipeline:
            module, nxt = None, None
        else:
            module, nxt = modules if modules is not None else _fisher_modules(net, cand)
        # One thread: the same sums in the same order on every worker.
        torch.set_num_threads(1)
        value = candidate_fisher(mdl, net, net.layer(cand.layer), module, images, labels, seed,
                                 next_module=nxt, fast_math=True)
        if not math.isfinite(value):
            return {"fisher": None, "error": f"the Fisher Potential is {value}", "stage": "fisher"}
        return {"fisher": float(value), "error": None, "stage": None}
    except Exception as e:
        return {"fisher": None, "error": _diagnostic(e), "stage": "fisher"}


@dataclass(frozen=True)
class Unit:
    """Candidates sharing one work key: `work` is computed for the first if
    not cached, Fisher Potential for each of `fisher` (indices into cands)."""

    cands: tuple[Candidate, ...]
    need_work: bool
    fisher: tuple[int, ...]


def _timing_lock() -> AbstractContextManager[Any]:
    try:
        from distributed import Lock, get_worker

        get_worker()
    except (ImportError, ValueError):
        return nullcontext()
    return Lock(f"timing-{socket.gethostname()}")


def run_unit(net: Network, unit: Unit, model: nn.Module | None, seed: int, threads: int
             ) -> dict[str, Any]:
    """The task: the unit's work (if needed) and Fisher Potentials."""
    work, modules = None, None
    if unit.need_work:
        work, modules = _work(net, unit.cands[0], threads, _timing_lock())
    refused = work is not None and work["error"] is not None
    fishers: dict[int, dict[str, Any]] = {}
    for k in unit.fisher:
        if refused:
            break
        cand = unit.cands[k]
        if modules is None and cand.pipeline:
            try:
                modules = _fisher_modules(net, cand)
            except Exception as e:
                fishers[k] = {"fisher": None, "error": _diagnostic(e), "stage": "apply"}
                continue
        fishers[k] = compute_fisher(net, cand, model, seed, modules)
    return {"work": work, "fisher": fishers}


def evaluate(
    net: Network, cand: Candidate, *, model: nn.Module | None = None, seed: int = 0,
    threads: int = 1,
) -> dict[str, Any]:
    """One candidate's record, evaluated in this process (no cache, no Fisher
    rule: `rejected` and `pareto` are set by `run` over all the records)."""
    work, modules = _work(net, cand, threads, None)
    fisher = compute_fisher(net, cand, model, seed, modules) if modules is not None else None
    return _record(net, cand, work, fisher)


# -- records ---------------------------------------------------------------------


_WORK_FIELDS = ("mlir", "next_mlir", "flops", "params", "next_flops", "next_params",
                "time_ms", "torch_time_ms", "next_time_ms")


def _record(net: Network, cand: Candidate, work: dict[str, Any],
            fisher: dict[str, Any] | None) -> dict[str, Any]:
    layer = net.layer(cand.layer)
    nxt = net.layer(layer.consumer) if cand.next_pipeline and layer.consumer is not None else None
    r: dict[str, Any] = {
        "network": net.name,
        "layer": layer.index,
        "layer_name": layer.name,
        "kind": cand.kind,
        "pipeline": cand.pipeline,
        "next_layer": nxt.index if nxt is not None else None,
        "next_layer_name": nxt.name if nxt is not None else None,
        "next_pipeline": cand.next_pipeline,
    }
    for f in _WORK_FIELDS:
        r[f] = work.get(f)
    r["fisher"] = fisher["fisher"] if fisher is not None else None
    r["error"], r["stage"] = work["error"], work["stage"]
    if r["error"] is None and fisher is not None and fisher["error"] is not None:
        r["error"], r["stage"] = fisher["error"], fisher["stage"]
    r["rejected"] = None
    r["pareto"] = False
    return r


# -- the cache -------------------------------------------------------------------


class Cache:
    """JSON files `DIR/<hash of key>.json` holding {"key": key, "value": ...};
    no directory means no cache.  Internal errors are never stored, so a
    rerun retries them."""

    def __init__(self, directory: Path | None):
        self.directory = directory

    def get(self, key: str) -> dict[str, Any] | None:
        if self.directory is None:
            return None
        path = self.directory / f"{_hash(key)}.json"
        try:
            entry = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        return entry["value"] if isinstance(entry, dict) and entry.get("key") == key else None

    def put(self, key: str, value: dict[str, Any]) -> None:
        if self.directory is None or (value.get("error") or "").startswith("internal error"):
            return
        res.write_json(self.directory / f"{_hash(key)}.json", {"key": key, "value": value})


# -- the cluster -----------------------------------------------------------------


@contextmanager
def _client(scheduler: str | None, workers: int) -> Iterator[Any]:
    """A Dask client: of `scheduler` (an address), or of a local cluster of
    one-thread worker processes.  Dask's own logs are silenced."""
    from distributed import Client, LocalCluster

    logger = logging.getLogger("distributed")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        if scheduler is not None:
            try:
                client = Client(scheduler, timeout="10s")
            except (OSError, ValueError, TypeError) as e:
                raise ValueError(
                    f"cannot reach the Dask scheduler at {scheduler}: {_diagnostic(e)}"
                ) from None
            try:
                yield client
            finally:
                client.close()
        else:
            with LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True,
                dashboard_address=None, silence_logs=logging.ERROR,
            ) as cluster, Client(cluster) as client:
                yield client
    finally:
        logger.setLevel(level)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


# -- run ----------------------------------------------------------------------------


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ValueError(f"cannot write to {out}: it exists and is not a directory")
    existing = out
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f"cannot write to {out}: {existing} is not a writable directory")


def check_scheduler(address: str) -> None:
    """Refuse at once a scheduler address that nothing listens on (Dask's own
    connection would retry until its timeout)."""
    m = re.fullmatch(r"tcp://(\[[^\]]+\]|[^:/]+):(\d+)/?", address)
    if m is None:
        raise ValueError(f"the scheduler address must be tcp://HOST:PORT, not '{address}'")
    host = m.group(1).strip("[]")
    try:
        socket.create_connection((host, int(m.group(2))), timeout=10).close()
    except OSError as e:
        raise ValueError(
            f"cannot reach the Dask scheduler at {address}: {e.strerror or e}"
        ) from None


def _positive(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, not {value!r}")
    return value


@dataclass
class RunStats:
    """How much a run computed: tasks run, and candidates served from the cache."""

    tasks: int = 0
    cached: int = 0
    internal_errors: list[str] = field(default_factory=list)


def run(
    network: str | Network = "resnet18-cifar",
    *,
    budget: int = 32,
    seed: int = 0,
    out: str | Path | None = None,
    layers: Sequence[int | str] | None = None,
    scheduler: str | None = None,
    threads: int = 1,
    threshold: float = res.DEFAULT_THRESHOLD,
    progress: bool = True,
    model: nn.Module | None = None,
    stats: RunStats | None = None,
) -> list[dict[str, Any]]:
    """Explore `network` (a built-in name or a `Network`; `model` is its
    PyTorch model when it is not built in): up to `budget` candidates per
    layer drawn by `seed`, for all layers or those of `layers` (indices or
    names).  Returns the records in layer order, then candidate order; with
    `out`, writes results.json, summary.json, table.txt and plots/ there and
    caches every evaluation in out/cache/.  Bad arguments raise ValueError
    before anything is computed or written."""
    net = network_named(network) if isinstance(network, str) else network
    _positive("the budget", budget)
    _positive("threads", threads)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"the seed must be a non-negative integer, not {seed!r}")
    res.check_threshold(threshold)
    chosen = net.layers if layers is None else sorted(
        {net.layer(ref).index: net.layer(ref) for ref in layers}.values(), key=lambda l: l.index
    )
    if not chosen:
        raise ValueError("no layers to explore")
    out_dir = Path(out) if out is not None else None
    if out_dir is not None:
        _check_out(out_dir)
    if scheduler is not None:
        check_scheduler(scheduler)
    stats = stats if stats is not None else RunStats()

    cands = [c for layer in chosen for c in candidates(net, layer, budget, seed)]
    cache = Cache(out_dir / "cache" if out_dir is not None else None)
    # Units: candidates of one work key, in order of first appearance.
    groups: dict[str, list[Candidate]] = {}
    for c in cands:
        groups.setdefault(work_key(net, c, threads), []).append(c)
    works: dict[str, dict[str, Any]] = {}
    fishers: dict[str, dict[str, Any]] = {}
    units: list[tuple[str, Unit]] = []
    for wk, members in groups.items():
        work = cache.get(wk)
        if work is not None:
            works[wk] = work
        need = []
        for k, c in enumerate(members):
            fk = fisher_key(net, c, seed)
            f = cache.get(fk)
            if f is not None:
                fishers[fk] = f
            elif work is None or work["error"] is None:
                need.append(k)
        if work is None or need:
            units.append((wk, Unit(tuple(members), work is None, tuple(need))))
    stats.cached += sum(
        1 for c in cands
        if work_key(net, c, threads) in works
        and (fisher_key(net, c, seed) in fishers or works[work_key(net, c, threads)]["error"])
    )

    if units:
        _evaluate_units(net, units, model, seed, threads, scheduler, cache, works, fishers,
                        progress, len(cands), stats)

    records = []
    for c in cands:
        work = works[work_key(net, c, threads)]
        fisher = fishers.get(fisher_key(net, c, seed)) if work["error"] is None else None
        records.append(_record(net, c, work, fisher))
    res.apply_rule(records, threshold)
    res.mark_pareto(records)
    if out_dir is not None:
        _write_outputs(out_dir, records, chosen, net, threshold=threshold, budget=budget,
                       seed=seed, threads=threads, stats=stats)
    return records


def _evaluate_units(
    net: Network, units: list[tuple[str, Unit]], model: nn.Module | None, seed: int,
    threads: int, scheduler: str | None, cache: Cache, works: dict[str, Any],
    fishers: dict[str, Any], progress: bool, total: int, stats: RunStats,
) -> None:
    from distributed import as_completed
    from tqdm import tqdm

    workers = max(1, min(_cores(), len(units)))
    bar = tqdm(total=total, initial=stats.cached, unit="candidate", desc=net.name,
               disable=not progress or not sys.stderr.isatty(), file=sys.stderr)
    with bar, _client(scheduler, workers) as client:
        futures = {
            client.submit(run_unit, net, unit, model, seed, threads, pure=False): (wk, unit)
            for wk, unit in units
        }
        for future in as_completed(futures):
            wk, unit = futures[future]
            try:
                result = future.result()
            except Exception as e:  # the task itself failed (e.g. its worker died)
                # Never cached (an internal error): a rerun retries it.
                text = _diagnostic(e)
                if not text.startswith("internal error"):
                    text = f"internal error: {text}"
                lost = {"error": text, "stage": "task"}
                result = {"work": lost if unit.need_work else None,
                          "fisher": {k: {"fisher": None, **lost} for k in unit.fisher}}
            stats.tasks += 1
            if result["work"] is not None:
                works[wk] = result["work"]
                cache.put(wk, result["work"])
                if result["work"]["error"] and result["work"]["error"].startswith("internal"):
                    stats.internal_errors.append(result["work"]["error"])
            for k, f in result["fisher"].items():
                fk = fisher_key(net, unit.cands[k], seed)
                fishers[fk] = f
                cache.put(fk, f)
                if f["error"] and f["error"].startswith("internal"):
                    stats.internal_errors.append(f["error"])
            bar.update(len(unit.cands) if unit.need_work else len(unit.fisher))


def _write_outputs(
    out: Path, records: list[dict[str, Any]], layers: Sequence[ConvLayer], net: Network, *,
    threshold: float, budget: int, seed: int, threads: int, stats: RunStats,
) -> None:
    from xdsl_group.explore import plots

    summary = res.summarize(
        records, [(l.index, l.name, l.consumer) for l in layers], network=net.name,
        threshold=threshold, budget=budget, seed=seed, threads=threads,
    )
    summary["evaluated_tasks"] = stats.tasks
    summary["from_cache"] = stats.cached
    summary["internal_errors"] = stats.internal_errors
    res.write_json(out / "results.json", records)
    res.write_json(out / "summary.json", summary)
    text = res.table(summary)
    tmp = out / ".table.txt.tmp"
    tmp.write_text(text)
    os.replace(tmp, out / "table.txt")
    plots.write_plots(out / "plots", records, summary)
