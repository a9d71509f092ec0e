"""The transformation core from Python: primitives on `ForOp`s we hold, the
plans they return, the loops applying them produces, and the
plan-all-then-rewrite driver."""

from __future__ import annotations

from pathlib import Path

import pytest
from xdsl.context import Context
from xdsl.pattern_rewriter import PatternRewriter

import xdsl_group
from xdsl_group import LoopnestError, TransformationError
from xdsl_group.analysis.loop_structure import loops_named
from xdsl_group.dialects.loopnest import ForOp, enclosing_loops
from xdsl_group.transforms.core import apply_plans, trip_count
from xdsl_group.transforms.group_loops import plan_group
from xdsl_group.transforms.interchange_loops import plan_interchange, plan_swap
from xdsl_group.transforms.peel_loops import PeelLoopsPass, plan_peel

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.fixture
def conv():
    return xdsl_group.parse((EXAMPLES / "conv2d.mlir").read_text(), "conv2d.mlir")


def loop(module, name: str, k: int = 0) -> ForOp:
    return loops_named(module, name)[k]


def names_outside_in(op: ForOp) -> list[str]:
    """Names of the loops from `op` down its first-child chain."""
    out = [op.name_str]
    while (child := next((o for o in op.body.block.ops if isinstance(o, ForOp)), None)):
        out.append(child.name_str)
        op = child
    return out


def test_peel_reports_the_peeled_loop_and_the_rest(conv):
    co = loop(conv, "co")
    plan = plan_peel(co, 2)
    assert str(conv).count("loopnest.for co") == 1  # planning rewrites nothing
    (done,) = apply_plans([plan])
    assert done.rest is co and done.peeled is not co
    assert done.peeled.name_str == "co_peel" and done.peeled.next_op is co
    assert done.peeled.constant_bounds() == (0, 2) and co.constant_bounds() == (2, 8)


def test_peel_back_keeps_the_name_on_the_first_part(conv):
    (done,) = apply_plans([plan_peel(loop(conv, "kw"), 1, side="back", name="tail")])
    assert (done.rest.name_str, done.rest.constant_bounds()) == ("kw", (0, 2))
    assert (done.peeled.name_str, done.peeled.constant_bounds()) == ("tail", (2, 3))
    assert done.rest.next_op is done.peeled


def test_group_reports_the_new_group_loop(conv):
    co, ci = loop(conv, "co"), loop(conv, "ci")
    (done,) = apply_plans([plan_group((co, ci), 4, name="grp")])
    assert done.loops == (co, ci)
    assert done.group_loop is not None and done.group_loop.name_str == "grp"
    assert co.parent_op() is done.group_loop
    assert ci.bound_operands[-1] is done.group_loop.induction_variable
    assert trip_count(co, "") == 2 and trip_count(ci, "") == 2


def test_group_into_one_group_makes_no_loop(conv):
    before = str(conv)
    (done,) = apply_plans([plan_group((loop(conv, "co"),), 1)])
    assert done.group_loop is None and str(conv) == before


def test_interchange_reports_the_rebuilt_loops_in_their_new_order(conv):
    band = tuple(loop(conv, n) for n in ("co", "ci", "oh"))
    plan = plan_interchange(band, (band[2], band[0], band[1]))
    (done,) = apply_plans([plan])
    assert [l.name_str for l in done.loops] == ["oh", "co", "ci"]
    assert all(old.parent is None for old in band)  # replaced, not moved
    assert done.replacement(band[0]) is done.loops[1]
    assert names_outside_in(done.loops[0]) == ["oh", "co", "ci", "ow", "kh", "kw"]


def test_swap_builds_the_band_between_the_two_loops(conv):
    (done,) = apply_plans([plan_swap(loop(conv, "kw"), loop(conv, "oh"))])
    assert [l.name_str for l in done.loops] == ["kw", "ow", "kh", "oh"]


def test_identity_permutation_rewrites_nothing(conv):
    band = (loop(conv, "co"), loop(conv, "ci"))
    (done,) = apply_plans([plan_interchange(band, band)])
    assert done.loops == band


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda m: plan_peel(loop(m, "co"), 8), "cannot peel 8 iterations of loop 'co'"),
        (lambda m: plan_peel(loop(m, "co"), 1, name="kh"), "cannot name the peeled loop 'kh'"),
        (lambda m: plan_group((loop(m, "co"), loop(m, "kh")), 3), "cannot group loop 'co' 3 ways"),
        (lambda m: plan_swap(loop(m, "co"), loop(m, "co")), "neither encloses the other"),
        (
            lambda m: plan_interchange((loop(m, "co"), loop(m, "oh")), (loop(m, "oh"), loop(m, "co"))),
            "not a perfectly nested band",
        ),
    ],
)
def test_refusals_are_typed_and_rewrite_nothing(conv, make, message):
    before = str(conv)
    with pytest.raises(TransformationError, match=message) as err:
        make(conv)
    assert isinstance(err.value, LoopnestError) and "\n" not in str(err.value)
    assert str(conv) == before


def test_a_refusal_names_the_dependence():
    module = xdsl_group.parse(
        """
func.func @s(%A: memref<8x8xf32>) {
  loopnest.for i %i in range(1, 7) {
    loopnest.for j %j in range(1, 7) {
      %v = loopnest.load %A[%i - 1, %j + 1] : memref<8x8xf32>
      loopnest.store %v, %A[%i, %j] : memref<8x8xf32>
    }
  }
  func.return
}"""
    )
    i, j = loop(module, "i"), loop(module, "j")
    with pytest.raises(TransformationError) as err:
        plan_swap(i, j)
    assert err.value.op is i and err.value.loops == (i, j)
    assert "flow dependence" in err.value.reason and "distance (1, -1)" in err.value.reason


def test_driver_plans_every_nest_before_rewriting_any():
    """The second nest refuses: the first, planned fine, is not peeled."""
    module = xdsl_group.parse(
        """
func.func @two(%A: memref<8xf32>) {
  loopnest.for i %i in range(8) {
    %v = loopnest.load %A[%i] : memref<8xf32>
  }
  loopnest.for i %i in range(3) {
    %v = loopnest.load %A[%i] : memref<8xf32>
  }
  func.return
}"""
    )
    before = str(module)
    with pytest.raises(TransformationError, match="it runs 3 times"):
        PeelLoopsPass(loop="i", count=3).apply(Context(), module)
    assert str(module) == before


def test_plans_apply_with_any_rewriter(conv):
    """A plan is rooted at its anchor; a client may bring its own rewriter."""
    co = loop(conv, "co")
    plan = plan_peel(co, 1)
    assert plan.anchor is co and plan.consumed == (co,)
    done = plan.apply(PatternRewriter(co))
    assert [l.name_str for l in conv.walk() if isinstance(l, ForOp) and not list(enclosing_loops(l))] == [
        "co_peel",
        "co",
    ]
    assert done.rest is co
