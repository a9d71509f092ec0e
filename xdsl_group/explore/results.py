"""What an exploration concludes from its records: the Fisher rule, the
per-layer Pareto fronts, the whole-network choice, the summary and its table.

A record is a dict (one per candidate, see `docs/exploration.md`); the
functions here only read the metrics fields and set `rejected`/`pareto`, so
they are tested on hand-made records.  Nothing here imports torch.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

Record = dict[str, Any]

DEFAULT_THRESHOLD = 0.5
THRESHOLD_RULE = (
    "a candidate is rejected when its Fisher Potential is below (1 - threshold) "
    "times the Fisher Potential of its layer's original (pipeline \"\")"
)


def refused(record: Mapping[str, Any]) -> bool:
    return record.get("error") is not None


def accepted(record: Mapping[str, Any]) -> bool:
    return not refused(record) and record.get("rejected") is False


def baseline(records: Iterable[Record], layer: int) -> Record | None:
    for r in records:
        if r["layer"] == layer and r["pipeline"] == "" and r["next_pipeline"] == "":
            return r
    return None


def apply_rule(records: Sequence[Record], threshold: float) -> None:
    """Set each record's `rejected`: None for a refused candidate; True when
    its Fisher Potential is unknown, or its layer's original is refused
    (nothing to compare with: unsure, so rejected), or it falls below the
    original's by more than `threshold` (a fraction)."""
    check_threshold(threshold)
    bases = {r["layer"]: baseline(records, r["layer"]) for r in records}
    for r in records:
        if refused(r):
            r["rejected"] = None
            continue
        base = bases[r["layer"]]
        if base is None or refused(base) or base.get("fisher") is None or r.get("fisher") is None:
            r["rejected"] = True
        else:
            r["rejected"] = bool(r["fisher"] < (1.0 - threshold) * base["fisher"])


def check_threshold(threshold: float) -> None:
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not (
        0.0 <= threshold <= 1.0
    ):
        raise ValueError(f"the threshold is a fraction in [0, 1], not {threshold!r}")


def front(points: Sequence[tuple[float, float]]) -> list[bool]:
    """Which points are Pareto-optimal when minimising the first coordinate
    and maximising the second: no other point is at least as good in both
    and better in one.  Equal points are all on the front."""
    flags = []
    for i, (x, y) in enumerate(points):
        dominated = any(
            (x2 <= x and y2 >= y) and (x2 < x or y2 > y)
            for j, (x2, y2) in enumerate(points)
            if j != i
        )
        flags.append(not dominated)
    return flags


def mark_pareto(records: Sequence[Record]) -> None:
    """`pareto`: on its layer's (time, Fisher) front among the accepted
    candidates (the layer's own time: a bottleneck's effect on its consumer
    is weighed by the whole-network choice)."""
    for r in records:
        r["pareto"] = False
    for layer in sorted({r["layer"] for r in records}):
        pool = [r for r in records if r["layer"] == layer and accepted(r)
                and r.get("time_ms") is not None]
        for r, on in zip(pool, front([(r["time_ms"], r["fisher"]) for r in pool])):
            r["pareto"] = on


# -- the whole-network choice ---------------------------------------------------


