"""The exploration driver end to end on a tiny network: records and files,
resume from the cache, refusals, and a real `dask scheduler` + `dask worker`
giving the local run's records.

The network: two 3x3 convolutions of 4 -> 4 channels on a 4x4 input (an 8x
average pool and a linear layer in front turn the 3x32x32 minibatch into
4x4x4), each followed by batch norm and ReLU, so layer 0's consumer is layer
1, and both layers share the work of their common pipelines.  Built from
standard modules only, so that it pickles to Dask workers in other
processes.
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("distributed")

from torch import nn  # noqa: E402

from xdsl_group.cli import main  # noqa: E402
from xdsl_group.explore import from_torch  # noqa: E402
from xdsl_group.explore.run import TIME_FIELDS, RunStats, evaluate, run  # noqa: E402
from xdsl_group.explore.space import Candidate  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
BUDGET = 3


def tiny_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.AvgPool2d(8), nn.Flatten(), nn.Linear(3 * 4 * 4, 4 * 4 * 4), nn.Unflatten(1, (4, 4, 4)),
        nn.Conv2d(4, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(),
        nn.Conv2d(4, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 10),
    )


MODEL = tiny_model()
NET = from_torch(MODEL, (3, 32, 32))


def without_times(records):
    """Everything but what depends on the measured times."""
    return [{k: v for k, v in r.items() if k not in (*TIME_FIELDS, "pareto")} for r in records]


@pytest.fixture(scope="module")
def explored(tmp_path_factory):
    out = tmp_path_factory.mktemp("explore")
    stats = RunStats()
    records = run(NET, model=MODEL, budget=BUDGET, seed=0, out=out, progress=False, stats=stats)
    return out, records, stats


def test_network_is_a_chain():
    assert [(l.in_channels, l.out_channels, l.height, l.consumer) for l in NET.layers] == [
        (4, 4, 4, 1), (4, 4, 4, None)
    ]


def test_records_and_files(explored):
    out, records, stats = explored
    assert stats.internal_errors == []
    assert [r["layer"] for r in records] == sorted(r["layer"] for r in records)
    for i in range(2):
        mine = [r for r in records if r["layer"] == i]
        assert 1 <= len(mine) <= BUDGET
        assert mine[0]["pipeline"] == "" and mine[0]["next_pipeline"] == ""
        base = mine[0]
        assert base["error"] is None and base["rejected"] is False
        # The dense conv: 2 * CO * CI * OH * OW * K * K flops, CO * CI * K * K weights.
        layer = NET.layers[i]
        assert base["flops"] == 2 * layer.out_channels * layer.in_channels * 4 * 4 * 9
        assert base["params"] == layer.out_channels * layer.in_channels * 9
        assert base["time_ms"] > 0 and base["torch_time_ms"] > 0 and base["fisher"] > 0
        assert "loopnest.for" in base["mlir"]
    for r in records:
        if r["error"] is None:
            assert r["flops"] > 0 and r["params"] > 0 and r["time_ms"] > 0
            assert r["fisher"] is not None and r["rejected"] in (False, True)
            if r["next_pipeline"]:
                assert r["next_layer"] == NET.layers[r["layer"]].consumer
                assert r["next_time_ms"] > 0 and r["next_flops"] > 0
                assert r["torch_time_ms"] is None
        else:
            assert "\n" not in r["error"] and r["stage"] is not None
            assert r["rejected"] is None and r["pareto"] is False
    # Each layer's front is among its accepted candidates, the fastest on it.
    for i in range(2):
        acc = [r for r in records if r["layer"] == i and r["error"] is None and not r["rejected"]]
        fastest = min(acc, key=lambda r: r["time_ms"])
        assert fastest["pareto"]

    assert json.loads((out / "results.json").read_text()) == records
    summary = json.loads((out / "summary.json").read_text())
    assert summary["threshold"] == 0.5 and summary["budget"] == BUDGET
    assert summary["candidates"] == len(records)
    assert [e["layer"] for e in summary["layers"]] == [0, 1]
    total = summary["network_total"]
    assert total["dense_time_ms"] == pytest.approx(sum(
        r["time_ms"] for r in records if r["pipeline"] == "" and not r["next_pipeline"]))
    assert total["chosen_time_ms"] <= total["dense_time_ms"]
    assert total["dense_flops"] == sum(2 * l.out_channels * l.in_channels * 16 * 9
                                       for l in NET.layers)
    table = (out / "table.txt").read_text()
    assert "whole network (2 conv layers)" in table
    pngs = sorted(p.name for p in (out / "plots").iterdir())
    assert pngs == ["layer-00-4.png", "layer-01-7.png", "overview.png"]
    for p in pngs:
        assert (out / "plots" / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert stats.tasks >= 1 and stats.cached == 0


def test_resume_recomputes_nothing(explored):
    out, records, _ = explored
    cache = sorted((out / "cache").iterdir())
    assert cache
    before = {p: p.stat().st_mtime_ns for p in cache}
    stats = RunStats()
    again = run(NET, model=MODEL, budget=BUDGET, seed=0, out=out, progress=False, stats=stats)
    assert stats.tasks == 0 and stats.cached == len(records)
    assert again == records  # times included: they come from the cache
    assert {p: p.stat().st_mtime_ns for p in sorted((out / "cache").iterdir())} == before
    # Another threshold reuses every evaluation; only the verdicts change.
    stats = RunStats()
    strict = run(NET, model=MODEL, budget=BUDGET, seed=0, out=out, progress=False,
                 threshold=0.0, stats=stats)
    assert stats.tasks == 0
    for a, b in zip(strict, records):
        assert {**a, "rejected": None, "pareto": None} == {**b, "rejected": None, "pareto": None}
        if a["error"] is None:
            base = next(r for r in records if r["layer"] == a["layer"] and r["pipeline"] == "")
            assert a["rejected"] == (a["fisher"] < base["fisher"])
    assert json.loads((out / "summary.json").read_text())["threshold"] == 0.0


def test_refusal_is_recorded():
    layer = NET.layers[1]
    cand = Candidate(layer.index, layer.name, "group-loops{loops=co,ci groups=3 compact=true}",
                     "group")
    r = evaluate(NET, cand, model=MODEL)
    assert r["error"].count("error:") == 1 and "\n" not in r["error"]
    assert "divisible by 3" in r["error"] and r["stage"] == "apply"
    assert r["flops"] is None and r["time_ms"] is None and r["fisher"] is None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_real_dask_cluster_gives_the_local_records(explored, tmp_path):
    from distributed import Client

    _, records, _ = explored
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    procs = []
    try:
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port",
             str(port), "--no-dashboard"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the scheduler did not start"
                time.sleep(0.2)
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "dask", "worker", address, "--nthreads", "1",
             "--nworkers", "1", "--no-dashboard", "--host", "127.0.0.1"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(1, timeout=60)
        stats = RunStats()
        remote = run(NET, model=MODEL, budget=BUDGET, seed=0, out=tmp_path, layers=[1],
                     scheduler=address, progress=False, stats=stats)
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    assert stats.tasks >= 1 and stats.internal_errors == []
    local = [r for r in records if r["layer"] == 1]
    assert without_times(remote) == without_times(local)


# -- the command line ------------------------------------------------------------------


@pytest.mark.parametrize("argv, message", [
    (["--network", "vgg"], "unknown network 'vgg'"),
    (["--layers", "0,nope"], "nope"),
    (["--layers", "99"], "99"),
    (["--budget", "0"], "the budget must be a positive integer"),
    (["--budget", "many"], "--budget expects an integer"),
    (["--threshold", "2"], "the threshold is a fraction"),
    (["--scheduler", "tcp://127.0.0.1:PORT"], "cannot reach the Dask scheduler"),
    (["--scheduler", "127.0.0.1"], "tcp://HOST:PORT"),
])
def test_cli_errors(argv, message, tmp_path, capsys):
    argv = [a.replace("PORT", str(_free_port())) for a in argv]
    assert main(["explore", "--out", str(tmp_path / "r"), *argv]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err
    assert not (tmp_path / "r").exists()


def test_cli_out_not_writable(tmp_path, capsys):
    target = tmp_path / "file"
    target.write_text("")
    assert main(["explore", "--out", str(target / "r")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot write to" in err


# -- pieces ----------------------------------------------------------------------------


def test_torch_equivalents():
    from xdsl_group.explore.run import torch_groups

    dense, grouped = NET.layers[0], dataclasses.replace(NET.layers[0], groups=2)
    assert torch_groups(dense, "") == 1 and torch_groups(grouped, "") == 2
    assert torch_groups(dense, "group-loops{loops=co,ci groups=4 compact=true}") == 4
    assert torch_groups(dense, "group-loops{loops=co,ci groups=2}") == 2
    for pipeline, nxt in [("group-loops{loops=oh,co groups=4 name=gs}", ""),
                          ("peel-loops{loop=co count=2},group-loops{loops=co,ci groups=2}", ""),
                          ("bottleneck-loops{loop=co factor=2}", "bottleneck-loops{loop=ci factor=2}")]:
        assert torch_groups(dense, pipeline, nxt) is None


def test_cache_keeps_refusals_not_internal_errors(tmp_path):
    from xdsl_group.explore.run import Cache

    cache = Cache(tmp_path)
    cache.put("a", {"error": "x.mlir:1:1: error: refused", "stage": "apply"})
    cache.put("b", {"error": "internal error: KeyError: 'x'", "stage": "time"})
    assert cache.get("a") == {"error": "x.mlir:1:1: error: refused", "stage": "apply"}
    assert cache.get("b") is None and len(list(tmp_path.iterdir())) == 1
    # A file of another key under the same name is not taken for this key.
    (next(tmp_path.iterdir())).write_text(json.dumps({"key": "other", "value": {}}))
    assert cache.get("a") is None
    assert Cache(None).get("a") is None
