"""Property test: random loop nests run the same in the interpreter and the JIT.

Nests have random depth, loop order, bounds (offsets, steps, bounds depending
on an outer loop, as grouping produces) and accesses (sums of induction
variables with coefficients and offsets, sometimes under floordiv or mod).  Values are small integers, so
every f32 operation is exact and the comparison is bitwise even where a
transformation reorders a reduction.

Random transformation sequences: `TRANSFORMS` lists `Step`s; each step's
`pipeline(nest, draw)` returns a pass pipeline for the nest (or None when it
does not apply), `draw` being hypothesis' draw function.  The test draws one
to three steps (`group-loops`, `interchange-loops` with `loops=` or `order=`,
`peel-loops` at either side) and applies them (a second property: up to
two of those, then one to three of `split-loops`, `unroll-loops`,
`parallelize-loops`, `vectorize-loops`, `auto-schedule`); a refusal (`LoopnestError`)
skips the step, as the legality checks have their own tests.  Then:
JIT(transformed) == interpreter(transformed) bitwise, and
== interpreter(original) when every applied step preserves the program's
meaning (all but group, which drops terms by design); in the second
property, JIT(fast_math) of the meaning-preserving float examples whose seed
is a multiple of 4, on non-integer data, is within the documented error
bound.  When a
grouping is the first step applied, the result is also checked against a
Python emulation that sums only the iterations grouping keeps.  Because the
values are small integers, f32 sums are exact in any order, so these
comparisons are bitwise even where interchange (non-strict) reorders a
reduction.

Parallelisation (its own property): `parallelize-loops` accepts a loop of a
random nest iff enumerating the iteration space finds no two iterations of
it (enclosing loops equal) touching one element of O, independent of the
isl analysis it uses.  `vectorize-loops` accepts a loop iff, besides that,
it is innermost with step 1 and every access is contiguous in it or
independent of it, read off the generator's description of the accesses.

A third property runs nests made so that their innermost loop can be
vectorised (`vector_nests`) through seed transformations and `split-loops`,
`unroll-loops`, `vectorize-loops` steps, with the same checks.

Aliased and non-contiguous arguments (fourth property, below): the same
nests run on arguments that are strided or transposed views, or views of
one shared buffer; interpreter and JIT refuse the same overlaps with the
same `ValueError` and otherwise write the same bytes.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import xdsl_group
from xdsl_group.errors import LoopnestError


@dataclass
class Loop:
    name: str
    lb: int
    extent: int
    step: int
    outer: str | None  # bounds shifted by this outer loop's induction variable

    def range_text(self) -> str:
        if self.outer is None:
            lo, hi = str(self.lb), str(self.lb + self.extent)
        else:
            lo = f"%{self.outer} + {self.lb}" if self.lb else f"%{self.outer}"
            hi = f"%{self.outer} + {self.lb + self.extent}"
        return f"{lo}, {hi}, {self.step}" if self.step != 1 else (
            f"{lo}, {hi}" if self.outer is not None or self.lb else hi
        )


@dataclass
class Nest:
    order: list[str]  # loop names, outermost first
    loops: dict[str, Loop]
    accesses: dict[str, list[list[tuple[str, int]]]]  # array -> per dim: [(iv, coeff)]
    offsets: dict[str, list[int]]
    dtype: str  # "f32", "f64", "i32" or "i64"
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    # array -> per dim: None, ("floordiv", k) or ("mod", k) applied to the sum
    wraps: dict[str, list[tuple[str, int] | None]] = field(default_factory=dict)

    def wrap(self, array: str, dim: int) -> tuple[str, int] | None:
        return self.wraps.get(array, [None] * 4)[dim]

    def iterations(self):
        """Every point of the iteration space, as {name: value}."""

        def rec(depth: int, env: dict[str, int]):
            if depth == len(self.order):
                yield dict(env)
                return
            loop = self.loops[self.order[depth]]
            base = env[loop.outer] if loop.outer else 0
            for v in range(base + loop.lb, base + loop.lb + loop.extent, loop.step):
                env[loop.name] = v
                yield from rec(depth + 1, env)
            env.pop(loop.name, None)

        return rec(0, {})

    def index(self, array: str, env: dict[str, int]) -> tuple[int, ...]:
        out = []
        for d, (dim, off) in enumerate(zip(self.accesses[array], self.offsets[array])):
            v = sum(env[iv] * c for iv, c in dim) + off
            match self.wrap(array, d):
                case ("floordiv", k):
                    v //= k
                case ("mod", k):
                    v %= k
            out.append(v)
        return tuple(out)

    def compute_shapes(self) -> None:
        top = {a: [0] * len(dims) for a, dims in self.accesses.items()}
        for env in self.iterations():
            for a in self.accesses:
                top[a] = [max(t, i) for t, i in zip(top[a], self.index(a, env))]
        self.shapes = {a: tuple(t + 1 for t in top[a]) for a in self.accesses}

    def text(self) -> str:
        t = self.dtype
        memref = {a: f"memref<{'x'.join(map(str, s))}x{t}>" for a, s in self.shapes.items()}

        def access(a: str) -> str:
            parts = []
            for d, (dim, off) in enumerate(zip(self.accesses[a], self.offsets[a])):
                terms = [f"%{iv}" if c == 1 else f"%{iv} * {c}" for iv, c in dim]
                if off or not terms:
                    terms.append(str(off))
                text = " + ".join(terms)
                if (w := self.wrap(a, d)) is not None:
                    text = f"({text}) {w[0]} {w[1]}"
                parts.append(text)
            return f"%{a}[{', '.join(parts)}] : {memref[a]}"

        mul, add = ("arith.mulf", "arith.addf") if t[0] == "f" else ("arith.muli", "arith.addi")
        body = [
            f"%o = loopnest.load {access('O')}",
            f"%a = loopnest.load {access('A')}",
            f"%b = loopnest.load {access('B')}",
            f"%p = {mul} %a, %b : {t}",
            f"%s = {add} %o, %p : {t}",
            f"loopnest.store %s, {access('O')}",
        ]
        lines = []
        for d, name in enumerate(self.order):
            lines.append("  " * (d + 2) + f"loopnest.for {name} %{name} in range({self.loops[name].range_text()}) {{")
        lines += ["  " * (len(self.order) + 2) + b for b in body]
        lines += ["  " * (d + 2) + "}" for d in reversed(range(len(self.order)))]
        args = ", ".join(f"%{a}: {memref[a]}" for a in ("O", "A", "B"))
        return "\n".join(
            ["builtin.module {", f"  func.func @nest({args}) {{", *lines, "    func.return", "  }", "}"]
        )


@st.composite
def nests(draw) -> Nest:
    depth = draw(st.integers(1, 3))
    order = draw(st.permutations(["i", "j", "k"][:depth]))
    loops: dict[str, Loop] = {}
    for d, name in enumerate(order):
        outer = draw(st.sampled_from([None, *order[:d]])) if d else None
        loops[name] = Loop(
            name,
            lb=draw(st.integers(0, 2)),
            extent=draw(st.integers(1, 4)),
            step=draw(st.sampled_from([1, 1, 2])),
            outer=outer,
        )
    accesses: dict[str, list[list[tuple[str, int]]]] = {}
    offsets: dict[str, list[int]] = {}
    wraps: dict[str, list[tuple[str, int] | None]] = {}
    for a in ("O", "A", "B"):
        rank = draw(st.integers(1, 3))
        dims = []
        for _ in range(rank):
            ivs = draw(st.lists(st.sampled_from(order), min_size=0, max_size=2, unique=True))
            dims.append([(iv, draw(st.sampled_from([1, 1, 2]))) for iv in ivs])
        accesses[a] = dims
        offsets[a] = [draw(st.integers(0, 2)) for _ in range(rank)]
        wraps[a] = [
            draw(st.sampled_from([None, None, None, ("floordiv", 2), ("mod", 3)]))
            for _ in range(rank)
        ]
    nest = Nest(list(order), loops, accesses, offsets, draw(st.sampled_from(["f32", "f32", "i32", "f64", "i64"])))
    nest.wraps = wraps
    nest.compute_shapes()
    return nest


@st.composite
def vector_nests(draw) -> Nest:
    """A random nest whose innermost loop can be vectorised: step 1, O (and
    maybe A, B) indexed by it in the last dimension only, with coefficient 1
    and no floordiv/mod there."""
    nest = draw(nests())
    inner = nest.order[-1]
    nest.loops[inner].step = 1
    for a in ("O", "A", "B"):
        if a == "O" or draw(st.booleans()):
            dims = nest.accesses[a]
            for dim in dims:
                dim[:] = [(iv, c) for iv, c in dim if iv != inner]
            dims[-1].append((inner, 1))
            nest.wraps[a][-1] = None
    nest.compute_shapes()
    return nest


@dataclass(frozen=True)
class Step:
    """A random transformation step (see the module docstring)."""

    name: str
    pipeline: Callable[[Nest, Callable], str | None]
    preserves: bool  # does the step keep the program's meaning?


def _group(nest: Nest, draw) -> str:
    loops = draw(st.lists(st.sampled_from(nest.order), min_size=1, max_size=2, unique=True))
    groups = draw(st.sampled_from([2, 2, 3]))
    name = draw(st.sampled_from(["g", "h"]))  # a clash with an earlier group is a refusal
    return f"group-loops{{loops={','.join(loops)} groups={groups} name={name}}}"


def _interchange(nest: Nest, draw) -> str | None:
    if len(nest.order) < 2:
        return None
    if draw(st.booleans()):
        a, b = draw(st.lists(st.sampled_from(nest.order), min_size=2, max_size=2, unique=True))
        return f"interchange-loops{{loops={a},{b}}}"
    return f"interchange-loops{{order={','.join(draw(st.permutations(nest.order)))}}}"


def _peel(nest: Nest, draw) -> str:
    loop = draw(st.sampled_from(nest.order))
    count = draw(st.integers(1, 3))
    side = draw(st.sampled_from(["front", "back"]))
    return f"peel-loops{{loop={loop} count={count} side={side}}}"


def _split(nest: Nest, draw) -> str:
    loop = draw(st.sampled_from(nest.order))
    return f"split-loops{{loop={loop} factor={draw(st.integers(1, 3))}}}"


def _unroll(nest: Nest, draw) -> str:
    loop = draw(st.sampled_from(nest.order))
    return f"unroll-loops{{loop={loop} factor={draw(st.integers(0, 3))}}}"


def _parallelize(nest: Nest, draw) -> str:
    return f"parallelize-loops{{loop={draw(st.sampled_from(nest.order))}}}"


def _vectorize(nest: Nest, draw) -> str:
    # The innermost loop is the one that can be vectorised: drawn more often.
    loop = draw(st.sampled_from([*nest.order, nest.order[-1], nest.order[-1]]))
    return f"vectorize-loops{{loop={loop} width={draw(st.integers(0, 3))}}}"


def _auto_schedule(nest: Nest, draw) -> str:
    return "auto-schedule"


TRANSFORMS: list[Step] = [
    Step("group", _group, preserves=False),
    Step("interchange", _interchange, preserves=True),
    Step("peel", _peel, preserves=True),
]

SCHEDULES: list[Step] = [
    Step("split", _split, preserves=True),
    Step("unroll", _unroll, preserves=True),
    Step("parallelize", _parallelize, preserves=True),
    Step("vectorize", _vectorize, preserves=True),
    Step("auto-schedule", _auto_schedule, preserves=True),
]


def random_arrays(nest: Nest, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    dtype = {"f32": np.float32, "f64": np.float64, "i32": np.int32, "i64": np.int64}[nest.dtype]
    return [rng.integers(-4, 5, nest.shapes[a]).astype(dtype) for a in ("O", "A", "B")]


def run_both(module, arrays) -> tuple[list[np.ndarray], list[np.ndarray]]:
    interp = [a.copy() for a in arrays]
    xdsl_group.interpret(module, "nest", *interp)
    native = [a.copy() for a in arrays]
    xdsl_group.jit(module, "nest")(*native)
    return interp, native


def examples(n: int):
    """The properties' hypothesis settings: `n` examples, reproducible, no deadline."""
    return settings(
        max_examples=n, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
    )


