"""The search space of one convolution layer: pass pipelines over its program.

Every candidate is a pipeline that `xdsl-opt -p` applies to the layer's
dense program (`networks.layer_program`); the kinds are the architecture
changes of Turner et al. (ASPLOS '21) expressed with our passes:

- `group`: `group-loops{loops=co,ci groups=G compact=true}`, a grouped conv;
- `example2`: `peel-loops{loop=co count=U},group-loops{loops=co,ci groups=G}`,
  output channels [0, U) dense, the rest grouped (no compaction: the dense
  part reads W too);
- `bottleneck`: `bottleneck-loops{loop=co factor=B}` on the layer and
  `bottleneck-loops{loop=ci factor=B}` on its consumer (`next_pipeline`),
  optionally followed by a compact grouping of the shrunk layer;
- `split`: peel U output channels and group the peeled part and the rest
  with different G (sequence 1 of the paper's code);
- `spatial`: `group-loops{loops=oh,ci ...}` or `{loops=oh,co ...}`;
- `sequence`: one of the channel changes above followed by a spatial grouping.

Parameters are drawn only where the passes can apply them (every G divides
the trip counts it groups); the passes remain the judges of legality.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Sequence, Callable
from dataclasses import dataclass

from xdsl.dialects.builtin import ModuleOp

from xdsl_group.api import apply
from xdsl_group.explore.networks import ConvLayer, Network, layer_program

KINDS: tuple[str, ...] = ("dense", "group", "example2", "bottleneck", "split", "spatial", "sequence")

BOTTLENECK_FACTORS: tuple[int, ...] = (2, 4)


@dataclass(frozen=True)
class Candidate:
    layer: int
    layer_name: str
    pipeline: str
    kind: str
    next_pipeline: str = ""

    @property
    def key(self) -> str:
        """Stable text identifying the candidate (a cache key)."""
        return f"{self.layer_name}|{self.pipeline}|{self.next_pipeline}"


def apply_candidate(layer: ConvLayer, pipeline: str) -> ModuleOp:
    """`layer_program(layer)` transformed by `pipeline`; "" is the layer as it
    is (its `base_pipeline`).  Raises `LoopnestError` if a pass refuses."""
    module = layer_program(layer)
    pipeline = pipeline or layer.base_pipeline
    return apply(module, pipeline) if pipeline else module


def candidates(net: Network, layer: ConvLayer, budget: int, seed: int) -> list[Candidate]:
    """The baseline, then distinct random candidates: at most `budget` in all.

    Deterministic in `seed`, the layer's shape and whether (and how) it has a
    consumer: layers of one shape draw the same pipelines.  Fewer than
    `budget` come back when the draws keep repeating (a small space).
    """
    if budget < 1:
        raise ValueError(f"budget must be at least 1 (the baseline), not {budget}")
    if not (0 <= layer.index < len(net.layers)) or net.layers[layer.index] != layer:
        raise ValueError(f"layer '{layer.name}' is not layer {layer.index} of network '{net.name}'")
    consumer = net.layers[layer.consumer] if layer.consumer is not None else None
    space = _Space(layer, consumer)
    baseline = Candidate(layer.index, layer.name, "", "dense" if layer.groups == 1 else "group")
    # A grouped layer's own grouping is its baseline, not a candidate.
    seen = {("", ""), (layer.base_pipeline, "")}
    kinds = space.kinds()
    shared = [k for k in kinds if k != "bottleneck"]
    # Bottlenecks (only for layers with a consumer) get their share of the
    # budget from a stream of their own, and come last; the other kinds come
    # from a stream seeded by the layer's shape alone, so that layers of one
    # shape, with a consumer or not, share those candidates (and the work of
    # evaluating them).
    own = round((budget - 1) / len(kinds)) if "bottleneck" in kinds else 0
    first = _draws(space, shared, random.Random(_seed(seed, layer, None)), budget - 1 - own, seen)
    last = (
        _draws(space, ["bottleneck"], random.Random(_seed(seed, layer, consumer)), own, seen)
        if own
        else []
    )
    if len(first) + len(last) < budget - 1 and own:
        # A small space: fill up from the shared stream.
        first = _draws(
            space, shared, random.Random(_seed(seed, layer, None)), budget - 1 - len(last),
            {("", ""), (layer.base_pipeline, "")} | {(d.pipeline, d.next_pipeline) for d in last},
        )
    return [baseline] + [
        Candidate(layer.index, layer.name, d.pipeline, d.kind, d.next_pipeline)
        for d in first + last
    ]


def _draws(
    space: "_Space", kinds: Sequence[str], rng: random.Random, count: int,
    seen: set[tuple[str, str]],
) -> list["_Draw"]:
    """Up to `count` distinct draws of `kinds` not in `seen` (updated)."""
    out: list[_Draw] = []
    attempts = 0
    while kinds and len(out) < count and attempts < 20 * count + 50:
        attempts += 1
        draw = space.draw(rng.choice(list(kinds)), rng)
        if draw is None or (draw.pipeline, draw.next_pipeline) in seen:
            continue
        seen.add((draw.pipeline, draw.next_pipeline))
        out.append(draw)
    return out


def _seed(seed: int, layer: ConvLayer, consumer: ConvLayer | None) -> int:
    # The consumer matters only through its grouping (kept under a bottleneck).
    text = f"{seed}|{layer.shape}" + (f"|bottleneck|{consumer.groups}" if consumer else "")
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def _factors(n: int) -> list[int]:
    """Divisors of n greater than 1."""
    return [d for d in range(2, n + 1) if n % d == 0]


@dataclass(frozen=True)
class _Draw:
    """A drawn pipeline, and the trip counts a following spatial grouping
    meets: of the `ci` loop of every nest, and of every loop named `co`."""

    kind: str
    passes: tuple[str, ...]
    ci_trips: tuple[int, ...]
    co_trips: tuple[int, ...]
    next_pipeline: str = ""

    @property
    def pipeline(self) -> str:
        return ",".join(self.passes)


def _group(loops: str, groups: int, extra: str = "") -> str:
    return f"group-loops{{loops={loops} groups={groups}{extra}}}"


class _Space:
    """The parameters the passes accept on one layer, and draws among them."""

    def __init__(self, layer: ConvLayer, consumer: ConvLayer | None):
        self.ci, self.co, self.oh = layer.in_channels, layer.out_channels, layer.out_height
        self.group_factors = _factors(math.gcd(self.ci, self.co))
        # Example 2: U peeled, the other CO-U grouped with the input channels.
        self.example2 = {
            u: g for u in range(1, self.co) if (g := _factors(math.gcd(self.co - u, self.ci)))
        }
        # Sequence 1: both parts grouped, differently.
        self.split = {
            u: pairs
            for u in range(1, self.co)
            if (
                pairs := [
                    (g1, g2)
                    for g1 in _factors(math.gcd(u, self.ci))
                    for g2 in _factors(math.gcd(self.co - u, self.ci))
                    if g1 != g2
                ]
            )
        }
        self.bottlenecks: list[tuple[int, str]] = []
        if consumer is not None:
            for b in BOTTLENECK_FACTORS:
                # The consumer keeps its own grouping over the shrunk input channels.
                if self.co % b == 0 and (self.co // b) % consumer.groups == 0:
                    tail = f",{consumer.base_pipeline}" if consumer.base_pipeline else ""
                    self.bottlenecks.append((b, f"bottleneck-loops{{loop=ci factor={b}}}{tail}"))
        # The channel changes this layer admits (a spatial grouping may follow).
        self._channel: dict[str, Callable[[random.Random], _Draw]] = {
            kind: draw
            for kind, draw, options in (
                ("group", self._draw_group, self.group_factors),
                ("example2", self._draw_example2, self.example2),
                ("bottleneck", self._draw_bottleneck, self.bottlenecks),
                ("split", self._draw_split, self.split),
            )
            if options
        }
        self._dense = _Draw("dense", (), (self.ci,), (self.co,))

    def kinds(self) -> list[str]:
        """The kinds with at least one valid draw on this layer."""
        kinds = list(self._channel)
        if self._spatial_options(self._dense):
            kinds.append("spatial")
        # A sequence needs a channel change some spatial grouping can follow;
        # whether a drawn one can is known only after drawing it.
        if self._channel and self.oh > 1:
            kinds.append("sequence")
        return kinds

    def draw(self, kind: str, rng: random.Random) -> _Draw | None:
        if kind in self._channel:
            return self._channel[kind](rng)
        if kind == "spatial":
            return self._then_spatial(self._dense, rng, "spatial")
        assert kind == "sequence"
        step = self._channel[rng.choice(list(self._channel))](rng)
        return self._then_spatial(step, rng, "sequence")

    def _draw_group(self, rng: random.Random) -> _Draw:
        g = rng.choice(self.group_factors)
        return _Draw(
            "group", (_group("co,ci", g, " compact=true"),), (self.ci // g,), (self.co // g,)
        )

    def _draw_example2(self, rng: random.Random) -> _Draw:
        u = rng.choice(sorted(self.example2))
        g = rng.choice(self.example2[u])
        return _Draw(
            "example2",
            (f"peel-loops{{loop=co count={u}}}", _group("co,ci", g)),
            (self.ci, self.ci // g),
            ((self.co - u) // g,),
        )

    def _draw_split(self, rng: random.Random) -> _Draw:
        u = rng.choice(sorted(self.split))
        g1, g2 = rng.choice(self.split[u])
        return _Draw(
            "split",
            (
                f"peel-loops{{loop=co count={u}}}",
                # The peeled nest alone holds co_peel, the rest alone co.
                _group("co_peel,ci", g1, " name=g_peel"),
                _group("co,ci", g2),
            ),
            (self.ci // g1, self.ci // g2),
            ((self.co - u) // g2,),
        )

    def _draw_bottleneck(self, rng: random.Random) -> _Draw:
        b, next_pipeline = rng.choice(self.bottlenecks)
        passes = [f"bottleneck-loops{{loop=co factor={b}}}"]
        co = self.co // b
        groups = _factors(math.gcd(co, self.ci))
        g = rng.choice(groups) if groups and rng.random() < 0.5 else 1
        if g > 1:
            passes.append(_group("co,ci", g, " compact=true"))
        return _Draw("bottleneck", tuple(passes), (self.ci // g,), (co // g,), next_pipeline)

    def _spatial_options(self, step: _Draw) -> list[tuple[str, int]]:
        """(channel loop, G) pairs a spatial grouping after `step` accepts:
        G divides the rows and that loop's trip count in every nest."""
        options = []
        for loop, trips in (("ci", step.ci_trips), ("co", step.co_trips)):
            if trips:
                common = math.gcd(self.oh, *trips)
                options += [(loop, g) for g in _factors(common)]
        return options

    def _then_spatial(self, step: _Draw, rng: random.Random, kind: str) -> _Draw | None:
        options = self._spatial_options(step)
        if not options:
            return None
        loop, g = rng.choice(options)
        # The new loop's name differs from any group loop already there.
        spatial = _group(f"oh,{loop}", g, " name=gs")
        return _Draw(kind, (*step.passes, spatial), (), (), step.next_pipeline)
