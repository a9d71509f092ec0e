"""Plots of an exploration (matplotlib, Agg backend: no display needed).

Per layer, one PNG with two panels: native time against Fisher Potential and
parameters against Fisher Potential, every candidate drawn (rejected ones
hollow, the original as a star), each panel's Pareto front among the
accepted candidates joined by a line; and `overview.png`: every accepted
candidate of every layer as speed-up over its layer's original against
Fisher Potential relative to it, with the threshold's line and the
whole-network choice marked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from xdsl_group.explore import results as res


def _file_name(layer: int, name: str) -> str:
    return f"layer-{layer:02d}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"


def _front_line(ax: Any, points: Sequence[tuple[float, float]]) -> None:
    flags = res.front(points)
    line = sorted(p for p, on in zip(points, flags) if on)
    if line:
        ax.plot([p[0] for p in line], [p[1] for p in line], "-o", color="tab:red",
                markersize=7, markerfacecolor="none", label="Pareto front", zorder=3)


def _save(fig: Any, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    fig.savefig(tmp, dpi=110, format="png")
    tmp.replace(path)


def write_plots(directory: Path, records: Sequence[Mapping[str, Any]],
                summary: Mapping[str, Any]) -> list[Path]:
    """Write the per-layer PNGs and overview.png into `directory`; the paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for entry in summary["layers"]:
        i = entry["layer"]
        mine = [r for r in records if r["layer"] == i and not res.refused(r)
                and r.get("fisher") is not None and r.get("time_ms") is not None]
        fig, axes = plt.subplots(1, 2, figsize=(10, 4))
        for ax, x, label in ((axes[0], "time_ms", "native time (ms)"),
                             (axes[1], "params", "parameters (weights read)")):
            acc = [r for r in mine if res.accepted(r)]
            rej = [r for r in mine if not res.accepted(r)]
            ax.scatter([r[x] for r in acc], [r["fisher"] for r in acc], s=18, color="tab:blue",
                       label="accepted")
            ax.scatter([r[x] for r in rej], [r["fisher"] for r in rej], s=18, facecolors="none",
                       edgecolors="tab:gray", label="rejected")
            base = [r for r in mine if r["pipeline"] == "" and not r["next_pipeline"]]
            ax.scatter([r[x] for r in base], [r["fisher"] for r in base], marker="*", s=140,
                       color="black", label="original", zorder=4)
            _front_line(ax, [(float(r[x]), float(r["fisher"])) for r in acc])
            ax.set_xlabel(label)
            ax.set_ylabel("Fisher Potential")
            ax.grid(alpha=0.3)
        axes[0].legend(fontsize=8)
        fig.suptitle(f"{summary['network']} layer {i} ({entry['name']}): "
                     f"{entry['accepted']} of {entry['candidates']} candidates accepted")
        fig.tight_layout()
        path = directory / _file_name(i, entry["name"])
        _save(fig, path)
        plt.close(fig)
        written.append(path)

    fig, ax = plt.subplots(figsize=(8, 5))
    chosen_x, chosen_y = [], []
    for entry in summary["layers"]:
        d = entry["dense"]
        if not d or not d.get("time_ms") or not d.get("fisher"):
            continue
        pts = [(d["time_ms"] / r["time_ms"], r["fisher"] / d["fisher"]) for r in records
               if r["layer"] == entry["layer"] and res.accepted(r) and r.get("time_ms")]
        ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=10, alpha=0.6,
                   label=f"{entry['layer']} {entry['name']}" if len(summary["layers"]) <= 12
                   else None)
        c = entry.get("chosen")
        if c and c.get("fisher") is not None and c.get("time_ms"):
            chosen_x.append(d["time_ms"] / c["time_ms"])
            chosen_y.append(c["fisher"] / d["fisher"])
    ax.scatter(chosen_x, chosen_y, marker="x", s=60, color="black", label="chosen", zorder=4)
    ax.axhline(1.0 - summary["threshold"], color="tab:red", linestyle="--",
               label=f"Fisher rule (threshold {summary['threshold']})")
    ax.axvline(1.0, color="gray", linewidth=0.8)
    ax.set_xlabel("speed-up over the layer's original")
    ax.set_ylabel("Fisher Potential / original's")
    total = summary["network_total"]
    title = f"{summary['network']}: accepted candidates of {len(summary['layers'])} layers"
    if total.get("speedup"):
        title += f"; whole network {total['speedup']:.2f}x"
    ax.set_title(title)
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path = directory / "overview.png"
    _save(fig, path)
    plt.close(fig)
    written.append(path)
    return written