# How often each kind of step was accepted; the property test must see every
# kind accepted, or it would be testing refusals only.
ACCEPTED: dict[str, int] = {}


@examples(400)
@given(nest=nests(), seed=st.integers(0, 2**16), data=st.data())
def _random_nests_and_transformations(nest: Nest, seed: int, data):
    check(nest, seed, data, TRANSFORMS)


def test_random_nests_interpreter_equals_jit():
    ACCEPTED.clear()
    _random_nests_and_transformations()
    for step in TRANSFORMS:
        assert ACCEPTED.get(step.name, 0) >= 20, ACCEPTED
    assert ACCEPTED.get("group emulated", 0) >= 20, ACCEPTED


@examples(150)
@given(nest=nests(), seed=st.integers(0, 2**16), data=st.data())
def _random_nests_and_schedules(nest: Nest, seed: int, data):
    check(nest, seed, data, TRANSFORMS, SCHEDULES)


VECTOR_SCHEDULES: list[Step] = [
    Step("split", _split, preserves=True),
    Step("unroll", _unroll, preserves=True),
    Step("vectorize", _vectorize, preserves=True),
    Step("vectorize", _vectorize, preserves=True),
]


@examples(100)
@given(nest=vector_nests(), seed=st.integers(0, 2**16), data=st.data())
def _random_vector_nests_and_schedules(nest: Nest, seed: int, data):
    check(nest, seed, data, TRANSFORMS, VECTOR_SCHEDULES)


