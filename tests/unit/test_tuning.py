"""`xdsl_group.tune`: a measured search over auto-schedule's candidates.

Oracles: the interpreter (the chosen schedule computes what the program
computes) and the cost model's own ranking (the default is candidate 0).
"""

from __future__ import annotations

import numpy as np
import pytest
from programs import conv_text

import xdsl_group
from xdsl_group.transforms.auto_schedule import candidate_pipelines


@pytest.fixture(scope="module")
def conv():
    return xdsl_group.parse(conv_text(16, 8, 10, 12))


def test_candidates_are_distinct_and_start_with_the_default(conv):
    pipelines = candidate_pipelines(conv, 4)
    assert pipelines[0] == xdsl_group.schedule_pipeline(conv)
    assert len(set(pipelines)) == len(pipelines) == 4
    assert all("unroll-loops" in p for p in pipelines)


def test_tune_returns_a_timed_candidate_computing_the_program(conv):
    tuned = xdsl_group.tune(conv, "conv", candidates=3, rounds=3, fast_math=False)
    assert tuned.default == xdsl_group.schedule_pipeline(conv)
    assert list(tuned.times) == candidate_pipelines(conv, 3)
    assert tuned.pipeline in tuned.times
    assert tuned.times[tuned.pipeline] == min(tuned.times.values())
    assert tuned.speedup >= 1.0
    assert str(tuned).count("\n") == 2 and "default" in str(tuned)
    rng = np.random.default_rng(0)
    I = rng.standard_normal((8, 12, 14)).astype(np.float32)
    W = rng.standard_normal((16, 8, 3, 3)).astype(np.float32)
    want = np.zeros((16, 10, 12), np.float32)
    xdsl_group.interpret(conv, "conv", want, I, W)
    got = np.zeros_like(want)
    xdsl_group.jit(xdsl_group.apply(conv, tuned.pipeline), "conv")(got, I, W)
    np.testing.assert_array_equal(got, want)


def test_one_candidate_is_the_default(conv):
    tuned = xdsl_group.tune(conv, "conv", candidates=1, rounds=1)
    assert tuned.pipeline == tuned.default and tuned.speedup == 1.0


@pytest.mark.parametrize("option", [{"candidates": 0}, {"rounds": 0}, {"candidates": True}])
def test_bad_options_are_refused(conv, option):
    with pytest.raises(ValueError, match="must be a positive integer"):
        xdsl_group.tune(conv, "conv", **option)


def test_unknown_function_is_refused(conv):
    with pytest.raises(ValueError, match="no function @nope"):
        xdsl_group.tune(conv, "nope")


def test_a_candidate_computing_something_else_is_an_error(conv, monkeypatch):
    """Grouping changes what the conv computes: were a candidate to do so,
    `tune` reports it instead of timing it."""
    from xdsl_group import tuning

    default = xdsl_group.schedule_pipeline(conv)
    monkeypatch.setattr(
        tuning,
        "candidate_pipelines",
        lambda *a, **k: [default, "group-loops{loops=co,ci groups=2}"],
    )
    with pytest.raises(xdsl_group.LoopnestError, match="computes argument #0 of @conv differently"):
        xdsl_group.tune(conv, "conv", candidates=2, rounds=1, fast_math=False)


def test_dynamic_arguments_need_arrays():
    """Random inputs need static shapes: without `arrays`, a function with a
    dynamic memref is refused in one line naming the argument."""
    module = xdsl_group.parse(
        """func.func @f(%A: memref<?xf32>) {
  func.return
}"""
    )
    message = r"argument #0 of @f is memref<\?xf32>: give `arrays`"
    with pytest.raises(xdsl_group.LoopnestError, match=message):
        xdsl_group.tune(module, "f")
