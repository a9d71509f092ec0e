"""The Fisher rule, the Pareto fronts, the whole-network choice and the
summary, on hand-made records (no compilation, no torch)."""

from __future__ import annotations

import itertools
import json
import math

import pytest

from xdsl_group.explore import results as res


def rec(layer, pipeline="", time=1.0, fisher=1.0, *, next_pipeline="", next_layer=None,
        next_time=None, params=100, flops=1000, error=None, kind=None):
    return {
        "network": "toy", "layer": layer, "layer_name": f"l{layer}",
        "kind": kind or ("dense" if not pipeline else "group"),
        "pipeline": pipeline, "next_pipeline": next_pipeline, "next_layer": next_layer,
        "next_layer_name": None if next_layer is None else f"l{next_layer}",
        "mlir": "", "next_mlir": None, "flops": flops, "params": params,
        "next_flops": None if next_time is None else flops // 2,
        "next_params": None if next_time is None else params // 2,
        "time_ms": time, "torch_time_ms": None, "next_time_ms": next_time,
        "fisher": fisher, "error": error, "stage": None if error is None else "apply",
        "rejected": None, "pareto": False,
    }


# -- the Fisher rule -------------------------------------------------------------


def test_rule_rejects_only_below_the_tolerated_loss():
    records = [rec(0, fisher=2.0), rec(0, "a", fisher=1.0), rec(0, "b", fisher=0.999),
               rec(0, "c", fisher=5.0)]
    res.apply_rule(records, 0.5)
    assert [r["rejected"] for r in records] == [False, False, True, False]
    res.apply_rule(records, 0.0)
    assert [r["rejected"] for r in records] == [False, True, True, False]
    res.apply_rule(records, 1.0)
    assert [r["rejected"] for r in records] == [False] * 4


def test_rule_refused_and_unknown():
    records = [rec(0, fisher=2.0), rec(0, "a", fisher=None), rec(0, "b", error="x: error: no"),
               rec(1, error="y: error: no"), rec(1, "a", fisher=9.0)]
    res.apply_rule(records, 0.5)
    # Refused: no verdict; unknown Fisher or a refused original: rejected (unsure).
    assert [r["rejected"] for r in records] == [False, True, None, None, True]


@pytest.mark.parametrize("bad", [-0.1, 1.5, True, "0.5", math.nan])
def test_rule_threshold_checked(bad):
    with pytest.raises(ValueError, match="threshold"):
        res.apply_rule([rec(0)], bad)


# -- Pareto fronts -----------------------------------------------------------------


def brute_front(points):
    """Independent: a point is on the front iff no point is strictly better in
    one coordinate and no worse in the other (time down, Fisher up)."""
    out = []
    for p in points:
        out.append(not any((q[0] < p[0] and q[1] >= p[1]) or (q[0] <= p[0] and q[1] > p[1])
                           for q in points))
    return out


def test_front_by_hand():
    pts = [(1.0, 1.0), (2.0, 3.0), (3.0, 2.0), (0.5, 0.1), (2.0, 3.0), (4.0, 3.0)]
    assert res.front(pts) == [True, True, False, True, True, False]


def test_front_against_brute_force():
    values = (0.0, 1.0, 2.0)
    for pts in itertools.product(itertools.product(values, values), repeat=3):
        assert res.front(list(pts)) == brute_front(list(pts)), pts


def test_pareto_among_accepted_per_layer():
    records = [rec(0, time=4.0, fisher=1.0), rec(0, "a", time=1.0, fisher=0.9),
               rec(0, "b", time=0.5, fisher=0.1),  # fastest but rejected
               rec(0, "c", time=2.0, fisher=0.8),  # dominated by "a"
               rec(0, "d", error="e: error: refused", time=None, fisher=None),
               rec(1, time=1.0, fisher=1.0), rec(1, "a", time=0.9, fisher=1.0)]
    res.apply_rule(records, 0.5)
    res.mark_pareto(records)
    assert [r["pareto"] for r in records] == [True, True, False, False, False, False, True]


# -- the whole-network choice -----------------------------------------------------


def test_choice_independent_layers_take_their_fastest():
    records = [rec(0, time=4.0), rec(0, "a", time=1.0, fisher=0.1), rec(0, "b", time=2.0),
               rec(1, time=3.0), rec(1, "a", time=3.0)]
    res.apply_rule(records, 0.5)
    choice = res.choose_network(records, {0: None, 1: None})
    assert choice == {0: ("own", records[2]), 1: ("own", records[3])}  # tie: the earlier


def _pair_records(bottleneck_time, next_time):
    return [
        rec(0, time=4.0), rec(0, "g", time=2.0),
        rec(0, "bn", time=bottleneck_time, next_pipeline="bottleneck-loops{loop=ci factor=2}",
            next_layer=1, next_time=next_time, kind="bottleneck"),
        rec(1, time=4.0), rec(1, "g", time=3.0),
        rec(2, time=1.0),
    ]


