"""The shared selection layer: candidate loops per role (names for passes,
handles for transform ops) paired nest by nest."""

from __future__ import annotations

from pathlib import Path

import pytest

import xdsl_group
from xdsl_group.analysis.loop_structure import loops_named
from xdsl_group.dialects.loopnest import ForOp
from xdsl_group.transforms.core import apply_plans
from xdsl_group.transforms.peel_loops import plan_peel
from xdsl_group.transforms.selection import depth, nests, on_one_path, roles_named

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.fixture
def conv():
    return xdsl_group.parse((EXAMPLES / "conv2d.mlir").read_text(), "conv2d.mlir")


def loop(module, name: str, k: int = 0) -> ForOp:
    return loops_named(module, name)[k]


def test_selection_pairs_loops_nest_by_nest(conv):
    apply_plans([plan_peel(loop(conv, "co"), 2)])
    complete, tops = nests(conv, roles_named(conv, ["co", "kh"]))
    assert [t.name_str for t in tops] == ["kh", "co"]  # the peeled nest has only kh
    (nest,) = complete
    assert nest.top is loop(conv, "co") and nest.single() == (loop(conv, "co"), loop(conv, "kh", 1))
    both, _ = nests(conv, roles_named(conv, ["ci", "kh"]))
    assert [n.top.name_str for n in both] == ["ci", "ci"]
    assert all(on_one_path(n.loops) for n in both)


def test_selection_roles_may_be_any_loops_we_hold(conv):
    """Roles are loops, not names: the pass and the handles share it."""
    kh, kw = loop(conv, "kh"), loop(conv, "kw")
    (nest,) = nests(conv, [[kw], [kh]])[0]
    assert nest.top is kh and nest.single() == (kw, kh)



def test_a_nest_may_hold_several_loops_of_a_role(conv):
    """A handle may hold both halves of a peeled `ci` under one `co`: the
    nest is complete, and each transformation decides what it accepts."""
    (halves,) = apply_plans([plan_peel(loop(conv, "ci"), 1)])
    (nest,) = nests(conv, [[loop(conv, "co")], [halves.peeled, halves.rest]])[0]
    assert [len(m) for m in nest.members] == [1, 2] and nest.single() is None
    assert not on_one_path(nest.loops)
    assert [depth(l) for l in nest.loops] == [0, 1, 1]