def choose_network(
    records: Sequence[Record], consumers: Mapping[int, int | None]
) -> dict[int, tuple[str, Record]] | None:
    """The accepted candidates minimising the total conv time of the layers in
    `consumers` (layer index -> index of its consumer, or None).

    A candidate with a `next_pipeline` (a bottleneck) also fixes its consumer
    to the shrunk program it measured (`next_time_ms`); the consumer then
    takes no candidate of its own.  The consumer relation links layers into
    disjoint chains (each layer has at most one consumer and is the consumer
    of at most one layer), and along each chain
        best(t) = min(own(t) + best(t+1), pair(t) + best(t+2)).
    A bottleneck whose consumer is not among the layers is not chosen (its
    consumer's original time is not known).  Returns layer -> ("own" |
    "fixed", record), or None when some layer has no accepted, timed choice.
    Ties go to the earlier record.
    """
    layers = sorted(consumers)
    members = set(layers)
    producer: dict[int, int] = {}
    for i in layers:
        j = consumers[i]
        if j is not None and j in members:
            if j in producer:
                raise ValueError(f"layer {j} is the consumer of layers {producer[j]} and {i}")
            producer[j] = i
    own: dict[int, Record | None] = {}
    pair: dict[int, Record | None] = {}
    for i in layers:
        pool = [r for r in records if r["layer"] == i and accepted(r) and r.get("time_ms") is not None]
        singles = [r for r in pool if not r["next_pipeline"]]
        doubles = [
            r for r in pool
            if r["next_pipeline"] and r.get("next_layer") == consumers[i]
            and consumers[i] in members and r.get("next_time_ms") is not None
        ]
        own[i] = min(singles, key=lambda r: r["time_ms"], default=None)
        pair[i] = min(doubles, key=lambda r: r["time_ms"] + r["next_time_ms"], default=None)

    choice: dict[int, tuple[str, Record]] = {}
    for start in (i for i in layers if i not in producer):
        chain = [start]
        while (j := consumers[chain[-1]]) is not None and j in members:
            chain.append(j)
        n = len(chain)
        best = [0.0] * (n + 2)
        pick: list[str | None] = [None] * (n + 1)
        for t in reversed(range(n)):
            i = chain[t]
            options = []
            if own[i] is not None:
                options.append((own[i]["time_ms"] + best[t + 1], 0, "own"))
            if pair[i] is not None and t + 1 < n:
                r = pair[i]
                options.append((r["time_ms"] + r["next_time_ms"] + best[t + 2], 1, "pair"))
            if not options:
                best[t], pick[t] = math.inf, None
                continue
            best[t], _, pick[t] = min(options)
        if math.isinf(best[0]):
            return None
        t = 0
        while t < n:
            i = chain[t]
            if pick[t] == "pair":
                r = pair[i]
                assert r is not None
                choice[i] = ("own", r)
                choice[chain[t + 1]] = ("fixed", r)
                t += 2
            else:
                r = own[i]
                assert r is not None
                choice[i] = ("own", r)
                t += 1
    return choice


# -- the summary -------------------------------------------------------------------


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def summarize(
    records: Sequence[Record],
    layers: Sequence[tuple[int, str, int | None]],
    *,
    network: str,
    threshold: float,
    budget: int,
    seed: int,
    threads: int,
) -> dict[str, Any]:
    """summary.json: per layer the original and the chosen candidate (and the
    fastest accepted one on the layer alone); for the whole network (the
    searched layers) the total conv time, FLOPs and parameters of the
    originals and of the choice, the speed-up and the Fisher Potentials."""
    consumers = {i: c for i, _, c in layers}
    choice = choose_network(records, consumers)
    per_layer = []
    for i, name, _ in layers:
        base = baseline(records, i)
        mine = [r for r in records if r["layer"] == i]
        pool = [r for r in mine if accepted(r) and r.get("time_ms") is not None]
        best = min(pool, key=lambda r: r["time_ms"], default=None)
        entry: dict[str, Any] = {
            "layer": i,
            "name": name,
            "candidates": len(mine),
            "refused": sum(refused(r) for r in mine),
            "rejected": sum(r.get("rejected") is True for r in mine),
            "accepted": sum(accepted(r) for r in mine),
            "dense": _metrics(base) if base is not None and not refused(base) else None,
            "best": _metrics(best) if best is not None else None,
            "best_speedup": _ratio(
                base.get("time_ms") if base else None, best["time_ms"] if best else None
            ),
        }
        if choice is not None:
            how, r = choice[i]
            chosen = _metrics(r) if how == "own" else _fixed_metrics(r)
            entry["chosen"] = chosen
            entry["speedup"] = _ratio(entry["dense"]["time_ms"] if entry["dense"] else None,
                                      chosen["time_ms"])
        else:
            entry["chosen"] = None
            entry["speedup"] = None
        per_layer.append(entry)

    total: dict[str, Any] = {"layers": len(layers)}
    if choice is not None and all(e["dense"] is not None for e in per_layer):
        for what in ("time_ms", "flops", "params"):
            total[f"dense_{what}"] = sum(e["dense"][what] for e in per_layer)
            total[f"chosen_{what}"] = sum(e["chosen"][what] for e in per_layer)
        total["speedup"] = _ratio(total["dense_time_ms"], total["chosen_time_ms"])
        pairs = [(e["chosen"]["fisher"], e["dense"]["fisher"]) for e in per_layer
                 if e["chosen"]["fisher"] is not None]
        total["dense_fisher"] = sum(d for _, d in pairs)
        total["chosen_fisher"] = sum(c for c, _ in pairs)
        ratios = [_ratio(c, d) for c, d in pairs]
        total["min_fisher_ratio"] = min((x for x in ratios if x is not None), default=None)
    else:
        total["error"] = "some layer has no accepted candidate with a time (see its records)"
    return {
        "network": network,
        "budget": budget,
        "seed": seed,
        "threads": threads,
        "threshold": threshold,
        "threshold_rule": THRESHOLD_RULE,
        "candidates": len(records),
        "refused": sum(refused(r) for r in records),
        "rejected": sum(r.get("rejected") is True for r in records),
        "layers": per_layer,
        "network_total": total,
    }


