"""Transform scripts against the pass pipelines they spell, on every example.

Each script matches loops by name in the whole module, so it asks for what
its pipeline asks for: both give the same module, or both refuse with the
same reason.  The introduction's schedule also runs, against numpy.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import xdsl_group
from xdsl_group import LoopnestError, reference

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
ANY = "!transform.any_op"
ERASE = "test-transform-dialect-erase-schedule"
RUN = f"loopnest-transform-interpreter,{ERASE}"


def match(*names: str, within: str = "%root") -> list[str]:
    return [
        f'%{n} = transform.loopnest.match "{n}" in {within} : ({ANY}) -> {ANY}' for n in names
    ]


def types(n: int) -> str:
    return ", ".join([ANY] * n)


SCRIPTS: list[tuple[str, list[str]]] = [
    (
        "peel-loops{loop=co count=2}",
        match("co") + [f"%a, %b = transform.loopnest.peel %co {{count = 2 : i64}} : ({ANY}) -> ({types(2)})"],
    ),
    (
        "peel-loops{loop=kh count=1 side=back name=tail}",
        match("kh")
        + [
            f'%a, %b = transform.loopnest.peel %kh {{count = 1 : i64, side = "back", name = "tail"}}'
            f" : ({ANY}) -> ({types(2)})"
        ],
    ),
    (
        "group-loops{loops=co,ci groups=2}",
        match("co", "ci") + [f"%g = transform.loopnest.group %co, %ci {{groups = 2 : i64}} : ({types(2)}) -> {ANY}"],
    ),
    (
        "group-loops{loops=ci,co groups=4 compact=true name=grp}",
        match("co", "ci")
        + [
            f'%g = transform.loopnest.group %ci, %co {{groups = 4 : i64, name = "grp", compact}}'
            f" : ({types(2)}) -> {ANY}"
        ],
    ),
    (
        "interchange-loops{loops=ci,oh}",
        match("ci", "oh") + [f"transform.loopnest.interchange %ci, %oh : ({types(2)}) -> ()"],
    ),
    (
        "interchange-loops{order=co,oh,ci}",
        match("co", "ci", "oh")
        + [
            f"transform.loopnest.interchange %co, %ci, %oh {{order = array<i64: 0, 2, 1>}}"
            f" : ({types(3)}) -> ()"
        ],
    ),
    (
        "interchange-loops{order=co,oh,ow,kh,kw,ci strict=true}",
        match("co", "ci", "oh", "ow", "kh", "kw")
        + [
            "transform.loopnest.interchange %co, %ci, %oh, %ow, %kh, %kw "
            f"{{order = array<i64: 0, 2, 3, 4, 5, 1>, strict}} : ({types(6)}) -> ()"
        ],
    ),
    (
        # After a peel, "kh" and "kw" hold the loops of every nest.
        "peel-loops{loop=co count=2},interchange-loops{loops=kh,kw}",
        match("co")
        + [f"%a, %b = transform.loopnest.peel %co {{count = 2 : i64}} : ({ANY}) -> ({types(2)})"]
        + match("kh", "kw")
        + [f"transform.loopnest.interchange %kh, %kw : ({types(2)}) -> ()"],
    ),
    (
        "peel-loops{loop=co count=2},group-loops{loops=co,ci groups=2},interchange-loops{order=co,ci,ow,oh}",
        match("co")
        + [f"%peeled, %rest = transform.loopnest.peel %co {{count = 2 : i64}} : ({ANY}) -> ({types(2)})"]
        + match("ci", within="%rest")
        + [f"%g = transform.loopnest.group %rest, %ci {{groups = 2 : i64}} : ({types(2)}) -> {ANY}"]
        + match("oh", "ow", within="%g")
        + [f"transform.loopnest.interchange %oh, %ow : ({types(2)}) -> ()"],
    ),
    (
        "peel-loops{loop=co count=3}",
        [
            'transform.apply_registered_pass "peel-loops" with options = '
            f'{{loop = "co", count = 3 : i64}} to %root : ({ANY}) -> {ANY}'
        ],
    ),
]


def with_script(module_text: str, body: list[str]) -> str:
    """The example with the script as its `@__transform_main`."""
    head, _, rest = module_text.partition("builtin.module {")
    assert rest, "examples are explicit builtin.module ops"
    rest, _, _ = rest.rpartition("}")
    script = "\n".join(f"    {line}" for line in [*body, "transform.yield"])
    return (
        f"{head}builtin.module attributes {{transform.with_named_sequence}} {{{rest}"
        f"  transform.named_sequence @__transform_main(%root: {ANY}) {{\n{script}\n  }}\n}}\n"
    )


def outcome(module, pipeline: str) -> str:
    try:
        return str(xdsl_group.apply(module, pipeline))
    except LoopnestError as e:
        # The selection's wording differs (names vs handles), not the reason.
        return "refused: " + e.reason.split(": ", 1)[-1]


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.mlir")))
@pytest.mark.parametrize("pipeline, body", SCRIPTS, ids=[p for p, _ in SCRIPTS])
def test_script_equals_its_pipeline(example: str, pipeline: str, body: list[str]):
    module = xdsl_group.parse(with_script((EXAMPLES / example).read_text(), body), example)
    by_script = outcome(module, RUN)
    by_passes = outcome(module, f"{pipeline},{ERASE}")
    assert by_script == by_passes


def test_every_script_transforms_some_example():
    """The table does not pass by refusing everywhere."""
    for pipeline, body in SCRIPTS:
        results = []
        for path in sorted(EXAMPLES.glob("*.mlir")):
            module = xdsl_group.parse(with_script(path.read_text(), body), path.name)
            results.append(outcome(module, RUN))
        if "strict=true" in pipeline:
            assert all(r.startswith("refused: ") for r in results)
            assert any("a reduction; strict=true forbids reordering it" in r for r in results)
        else:
            assert any(not r.startswith("refused: ") for r in results), pipeline


def test_handles_restrict_the_interchange_to_their_nest():
    """The introduction's schedule differs from the literal pipeline (whose
    interchange also swaps the peeled nest) exactly in the peeled nest."""
    body = SCRIPTS[8][1]
    module = xdsl_group.parse(with_script((EXAMPLES / "conv2d.mlir").read_text(), body))
    by_script = str(xdsl_group.apply(module, RUN))
    literal = str(
        xdsl_group.apply(
            module,
            "peel-loops{loop=co count=2},group-loops{loops=co,ci groups=2},"
            f"interchange-loops{{loops=oh,ow}},{ERASE}",
        )
    )
    peeled_script, grouped_script = by_script.split("loopnest.for g ")
    peeled_literal, grouped_literal = literal.split("loopnest.for g ")
    assert grouped_script == grouped_literal
    assert peeled_script.index("loopnest.for oh") < peeled_script.index("loopnest.for ow")
    assert peeled_literal.index("loopnest.for ow") < peeled_literal.index("loopnest.for oh")


def test_a_refused_script_leaves_the_module_as_it_was():
    """The peel succeeds, the group then refuses: nothing is peeled either."""
    from xdsl.context import Context

    from xdsl_group.transforms.loopnest_transform_interpreter import (
        LoopnestTransformInterpreterPass,
        TransformScriptError,
    )

    body = (
        match("co")
        + [f"%peeled, %rest = transform.loopnest.peel %co {{count = 2 : i64}} : ({ANY}) -> ({types(2)})"]
        + match("ci", within="%rest")
        + [f"%g = transform.loopnest.group %rest, %ci {{groups = 4 : i64}} : ({types(2)}) -> {ANY}"]
    )
    module = xdsl_group.parse(with_script((EXAMPLES / "conv2d.mlir").read_text(), body), "c.mlir")
    before = str(module)
    with pytest.raises(TransformScriptError) as err:
        LoopnestTransformInterpreterPass().apply(Context(), module)
    assert str(module) == before
    error, note = str(err.value).split("\n")
    assert "error: 'transform.loopnest.group' op: cannot group loop 'co' 4 ways: its trip count 6" in error
    assert error.startswith("c.mlir:") and note.startswith("c.mlir:")
    assert "note: 'loopnest.for' op (loop 'co'): when applied to this loop" in note


def test_the_introductions_schedule_runs_as_the_reference():
    body = SCRIPTS[8][1]
    module = xdsl_group.parse(with_script((EXAMPLES / "conv2d.mlir").read_text(), body))
    scheduled = xdsl_group.apply(module, RUN)
    rng = np.random.default_rng(9)
    I = rng.standard_normal((8, 8, 8)).astype(np.float32)
    W = rng.standard_normal((8, 8, 3, 3)).astype(np.float32)
    O = np.zeros((8, 6, 6), np.float32)
    xdsl_group.interpret(scheduled, "conv2d", O, I, W)
    np.testing.assert_allclose(
        O, reference.peeled_grouped_conv2d(I, W, 2, 2), rtol=1e-5, atol=1e-5
    )
