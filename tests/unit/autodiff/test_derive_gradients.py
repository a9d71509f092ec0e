"""`derive-gradients`: the derived `@f_vjp` run in the interpreter, the JIT and
MLIR 22, against independent references.

The seed conv's gradients are checked against explicit numpy sums; random
nests in the supported class (hypothesis; with ReLU-like maximumf, minimumf
and select) against forward-mode dual numbers
evaluated on the drawn description, never on the IR.
"""

from __future__ import annotations

import itertools
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import xdsl_group
from xdsl_group.api import find_function

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples"


def conv_vjp_reference(I, W, dO):
    """dI, dW of O[co, oh, ow] = sum_ci,kh,kw I[ci, oh+kh, ow+kw] W[co, ci, kh, kw]."""
    CO, CI, KH, KW = W.shape
    _, OH, OW = dO.shape
    dI = np.zeros(I.shape, np.float64)
    dW = np.zeros(W.shape, np.float64)
    for kh in range(KH):
        for kw in range(KW):
            window = I[:, kh:kh + OH, kw:kw + OW].astype(np.float64)
            dW[:, :, kh, kw] = np.einsum("ohw,chw->oc", dO, window)
            dI[:, kh:kh + OH, kw:kw + OW] += np.einsum("ohw,oc->chw", dO, W[:, :, kh, kw])
    return dI, dW


@pytest.fixture(scope="module")
def seed():
    module = xdsl_group.parse((EXAMPLES / "conv2d.mlir").read_text(), "conv2d.mlir")
    return module, xdsl_group.derive_gradients(module)


def seed_arrays(seed: int):
    rng = np.random.default_rng(seed)
    O = np.zeros((8, 6, 6), np.float32)
    I = rng.standard_normal((8, 8, 8)).astype(np.float32)
    W = rng.standard_normal((8, 8, 3, 3)).astype(np.float32)
    dO = rng.standard_normal((8, 6, 6)).astype(np.float32)
    return O, I, W, dO