_METRICS = ("pipeline", "next_pipeline", "kind", "time_ms", "torch_time_ms", "flops", "params",
            "fisher")


def _metrics(r: Record) -> dict[str, Any]:
    out = {k: r.get(k) for k in _METRICS}
    out["fixed_by"] = None
    return out


def _fixed_metrics(r: Record) -> dict[str, Any]:
    """The consumer's metrics under a producer's bottleneck."""
    return {
        "pipeline": r["next_pipeline"],
        "next_pipeline": "",
        "kind": r["kind"],
        "time_ms": r["next_time_ms"],
        "torch_time_ms": None,
        "flops": r["next_flops"],
        "params": r["next_params"],
        "fisher": None,
        "fixed_by": r["layer"],
    }


# -- the table -----------------------------------------------------------------


def _fmt(x: float | None, spec: str) -> str:
    return "-" if x is None else format(x, spec)


def table(summary: Mapping[str, Any], width: int = 44) -> str:
    """The summary as a plain-text table: per layer the original against the
    chosen candidate, then the whole network."""
    head = ("#", "layer", "cands", "dense ms", "chosen ms", "speed-up", "params",
            "Fisher", "chosen")
    rows = [head]
    for e in summary["layers"]:
        d, c = e["dense"], e["chosen"]
        if c is None:
            what = "-"
        elif c["fixed_by"] is not None:
            what = f"shrunk by layer {c['fixed_by']}'s bottleneck"
        else:
            what = c["pipeline"] or "(original)"
            if c["next_pipeline"]:
                what += f" + next: {c['next_pipeline']}"
        if len(what) > width:
            what = what[: width - 3] + "..."
        fisher = None
        if d is not None and c is not None:
            fisher = _ratio(c["fisher"], d["fisher"])
        rows.append((
            str(e["layer"]), e["name"],
            f"{e['accepted']}/{e['candidates']}",
            _fmt(d["time_ms"] if d else None, ".3f"),
            _fmt(c["time_ms"] if c else None, ".3f"),
            _fmt(e["speedup"], ".2f") + ("x" if e["speedup"] is not None else ""),
            f"{d['params'] if d else '-'} -> {c['params'] if c else '-'}",
            _fmt(fisher, ".2f") + ("x" if fisher is not None else ""),
            what,
        ))
    widths = [max(len(r[k]) for r in rows) for k in range(len(head))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    t = summary["network_total"]
    lines.append("")
    if "error" in t:
        lines.append(f"whole network: {t['error']}")
    else:
        lines.append(
            f"whole network ({t['layers']} conv layers): dense {t['dense_time_ms']:.3f} ms, "
            f"chosen {t['chosen_time_ms']:.3f} ms, speed-up {t['speedup']:.2f}x; "
            f"params {t['dense_params']} -> {t['chosen_params']}; "
            f"FLOPs {t['dense_flops']} -> {t['chosen_flops']}; "
            f"Fisher (sum over layers) {t['dense_fisher']:.4g} -> {t['chosen_fisher']:.4g}"
        )
    lines.append(
        f"threshold {summary['threshold']}: {summary['threshold_rule']}; "
        f"{summary['candidates']} candidates, {summary['refused']} refused, "
        f"{summary['rejected']} rejected"
    )
    return "\n".join(lines) + "\n"


# -- files -----------------------------------------------------------------------


def write_json(path: Path, data: Any) -> None:
    """Write `data` as JSON to `path` atomically (a temporary file renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1, sort_keys=True, allow_nan=False)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
