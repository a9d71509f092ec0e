"""The isl views of loop nests are exact."""

from __future__ import annotations

import islpy as isl

import xdsl_group
from xdsl_group.analysis.polyhedral import (
    LoopContext,
    collect_accesses,
    constant_trip_count,
)
from xdsl_group.dialects.loopnest import ForOp

NEST = """
func.func @f(%A: memref<16x16xf32>) {
  loopnest.for g %g in range(4) {
    loopnest.for i %i in range(%g * 4, %g * 4 + 4) {
      loopnest.for j %j in range(%i floordiv 2, 16, 3) {
        %v = loopnest.load %A[%i, %j + 1 - %i floordiv 2] : memref<16x16xf32>
        loopnest.store %v, %A[%i, %j] : memref<16x16xf32>
      }
    }
  }
  func.return
}
"""


def loops(module):
    return {op.name_str: op for op in module.walk() if isinstance(op, ForOp)}


def brute_force_points():
    for g in range(4):
        for i in range(g * 4, g * 4 + 4):
            for j in range(i // 2, 16, 3):
                yield g, i, j


def test_domain_matches_enumeration():
    module = xdsl_group.parse(NEST)
    store = collect_accesses(module)[1]
    domain = store.domain()
    points = set()
    domain.foreach_point(
        lambda p: points.add(tuple(p.get_coordinate_val(isl.dim_type.set, k).to_python() for k in range(3)))
    )
    assert points == set(brute_force_points())


def test_footprint_matches_enumeration():
    module = xdsl_group.parse(NEST)
    load = collect_accesses(module)[0]
    touched = set()
    load.footprint().foreach_point(
        lambda p: touched.add(tuple(p.get_coordinate_val(isl.dim_type.set, k).to_python() for k in range(2)))
    )
    assert touched == {(i, j + 1 - i // 2) for _, i, j in brute_force_points()}


def test_constant_trip_counts():
    by_name = loops(xdsl_group.parse(NEST))
    assert constant_trip_count(by_name["g"]) == 4
    assert constant_trip_count(by_name["i"]) == 4  # same for every g
    assert constant_trip_count(by_name["j"]) is None  # depends on i
    assert LoopContext.of(by_name["j"]).depth == 2