def test_seed_vjp_interpreter_equals_jit_and_reference(seed):
    original, derived = seed
    assert str(original).count("func.func") == 1  # the input is not modified
    assert find_function(derived, "conv2d") is not None
    O, I, W, dO = seed_arrays(1)
    dI0 = np.random.default_rng(2).standard_normal(I.shape).astype(np.float32)
    results = []
    for run in (xdsl_group.interpret, lambda m, f, *a: xdsl_group.jit(m, f)(*a)):
        dI, dW = dI0.copy(), np.zeros_like(W)  # dI starts non-zero: accumulated into
        run(derived, "conv2d_vjp", O, I, W, dO, dI, dW)
        results.append((dI, dW))
    (dI_i, dW_i), (dI_j, dW_j) = results
    np.testing.assert_array_equal(dI_i, dI_j)  # same f32 operations, same order
    np.testing.assert_array_equal(dW_i, dW_j)
    rI, rW = conv_vjp_reference(I, W, dO)
    np.testing.assert_allclose(dI_i, dI0 + rI, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(dW_i, rW, rtol=1e-4, atol=1e-4)


def test_derived_functions_pass_the_other_passes(seed):
    _, derived = seed
    xdsl_group.apply(derived, "loopnest-check-bounds")
    xdsl_group.apply(derived, "convert-loopnest-to-affine")
    swapped = xdsl_group.apply(derived, "interchange-loops{loops=co,ci}")
    O, I, W, dO = seed_arrays(3)
    outs = []
    for module in (derived, swapped):
        dI, dW = np.zeros_like(I), np.zeros_like(W)
        xdsl_group.jit(module, "conv2d_vjp")(O, I, W, dO, dI, dW)
        outs.append((dI, dW))
    rI, rW = conv_vjp_reference(I, W, dO)
    for dI, dW in outs:
        np.testing.assert_allclose(dI, rI, rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(dW, rW, rtol=1e-4, atol=1e-4)


def test_example2_vjp_several_nests(seed):
    """Example 2 reads only W's dense rows [0, 2) and two diagonal blocks: its
    gradient is the dense conv's with W masked to those entries."""
    module = xdsl_group.parse((EXAMPLES / "conv2d_peeled_grouped.mlir").read_text())
    derived = xdsl_group.derive_gradients(module)
    mask = np.zeros((8, 8, 1, 1), np.float32)
    mask[:2] = 1
    mask[2:5, :4] = 1
    mask[5:, 4:] = 1
    O, I, W, dO = seed_arrays(5)
    dI, dW = np.zeros_like(I), np.zeros_like(W)
    xdsl_group.jit(derived, "conv2d_peeled_grouped_vjp")(O, I, W, dO, dI, dW)
    rI, rW = conv_vjp_reference(I, W * mask, dO)
    np.testing.assert_allclose(dI, rI, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(dW, rW * mask, rtol=1e-4, atol=1e-4)


def test_hoisted_load_is_recomputed_in_the_adjoint_nest():
    """`a = A[i]` loaded outside the j loop: the adjoint of O[i] += a * B[j]
    still iterates (i, j), reloading A[i]."""
    module = xdsl_group.parse(
        "func.func @outer(%O: memref<3xf64>, %A: memref<3xf64>, %B: memref<4xf64>) {\n"
        "  loopnest.for i %i in range(3) {\n"
        "    %a = loopnest.load %A[%i] : memref<3xf64>\n"
        "    loopnest.for j %j in range(4) {\n"
        "      %o = loopnest.load %O[%i] : memref<3xf64>\n"
        "      %b = loopnest.load %B[%j] : memref<4xf64>\n"
        "      %p = arith.mulf %a, %b : f64\n"
        "      %s = arith.addf %p, %o : f64\n"
        "      loopnest.store %s, %O[%i] : memref<3xf64>\n"
        "    }\n  }\n  func.return\n}\n"
    )
    derived = xdsl_group.derive_gradients(module)
    rng = np.random.default_rng(0)
    A, B, dO = rng.standard_normal(3), rng.standard_normal(4), rng.standard_normal(3)
    dA, dB = np.zeros(3), np.zeros(4)
    xdsl_group.interpret(derived, "outer_vjp", np.zeros(3), A, B, dO, dA, dB)
    np.testing.assert_allclose(dA, dO * B.sum(), rtol=1e-12)
    np.testing.assert_allclose(dB, np.full(4, (dO * A).sum()), rtol=1e-12)


def test_derive_twice_is_refused(seed):
    _, derived = seed
    with pytest.raises(xdsl_group.LoopnestError, match="already has a function"):
        xdsl_group.derive_gradients(derived)


def test_functions_writing_nothing_are_left_alone():
    module = xdsl_group.parse(
        "func.func @reads(%A: memref<4xf32>) {\n"
        "  loopnest.for i %i in range(4) {\n"
        "    %a = loopnest.load %A[%i] : memref<4xf32>\n"
        "  }\n  func.return\n}\n"
    )
    assert str(xdsl_group.derive_gradients(module)) == str(module)


MLIR_OPT = shutil.which("mlir-opt-22")
MLIR_TRANSLATE = shutil.which("mlir-translate-22")


@pytest.mark.skipif(
    MLIR_OPT is None or MLIR_TRANSLATE is None,
    reason="MLIR 22 tools not installed (apt-get install mlir-22-tools)",
)
def test_seed_vjp_lowered_and_run_by_mlir22(seed):
    sys.path.insert(0, str(ROOT / "tests" / "unit"))  # the cross-check helpers
    from test_mlir_crosscheck import MLIR_PIPELINE, generic, run_llvm_ir, run_tool

    _, derived = seed
    affine = xdsl_group.apply(derived, "convert-loopnest-to-affine")
    lowered = run_tool(MLIR_OPT, f"--pass-pipeline={MLIR_PIPELINE}", stdin=generic(affine))
    ir = run_tool(MLIR_TRANSLATE, "--mlir-to-llvmir", stdin=lowered)
    O, I, W, dO = seed_arrays(4)
    dI, dW = np.zeros_like(I), np.zeros_like(W)
    run_llvm_ir(ir, derived, "conv2d_vjp", (O, I, W, dO, dI, dW))
    jI, jW = np.zeros_like(I), np.zeros_like(W)
    xdsl_group.jit(derived, "conv2d_vjp")(O, I, W, dO, jI, jW)
    np.testing.assert_array_equal(dI, jI)
    np.testing.assert_array_equal(dW, jW)


# --------------------------------------------------------------------------
# Random nests in the supported class
# --------------------------------------------------------------------------


class Dual:
    """a + b·ε with ε² = 0: exact forward-mode derivatives of polynomials."""

    __slots__ = ("a", "b")

    def __init__(self, a: float, b: float = 0.0):
        self.a, self.b = a, b

    @staticmethod
    def of(x: object) -> Dual:
        return x if isinstance(x, Dual) else Dual(float(x))  # type: ignore[arg-type]

    def __add__(self, o: object) -> Dual:
        o = Dual.of(o)
        return Dual(self.a + o.a, self.b + o.b)

    def __sub__(self, o: object) -> Dual:
        o = Dual.of(o)
        return Dual(self.a - o.a, self.b - o.b)

    def __mul__(self, o: object) -> Dual:
        o = Dual.of(o)
        return Dual(self.a * o.a, self.a * o.b + self.b * o.a)

    def __neg__(self) -> Dual:
        return Dual(-self.a, -self.b)

    def __gt__(self, o: Dual) -> bool:
        return self.a > o.a

    def __lt__(self, o: Dual) -> bool:
        return self.a < o.a


@dataclass
class Expr:
    kind: str  # "load", "const", "add", "sub", "mul", "neg", "max", "min", "select"
    array: str = ""
    index: tuple[tuple[tuple[int, ...], int], ...] = ()  # per dim: (coeffs, const)
    value: float = 0.0
    args: tuple[Expr, ...] = ()


@dataclass
class Stmt:
    output: str
    index: tuple[tuple[tuple[int, ...], int], ...]
    accumulate: bool
    addend_first: bool
    expr: Expr


@dataclass
class Nest:
    loops: list[tuple[int, int, int, int]]  # (lb const, lb uses outer loop k or -1, trip, step)
    stmts: list[Stmt]


INPUTS = ("A", "B")
OUTPUTS = ("O", "P")
RANKS = {"A": 2, "B": 1, "O": 1, "P": 2}


def iterations(nest: Nest):
    """All iteration vectors of the nest, in execution order."""

    def rec(k: int, prefix: tuple[int, ...]):
        if k == len(nest.loops):
            yield prefix
            return
        c, outer, trip, step = nest.loops[k]
        lb = c + (prefix[outer] if outer >= 0 else 0)
        for v in range(lb, lb + trip * step, step):
            yield from rec(k + 1, prefix + (v,))

    yield from rec(0, ())


def index_of(index, ivs) -> tuple[int, ...]:
    return tuple(sum(c * v for c, v in zip(coeffs, ivs)) + const for coeffs, const in index)


@st.composite
def affine_index(draw, depth: int, rank: int):
    return tuple(
        (tuple(draw(st.integers(0, 2)) for _ in range(depth)), draw(st.integers(0, 1)))
        for _ in range(rank)
    )


@st.composite
def expressions(draw, depth: int, height: int = 3):
    if height == 0 or draw(st.integers(0, 2)) == 0:
        if draw(st.integers(0, 4)) == 0:
            return Expr("const", value=draw(st.sampled_from([0.5, -1.5, 2.0])))
        array = draw(st.sampled_from(INPUTS))
        return Expr("load", array=array, index=draw(affine_index(depth, RANKS[array])))
    kind = draw(st.sampled_from(["add", "sub", "mul", "mul", "neg", "max", "min", "select"]))
    n = {"neg": 1, "select": 4}.get(kind, 2)  # select(x > y, a, b)
    return Expr(kind, args=tuple(draw(expressions(depth, height - 1)) for _ in range(n)))


@st.composite
def programs(draw):
    nests = []
    for _ in range(draw(st.integers(1, 2))):
        depth = draw(st.integers(1, 3))
        loops = []
        for k in range(depth):
            outer = draw(st.integers(-1, k - 1)) if k else -1
            loops.append((draw(st.integers(0, 1)), outer, draw(st.integers(1, 3)),
                          draw(st.integers(1, 2))))
        stmts = []
        for _ in range(draw(st.integers(1, 2))):
            out = draw(st.sampled_from(OUTPUTS))
            accumulate = draw(st.sampled_from([True, True, False]))
            stmts.append(Stmt(out, draw(affine_index(depth, RANKS[out])), accumulate,
                              draw(st.booleans()), draw(expressions(depth))))
        nests.append(Nest(loops, stmts))
    return nests


def accesses(nests):
    """(array, index) of every access, over every iteration."""
    for nest in nests:
        for ivs in iterations(nest):
            for s in nest.stmts:
                yield s.output, index_of(s.index, ivs)
                stack = [s.expr]
                while stack:
                    e = stack.pop()
                    if e.kind == "load":
                        yield e.array, index_of(e.index, ivs)
                    stack.extend(e.args)


def shapes(nests) -> dict[str, tuple[int, ...]]:
    out = {a: [1] * r for a, r in RANKS.items()}
    for array, idx in accesses(nests):
        out[array] = [max(s, i + 1) for s, i in zip(out[array], idx)]
    return {a: tuple(s) for a, s in out.items()}


class Text:
    def __init__(self, shape):
        self.lines: list[str] = []
        self.n = 0
        self.shape = shape

    def fresh(self) -> str:
        self.n += 1
        return f"%v{self.n}"

    def ty(self, array: str) -> str:
        return f"memref<{'x'.join(map(str, self.shape[array]))}xf64>"

    def idx(self, index, ivs: list[str]) -> str:
        parts = []
        for coeffs, const in index:
            terms = [iv if c == 1 else f"{iv} * {c}" for c, iv in zip(coeffs, ivs) if c]
            if const or not terms:
                terms.append(str(const))
            parts.append(" + ".join(terms))
        return ", ".join(parts)

    def expr(self, e: Expr, ivs, pad: str) -> str:
        v = self.fresh()
        if e.kind == "load":
            self.lines.append(f"{pad}{v} = loopnest.load %{e.array}[{self.idx(e.index, ivs)}] : {self.ty(e.array)}")
        elif e.kind == "const":
            self.lines.append(f"{pad}{v} = arith.constant {e.value!r} : f64")
        elif e.kind == "select":
            x, y, a, b = (self.expr(a, ivs, pad) for a in e.args)
            c = self.fresh()
            self.lines.append(f"{pad}{c} = arith.cmpf ogt, {x}, {y} : f64")
            self.lines.append(f"{pad}{v} = arith.select {c}, {a}, {b} : f64")
        else:
            args = [self.expr(a, ivs, pad) for a in e.args]
            op = {"max": "maximumf", "min": "minimumf"}.get(e.kind, e.kind + "f")
            self.lines.append(f"{pad}{v} = arith.{op} {', '.join(args)} : f64")
        return v


def mlir(nests, shape) -> str:
    t = Text(shape)
    args = ", ".join(f"%{a}: {t.ty(a)}" for a in OUTPUTS + INPUTS)
    t.lines.append(f"func.func @f({args}) {{")
    for n, nest in enumerate(nests):
        ivs: list[str] = []
        for k, (c, outer, trip, step) in enumerate(nest.loops):
            pad = "  " * (k + 1)
            lb = f"{ivs[outer]} + {c}" if outer >= 0 else str(c)
            ub = f"{lb} + {trip * step}"
            ivs.append(f"%l{n}_{k}")
            t.lines.append(f"{pad}loopnest.for l{k} {ivs[-1]} in range({lb}, {ub}, {step}) {{")
        pad = "  " * (len(nest.loops) + 1)
        for s in nest.stmts:
            at = f"%{s.output}[{t.idx(s.index, ivs)}] : {t.ty(s.output)}"
            if s.accumulate:
                o = t.fresh()
                t.lines.append(f"{pad}{o} = loopnest.load {at}")
                e = t.expr(s.expr, ivs, pad)
                v = t.fresh()
                pair = f"{e}, {o}" if s.addend_first else f"{o}, {e}"
                t.lines.append(f"{pad}{v} = arith.addf {pair} : f64")
            else:
                v = t.expr(s.expr, ivs, pad)
            t.lines.append(f"{pad}loopnest.store {v}, {at}")
        for k in reversed(range(len(nest.loops))):
            t.lines.append("  " * (k + 1) + "}")
    t.lines.append("  func.return\n}")
    return "\n".join(t.lines)


def evaluate(nests, inputs: dict[str, np.ndarray], seed_at=None):
    """Run the drawn program on Python numbers (Duals: the input element
    `seed_at` = (array, index) carries ε); returns the outputs."""
    vals = {a: {i: Dual(float(x), 1.0 if seed_at == (a, i) else 0.0)
                for i, x in np.ndenumerate(arr)} for a, arr in inputs.items()}
    outs = {o: {} for o in OUTPUTS}

    def ev(e: Expr, ivs):
        match e.kind:
            case "load":
                return vals[e.array][index_of(e.index, ivs)]
            case "const":
                return Dual(e.value)
            case "add":
                return ev(e.args[0], ivs) + ev(e.args[1], ivs)
            case "sub":
                return ev(e.args[0], ivs) - ev(e.args[1], ivs)
            case "mul":
                return ev(e.args[0], ivs) * ev(e.args[1], ivs)
            case "neg":
                return -ev(e.args[0], ivs)
            case "max" | "min":  # a tie picks the second operand
                u, w = ev(e.args[0], ivs), ev(e.args[1], ivs)
                return u if (u > w if e.kind == "max" else u < w) else w
            case "select":
                x, y, a, b = (ev(a, ivs) for a in e.args)
                return a if x > y else b
        raise AssertionError(e.kind)

    for nest in nests:
        for ivs in iterations(nest):
            for s in nest.stmts:
                i = index_of(s.index, ivs)
                v = ev(s.expr, ivs)
                outs[s.output][i] = outs[s.output].get(i, Dual(0.0)) + v if s.accumulate else v
    return outs


def reference_vjp(nests, inputs, grads):
    """J^T · grads, one forward-mode pass per input element."""
    result = {}
    for a, arr in inputs.items():
        g = np.zeros(arr.shape)
        for i in itertools.product(*map(range, arr.shape)):
            outs = evaluate(nests, inputs, (a, i))
            g[i] = sum(grads[o][j] * d.b for o in OUTPUTS for j, d in outs[o].items())
        result[a] = g
    return result


def overwritten_twice(nests) -> bool:
    writes: dict[tuple[str, tuple[int, ...]], list[bool]] = {}
    for nest in nests:
        for ivs in iterations(nest):
            for s in nest.stmts:
                writes.setdefault((s.output, index_of(s.index, ivs)), []).append(s.accumulate)
    return any(len(kinds) > 1 and not all(kinds) for kinds in writes.values())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), st.integers(0, 2**31))
def test_random_nests_vjp_matches_dual_numbers(nests, data_seed):
    shape = shapes(nests)
    module = xdsl_group.parse(mlir(nests, shape))
    try:
        derived = xdsl_group.derive_gradients(module)
    except xdsl_group.LoopnestError as e:
        # Refused only where an element really is overwritten and written again.
        assert "needs each element written once" in str(e), str(e)
        assert overwritten_twice(nests)
        event("refused: an element overwritten and written again")
        return
    assert not overwritten_twice(nests)
    event("differentiated")
    xdsl_group.apply(derived, "loopnest-check-bounds")
    rng = np.random.default_rng(data_seed)
    inputs = {a: rng.standard_normal(shape[a]) for a in INPUTS}
    grads = {o: rng.standard_normal(shape[o]) for o in OUTPUTS}
    want = reference_vjp(nests, inputs, grads)
    # Outputs are the arrays some statement writes; an unwritten O or P is
    # an input (with a gradient buffer that stays zero).
    written = {s.output for nest in nests for s in nest.stmts}
    args = OUTPUTS + INPUTS
    outputs = [a for a in args if a in written]
    read = [a for a in args if a not in written]
    values = {a: np.zeros(shape[a]) for a in OUTPUTS} | inputs
    runs = {"interpreter": xdsl_group.interpret}
    if nests[0].loops[0][2] >= 2:  # compile a share of the cases (JIT time)
        runs["jit"] = lambda m, f, *a: xdsl_group.jit(m, f)(*a)
    for name, run in runs.items():
        bufs = {a: np.zeros(shape[a]) for a in read}
        run(derived, "f_vjp", *(values[a].copy() for a in args),
            *(grads[o] for o in outputs), *(bufs[a] for a in read))
        for a in INPUTS:
            np.testing.assert_allclose(bufs[a], want[a], rtol=1e-10, atol=1e-10,
                                       err_msg=f"{name}: d{a}")
        for a in read:
            if a in OUTPUTS:
                assert not bufs[a].any()


def test_import_never_needs_torch():
    import subprocess

    code = "import sys, xdsl_group; assert 'torch' not in sys.modules; print(xdsl_group.derive_gradients.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "derive_gradients"
