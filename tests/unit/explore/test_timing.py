"""The timing loop: interleaved calls, the warm-up, the minimum rounds and time."""

from __future__ import annotations

import time

import pytest

from xdsl_group.explore import timing


def test_calls_are_interleaved_after_one_warm_up_each():
    order: list[str] = []
    calls = [lambda: order.append("ours"), lambda: order.append("torch")]
    times = timing._median_times_ms(calls, repeats=5, min_time=0.0)
    assert len(times) == 2 and all(t >= 0 for t in times)
    assert order == ["ours", "torch"] * 6  # warm-up round, then 5 timed rounds


def test_minimum_total_time_extends_the_rounds():
    spent: list[float] = []

    def call() -> None:
        t = time.perf_counter()
        time.sleep(0.002)
        spent.append(time.perf_counter() - t)

    (ms,) = timing._median_times_ms([call], repeats=3, min_time=0.05)
    timed = spent[1:]  # after the warm-up
    # (the loop measures each call from outside, a little longer than inside)
    assert len(timed) > 3 and sum(timed) >= 0.045
    assert sum(timed[:-1]) < 0.05  # it stops as soon as both minimums are met
    assert ms >= 2.0


def test_repeats_checked():
    with pytest.raises(ValueError, match="repeats"):
        timing._median_times_ms([lambda: None], repeats=0, min_time=0.0)
