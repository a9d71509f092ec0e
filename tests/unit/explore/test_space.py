"""The search space: determinism, budget, and every kind applied and run.

Each candidate of a tiny layer is applied and run in the interpreter against
numpy.  The expected result comes from a model of the passes written here
from their documented semantics (`docs/passes.md`): a nest is the set of its
(co, ci, oh) iterations, each loop value with its position in its loop's
range; peeling splits a nest by position, grouping keeps the iterations whose
chosen loops fall in the same group, compaction re-indexes the weights.
"""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest
from xdsl.dialects import func

import xdsl_group
from xdsl_group import LoopnestError
from xdsl_group.explore.networks import ConvLayer, Network, layer_program, network
from xdsl_group.explore.space import KINDS, Candidate, apply_candidate, candidates
from xdsl_group.universe import PASSES

HAS_BOTTLENECK = "bottleneck-loops" in PASSES

# A layer with a consumer, its consumer, a twin of both elsewhere in the
# network, and the same shape without a consumer.
A = ConvLayer(0, "a", 4, 6, 3, 2, 2, 1, 0, consumer=1)
B = ConvLayer(1, "b", 6, 4, 2, 1, 1, 1, 0)
TINY = Network(
    "tiny",
    (4, 3, 2),
    (
        A,
        B,
        ConvLayer(2, "a2", 4, 6, 3, 2, 2, 1, 0, consumer=3),
        ConvLayer(3, "b2", 6, 4, 2, 1, 1, 1, 0),
        ConvLayer(4, "c", 4, 6, 3, 2, 2, 1, 0),
    ),
)


def test_baseline_first_budget_and_distinct():
    net = network("resnet18-cifar")
    layer = net.layer("layer2.0.conv1")
    for budget in (1, 5, 32):
        found = candidates(net, layer, budget, seed=0)
        assert len(found) == budget
        assert found[0] == Candidate(layer.index, layer.name, "", "dense")
        assert len({c.key for c in found}) == budget
        assert all(c.layer == layer.index and c.layer_name == layer.name for c in found)
        assert all(c.kind in KINDS[1:] and c.pipeline for c in found[1:])
    assert {c.kind for c in candidates(net, layer, 64, seed=0)} == set(KINDS)
    # A small space runs out before the budget: every candidate once.
    small = candidates(TINY, A, 1000, seed=0)
    assert 1 < len(small) < 1000 and len({c.key for c in small}) == len(small)
    with pytest.raises(ValueError, match="budget must be at least 1"):
        candidates(net, layer, 0, seed=0)
    with pytest.raises(ValueError, match="layer 'a' is not layer 0 of network 'resnet18-cifar'"):
        candidates(net, A, 4, seed=0)


def test_deterministic_in_seed_and_shape():
    net = network("resnet34-cifar")
    layer = net.layer("layer3.1.conv1")

    def pipelines(layer, seed, net=net):
        return [(c.pipeline, c.next_pipeline, c.kind) for c in candidates(net, layer, 16, seed)]

    assert candidates(net, layer, 16, 3) == candidates(net, layer, 16, 3)
    assert pipelines(layer, 3) != pipelines(layer, 4)
    # Same shape and consumer-ness: same draws, whatever the name or place.
    twin = net.layer("layer3.2.conv1")
    assert twin.index != layer.index
    assert pipelines(twin, 3) == pipelines(layer, 3)
    # The same shape without a consumer draws no bottleneck.
    assert pipelines(TINY.layers[2], 0, TINY) == pipelines(A, 0, TINY)
    alone = candidates(TINY, TINY.layers[4], 1000, 0)
    assert all(c.kind != "bottleneck" and not c.next_pipeline for c in alone)
    # Candidate.key: stable text, not Python's hash.
    assert candidates(TINY, A, 2, 0)[1].key == "a|" + candidates(TINY, A, 2, 0)[1].pipeline + "|"


def test_no_draw_is_known_invalid():
    """On real layers every grouping factor divides the trip counts it groups."""
    net = network("resnet18-cifar")
    for layer in net.layers:
        for c in candidates(net, layer, 32, seed=1):
            for opts in re.findall(r"group-loops\{([^}]*)\}", c.pipeline):
                g = int(re.search(r"groups=(\d+)", opts).group(1))
                assert g > 1
                loops = re.search(r"loops=(\S+)", opts).group(1).split(",")
                for loop in loops:
                    if loop == "ci":
                        assert layer.in_channels % g == 0
                    if loop == "oh":
                        assert layer.out_height % g == 0