def test_random_vectorized_nests_interpreter_equals_jit():
    """Nests whose innermost loop can be vectorised, seed transformations,
    then split/unroll/vectorize steps: the JIT (vector code, one and two
    threads) equals the interpreter bitwise, and the untransformed program
    when no grouping was applied; fast-math within the bound."""
    ACCEPTED.clear()
    _random_vector_nests_and_schedules()
    assert ACCEPTED.get("vectorize", 0) >= 30, ACCEPTED
    assert ACCEPTED.get("fast-math", 0) >= 5, ACCEPTED


def test_random_nests_and_schedules_interpreter_equals_jit():
    """Seed transformations, then split/unroll/parallelize/auto-schedule
    steps: the JIT (one and two threads) equals the interpreter, and both
    the untransformed program when no grouping was applied; JIT(fast_math)
    is within the documented error bound of the exact result."""
    ACCEPTED.clear()
    _random_nests_and_schedules()
    for step in SCHEDULES:
        if step.name != "vectorize":  # rarely legal here: see the next property
            assert ACCEPTED.get(step.name, 0) >= 20, ACCEPTED
    assert ACCEPTED.get("fast-math", 0) >= 15, ACCEPTED
    if _host_has_fma():
        # Contraction happened: the bound, not bitwise equality, was tested.
        assert ACCEPTED.get("fast-math differs", 0) >= 1, ACCEPTED


