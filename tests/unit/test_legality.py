"""Legality is exact: refusals are necessary, acceptances are safe, refused
requests leave the module untouched and report one diagnostic line."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from xdsl.pattern_rewriter import PatternRewriteWalker

import xdsl_group
from xdsl_group import LoopnestError
from xdsl_group.analysis.dependences import dependences, recognised_reductions
from xdsl_group.analysis.loop_structure import loops_named
from xdsl_group.transforms.interchange_loops import BandPermutation, PermuteBandPattern

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

STENCIL = """
func.func @s(%A: memref<8x8xf32>) {{
  loopnest.for i %i in range(1, 7) {{
    loopnest.for j %j in range(1, 7) {{
      %x = loopnest.load %A[%i + {a}, %j + {b}] : memref<8x8xf32>
      %c = arith.constant 0.5 : f32
      %y = arith.mulf %x, %c : f32
      %z = arith.addf %y, %c : f32
      loopnest.store %z, %A[%i, %j] : memref<8x8xf32>
    }}
  }}
  func.return
}}
"""


def forced_interchange(module):
    """Swap i and j without any legality check."""
    forced = module.clone()
    i, j = loops_named(forced, "i")[0], loops_named(forced, "j")[0]
    plan = BandPermutation((i, j), (j, i))
    PatternRewriteWalker(PermuteBandPattern({id(i): plan})).rewrite_module(forced)
    return forced


def run_stencil(module):
    A = np.random.default_rng(3).standard_normal((8, 8)).astype(np.float32)
    xdsl_group.interpret(module, "s", A)
    return A


@pytest.mark.parametrize(
    "a,b", [p for p in itertools.product((-1, 0, 1), repeat=2) if p != (0, 0)]
)
def test_stencil_interchange_refused_exactly_when_results_change(a, b):
    module = xdsl_group.parse(STENCIL.format(a=a, b=b))
    original = run_stencil(module)
    changed = not np.array_equal(run_stencil(forced_interchange(module)), original)
    try:
        swapped = xdsl_group.apply(module, "interchange-loops{loops=i,j strict=true}")
    except LoopnestError as e:
        assert changed, f"refused a harmless interchange: {e}"
        assert "distance (1, -1) over loops (i, j)" in str(e)
        assert (a, b) in ((1, -1), (-1, 1))
    else:
        assert not changed
        np.testing.assert_array_equal(run_stencil(swapped), original)


@pytest.fixture(scope="module")
def conv():
    return xdsl_group.parse((EXAMPLES / "conv2d.mlir").read_text(), "conv2d.mlir")


def test_conv_output_dependences_are_carried_by_reduction_loops_only(conv):
    co = loops_named(conv, "co")[0]
    [(memref, _)] = recognised_reductions(co).items()
    assert memref.name_hint == "O"
    deps = [d for d in dependences(co) if d.source.memref is memref]
    assert {d.kind for d in deps} == {"flow", "anti", "output"}
    for dep in deps:
        assert dep.reduction
        assert [l.name_str for l in dep.loops] == ["co", "ci", "oh", "ow", "kh", "kw"]
        for k in (0, 2, 3):  # co, oh, ow
            assert dep.distances.dim_min_val(k).to_python() == 0
            assert dep.distances.dim_max_val(k).to_python() == 0


def test_strict_refuses_a_reduction_reorder_the_default_accepts(conv):
    xdsl_group.apply(conv, "interchange-loops{order=co,oh,ow,kh,kw,ci}")
    with pytest.raises(LoopnestError, match="a reduction; strict=true forbids"):
        xdsl_group.apply(conv, "interchange-loops{order=co,oh,ow,kh,kw,ci strict=true}")


REFUSALS = [
    ("interchange-loops{loops=co,nope}", "no loop named 'nope' in the module"),
    ("group-loops{loops=co,ci groups=3}", "its trip count 8 is not divisible by 3"),
    ("group-loops{loops=co,ci groups=0}", "groups must be at least 1"),
    ("group-loops{loops=co,ci groups=2 name=oh}", "cannot name the group loop 'oh'"),
    ("group-loops", "the module has neither"),
    ("peel-loops{loop=co count=8}", "so nothing would remain"),
    ("peel-loops{loop=ci count=0}", "count must be positive"),
    (
        "group-loops{loops=co,ci groups=2},interchange-loops{loops=g,co}",
        "cannot move loop 'co' outside loop 'g'",
    ),
    (
        "peel-loops{loop=co count=2},group-loops{loops=co,ci groups=2 compact=true}",
        "also used outside the grouped nest",
    ),
]


@pytest.mark.parametrize("pipeline,reason", REFUSALS)
def test_api_refusal_leaves_module_untouched(conv, pipeline, reason):
    before = str(conv)
    with pytest.raises(LoopnestError) as info:
        xdsl_group.apply(conv, pipeline)
    message = str(info.value)
    assert reason in message
    assert "\n" not in message
    assert str(conv) == before


TWO_NESTS = """
func.func @f(%A: memref<8x8xf32>, %B: memref<8x8xf32>) {
  loopnest.for i %i in range(8) {
    loopnest.for j %j in range(8) {
      %x = loopnest.load %B[%i, %j] : memref<8x8xf32>
      loopnest.store %x, %A[%j, %i] : memref<8x8xf32>
    }
  }
  loopnest.for k %k in range(2) {
    loopnest.for i %i in range(%k, 7) {
      loopnest.for j %j in range(0, 6) {
        %x = loopnest.load %A[%i - 1, %j + 1] : memref<8x8xf32>
        loopnest.store %x, %A[%i, %j] : memref<8x8xf32>
      }
    }
  }
  func.return
}
"""


@pytest.mark.parametrize(
    "make_pass,reason",
    [
        (lambda m: m.InterchangeLoopsPass(loops=("i", "j")), r"distance \(0, 1, -1\) over loops \(k, i, j\)"),
        (lambda m: m.PeelLoopsPass(loop="i", count=2), "trip count is not constant"),
        (lambda m: m.GroupLoopsPass(loops=("j",), groups=4), "6 is not divisible by 4"),
    ],
)
def test_pass_refuses_before_rewriting_anything(make_pass, reason):
    """The first nest is fine, the second is refused: the pass itself (not
    only `apply`, which works on a copy) must leave the first nest alone."""
    from xdsl_group.context import make_context
    from xdsl_group.transforms import group_loops, interchange_loops, peel_loops

    class Passes:
        InterchangeLoopsPass = interchange_loops.InterchangeLoopsPass
        PeelLoopsPass = peel_loops.PeelLoopsPass
        GroupLoopsPass = group_loops.GroupLoopsPass

    module = xdsl_group.parse(TWO_NESTS)
    before = str(module)
    with pytest.raises(LoopnestError, match=reason):
        make_pass(Passes).apply(make_context(), module)
    assert str(module) == before


def test_cli_refusal_is_one_line_without_traceback(tmp_path):
    xdsl_opt = Path(sys.executable).parent / "xdsl-opt"
    proc = subprocess.run(
        [str(xdsl_opt), str(EXAMPLES / "conv2d.mlir"), "-p", "group-loops{loops=co,ci groups=3}"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert lines[0].startswith(str(EXAMPLES / "conv2d.mlir") + ":3:5: error: 'loopnest.for' op (loop 'co'):")
    assert lines[0].endswith("its trip count 8 is not divisible by 3")
    # The API raises the same message.
    conv = xdsl_group.parse((EXAMPLES / "conv2d.mlir").read_text(), str(EXAMPLES / "conv2d.mlir"))
    with pytest.raises(LoopnestError) as info:
        xdsl_group.apply(conv, "group-loops{loops=co,ci groups=3}")
    assert str(info.value) == lines[0]


STENCIL_3D = """
func.func @s(%A: memref<5x5x5xf32>) {{
  loopnest.for i %i in range(1, 4) {{
    loopnest.for j %j in range(1, 4) {{
      loopnest.for k %k in range(1, 4) {{
        %x = loopnest.load %A[%i + {a}, %j + {b}, %k + {c}] : memref<5x5x5xf32>
        %h = arith.constant 0.5 : f32
        %y = arith.mulf %x, %h : f32
        %z = arith.addf %y, %h : f32
        loopnest.store %z, %A[%i, %j, %k] : memref<5x5x5xf32>
      }}
    }}
  }}
  func.return
}}
"""


def run_3d(module):
    A = np.random.default_rng(5).standard_normal((5, 5, 5)).astype(np.float32)
    xdsl_group.interpret(module, "s", A)
    return A


def forced_order(module, order):
    forced = module.clone()
    band = tuple(loops_named(forced, n)[0] for n in "ijk")
    plan = BandPermutation(band, tuple(loops_named(forced, n)[0] for n in order))
    PatternRewriteWalker(PermuteBandPattern({id(band[0]): plan})).rewrite_module(forced)
    return forced


def lex_positive(v):
    return next((x > 0 for x in v if x != 0), False)


@pytest.mark.parametrize(
    "offset", [p for p in itertools.product((-1, 0, 1), repeat=3) if p != (0, 0, 0)]
)
def test_every_permutation_of_3d_stencils(offset):
    """All 5 non-trivial orders of (i, j, k) for each of the 26 stencils: the
    refusals are exactly the orders that reverse the dependence distance, and
    each refused order, forced, indeed computes something else."""
    module = xdsl_group.parse(STENCIL_3D.format(a=offset[0], b=offset[1], c=offset[2]))
    original = run_3d(module)
    # The one dependence: distance +-offset, whichever is lexicographically positive.
    distance = offset if lex_positive(offset) else tuple(-x for x in offset)
    for order in itertools.permutations("ijk"):
        if order == ("i", "j", "k"):
            continue
        permuted = tuple(distance["ijk".index(n)] for n in order)
        legal = lex_positive(permuted)
        try:
            result = xdsl_group.apply(module, f"interchange-loops{{order={','.join(order)}}}")
        except LoopnestError as e:
            assert not legal, f"{order} refused: {e}"
            assert "distance (" + ", ".join(map(str, distance)) + ") over loops (i, j, k)" in str(e)
            assert not np.array_equal(run_3d(forced_order(module, order)), original)
        else:
            assert legal, f"{order} accepted for offset {offset}"
            np.testing.assert_array_equal(run_3d(result), original)