# --- a model of the passes, and execution against numpy ------------------------


def parse_pipeline(pipeline):
    """[(pass name, {option: value})] of an `xdsl-opt -p` pipeline."""
    passes = []
    for name, options in re.findall(r"([\w-]+)\{([^}]*)\}", pipeline):
        passes.append((name, dict(o.split("=", 1) for o in options.split())))
    assert ",".join(f"{n}{{{' '.join(f'{k}={v}' for k, v in o.items())}}}" for n, o in passes) == pipeline
    return passes


class Nest:
    """Iterations (co, ci, oh) of one nest; per loop role its name, trip
    count and, per iteration, the value's position in the loop's range."""

    def __init__(self, names, trips, iterations):
        self.names = names  # role -> loop name
        self.trips = trips  # role -> trip count
        self.iterations = iterations  # list of (values, positions, weight ci index)


def simulate(layer, pipeline):
    """The (co, ci, oh) triples the transformed program computes, as a count
    array, and the weight column each (co, ci) is read from."""
    co, ci, oh = layer.out_channels, layer.in_channels, layer.out_height
    its = [
        ({"co": a, "ci": b, "oh": c}, {"co": a, "ci": b, "oh": c}, b)
        for a in range(co) for b in range(ci) for c in range(oh)
    ]
    nests = [Nest({"co": "co", "ci": "ci", "oh": "oh"}, {"co": co, "ci": ci, "oh": oh}, its)]
    for name, o in parse_pipeline(pipeline):
        if name == "peel-loops":
            u = int(o["count"])
            new = []
            for n in nests:
                (role,) = [r for r, x in n.names.items() if x == o["loop"]] or [None]
                if role is None:
                    new.append(n)
                    continue
                head = [(v, p, w) for v, p, w in n.iterations if p[role] < u]
                tail = [(v, {**p, role: p[role] - u}, w) for v, p, w in n.iterations if p[role] >= u]
                new.append(Nest({**n.names, role: o["loop"] + "_peel"}, {**n.trips, role: u}, head))
                new.append(Nest(n.names, {**n.trips, role: n.trips[role] - u}, tail))
            nests = new
        elif name == "group-loops":
            g = int(o["groups"])
            loops = o["loops"].split(",")
            for n in nests:
                roles = [r for r, x in n.names.items() if x in loops]
                if len(roles) != len(loops):
                    continue
                size = {r: n.trips[r] // g for r in roles}
                assert all(n.trips[r] == size[r] * g for r in roles)
                kept = []
                for v, p, w in n.iterations:
                    if len({p[r] // size[r] for r in roles}) == 1:
                        local = {**p, **{r: p[r] % size[r] for r in roles}}
                        if o.get("compact") == "true" and "ci" in roles:
                            w = local["ci"]
                        kept.append((v, local, w))
                n.iterations = kept
                n.trips = {**n.trips, **size}
        elif name == "bottleneck-loops":
            b = int(o["factor"])
            for n in nests:
                (role,) = [r for r, x in n.names.items() if x == o["loop"]]
                n.trips = {**n.trips, role: n.trips[role] // b}
                n.iterations = [(v, p, w) for v, p, w in n.iterations if p[role] < n.trips[role]]
        else:
            raise AssertionError(f"no model of {name}")
    count = np.zeros((co, ci, oh))
    column = {}
    for n in nests:
        for v, _, w in n.iterations:
            count[v["co"], v["ci"], v["oh"]] += 1
            assert column.setdefault((v["co"], v["ci"]), w) == w
    return count, column


def run_and_check(layer, pipeline, rng, module=None):
    """Run `module` (default: the candidate's program) against the model of `pipeline`."""
    if module is None:
        module = apply_candidate(layer, pipeline)
    (f,) = [op for op in module.walk() if isinstance(op, func.FuncOp)]
    o_shape, i_shape, w_shape = [tuple(t.get_shape()) for t in f.function_type.inputs.data]
    k, s, p = layer.kernel, layer.stride, layer.padding
    x = rng.standard_normal((layer.in_channels, layer.height, layer.width))
    w = rng.standard_normal((layer.out_channels, layer.in_channels, k, k))
    count, column = simulate(layer, pipeline)
    xp = np.pad(x, ((0, 0), (p, p), (p, p)))
    oh, ow = layer.out_height, layer.out_width
    # taps[co, ci, oh, ow]: one (co, ci) pair's contribution to an output.
    taps = np.zeros((layer.out_channels, layer.in_channels, oh, ow))
    for kh in range(k):
        for kw in range(k):
            window = xp[:, kh : kh + s * (oh - 1) + 1 : s, kw : kw + s * (ow - 1) + 1 : s]
            taps += np.einsum("cyx,oc->ocyx", window, w[:, :, kh, kw])
    expected = np.einsum("ocyx,ocy->oyx", taps, count)
    # Arrays as the transformed program takes them: shrunk to the leading
    # channels, the weights re-laid out where compacted.
    weights = np.zeros(w_shape)
    for (a, b), col in column.items():
        weights[a, col] = w[a, b]
    out = np.zeros(o_shape, np.float32)
    xdsl_group.interpret(
        module,
        "conv",
        out,
        np.ascontiguousarray(xp[: i_shape[0]], np.float32),
        weights.astype(np.float32),
    )
    assert out.shape[0] <= expected.shape[0]
    np.testing.assert_allclose(out, expected[: out.shape[0]], rtol=1e-5, atol=1e-5)
    assert not expected[out.shape[0] :].any()
    return module


def test_every_kind_runs_as_the_model_says():
    found = candidates(TINY, A, 1000, seed=0)
    assert {c.kind for c in found} == set(KINDS)
    rng = np.random.default_rng(0)
    refused = {}
    for c in found:
        try:
            run_and_check(A, c.pipeline, rng)
            if c.next_pipeline:
                run_and_check(B, c.next_pipeline, rng)
        except LoopnestError as e:
            refused[c.pipeline] = (c.kind, str(e))
    if HAS_BOTTLENECK:
        assert refused == {}
    else:
        assert refused and all("bottleneck-loops" in p for p in refused), refused
        assert all("bottleneck-loops" in msg for _, msg in refused.values())


def test_baseline_of_a_grouped_layer_is_its_grouping():
    layer = ConvLayer(0, "dw", 4, 4, 3, 3, 3, 1, 1, groups=4)
    net = Network("dw", (4, 3, 3), (layer,))
    (baseline, *rest) = candidates(net, layer, 8, seed=0)
    assert (baseline.pipeline, baseline.kind) == ("", "group")
    # Its own grouping is the baseline, never drawn again under another name.
    assert rest and layer.base_pipeline not in {c.pipeline for c in candidates(net, layer, 1000, 0)}
    assert str(apply_candidate(layer, "")) == str(xdsl_group.apply(layer_program(layer), layer.base_pipeline))
    assert "memref<4x1x3x3xf32>" in str(apply_candidate(layer, ""))
    run_and_check(layer, layer.base_pipeline, np.random.default_rng(1))
    for c in rest:
        run_and_check(layer, c.pipeline, np.random.default_rng(2))


def test_the_model_catches_a_wrong_program():
    """The oracle is not vacuous: a program that differs from the model fails."""
    grouped = xdsl_group.apply(layer_program(A), "group-loops{loops=co,ci groups=2}")
    count, _ = simulate(A, "group-loops{loops=co,ci groups=2}")
    assert count.sum() == A.out_channels * A.in_channels * A.out_height // 2
    run_and_check(A, "group-loops{loops=co,ci groups=2}", np.random.default_rng(3), grouped)
    with pytest.raises(AssertionError):
        example2 = "peel-loops{loop=co count=2},group-loops{loops=co,ci groups=2}"
        run_and_check(A, example2, np.random.default_rng(3), grouped)


def test_xdsl_opt_reproduces_candidates(tmp_path):
    """The stock `xdsl-opt -p` gives the same programs (one run, two layers)."""
    pipeline = (
        "peel-loops{loop=co count=2},group-loops{loops=co_peel,ci groups=2 name=g_peel},"
        "group-loops{loops=co,ci groups=4}"
    )
    assert pipeline in {c.pipeline for c in candidates(TINY, A, 1000, seed=0)}
    other = ConvLayer(0, "wide", 4, 10, 4, 3, 3, 1, 1)
    source = tmp_path / "layers.mlir"
    source.write_text(str(layer_program(A)) + "\n// -----\n" + str(layer_program(other)) + "\n")
    result = subprocess.run(
        ["xdsl-opt", "--split-input-file", "-p", pipeline, str(source)],
        capture_output=True,
        text=True,
        check=True,
    )
    chunks = [c.strip() for c in result.stdout.split("// -----")]
    assert chunks == [str(apply_candidate(layer, pipeline)).strip() for layer in (A, other)]
