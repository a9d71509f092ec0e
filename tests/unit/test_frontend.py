"""The Python frontend: the seed's code blocks, verbatim, run against numpy."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
from xdsl.dialects import func

import xdsl_group
from xdsl_group import reference
from xdsl_group.context import all_passes
from xdsl_group.dialects.loopnest import ForOp, LoadOp, StoreOp
from xdsl_group.frontend import PythonSourceError, from_python
from xdsl_group.frontend.python import join_continuations

import seed_code

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# Small sizes: the interpreter runs ~10k innermost iterations per second.
SIZES = dict(CO=4, CI=4, OH=4, OW=4, KH=3, KW=3)
ARRAYS = {"O": ("CO", "OH", "OW"), "I": ("CI", "OH+KH-1", "OW+KW-1"), "W": ("CO", "CI", "KH", "KW")}


def conv_inputs(co=4, ci=4, size=6, seed=0):
    rng = np.random.default_rng(seed)
    I = rng.standard_normal((ci, size, size)).astype(np.float32)
    W = rng.standard_normal((co, ci, 3, 3)).astype(np.float32)
    return I, W


def run(module, name, O, I, W):
    O = O.copy()
    xdsl_group.interpret(module, name, O, I, W)
    return O


def loop_names(module) -> list[str]:
    return [op.name_str for op in module.walk() if isinstance(op, ForOp)]


# --------------------------------------------------------------------------
# The seed's blocks, verbatim
# --------------------------------------------------------------------------


@pytest.mark.parametrize("block", ["CONV", "CONV_PLAIN"])
def test_seed_conv_matches_reference(block):
    module = from_python(getattr(seed_code, block), sizes=SIZES, arrays=ARRAYS)
    assert loop_names(module) == ["co", "ci", "oh", "ow", "kh", "kw"]
    fn = next(op for op in module.walk() if isinstance(op, func.FuncOp))
    assert fn.sym_name.data == "kernel"
    assert [a.name_hint for a in fn.body.block.args] == ["O", "I", "W"]
    I, W = conv_inputs()
    O = run(module, "kernel", np.zeros((4, 4, 4), np.float32), I, W)
    np.testing.assert_allclose(O, reference.conv2d(I, W), rtol=1e-5, atol=1e-5)


def test_seed_grouped_conv_matches_reference():
    module = from_python(seed_code.GROUPED, sizes={**SIZES, "G": 2}, arrays=ARRAYS)
    assert loop_names(module) == ["g", "co", "ci", "oh", "ow", "kh", "kw"]
    text = str(module)
    assert "loopnest.for co %co in range(%g * 2, %g * 2 + 2)" in text
    I, W = conv_inputs()
    O = run(module, "kernel", np.zeros((4, 4, 4), np.float32), I, W)
    np.testing.assert_allclose(O, reference.grouped_conv2d(I, W, 2), rtol=1e-5, atol=1e-5)


def test_seed_example1_is_the_conv():
    module = from_python(seed_code.EXAMPLE1, sizes=SIZES, arrays=ARRAYS)
    assert loop_names(module) == ["co", "oh", "ci", "ow", "kh", "kw"]
    conv = from_python(seed_code.CONV, sizes=SIZES, arrays=ARRAYS)
    I, W = conv_inputs(seed=1)
    O1 = run(module, "kernel", np.zeros((4, 4, 4), np.float32), I, W)
    O0 = run(conv, "kernel", np.zeros((4, 4, 4), np.float32), I, W)
    np.testing.assert_allclose(O1, O0, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(O1, reference.conv2d(I, W), rtol=1e-5, atol=1e-5)


PEELED_ARRAYS = {"O": ("U+CO", "OH", "OW"), "I": ("CI", "OH+KH-1", "OW+KW-1"),
                 "W": ("U+CO", "CI", "KH", "KW")}


def test_seed_example2_grouped_remainder():
    """`CO` in the grouped loop is the trip count left after peeling U."""
    sizes = {**SIZES, "U": 2, "CO": 4, "G": 2}
    module = from_python(seed_code.EXAMPLE2_GROUPED_REMAINDER, sizes=sizes, arrays=PEELED_ARRAYS)
    assert loop_names(module)[:2] == ["g", "co"]
    assert "range(%g * 2 + 2, %g * 2 + 4)" in str(module)
    I, W = conv_inputs(co=6)
    O = run(module, "kernel", np.zeros((6, 4, 4), np.float32), I, W)
    want = reference.peeled_grouped_conv2d(I, W, dense=2, groups=2)
    np.testing.assert_allclose(O[2:], want[2:], rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(O[:2], 0)


def test_seed_example2_remainder_loop():
    sizes = {**SIZES, "U": 2, "CO": 6}
    arrays = {"O": ("CO", "OH", "OW"), "I": ("CI", "OH+KH-1", "OW+KW-1"), "W": ("CO", "CI", "KH", "KW")}
    module = from_python(seed_code.EXAMPLE2_REMAINDER, sizes=sizes, arrays=arrays)
    assert "loopnest.for co %co in range(2, 6)" in str(module)


def test_seed_example2_literal_with_all_channels_is_refused():
    """Taken literally with CO = all output channels, the grouped remainder
    runs co up to U + CO - 1: past the end of O."""
    sizes = {**SIZES, "U": 2, "CO": 6, "G": 2}
    arrays = {"O": ("CO", "OH", "OW"), "I": ("CI", "OH+KH-1", "OW+KW-1"), "W": ("CO", "CI", "KH", "KW")}
    with pytest.raises(xdsl_group.LoopnestError) as info:
        from_python(seed_code.EXAMPLE2_GROUPED_REMAINDER, sizes=sizes, arrays=arrays,
                    filename="example2.py")
    msg = str(info.value)
    assert msg.startswith("example2.py:8:29: error: 'loopnest.load' op: %O[%co, %oh, %ow] reads out of bounds")
    assert "index %co of dimension 0 takes values in [2, 7] but the dimension has size 6" in msg
    assert "\n" not in msg
    # Without the check it imports (and would fault at run time).
    from_python(seed_code.EXAMPLE2_GROUPED_REMAINDER, sizes=sizes, arrays=arrays, check_bounds=False)


def test_peeled_operator_in_python_matches_reference():
    source = """