def _host_has_fma() -> bool:
    import llvmlite.binding as llvm

    return bool(llvm.get_host_cpu_features().get("fma", False))


def emulate_grouping(nest: Nest, pipeline: str, arrays: list[np.ndarray]) -> np.ndarray:
    """O after the nest with `group-loops` applied, computed in Python.

    Grouping keeps the iterations whose chosen loops all fall in the same of
    the G equal chunks of their trip counts.
    """
    m = re.fullmatch(r"group-loops\{loops=([\w,]+) groups=(\d+) name=\w+\}", pipeline)
    assert m, pipeline
    chosen, groups = m.group(1).split(","), int(m.group(2))
    O, A, B = (a.copy() for a in arrays)
    for env in nest.iterations():
        chunks = set()
        for name in chosen:
            loop = nest.loops[name]
            base = env[loop.outer] if loop.outer else 0
            position = (env[name] - base - loop.lb) // loop.step
            chunks.add(position // (-(-loop.extent // loop.step) // groups))
        if len(chunks) == 1:
            o = nest.index("O", env)
            O[o] = O[o] + A[nest.index("A", env)] * B[nest.index("B", env)]
    return O


def check(
    nest: Nest, seed: int, data, transforms: list[Step], schedules: list[Step] | None = None
) -> None:
    """With `schedules`: zero to two `transforms` steps, then one to three
    `schedules` steps; otherwise one to three `transforms` steps."""
    module = xdsl_group.parse(nest.text(), "random.mlir")
    arrays = random_arrays(nest, seed)
    interp, native = run_both(module, arrays)
    for x, y in zip(interp, native):
        np.testing.assert_array_equal(x, y, err_msg=nest.text())

    if schedules is None:
        steps = data.draw(st.lists(st.sampled_from(transforms), min_size=1, max_size=3))
    else:
        steps = data.draw(st.lists(st.sampled_from(transforms), max_size=2)) + data.draw(
            st.lists(st.sampled_from(schedules), min_size=1, max_size=3)
        )
    transformed = module
    applied: list[str] = []
    preserved = True
    emulated: str | None = None
    for step in steps:
        pipeline = step.pipeline(nest, data.draw)
        if pipeline is None:
            continue
        try:
            transformed = xdsl_group.apply(transformed, pipeline)
        except LoopnestError:
            continue  # a refusal is allowed; a wrong result is not
        ACCEPTED[step.name] = ACCEPTED.get(step.name, 0) + 1
        if step.name == "group" and not applied:
            emulated = pipeline
        applied.append(pipeline)
        preserved = preserved and step.preserves
    if not applied:
        return
    t_interp, t_native = run_both(transformed, arrays)
    if schedules is not None:
        # Loops marked parallel run on two threads: bitwise the same.
        threaded = [a.copy() for a in arrays]
        xdsl_group.jit(transformed, "nest", threads=2)(*threaded)
        for y, z in zip(t_native, threaded):
            np.testing.assert_array_equal(y, z, err_msg=f"threads=2 {applied}\n{nest.text()}")
        # Fast-math on float examples whose seed is a multiple of 4 (a compile each).
        if preserved and nest.dtype[0] == "f" and seed % 4 == 0:
            check_fast_math(nest, transformed, seed, f"{applied}\n{nest.text()}")
    for x, y, z in zip(interp, t_interp, t_native):
        np.testing.assert_array_equal(y, z, err_msg=f"{applied}\n{nest.text()}")
        if preserved:
            np.testing.assert_array_equal(x, y, err_msg=f"{applied}\n{nest.text()}")
    if emulated is not None and all("group" not in p for p in applied[1:]):
        ACCEPTED["group emulated"] = ACCEPTED.get("group emulated", 0) + 1
        np.testing.assert_array_equal(
            t_interp[0], emulate_grouping(nest, emulated, arrays), err_msg=f"{applied}\n{nest.text()}"
        )


def check_fast_math(nest: Nest, transformed, seed: int, where: str) -> None:
    """JIT(fast_math) of `transformed` (which means what `nest` means) on
    non-integer data, within docs/lowering.md's bound of a float sum in any
    fixed order, with or without FMA: |O - O_exact| <= gamma_n * sum|terms|,
    gamma_n = n*u / (1 - n*u), where an element of O sums n terms, its
    initial value and the products A*B of the k iterations accumulating into
    it (n = k + 1; with k = 0 it must be unchanged).  The exact result and the
    bound are rationals, from enumerating the original nest's iterations
    (independent of the passes and of LLVM)."""
    from fractions import Fraction

    rng = np.random.default_rng(seed)
    dtype, u = {
        "f32": (np.float32, Fraction(1, 2**24)), "f64": (np.float64, Fraction(1, 2**53))
    }[nest.dtype]
    arrays = [rng.standard_normal(nest.shapes[a]).astype(dtype) for a in ("O", "A", "B")]
    O, A, B = arrays
    exact = {o: Fraction(float(O[o])) for o in np.ndindex(O.shape)}
    magnitude = {o: abs(v) for o, v in exact.items()}
    products = dict.fromkeys(exact, 0)
    for env in nest.iterations():
        o = nest.index("O", env)
        p = Fraction(float(A[nest.index("A", env)])) * Fraction(float(B[nest.index("B", env)]))
        exact[o] += p
        magnitude[o] += abs(p)
        products[o] += 1
    fast = [a.copy() for a in arrays]
    xdsl_group.jit(transformed, "nest", fast_math=True)(*fast)
    for o, want in exact.items():
        n = products[o] + 1
        bound = n * u / (1 - n * u) * magnitude[o] if products[o] else Fraction(0)
        error = abs(Fraction(float(fast[0][o])) - want)
        assert error <= bound, (
            f"fast-math O{list(o)}: |error| {float(error):.3g} > {float(bound):.3g}; {where}"
        )
    for x, y in zip(arrays[1:], fast[1:]):
        np.testing.assert_array_equal(x, y, err_msg=f"fast-math wrote an input; {where}")
    exact_native = [a.copy() for a in arrays]
    xdsl_group.jit(transformed, "nest")(*exact_native)
    ACCEPTED["fast-math"] = ACCEPTED.get("fast-math", 0) + 1
    if not np.array_equal(fast[0], exact_native[0]):
        ACCEPTED["fast-math differs"] = ACCEPTED.get("fast-math differs", 0) + 1


def races(nest: Nest, loop: str) -> bool:
    """Two iterations of `loop`, the loops enclosing it at equal values, touch
    one element with one of them writing, found by enumerating the iteration
    space.  Only O is written (A, B and O are distinct arrays), and every
    iteration reads and writes the same element of O."""
    outer = nest.order[: nest.order.index(loop)]
    seen: dict[tuple, int] = {}
    for env in nest.iterations():
        key = (tuple(env[n] for n in outer), nest.index("O", env))
        if seen.setdefault(key, env[loop]) != env[loop]:
            return True
    return False


PARALLEL_SEEN: dict[bool, int] = {}


@examples(150)
@given(nest=nests(), data=st.data())
def _parallelize_matches_enumeration(nest: Nest, data):
    loop = data.draw(st.sampled_from(nest.order))
    module = xdsl_group.parse(nest.text(), "random.mlir")
    try:
        xdsl_group.apply(module, f"parallelize-loops{{loop={loop}}}")
        accepted = True
    except LoopnestError:
        accepted = False
    assert accepted == (not races(nest, loop)), f"{loop}\n{nest.text()}"
    PARALLEL_SEEN[accepted] = PARALLEL_SEEN.get(accepted, 0) + 1


def contiguous_or_independent(nest: Nest, array: str, loop: str) -> bool:
    """From the generator's description: `loop` appears only in the last
    index of `array`, with coefficient 1 and no floordiv/mod there, or not
    at all."""
    dims = nest.accesses[array]
    uses = [d for d, dim in enumerate(dims) if any(iv == loop for iv, _ in dim)]
    if not uses:
        return True
    last = len(dims) - 1
    return uses == [last] and dict(dims[last])[loop] == 1 and nest.wrap(array, last) is None


VECTOR_SEEN: dict[bool, int] = {}


@examples(150)
@given(nest=st.one_of(nests(), vector_nests()), data=st.data())
def _vectorize_matches_enumeration(nest: Nest, data):
    loop = data.draw(st.sampled_from([*nest.order, nest.order[-1]]))
    module = xdsl_group.parse(nest.text(), "random.mlir")
    try:
        xdsl_group.apply(module, f"vectorize-loops{{loop={loop}}}")
        accepted = True
    except LoopnestError:
        accepted = False
    o_uses = any(iv == loop for dim in nest.accesses["O"] for iv, _ in dim)
    expected = (
        loop == nest.order[-1]
        and nest.loops[loop].step == 1
        and o_uses
        and all(contiguous_or_independent(nest, a, loop) for a in ("O", "A", "B"))
        and not races(nest, loop)
    )
    assert accepted == expected, f"{loop}\n{nest.text()}"
    VECTOR_SEEN[accepted] = VECTOR_SEEN.get(accepted, 0) + 1


def test_vectorize_accepts_exactly_contiguous_race_free_inner_loops():
    """`vectorize-loops` accepts a loop iff it is innermost with step 1, its
    accesses are contiguous in it or independent of it (O using it), and
    enumeration finds no race between its iterations."""
    VECTOR_SEEN.clear()
    _vectorize_matches_enumeration()
    assert VECTOR_SEEN.get(True, 0) >= 15 and VECTOR_SEEN.get(False, 0) >= 20, VECTOR_SEEN


def test_parallelize_accepts_exactly_race_free_loops():
    """`parallelize-loops` accepts a loop iff enumerating the small iteration
    space finds no two of its iterations touching one element, one writing."""
    PARALLEL_SEEN.clear()
    _parallelize_matches_enumeration()
    assert PARALLEL_SEEN.get(True, 0) >= 20 and PARALLEL_SEEN.get(False, 0) >= 20, PARALLEL_SEEN


def test_generator_covers_dependent_bounds_and_steps():
    """The strategy really produces the shapes of nests the passes make."""
    nest = Nest(
        ["i", "j"],
        {"i": Loop("i", 0, 2, 1, None), "j": Loop("j", 1, 3, 2, "i")},
        {"O": [[("i", 1)]], "A": [[("i", 2), ("j", 1)]], "B": [[]]},
        {"O": [0], "A": [1], "B": [0]},
        "f32",
    )
    nest.compute_shapes()
    assert nest.shapes == {"O": (2,), "A": (8,), "B": (1,)}
    text = nest.text()
    assert "range(%i + 1, %i + 4, 2)" in text
    module = xdsl_group.parse(text)
    arrays = random_arrays(nest, 0)
    interp, native = run_both(module, arrays)
    for x, y in zip(interp, native):
        np.testing.assert_array_equal(x, y)
    assert len(list(itertools.islice(nest.iterations(), 10))) == 4


# ---------------------------------------------------------------------------
# Aliased and non-contiguous arguments.
#
# Each of O, A, B is drawn as a fresh contiguous array, a strided or
# transposed view of a buffer of its own, or a strided view at some offset of
# one buffer shared by all three (so arguments may overlap, interleave or be
# disjoint).  Which elements of the shared buffer each touches is computed
# here (offset + k * stride), independently of numpy's overlap test.  When
# the written O shares an element with A or B, both backends must refuse the
# call with the same `ValueError` and leave every buffer unchanged; otherwise
# both must compute what the interpreter computes on contiguous copies, and
# write nothing outside O.


@dataclass(frozen=True)
class Layout:
    kind: str  # "fresh", "strided", "transposed" or "shared"
    offset: int = 0
    stride: int = 1


@st.composite
def layouts(draw) -> dict[str, Layout]:
    """Any kinds, or, a third of the time each, A and B sharing one buffer
    beside a separate O (read-only sharing), or O and A sharing its first
    element (a written overlap): every case is drawn often, whatever the
    generator's luck."""
    shape = draw(st.sampled_from(["any", "read-shared", "overlap"]))
    kinds = ["fresh", "strided", "transposed", "shared", "shared"]
    out = {}
    for a in ("O", "A", "B"):
        kind = draw(st.sampled_from(kinds))
        offset = draw(st.integers(0, 6))
        if shape == "read-shared":
            kind = "shared" if a != "O" else draw(st.sampled_from(kinds[:3]))
        elif shape == "overlap" and a in ("O", "A"):
            kind, offset = "shared", 0
        out[a] = Layout(kind, offset, draw(st.integers(1, 3)))
    return out


def make_buffers(nest: Nest, layout: dict[str, Layout], seed: int) -> dict[str, np.ndarray]:
    """The memory the arguments live in: one buffer per non-shared argument
    and the shared one, of small random integers."""
    rng = np.random.default_rng(seed)
    dtype = {"f32": np.float32, "f64": np.float64, "i32": np.int32, "i64": np.int64}[nest.dtype]
    sizes = {a: int(np.prod(nest.shapes[a])) for a in ("O", "A", "B")}
    lengths = {"shared": 0}
    for a, l in layout.items():
        if l.kind == "shared":
            lengths["shared"] = max(lengths["shared"], l.offset + (sizes[a] - 1) * l.stride + 1)
        elif l.kind == "strided":
            lengths[a] = l.offset + sizes[a] * (l.stride + 1)
        else:
            lengths[a] = sizes[a]
    return {k: rng.integers(-4, 5, n).astype(dtype) for k, n in lengths.items()}


def make_views(nest: Nest, layout: dict[str, Layout], buffers: dict[str, np.ndarray]):
    """The arguments O, A, B as views of `buffers`."""
    views = []
    for a in ("O", "A", "B"):
        l, shape = layout[a], nest.shapes[a]
        n = int(np.prod(shape))
        if l.kind == "fresh":
            views.append(buffers[a].reshape(shape))
        elif l.kind == "strided":
            views.append(buffers[a][l.offset :: l.stride + 1][:n].reshape(shape))
        elif l.kind == "transposed":
            views.append(buffers[a].reshape(shape[::-1]).T)
        else:
            end = l.offset + (n - 1) * l.stride + 1
            views.append(buffers["shared"][l.offset : end : l.stride].reshape(shape))
    return views


def touched_elements(nest: Nest, layout: dict[str, Layout]) -> dict[str, set[int]]:
    """The elements of the shared buffer each argument in it covers."""
    return {
        a: {l.offset + k * l.stride for k in range(int(np.prod(nest.shapes[a])))}
        for a, l in layout.items()
        if l.kind == "shared"
    }


def check_layout(nest: Nest, layout: dict[str, Layout], seed: int) -> str:
    module = xdsl_group.parse(nest.text(), "random.mlir")
    native = xdsl_group.jit(module, "nest")
    backends = {"interp": lambda *x: xdsl_group.interpret(module, "nest", *x), "jit": native}
    buffers = make_buffers(nest, layout, seed)
    touched = touched_elements(nest, layout)
    written_overlap = "O" in touched and any(
        touched["O"] & touched[a] for a in ("A", "B") if a in touched
    )
    results: dict[str, object] = {}
    for backend, run in backends.items():
        memory = {k: v.copy() for k, v in buffers.items()}
        args = make_views(nest, layout, memory)
        if written_overlap:
            with np.testing.assert_raises(ValueError) as info:
                run(*args)
            results[backend] = str(info.exception)
            for k in buffers:
                np.testing.assert_array_equal(memory[k], buffers[k])
        else:
            run(*args)
            results[backend] = memory
    if written_overlap:
        assert results["interp"] == results["jit"]
        assert "overlap and #0 (%O) is written" in results["jit"]
        return "refused"
    # Expected: the interpreter on contiguous copies, O put back in its place;
    # nothing else in any buffer changes.
    copies = [np.ascontiguousarray(v).copy() for v in make_views(nest, layout, buffers)]
    xdsl_group.interpret(module, "nest", *copies)
    expected = {k: v.copy() for k, v in buffers.items()}
    make_views(nest, layout, expected)[0][...] = copies[0]
    for backend in backends:
        for k in buffers:
            np.testing.assert_array_equal(
                results[backend][k], expected[k], err_msg=f"{backend} {layout}\n{nest.text()}"
            )
    return "shared" if len(touched) > 1 else "separate"


LAYOUTS: dict[str, int] = {}


@examples(100)
@given(nest=nests(), layout=layouts(), seed=st.integers(0, 2**16))
def _aliased_and_strided(nest: Nest, layout: dict[str, Layout], seed: int):
    kind = check_layout(nest, layout, seed)
    LAYOUTS[kind] = LAYOUTS.get(kind, 0) + 1


def test_aliased_and_non_contiguous_arguments_interpreter_equals_jit():
    LAYOUTS.clear()
    _aliased_and_strided()
    # Refusals, accepted read-only sharing and separate views were all exercised.
    assert all(LAYOUTS.get(k, 0) >= 10 for k in ("refused", "shared", "separate")), LAYOUTS
