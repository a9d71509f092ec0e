"""`bottleneck-loops` run: the bottlenecked convolutions compute, in the
interpreter and natively, what numpy computes on the sliced arrays (O[:CO/B]
of the convolution with W[:CO/B]; for `ci`: I[:CI/B] and W[:, :CI/B]), also
followed by `group-loops` and `auto-schedule`; and random nests against the
same slicing oracle, enumerated in plain Python.  The data are small
integers, so every f32 sum is exact in any order and comparisons are bitwise."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from programs import conv_text

import xdsl_group
from xdsl_group.errors import LoopnestError

DEPTHWISE = """func.func @conv(%O: memref<6x4x4xf32>, %I: memref<6x6x6xf32>, %W: memref<6x3x3xf32>) {
  loopnest.for c %c in range(6) {
    loopnest.for oh %oh in range(4) {
      loopnest.for ow %ow in range(4) {
        loopnest.for kh %kh in range(3) {
          loopnest.for kw %kw in range(3) {
            %o = loopnest.load %O[%c, %oh, %ow] : memref<6x4x4xf32>
            %i = loopnest.load %I[%c, %oh + %kh, %ow + %kw] : memref<6x6x6xf32>
            %w = loopnest.load %W[%c, %kh, %kw] : memref<6x3x3xf32>
            %p = arith.mulf %i, %w : f32
            %s = arith.addf %o, %p : f32
            loopnest.store %s, %O[%c, %oh, %ow] : memref<6x4x4xf32>
          }
        }
      }
    }
  }
  func.return
}"""


def ints(shape, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(-3, 4, size=shape).astype(np.float32)


def conv(I: np.ndarray, W: np.ndarray, stride: int, oh: int, ow: int) -> np.ndarray:
    """O[co, y, x] = sum I[ci, y*s + kh, x*s + kw] * W[co, ci, kh, kw] (numpy)."""
    k = W.shape[2]
    windows = np.lib.stride_tricks.sliding_window_view(I, (k, k), axis=(1, 2))
    windows = windows[:, : oh * stride : stride, : ow * stride : stride]
    return np.einsum("cyxhw,ochw->oyx", windows, W).astype(np.float32)


def grouped(I: np.ndarray, W: np.ndarray, groups: int, oh: int, ow: int) -> np.ndarray:
    """Grouped convolution; W full [CO, CI] or compact [CO, CI/G] (numpy)."""
    co, ci = W.shape[0], I.shape[0]
    cog, cig = co // groups, ci // groups
    compact = W.shape[1] == cig != ci
    parts = []
    for g in range(groups):
        wg = W[g * cog : (g + 1) * cog]
        if not compact:
            wg = wg[:, g * cig : (g + 1) * cig]
        parts.append(conv(I[g * cig : (g + 1) * cig], wg, 1, oh, ow))
    return np.concatenate(parts)


def run(module, arrays: list[np.ndarray], backend: str) -> list[np.ndarray]:
    out = [a.copy() for a in arrays]
    if backend == "interp":
        xdsl_group.interpret(module, "conv", *out)
    else:
        xdsl_group.jit(module, "conv")(*out)
    return out


def shapes(module) -> list[tuple[int, ...]]:
    fn = next(op for op in module.walk() if op.name == "func.func")
    return [tuple(t.get_shape()) for t in fn.function_type.inputs.data]


CO, CI, OH, OW = 8, 4, 4, 3
O0, I0, W0 = ints((CO, OH, OW), 1), ints((CI, OH + 2, OW + 2), 2), ints((CO, CI, 3, 3), 3)


@pytest.mark.parametrize("backend", ["interp", "jit"])
@pytest.mark.parametrize("factor", [2, 4])
def test_output_channels(backend: str, factor: int):
    module = xdsl_group.apply(
        xdsl_group.parse(conv_text(CO, CI, OH, OW)),
        f"bottleneck-loops{{loop=co factor={factor}}},loopnest-check-bounds",
    )
    c = CO // factor
    assert shapes(module) == [(c, OH, OW), (CI, OH + 2, OW + 2), (c, CI, 3, 3)]
    O, _, W = run(module, [O0[:c], I0, W0[:c]], backend)
    np.testing.assert_array_equal(O, O0[:c] + conv(I0, W0[:c], 1, OH, OW))
    np.testing.assert_array_equal(W, W0[:c])


@pytest.mark.parametrize("backend", ["interp", "jit"])
def test_input_channels(backend: str):
    module = xdsl_group.apply(
        xdsl_group.parse(conv_text(CO, CI, OH, OW)), "bottleneck-loops{loop=ci factor=2}"
    )
    assert shapes(module) == [(CO, OH, OW), (2, OH + 2, OW + 2), (CO, 2, 3, 3)]
    (O, _, _) = run(module, [O0, I0[:2], np.ascontiguousarray(W0[:, :2])], backend)
    np.testing.assert_array_equal(O, O0 + conv(I0[:2], W0[:, :2], 1, OH, OW))


@pytest.mark.parametrize("backend", ["interp", "jit"])
def test_stride_two_input_channels(backend: str):
    module = xdsl_group.apply(
        xdsl_group.parse(conv_text(4, 6, 3, 2, stride=2)),
        "bottleneck-loops{loop=ci factor=3},loopnest-check-bounds",
    )
    I, W, O = ints((6, 7, 5), 4), ints((4, 6, 3, 3), 5), ints((4, 3, 2), 6)
    (out, _, _) = run(module, [O, I[:2], np.ascontiguousarray(W[:, :2])], backend)
    np.testing.assert_array_equal(out, O + conv(I[:2], W[:, :2], 2, 3, 2))


@pytest.mark.parametrize("backend", ["interp", "jit"])
def test_depthwise(backend: str):
    module = xdsl_group.apply(xdsl_group.parse(DEPTHWISE), "bottleneck-loops{loop=c factor=3}")
    assert shapes(module) == [(2, 4, 4), (2, 6, 6), (2, 3, 3)]
    I, W, O = ints((6, 6, 6), 7), ints((6, 3, 3), 8), ints((6, 4, 4), 9)
    (out, _, _) = run(module, [O[:2], I[:2], W[:2]], backend)
    expected = O[:2] + np.stack(
        [conv(I[c : c + 1], W[c : c + 1, None], 1, 4, 4)[0] for c in range(2)]
    )
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("compact", [False, True])
@pytest.mark.parametrize("backend", ["interp", "jit"])
def test_then_group(backend: str, compact: bool):
    """Bottleneck to CO/B = 4 output channels, then 2 groups of them."""
    module = xdsl_group.apply(
        xdsl_group.parse(conv_text(CO, CI, OH, OW)),
        "bottleneck-loops{loop=co factor=2},"
        f"group-loops{{loops=co,ci groups=2 compact={str(compact).lower()}}},"
        "loopnest-check-bounds",
    )
    w = W0[:4, :2] if compact else W0[:4]
    assert shapes(module)[2] == w.shape
    (O, _, _) = run(module, [O0[:4], I0, np.ascontiguousarray(w)], backend)
    np.testing.assert_array_equal(O, O0[:4] + grouped(I0, w, 2, OH, OW))


@pytest.mark.parametrize("backend", ["interp", "jit"])
def test_then_auto_schedule(backend: str):
    module = xdsl_group.apply(
        xdsl_group.parse(conv_text(CO, CI, OH, OW)),
        "bottleneck-loops{loop=co factor=2},bottleneck-loops{loop=ci factor=2},auto-schedule",
    )
    assert shapes(module) == [(4, OH, OW), (2, OH + 2, OW + 2), (4, 2, 3, 3)]
    w = np.ascontiguousarray(W0[:4, :2])
    (O, _, _) = run(module, [O0[:4], I0[:2], w], backend)
    np.testing.assert_array_equal(O, O0[:4] + conv(I0[:2], w, 1, OH, OW))


def test_factor_one_is_the_identity():
    source = xdsl_group.parse(conv_text(CO, CI, OH, OW))
    result = xdsl_group.apply(source, "bottleneck-loops{loop=co factor=1}")
    assert str(result) == str(source)


def test_refusal_leaves_the_module_unchanged():
    module = xdsl_group.parse(conv_text(CO, CI, OH, OW))
    before = str(module)
    with pytest.raises(LoopnestError, match="uses 'oh' in the expression oh \\+ kh"):
        xdsl_group.apply(module, "bottleneck-loops{loop=oh factor=2}")
    assert str(module) == before


def test_primitive_refuses_bad_requests():
    from xdsl_group.analysis.loop_structure import loops_named
    from xdsl_group.transforms.bottleneck_loops import plan_bottleneck

    module = xdsl_group.parse(conv_text(CO, CI, OH, OW))
    with pytest.raises(LoopnestError, match="cannot bottleneck: no loops given"):
        plan_bottleneck([], 2)
    with pytest.raises(LoopnestError, match="by 0: the factor must be positive"):
        plan_bottleneck(loops_named(module, "co"), 0)


# -- random nests against the slicing oracle -----------------------------------

LOOPS = ("a", "b", "c", "d")


@st.composite
def bottleneck_nests(draw):
    """A perfect nest `O[..] += X[..] * Y[..]` over 2-4 loops, one of them `L`
    (indexing dimensions of the arrays exactly), the others also in sums."""
    depth = draw(st.integers(2, 4))
    names = list(LOOPS[:depth])
    order = draw(st.permutations(names))
    target = draw(st.sampled_from(names))
    factor = draw(st.sampled_from([1, 2, 3]))
    extents = {n: draw(st.integers(1, 3)) for n in names}
    extents[target] = factor * draw(st.integers(1, 3))
    others = [n for n in names if n != target]
    arrays: dict[str, list[tuple[tuple[str, int], ...]]] = {}
    for array in ("O", "X", "Y"):
        dims = []
        for _ in range(draw(st.integers(1, 3))):
            if draw(st.booleans()):
                dims.append(((target, 1),))
            else:
                used = draw(st.lists(st.sampled_from(others), min_size=1, max_size=2, unique=True))
                dims.append(tuple((n, draw(st.integers(1, 2))) for n in used))
        arrays[array] = dims
    return order, extents, target, factor, arrays


def _index(dim: tuple[tuple[str, int], ...], env: dict[str, int]) -> int:
    return sum(c * env[n] for n, c in dim)


def _shape(dims, extents) -> tuple[int, ...]:
    return tuple(sum(c * (extents[n] - 1) for n, c in dim) + 1 for dim in dims)


def _text(order, extents, arrays) -> str:
    types = {a: f"memref<{'x'.join(map(str, _shape(d, extents)))}xf32>" for a, d in arrays.items()}

    def access(a: str) -> str:
        idx = [" + ".join(f"%{n} * {c}" if c != 1 else f"%{n}" for n, c in dim) for dim in arrays[a]]
        return f"%{a}[{', '.join(idx)}] : {types[a]}"

    body = (
        f"%o = loopnest.load {access('O')}\n%x = loopnest.load {access('X')}\n"
        f"%y = loopnest.load {access('Y')}\n%p = arith.mulf %x, %y : f32\n"
        f"%s = arith.addf %o, %p : f32\nloopnest.store %s, {access('O')}\n"
    )
    for n in reversed(order):
        body = f"loopnest.for {n} %{n} in range({extents[n]}) {{\n{body}}}\n"
    args = ", ".join(f"%{a}: {t}" for a, t in types.items())
    return f"func.func @conv({args}) {{\n{body}func.return\n}}"


def _sliced(array: np.ndarray, dims, target: str, keep: int) -> np.ndarray:
    """The leading `keep` entries of the dimensions indexed by `target`."""
    slices = tuple(slice(0, keep) if dim == ((target, 1),) else slice(None) for dim in dims)
    return np.ascontiguousarray(array[slices])


@given(bottleneck_nests(), st.integers(0, 2**16))
@settings(max_examples=25, deadline=None)
def test_random_nests_against_slices(nest, seed):
    order, extents, target, factor, arrays = nest
    module = xdsl_group.apply(
        xdsl_group.parse(_text(order, extents, arrays)),
        f"bottleneck-loops{{loop={target} factor={factor}}},loopnest-check-bounds",
    )
    keep = extents[target] // factor
    full = {a: ints(_shape(d, extents), seed + k) for k, (a, d) in enumerate(arrays.items())}
    sliced = {a: _sliced(full[a], arrays[a], target, keep) for a in arrays}
    assert shapes(module) == [sliced[a].shape for a in arrays]
    # The oracle: the original statement over the iterations with L < N/B,
    # on the sliced arrays (whose L-dimensions keep their leading entries).
    expected = {a: v.copy() for a, v in sliced.items()}
    ranges = [range(keep) if n == target else range(extents[n]) for n in order]
    for point in itertools.product(*ranges):
        env = dict(zip(order, point))
        at = {a: tuple(_index(dim, env) for dim in arrays[a]) for a in arrays}
        expected["O"][at["O"]] += expected["X"][at["X"]] * expected["Y"][at["Y"]]
    out = [v.copy() for v in sliced.values()]
    xdsl_group.interpret(module, "conv", *out)
    for a, got in zip(arrays, out):
        np.testing.assert_array_equal(got, expected[a])