U = 2
G = 2
for co in range(U):
    for ci in range(CI):
        for oh in range(OH):
            for ow in range(OW):
                for kh in range(KH):
                    for kw in range(KW):
                        O[co][oh][ow] += I[ci][oh+kh][ow+kw] * W[co][ci][kh][kw]
for g in range(G):
    for co in range(U+(COT-U)//G*g, U+(COT-U)//G*(g+1)):
        for ci in range(CI//G*g, CI//G*(g+1)):
            for oh in range(OH):
                for ow in range(OW):
                    for kh in range(KH):
                        for kw in range(KW):
                            O[co][oh][ow] += I[ci][oh+kh][ow+kw] * W[co][ci][kh][kw]
"""
    arrays = {"O": ("COT", "OH", "OW"), "I": ("CI", "OH+KH-1", "OW+KW-1"), "W": ("COT", "CI", "KH", "KW")}
    module = from_python(source, sizes={**SIZES, "COT": 6}, arrays=arrays, name="peeled")
    I, W = conv_inputs(co=6, seed=3)
    O = run(module, "peeled", np.zeros((6, 4, 4), np.float32), I, W)
    np.testing.assert_allclose(O, reference.peeled_grouped_conv2d(I, W, 2, 2), rtol=1e-5, atol=1e-5)


# --------------------------------------------------------------------------
# Equivalence with the transformation passes (they land in other modules)
# --------------------------------------------------------------------------


def _require_pass(name: str) -> None:
    if name not in all_passes():
        pytest.skip(f"pass '{name}' is not part of this build yet")


def test_seed_grouped_equals_group_loops_of_seed_conv():
    _require_pass("group-loops")
    conv = from_python(seed_code.CONV, sizes=SIZES, arrays=ARRAYS)
    grouped_by_pass = xdsl_group.apply(conv, "group-loops{loops=co,ci groups=2}")
    grouped_by_hand = from_python(seed_code.GROUPED, sizes={**SIZES, "G": 2}, arrays=ARRAYS)
    I, W = conv_inputs(seed=4)
    O1 = run(grouped_by_pass, "kernel", np.zeros((4, 4, 4), np.float32), I, W)
    O2 = run(grouped_by_hand, "kernel", np.zeros((4, 4, 4), np.float32), I, W)
    np.testing.assert_allclose(O1, O2, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(O2, reference.grouped_conv2d(I, W, 2), rtol=1e-5, atol=1e-5)


def test_seed_example1_equals_interchange_of_seed_conv():
    _require_pass("interchange-loops")
    conv = from_python(seed_code.CONV, sizes=SIZES, arrays=ARRAYS)
    by_pass = xdsl_group.apply(conv, "interchange-loops{order=co,oh,ci,ow,kh,kw}")
    by_hand = from_python(seed_code.EXAMPLE1, sizes=SIZES, arrays=ARRAYS)
    assert loop_names(by_pass) == loop_names(by_hand)
    I, W = conv_inputs(seed=5)
    O1 = run(by_pass, "kernel", np.zeros((4, 4, 4), np.float32), I, W)
    O2 = run(by_hand, "kernel", np.zeros((4, 4, 4), np.float32), I, W)
    np.testing.assert_allclose(O1, O2, rtol=1e-5, atol=1e-5)


# --------------------------------------------------------------------------
# The def form, sizes, dtypes, statements
# --------------------------------------------------------------------------

DEF_SOURCE = """\
CO = 4
CI = 4
OH = 4
OW = 4

def conv2d(O: f32[CO, OH, OW], I: f32[CI, OH + 2, OW + 2], W: f32[CO, CI, 3, 3]):
    \"\"\"A docstring is fine.\"\"\"
    for co in range(CO):
        for ci in range(CI):
            for oh in range(OH):
                for ow in range(OW):
                    for kh in range(3):
                        for kw in range(3):
                            O[co, oh, ow] += I[ci, oh + kh, ow + kw] * W[co, ci, kh, kw]
"""


def test_def_form_keeps_name_and_parameter_order():
    module = from_python(DEF_SOURCE)
    fn = next(op for op in module.walk() if isinstance(op, func.FuncOp))
    assert fn.sym_name.data == "conv2d"
    assert [str(t) for t in fn.function_type.inputs.data] == [
        "memref<4x4x4xf32>", "memref<4x6x6xf32>", "memref<4x4x3x3xf32>"]
    I, W = conv_inputs(seed=2)
    O = run(module, "conv2d", np.zeros((4, 4, 4), np.float32), I, W)
    np.testing.assert_allclose(O, reference.conv2d(I, W), rtol=1e-5, atol=1e-5)


def test_given_sizes_override_the_source():
    module = from_python(DEF_SOURCE, sizes={"CO": 2})
    fn = next(op for op in module.walk() if isinstance(op, func.FuncOp))
    assert str(fn.function_type.inputs.data[0]) == "memref<2x4x4xf32>"


def _without_result_names(module):
    for op in module.walk():
        for r in op.results:
            r.name_hint = None
    return str(module)


def test_example_file_is_the_example_mlir():
    """examples/conv2d.py imports to exactly examples/conv2d.mlir (modulo the
    names of intermediate values)."""
    module = from_python((EXAMPLES / "conv2d.py").read_text(), filename="conv2d.py")
    expected = xdsl_group.parse((EXAMPLES / "conv2d.mlir").read_text())
    assert _without_result_names(module) == _without_result_names(expected)


def test_statements_and_expressions():
    source = """
for i in range(N):
    for j in range(1, N - 1):
        B[i][j] = -A[i, j - 1] + 2 * A[i][j] - A[i][j + 1] * 0.5
        C[i][j] -= A[i][j]
        D[j] *= 3
        C[i][j] += N
"""
    arrays = {k: ("N", "N") for k in "ABC"} | {"D": ("N",)}
    m = from_python(source, sizes={"N": 5}, arrays=arrays, dtype="f64")
    rng = np.random.default_rng(0)
    A = rng.standard_normal((5, 5))
    B, C, D = np.zeros((5, 5)), rng.standard_normal((5, 5)), np.ones(5)
    B0, C0 = B.copy(), C.copy()
    xdsl_group.interpret(m, "kernel", A, B, C, D)
    want_B = B0.copy()
    want_B[:, 1:-1] = -A[:, :-2] + 2 * A[:, 1:-1] - A[:, 2:] * 0.5
    want_C = C0.copy()
    want_C[:, 1:-1] += 5 - A[:, 1:-1]
    np.testing.assert_allclose(B, want_B)
    np.testing.assert_allclose(C, want_C)
    np.testing.assert_allclose(D, [1, 3.0**5, 3.0**5, 3.0**5, 1])


def test_integer_dtype_and_strided_range():
    source = """
for i in range(0, N, 3):
    A[i] = A[i] * -2 + 1
"""
    m = from_python(source, sizes={"N": 10}, arrays={"A": (10,)}, dtype="i32")
    assert "arith.muli" in str(m)
    A = np.arange(10, dtype=np.int32)
    xdsl_group.interpret(m, "kernel", A)
    want = np.arange(10, dtype=np.int32)
    want[::3] = want[::3] * -2 + 1
    np.testing.assert_array_equal(A, want)


def test_triangular_and_floordiv_bounds():
    source = """
for i in range(N):
    for j in range(i // 2, i + 1):
        A[i][j - i // 2] += 1.0
"""
    m = from_python(source, sizes={"N": 6}, arrays={"A": ("N", "N")})
    A = np.zeros((6, 6), np.float32)
    xdsl_group.interpret(m, "kernel", A)
    want = np.zeros((6, 6), np.float32)
    for i in range(6):
        for j in range(i // 2, i + 1):
            want[i][j - i // 2] += 1
    np.testing.assert_array_equal(A, want)


def test_indented_source_and_column_numbers():
    source = """
        for i in range(N):
            A[i] = B[i][0]
    """
    with pytest.raises(PythonSourceError) as info:
        from_python(source, sizes={"N": 2}, arrays={"A": (2,), "B": (2,)}, filename="k.py")
    assert str(info.value) == "k.py:3:20: error: array 'B' has 1 dimensions but is indexed with 2"


# --------------------------------------------------------------------------
# Continuation lines
# --------------------------------------------------------------------------


def test_join_continuations_keeps_lines():
    src = "x = a +  # sum\n\n    b *\n    c\ny = 1,\n"
    joined = join_continuations(src)
    assert joined.count("\n") == src.count("\n")
    tree = ast.parse(joined)
    assert ast.unparse(tree.body[0]) == "x = a + b * c"
    assert ast.unparse(tree.body[1]) == "y = (1,)"  # a tuple, not continued


def test_error_on_continuation_line_points_at_it():
    with pytest.raises(PythonSourceError) as info:
        from_python(seed_code.CONV_PLAIN, sizes=SIZES,
                    arrays={**ARRAYS, "W": ("CO", "CI", "KH")}, filename="conv.py")
    assert str(info.value) == "conv.py:9:29: error: array 'W' has 3 dimensions but is indexed with 4"


# --------------------------------------------------------------------------
# Refusals: one line, with the position in the Python source
# --------------------------------------------------------------------------

ERRORS = [
    ("for i in range(N):\n    A[i] = 1.0\n", {}, "k.py:1:16: error: unknown size 'N' (give it in sizes=/--size or assign it at the top of the source)"),
    ("for i in range(4):\n    while 1:\n        A[i] = 1.0\n", {"N": 4},
     "k.py:2:5: error: unsupported statement 'while'; loop bodies hold for-range loops and array assignments (=, +=, -=, *=)"),
    ("for i in range(4):\n    if i:\n        A[i] = 1.0\n", {}, "k.py:2:5: error: unsupported statement 'if'"),
    ("for i in range(4):\n    for j in range(4):\n        A[i * j] = 1.0\n", {},
     "k.py:3:11: error: 'i * j' is not affine: it multiplies two loop-dependent expressions"),
    ("for i in range(4):\n    A[i / 2] = 1.0\n", {}, "k.py:2:7: error: 'i / 2': use '//' for integer division"),
    ("for i in range(4):\n    A[i // 0] = 1.0\n", {}, "k.py:2:7: error: 'i // 0' is not affine: the divisor must be a positive constant"),
    ("for i in range(4):\n    for j in range(i // i, 4):\n        A[j] = 1.0\n", {}, "k.py:2:20: error: 'i // i' is not affine"),
    ("for i in range(0, 4, 0):\n    A[i] = 1.0\n", {}, "k.py:1:22: error: the step of range must be a positive constant"),
    ("for i in range(4):\n    for j in range(0, 4, i):\n        A[j] = 1.0\n", {}, "k.py:2:26: error: the step of range must be a positive constant"),
    ("for i in range(4):\n    B[i] = 1.0\n", {}, "k.py:2:5: error: unknown array 'B'"),
    ("for i in range(4):\n    A[A[i]] = 1.0\n", {}, "k.py:2:7: error: an array element used in an index"),
    ("for i in range(4):\n    A[i] = i\n", {}, "k.py:2:12: error: loop variable 'i' used as a value"),
    ("for i in range(4):\n    A[i] = abs(A[i])\n", {}, "k.py:2:12: error: unsupported expression 'abs(A[i])'"),
    ("for i in range(4):\n    x = A[i]\n", {}, "k.py:2:5: error: only array elements can be assigned inside loops"),
    ("for i in range(4):\n    A[i] /= 2.0\n", {}, "k.py:2:5: error: unsupported augmented assignment '/='"),
    ("for i in range(4):\n    for i in range(4):\n        A[i] = 1.0\n", {}, "k.py:2:9: error: loop variable 'i' is already the variable of an enclosing loop"),
    ("for i in range(4):\n    A[1:2] = 1.0\n", {}, "k.py:2:7: error: slices are not supported"),
    ("for i in reversed(range(4)):\n    A[i] = 1.0\n", {}, "k.py:1:10: error: loops must iterate over range(...)"),
    ("for i in range(4):\n    A[i] = 1.0 +\n", {}, "k.py:2:17: error: invalid syntax"),
    ("N = int(open('f').read())\nfor i in range(N):\n    A[i] = 1.0\n", {}, "k.py:1:5: error: a size must be an integer expression"),
]


@pytest.mark.parametrize("source,sizes,expected", ERRORS)
def test_refusals(source, sizes, expected):
    with pytest.raises(xdsl_group.LoopnestError) as info:
        from_python(source, sizes=sizes, arrays={"A": (4,)}, filename="k.py")
    msg = str(info.value)
    assert msg.startswith(expected), msg
    assert "\n" not in msg


def test_refusals_without_shapes():
    with pytest.raises(xdsl_group.LoopnestError, match=r"k.py:1:1: error: bare loop code needs the arrays' shapes"):
        from_python("for i in range(4):\n    A[i] = 1.0\n", filename="k.py")
    with pytest.raises(xdsl_group.LoopnestError, match=r"k.py:1:10: error: parameter 'A': expected an annotation like f32\[N, M\]"):
        from_python("def f(A: f32):\n    pass\n", filename="k.py")
    with pytest.raises(xdsl_group.LoopnestError, match=r"unknown size 'M' in the shape of array 'A'"):
        from_python("for i in range(4):\n    A[i] = 1.0\n", arrays={"A": ("M",)})
    with pytest.raises(xdsl_group.LoopnestError, match=r"k.py:1:10: error: unknown element type 'f16'"):
        from_python("def f(A: f16[4]):\n    pass\n", filename="k.py")


def test_source_is_never_executed(tmp_path):
    marker = tmp_path / "ran"
    source = f"""
import os
N = 4
for i in range(N):
    A[i] = 1.0
os.system("touch {marker}")
"""
    with pytest.raises(xdsl_group.LoopnestError, match="unsupported statement"):
        from_python(source, arrays={"A": ("N",)})
    assert not marker.exists()


def test_ir_is_built_with_the_dialect_ops():
    module = from_python(seed_code.CONV, sizes=SIZES, arrays=ARRAYS, filename="conv.py")
    loads = [op for op in module.walk() if isinstance(op, LoadOp)]
    stores = [op for op in module.walk() if isinstance(op, StoreOp)]
    assert len(loads) == 3 and len(stores) == 1
    loops = [op for op in module.walk() if isinstance(op, ForOp)]
    assert [l.induction_variable.name_hint for l in loops] == ["co", "ci", "oh", "ow", "kh", "kw"]
    # Ops remember their place in the Python source.
    assert (loops[0].location.line.data, loops[0].location.column.data) == (1, 1)
    assert (stores[0].location.line.data, stores[0].location.column.data) == (7, 25)
