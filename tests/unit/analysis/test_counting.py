"""`flop_count` and `read_elements` against closed forms (dense, grouped with
and without compaction, Example 2, bottleneck, depthwise, stride 2, matmul)
and against enumerating small random nests in plain Python from their
bounds (no isl), with dependent bounds, steps, floordiv/mod indices and
imperfect nests; and their refusals."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from programs import conv_text

import xdsl_group
from xdsl_group.analysis.counting import flop_count, read_elements
from xdsl_group.errors import LoopnestError

CO, CI, OH, OW, K = 8, 4, 5, 3, 3


def conv(pipeline: str = "", **sizes: int):
    shape = {"co": CO, "ci": CI, "oh": OH, "ow": OW, "k": K} | sizes
    module = xdsl_group.parse(conv_text(**shape))
    return xdsl_group.apply(module, pipeline) if pipeline else module


def counts(module) -> tuple[int, int, int, int]:
    """flops, and the elements of W, I and O read."""
    return (
        flop_count(module, "conv"),
        read_elements(module, "conv", "W"),
        read_elements(module, "conv", "I"),
        read_elements(module, "conv", "O"),
    )


def test_dense_conv():
    assert counts(conv()) == (
        2 * CO * CI * OH * OW * K * K,
        CO * CI * K * K,
        CI * (OH + K - 1) * (OW + K - 1),
        CO * OH * OW,
    )


def test_arguments_by_position_and_name():
    module = conv()
    assert [read_elements(module, "conv", k) for k in range(3)] == [
        read_elements(module, "conv", n) for n in ("O", "I", "W")
    ]


@pytest.mark.parametrize("compact", ["false", "true"])
@pytest.mark.parametrize("groups", [2, 4])
def test_grouped_conv(groups: int, compact: str):
    module = conv(f"group-loops{{loops=co,ci groups={groups} compact={compact}}}")
    # Without compaction W keeps its shape and only 1/G of it is read.
    assert counts(module) == (
        2 * CO * CI * OH * OW * K * K // groups,
        CO * CI * K * K // groups,
        CI * (OH + K - 1) * (OW + K - 1),
        CO * OH * OW,
    )


def test_example_2():
    """U = 2 output channels dense, the other 6 in 2 groups."""
    u, g = 2, 2
    module = conv(f"peel-loops{{loop=co count={u}}},group-loops{{loops=co,ci groups={g}}}")
    per_position = u * CI + (CO - u) * CI // g
    assert counts(module)[:2] == (2 * OH * OW * K * K * per_position, K * K * per_position)


@pytest.mark.parametrize("loop,factor", [("co", 2), ("co", 4), ("ci", 2)])
def test_bottleneck(loop: str, factor: int):
    module = conv(f"bottleneck-loops{{loop={loop} factor={factor}}}")
    co = CO // factor if loop == "co" else CO
    ci = CI // factor if loop == "ci" else CI
    assert counts(module) == (
        2 * co * ci * OH * OW * K * K,
        co * ci * K * K,
        ci * (OH + K - 1) * (OW + K - 1),
        co * OH * OW,
    )


def test_depthwise():
    c = 4
    module = conv(f"group-loops{{loops=co,ci groups={c} compact=true}}", co=c, ci=c)
    assert counts(module)[:2] == (2 * c * OH * OW * K * K, c * K * K)


def test_spatial_grouping():
    """Rows grouped with input channels: group g reads its channels' rows
    [g*OH/G, (g+1)*OH/G + K - 1) only, and all of W."""
    g, oh = 2, 6
    module = conv(f"group-loops{{loops=oh,ci groups={g}}}", oh=oh)
    assert counts(module) == (
        2 * CO * CI * oh * OW * K * K // g,
        CO * CI * K * K,
        CI * (oh // g + K - 1) * (OW + K - 1),
        CO * oh * OW,
    )


def test_stride_two_reads_every_other_row():
    """A 1x1 convolution of stride 2 reads rows and columns 0, 2, 4, ..."""
    module = conv(k=1, stride=2, oh=3, ow=2)
    assert counts(module) == (2 * CO * CI * 3 * 2, CO * CI, CI * 3 * 2, CO * 3 * 2)
    strided = conv(k=3, stride=2, oh=3, ow=2)
    assert counts(strided)[0] == 2 * CO * CI * 3 * 2 * 9
    assert counts(strided)[2] == CI * 7 * 5


def test_matmul():
    m, n, k = 5, 7, 3
    module = xdsl_group.parse(f"""func.func @mm(%C: memref<{m}x{n}xf32>, %A: memref<{m}x{k}xf32>, %B: memref<{k}x{n}xf32>) {{
  loopnest.for i %i in range({m}) {{
    loopnest.for j %j in range({n}) {{
      loopnest.for k %k in range({k}) {{
        %c = loopnest.load %C[%i, %j] : memref<{m}x{n}xf32>
        %a = loopnest.load %A[%i, %k] : memref<{m}x{k}xf32>
        %b = loopnest.load %B[%k, %j] : memref<{k}x{n}xf32>
        %p = arith.mulf %a, %b : f32
        %s = arith.addf %c, %p : f32
        loopnest.store %s, %C[%i, %j] : memref<{m}x{n}xf32>
      }}
    }}
  }}
  func.return
}}""")
    assert flop_count(module, "mm") == 2 * m * n * k
    assert [read_elements(module, "mm", a) for a in "CAB"] == [m * n, m * k, k * n]


def test_schedules_keep_the_counts():
    """Splitting with a tail, unrolling and the whole auto-schedule change the
    loops, not the work."""
    base = counts(conv())
    scheduled = conv("split-loops{loop=oh factor=2},unroll-loops{loop=kw factor=2}")
    assert counts(scheduled) == base
    assert counts(conv("auto-schedule")) == base


def test_written_only_argument_reads_nothing():
    module = xdsl_group.parse("""func.func @f(%A: memref<4xf32>, %B: memref<4xf32>) {
  loopnest.for i %i in range(4) {
    %a = loopnest.load %A[%i] : memref<4xf32>
    loopnest.store %a, %B[%i] : memref<4xf32>
  }
  func.return
}""")
    assert (read_elements(module, "f", "B"), flop_count(module, "f")) == (0, 0)


@pytest.mark.parametrize(
    "text,call,message",
    [
        (
            """func.func @f(%A: memref<4xf32>) {
  loopnest.for i %i in range(4) {
    %a = loopnest.load %A[%i] : memref<4xf32>
    %e = math.exp %a : f32
  }
  func.return
}""",
            lambda m: flop_count(m, "f"),
            "'math.exp' op: cannot count the floating-point operations of 'math.exp'",
        ),
        (
            """func.func @g(%A: memref<4xf32>) {
  func.return
}
func.func @f(%A: memref<4xf32>) {
  func.call @g(%A) : (memref<4xf32>) -> ()
  func.return
}""",
            lambda m: flop_count(m, "f"),
            "'func.call' op: cannot count the floating-point operations of the call to @g",
        ),
        (
            """func.func @g(%A: memref<4xf32>) {
  func.return
}
func.func @f(%A: memref<4xf32>) {
  func.call @g(%A) : (memref<4xf32>) -> ()
  func.return
}""",
            lambda m: read_elements(m, "f", "A"),
            "cannot count the elements of argument #0 \\(%A\\) read: it is also used by 'func.call'",
        ),
        (
            """func.func @f(%A: memref<4xf32>, %c: i1) {
  loopnest.for i %i in range(4) {
    scf.if %c {
      %a = loopnest.load %A[%i] : memref<4xf32>
      %s = arith.addf %a, %a : f32
    }
  }
  func.return
}""",
            lambda m: read_elements(m, "f", "A"),
            "'loopnest.load' op: cannot count exactly inside 'scf.if'",
        ),
        (
            "func.func @f(%A: memref<4xf32>) {\n  func.return\n}",
            lambda m: read_elements(m, "f", "B"),
            "@f has no argument named 'B' \\(arguments: A\\)",
        ),
        (
            "func.func @f(%A: memref<4xf32>) {\n  func.return\n}",
            lambda m: read_elements(m, "f", 1),
            "@f has 1 arguments, there is no argument #1",
        ),
        (
            "func.func @f(%x: f32) {\n  func.return\n}",
            lambda m: read_elements(m, "f", "x"),
            "argument #0 \\(%x\\) of @f is not a memref",
        ),
        (
            "func.func @f(%A: memref<4xf32>) {\n  func.return\n}",
            lambda m: flop_count(m, "g"),
            "no function @g in the module \\(functions: f\\)",
        ),
    ],
)
def test_refusals(text, call, message):
    with pytest.raises(LoopnestError, match=message):
        call(xdsl_group.parse(text))


def test_flops_in_a_region_refused():
    module = xdsl_group.parse("""func.func @f(%A: memref<4xf32>, %c: i1) {
  loopnest.for i %i in range(4) {
    %a = loopnest.load %A[%i] : memref<4xf32>
    scf.if %c {
      %s = arith.addf %a, %a : f32
    }
  }
  func.return
}""")
    with pytest.raises(LoopnestError, match="'arith.addf' op: cannot count exactly inside 'scf.if'"):
        flop_count(module, "f")


# -- brute force: random nests enumerated in plain Python -------------------------


@st.composite
def random_nests(draw):
    """Loops over `range(lb [+ outer], ub [+ outer], step)` (dependent bounds:
    triangular when only the lower one moves), a statement `B[..] = A[..] *
    A[..] + ...` innermost and one `-A[..]` at a random depth."""
    depth = draw(st.integers(1, 4))
    loops = []
    for d in range(depth):
        outer = draw(st.sampled_from([None, *range(d)])) if d else None
        lb = draw(st.integers(0, 3))
        extent = draw(st.integers(0, 4))
        step = draw(st.sampled_from([1, 1, 2, 3]))
        shift_ub = outer is not None and draw(st.booleans())
        loops.append((lb, extent, step, outer, shift_ub))
    index = [
        (
            [draw(st.integers(0, 2)) for _ in range(depth)],
            draw(st.integers(0, 2)),
            draw(st.sampled_from([None, ("floordiv", 2), ("mod", 3), ("floordiv", 3)])),
        )
        for _ in range(2)
    ]
    middle = draw(st.integers(0, depth))
    ops = draw(st.lists(st.sampled_from(["mulf", "addf", "subf", "divf"]), min_size=1, max_size=3))
    return loops, index, middle, ops


def _bounds(loop, env: list[int]) -> range:
    lb, extent, step, outer, shift_ub = loop
    base = env[outer] if outer is not None else 0
    lo = lb + base
    hi = lb + extent + (base if shift_ub else 0) + (0 if outer is None else 2)
    return range(lo, hi, step)


def _points(loops, depth: int):
    """The iterations of the first `depth` loops, enumerated directly."""
    def rec(env: list[int]):
        if len(env) == depth:
            yield tuple(env)
            return
        for v in _bounds(loops[len(env)], env):
            yield from rec([*env, v])
    yield from rec([])


def _value(idx, point) -> int:
    coeffs, offset, wrap = idx
    v = sum(c * p for c, p in zip(coeffs, point)) + offset
    if wrap is None:
        return v
    return v // wrap[1] if wrap[0] == "floordiv" else v % wrap[1]


def _text(loops, index, middle: int, ops) -> str:
    depth = len(loops)
    names = [f"l{d}" for d in range(depth)]

    def expr(idx, upto: int) -> str:
        coeffs, offset, wrap = idx
        terms = [f"%{names[d]} * {c}" for d, c in enumerate(coeffs[:upto]) if c]
        e = " + ".join(terms + [str(offset)])
        return f"({e}) {wrap[0]} {wrap[1]}" if wrap else e

    size = 256
    inner = (
        f"%a = loopnest.load %A[{expr(index[0], depth)}] : memref<{size}xf32>\n"
        f"%b = loopnest.load %A[{expr(index[1], depth)}] : memref<{size}xf32>\n"
    )
    last = "%a"
    for k, op in enumerate(ops):
        inner += f"%r{k} = arith.{op} {last}, %b : f32\n"
        last = f"%r{k}"
    inner += f"loopnest.store {last}, %B[0] : memref<1xf32>\n"
    side = (
        f"%m = loopnest.load %C[{expr(index[0], middle)}] : memref<{size}xf32>\n"
        "%n = arith.negf %m : f32\nloopnest.store %n, %B[0] : memref<1xf32>\n"
    )
    body = inner + (side if middle == depth else "")
    for d in reversed(range(depth)):
        lb, extent, step, outer, shift_ub = loops[d]
        if outer is None:
            lo, hi = str(lb), str(lb + extent)
        else:
            lo = f"%{names[outer]} + {lb}"
            hi = f"%{names[outer]} + {lb + extent + 2}" if shift_ub else str(lb + extent + 2)
        body = f"loopnest.for {names[d]} %{names[d]} in range({lo}, {hi}, {step}) {{\n{body}}}\n"
        if d == middle:
            # A sibling of loop `middle`: under loops 0 .. middle - 1 only.
            body = side + body
    return (
        f"func.func @f(%A: memref<{size}xf32>, %B: memref<1xf32>, %C: memref<{size}xf32>) {{\n"
        f"{body}func.return\n}}"
    )


@given(random_nests())
@settings(max_examples=40, deadline=None)
def test_random_nests_against_enumeration(nest):
    loops, index, middle, ops = nest
    module = xdsl_group.parse(_text(loops, index, middle, ops))
    depth = len(loops)
    inner = list(_points(loops, depth))
    outer = list(_points(loops, middle))
    assert flop_count(module, "f") == len(ops) * len(inner) + len(outer)
    assert read_elements(module, "f", "A") == len(
        {_value(index[0], p) for p in inner} | {_value(index[1], p) for p in inner}
    )
    assert read_elements(module, "f", "C") == len(
        {_value((index[0][0][:middle], *index[0][1:]), p) for p in outer}
    )
    assert read_elements(module, "f", "B") == 0


def test_generator_covers_dependent_bounds_and_wraps():
    """The random nests include the cases the product shortcut must not
    take: triangular loops (trip count varying) and strided, wrapped indices."""
    text = _text([(0, 4, 1, None, False), (1, 2, 2, 0, False)], [([1, 1], 0, ("floordiv", 2)), ([0, 1], 1, None)], 1, ["mulf"])
    assert "range(%l0 + 1, 5, 2)" in text and "floordiv 2" in text
    module = xdsl_group.parse(text)
    points = list(_points([(0, 4, 1, None, False), (1, 2, 2, 0, False)], 2))
    assert len(points) == sum(len(range(i + 1, 5, 2)) for i in range(4))
    assert flop_count(module, "f") == len(points) + 4