def test_choice_takes_a_bottleneck_when_the_pair_is_faster():
    records = _pair_records(2.5, 2.0)  # 2.5 + 2.0 < 2.0 + 3.0
    res.apply_rule(records, 0.5)
    choice = res.choose_network(records, {0: 1, 1: None, 2: None})
    assert choice == {0: ("own", records[2]), 1: ("fixed", records[2]), 2: ("own", records[5])}


def test_choice_leaves_a_bottleneck_that_is_slower_in_total():
    records = _pair_records(1.0, 4.5)  # faster on layer 0 alone, 5.5 > 5.0 with layer 1
    res.apply_rule(records, 0.5)
    choice = res.choose_network(records, {0: 1, 1: None, 2: None})
    assert choice == {0: ("own", records[1]), 1: ("own", records[4]), 2: ("own", records[5])}


def test_choice_chain_by_exhaustion():
    """Chains 0 -> 1 -> 2 -> 3 with bottlenecks everywhere: the DP's total is
    the minimum over every consistent assignment (enumerated)."""
    import random

    rnd = random.Random(3)
    consumers = {0: 1, 1: 2, 2: 3, 3: None}
    for _ in range(30):
        records = []
        for i in range(4):
            records.append(rec(i, time=rnd.uniform(1, 5)))
            records.append(rec(i, "g", time=rnd.uniform(1, 5)))
            if consumers[i] is not None:
                records.append(rec(i, "bn", time=rnd.uniform(0.5, 3), next_pipeline="bn",
                                   next_layer=consumers[i], next_time=rnd.uniform(0.5, 5)))
        res.apply_rule(records, 0.5)
        choice = res.choose_network(records, consumers)
        got = sum(r["time_ms"] if how == "own" else r["next_time_ms"]
                  for how, r in choice.values())
        best = math.inf
        options = [[r for r in records if r["layer"] == i] for i in range(4)]
        for combo in itertools.product(*options):
            fixed = set()
            total = 0.0
            ok = True
            for i, r in enumerate(combo):
                if i in fixed:
                    continue
                total += r["time_ms"]
                if r["next_pipeline"]:
                    if i + 1 > 3:
                        ok = False
                    total += r["next_time_ms"]
                    fixed.add(i + 1)
            if ok:
                best = min(best, total)
        assert got == pytest.approx(best)
        for i, (how, r) in choice.items():
            if how == "fixed":
                assert choice[i - 1] == ("own", r) and r["next_layer"] == i


def test_choice_bottleneck_with_consumer_outside_the_layers_is_not_taken():
    records = _pair_records(0.1, 0.1)
    res.apply_rule(records, 0.5)
    choice = res.choose_network([r for r in records if r["layer"] == 0], {0: 1})
    assert choice == {0: ("own", records[1])}


def test_choice_none_without_an_accepted_timed_candidate():
    records = [rec(0, error="x: error: refused", time=None, fisher=None), rec(0, "a", fisher=0.1)]
    res.apply_rule(records, 0.5)
    assert res.choose_network(records, {0: None}) is None


# -- the summary and the table -------------------------------------------------------


def test_summary_totals_and_table():
    records = _pair_records(2.5, 2.0)
    records[2]["fisher"] = 0.75
    res.apply_rule(records, 0.5)
    res.mark_pareto(records)
    layers = [(0, "l0", 1), (1, "l1", None), (2, "l2", None)]
    s = res.summarize(records, layers, network="toy", threshold=0.5, budget=3, seed=0, threads=1)
    json.dumps(s, allow_nan=False)
    t = s["network_total"]
    assert t["dense_time_ms"] == 9.0
    assert t["chosen_time_ms"] == 2.5 + 2.0 + 1.0
    assert t["speedup"] == pytest.approx(9.0 / 5.5)
    assert t["dense_params"] == 300 and t["chosen_params"] == 100 + 50 + 100
    assert s["layers"][1]["chosen"]["fixed_by"] == 0
    assert s["layers"][1]["chosen"]["fisher"] is None
    assert s["layers"][0]["best"]["pipeline"] == "g"  # fastest on the layer alone: 2.0 < 2.5
    assert t["min_fisher_ratio"] == pytest.approx(0.75)
    assert s["threshold"] == 0.5 and "1 - threshold" in s["threshold_rule"]
    text = res.table(s)
    assert "shrunk by layer 0's bottleneck" in text
    assert "speed-up 1.64x" in text
    assert text.splitlines()[0].split()[:3] == ["#", "layer", "cands"]


def test_write_json_is_atomic(tmp_path):
    path = tmp_path / "a" / "x.json"
    res.write_json(path, {"k": [1, 2]})
    assert json.loads(path.read_text()) == {"k": [1, 2]}
    with pytest.raises(ValueError):
        res.write_json(path, {"k": math.nan})
    assert json.loads(path.read_text()) == {"k": [1, 2]}
    assert [p.name for p in path.parent.iterdir()] == ["x.json"]
