"""Regression tests of issue 8's classes at the command line and the frontend.

Class 5: partial effects (`--save`), class 6: tracebacks and unclear
messages, class 7: round trips of names and sources, class 9: silently
accepted options.  Bad inputs in bulk are in `test_cli_corpus.py`.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import xdsl_group
from xdsl_group import LoopnestError, from_python
from xdsl_group.cli import main
from xdsl_group.dialects.loopnest import ForOp
from xdsl_group.frontend.python import join_continuations

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CONV = str(EXAMPLES / "conv2d_grouped.mlir")


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        status = main(list(argv))
    except SystemExit as e:
        status = e.code  # pyright: ignore
    captured = capsys.readouterr()
    return status, captured.out, captured.err  # pyright: ignore


def _one_line(err: str) -> str:
    assert "Traceback" not in err and err.count("\n") == 1, err
    return err.strip()


# --------------------------------------------------------------------------
# Class 5: validate everything, then run, then write
# --------------------------------------------------------------------------


def test_class5_save_target_checked_before_running(tmp_path, capsys, monkeypatch):
    calls = []
    monkeypatch.setattr(xdsl_group, "jit", lambda *a: calls.append(a))
    target = tmp_path / "results"
    target.write_text("keep me")
    status, out, err = _run(capsys, "run", CONV, "--func", "conv2d_grouped", "--save", str(target))
    assert status == 1 and out == "" and calls == []
    assert "it exists and is not a directory" in _one_line(err)
    assert target.read_text() == "keep me"


def test_class5_failed_call_prints_and_saves_nothing(tmp_path, capsys, monkeypatch):
    def fail(*args):
        raise IndexError("'memref.load' op: index 9 out of bounds")

    monkeypatch.setattr(xdsl_group, "interpret", fail)
    out_dir = tmp_path / "out"
    status, out, err = _run(
        capsys, "run", CONV, "--func", "conv2d_grouped", "--backend", "interp", "--save", str(out_dir)
    )
    assert status == 1 and out == "" and not out_dir.exists()
    assert _one_line(err) == "error: 'memref.load' op: index 9 out of bounds"


def test_class5_save_writes_every_argument(tmp_path, capsys):
    out_dir = tmp_path / "a" / "b"
    status, out, _ = _run(capsys, "run", CONV, "--func", "conv2d_grouped", "--save", str(out_dir))
    assert status == 0 and "#2 %W" in out
    assert sorted(p.name for p in out_dir.iterdir()) == ["arg0.npy", "arg1.npy", "arg2.npy"]
    assert np.load(out_dir / "arg2.npy").shape == (8, 8, 3, 3)


def test_class5_import_output_written_only_on_success(tmp_path, capsys):
    src = tmp_path / "k.py"
    src.write_text("def f(A: f32[4]):\n    for i in range(5):\n        A[i] = 1.0\n")
    out = tmp_path / "k.mlir"
    out.write_text("previous")
    status, stdout, err = _run(capsys, "import", str(src), "-o", str(out))
    assert status == 1 and stdout == "" and "out of bounds" in _one_line(err)
    assert out.read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.mlir", "k.py"]


# --------------------------------------------------------------------------
# Class 6: no traceback, a clear message
# --------------------------------------------------------------------------

_TERMS = 1000


def _long_sum_source() -> str:
    terms = " + ".join(f"B[{k % 3}] * {k % 5 + 1}.0" for k in range(_TERMS))
    return f"def f(A: f32[2], B: f32[3]):\n    for i in range(2):\n        A[i] = {terms}\n"


def test_class6_thousand_term_expression_imports_and_runs(tmp_path, capsys):
    module = from_python(_long_sum_source())
    text = str(module)
    assert text.count("arith.mulf") == _TERMS and text.count("arith.addf") == _TERMS - 1
    path = tmp_path / "long.mlir"
    path.write_text(text)
    B = np.array([0.5, -1.25, 2.0], np.float32)
    np.save(tmp_path / "B.npy", B)
    np.save(tmp_path / "A.npy", np.zeros(2, np.float32))
    status, out, err = _run(
        capsys, "run", str(path), "--func", "f", "--backend", "jit",
        "--inputs", str(tmp_path / "A.npy"), str(tmp_path / "B.npy"), "--save", str(tmp_path / "out"),
    )
    assert status == 0, err
    # Left to right in f32, as the program does.
    want = np.float32(0)
    for k in range(_TERMS):
        want = np.float32(want + np.float32(B[k % 3] * np.float32(k % 5 + 1)))
    np.testing.assert_array_equal(np.load(tmp_path / "out" / "arg0.npy"), [want, want])


def test_class6_deep_index_refused_not_recursed():
    source = "def f(A: f32[4000]):\n    for i in range(4):\n        A[" + " + ".join(["i"] * 1000) + "] = 1.0\n"
    with pytest.raises(LoopnestError, match=r"^<python>:3:11: error: the index or bound nests \d+ levels deep"):
        from_python(source)


def test_class6_deep_affine_map_refused_by_run(tmp_path, capsys):
    index = " + ".join(["%i"] * 500)
    path = tmp_path / "deep.mlir"
    path.write_text(
        "func.func @f(%A: memref<4000xf32>) {\n  affine.for %i = 0 to 4 {\n"
        f"    %v = affine.load %A[{index}] : memref<4000xf32>\n  }}\n  func.return\n}}\n"
    )
    status, out, err = _run(capsys, "run", str(path), "--func", "f")
    assert status == 1 and out == ""
    assert _one_line(err) == (
        f"{path}:3:10: error: 'affine.load' op: an affine expression nests 500 levels "
        "deep; at most 100 are supported"
    )


def test_class6_huge_memref_refused_before_allocating(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(np, "zeros", lambda *a, **k: pytest.fail("allocated"))
    path = tmp_path / "big.mlir"
    path.write_text("func.func @f(%A: memref<100000x100000xf32>) {\n  func.return\n}\n")
    monkeypatch.setattr("xdsl_group.cli._physical_memory", lambda: 2**34)
    status, out, err = _run(capsys, "run", str(path), "--func", "f")
    assert status == 1 and out == ""
    assert _one_line(err) == (
        "error: the arguments of @f need 40000000000 bytes (#0 %A: memref<100000x100000xf32>, "
        "40000000000 bytes), more than the 17179869184 bytes of memory of this machine"
    )


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="permissions do not apply to root")
def test_class6_unreadable_files(tmp_path, capsys):
    mlir = tmp_path / "k.mlir"
    mlir.write_text("func.func @f(%A: memref<4xf32>) {\n  func.return\n}\n")
    py = tmp_path / "k.py"
    py.write_text("def f(A: f32[4]):\n    pass\n")
    npy = tmp_path / "a.npy"
    np.save(npy, np.zeros(4, np.float32))
    for p in (mlir, py, npy):
        p.chmod(0)
    status, _, err = _run(capsys, "run", str(mlir), "--func", "f")
    assert status == 1 and _one_line(err) == f"error: cannot read {mlir}: Permission denied"
    status, _, err = _run(capsys, "import", str(py))
    assert status == 1 and _one_line(err) == f"error: cannot read {py}: Permission denied"
    mlir.chmod(0o644)
    status, _, err = _run(capsys, "run", str(mlir), "--func", "f", "--inputs", str(npy))
    assert status == 1 and _one_line(err) == f"error: cannot read {npy}: Permission denied"


def test_class6_python_file_given_to_run(tmp_path, capsys):
    path = tmp_path / "k.py"
    path.write_text("def f(A: f32[4]):\n    pass\n")
    status, _, err = _run(capsys, "run", str(path), "--func", "f")
    assert status == 1
    assert f"translate it first with 'xdsl-group import {path}" in _one_line(err)
    assert "Expected suffix identifier" not in err


def test_class6_dynamic_memref_named(tmp_path, capsys):
    path = tmp_path / "dyn.mlir"
    path.write_text("func.func @f(%A: memref<4xf32>, %B: memref<?x4xf32>) {\n  func.return\n}\n")
    status, _, err = _run(capsys, "run", str(path), "--func", "f")
    assert status == 1
    assert _one_line(err) == (
        "error: @f argument #1 %B has the dynamic shape memref<?x4xf32>; run supports static shapes only"
    )


def test_class6_inputs_in_the_other_byte_order_are_converted(tmp_path, capsys):
    path = tmp_path / "k.mlir"
    path.write_text("func.func @f(%A: memref<4xf32>) {\n  func.return\n}\n")
    np.save(tmp_path / "be.npy", np.array([1.5, -2.0, 3.25, 0.0], ">f4"))
    status, out, err = _run(capsys, "run", str(path), "--func", "f", "--backend", "interp",
                            "--inputs", str(tmp_path / "be.npy"), "--save", str(tmp_path / "out"))
    assert status == 0, err
    saved = np.load(tmp_path / "out" / "arg0.npy")
    assert saved.dtype == np.float32
    np.testing.assert_array_equal(saved, [1.5, -2.0, 3.25, 0.0])
    np.save(tmp_path / "bei.npy", np.arange(4, dtype=">i4"))
    status, out, err = _run(capsys, "run", str(path), "--func", "f", "--inputs", str(tmp_path / "bei.npy"))
    assert status == 1 and "needs dtype float32, the file has >i4" in _one_line(err)


def test_class6_short_form_affine_load_never_a_bare_assertion(tmp_path, capsys):
    # After a print/parse round trip `%A[%c0]` is a symbol map; whether the
    # interpreter runs it or not, the command prints a result or one line.
    path = tmp_path / "short.mlir"
    path.write_text(
        "func.func @f(%A: memref<4xf32>) {\n  %c0 = arith.constant 0 : index\n"
        "  %v = affine.load %A[%c0] : memref<4xf32>\n  affine.store %v, %A[%c0 + 1] : memref<4xf32>\n"
        "  func.return\n}\n"
    )
    status, out, err = _run(capsys, "run", str(path), "--func", "f", "--backend", "interp")
    if status == 0:
        assert "@f (interp)" in out and err == ""
    else:
        assert out == ""
        assert re.match(r"^(internal )?error: ", _one_line(err))
        assert status == (2 if err.startswith("internal") else 1)


@pytest.mark.parametrize(
    "error",
    [ZeroDivisionError("'arith.divsi' op: division by zero"), IndexError("index 4 out of range"),
     OverflowError("integer overflow"), ValueError("@f argument #0 is read-only"),
     LoopnestError("refused", None)],
    ids=lambda e: type(e).__name__,
)
def test_class6_expected_errors_exit_1(capsys, monkeypatch, error):
    def fail(*args):
        raise error

    monkeypatch.setattr(xdsl_group, "interpret", fail)
    status, out, err = _run(capsys, "run", CONV, "--func", "conv2d_grouped", "--backend", "interp")
    assert status == 1 and out == ""
    assert _one_line(err) == (str(error) if isinstance(error, LoopnestError) else f"error: {error}")


def test_class6_unexpected_error_is_internal_exit_2(capsys, monkeypatch):
    def fail(*args):
        raise AssertionError("1, 0")

    monkeypatch.setattr(xdsl_group, "interpret", fail)
    status, out, err = _run(capsys, "run", CONV, "--func", "conv2d_grouped", "--backend", "interp")
    assert status == 2 and out == ""
    assert _one_line(err) == "internal error: AssertionError: 1, 0"


def test_class6_interpreter_failure_names_the_op(capsys):
    # xDSL's interpreter re-raises an op's failure with a note printing the
    # module, the op underlined; the line names that op.
    from xdsl.dialects import arith

    from xdsl_group.cli import report

    module = xdsl_group.parse(
        "func.func @f(%A: memref<4xf32>) {\n  %c0 = arith.constant 0 : index\n"
        "  %v = memref.load %A[%c0] : memref<4xf32>\n  %w = arith.addf %v, %v : f32\n"
        "  func.return\n}\n"
    )
    (add,) = [op for op in module.walk() if isinstance(op, arith.AddfOp)]
    with pytest.raises(KeyError) as info:
        add.emit_error("Error while interpreting op", KeyError("broken"))
    assert report(info.value) == 2
    assert _one_line(capsys.readouterr().err) == (
        "internal error: KeyError: 'broken' (interpreting 'arith.addf')"
    )


def test_class6_usage_errors_are_one_line(capsys):
    status, out, err = _run(capsys, "run", CONV)
    assert status == 2 and out == ""
    assert _one_line(err) == (
        "xdsl-group run: error: the following arguments are required: --func "
        "(see 'xdsl-group run --help')"
    )


# --------------------------------------------------------------------------
# Class 7: what is printed parses back
# --------------------------------------------------------------------------


def test_class7_non_ascii_names_round_trip(tmp_path, capsys):
    source = (
        "def fé(Aé: f32[4], B: f32[4]):\n"
        "    for é in range(4):\n"
        "        for 变量 in range(2):\n"
        "            Aé[é] += B[é] * 2.0\n"
    )
    module = from_python(source)
    text = str(module)
    assert 'loopnest.for "\\C3\\A9"' in text and '@"f\\C3\\A9"' in text
    again = xdsl_group.parse(text)
    assert str(again) == text
    assert [op.loop_name.data for op in again.walk() if isinstance(op, ForOp)] == ["é", "变量"]
    path = tmp_path / "k.mlir"
    path.write_text(text)
    B = np.arange(4, dtype=np.float32)
    np.save(tmp_path / "A.npy", np.ones(4, np.float32))
    np.save(tmp_path / "B.npy", B)
    status, _, err = _run(
        capsys, "run", str(path), "--func", "fé", "--backend", "interp",
        "--inputs", str(tmp_path / "A.npy"), str(tmp_path / "B.npy"), "--save", str(tmp_path / "out"),
    )
    assert status == 0, err
    np.testing.assert_array_equal(np.load(tmp_path / "out" / "arg0.npy"), 1 + 4 * B)


_IDENTIFIER = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=6
).filter(str.isidentifier)


@settings(max_examples=150, deadline=None)
@given(name=_IDENTIFIER)
def test_class7_every_identifier_loop_name_round_trips(name):
    source = f"def f(A: f32[3]):\n    for {name} in range(3):\n        A[{name}] = 1.0\n"
    try:
        module = from_python(source)
    except LoopnestError as e:  # a Python keyword or a soft keyword misused
        assert "error:" in str(e)
        return
    text = str(module)
    again = xdsl_group.parse(text)
    assert str(again) == text
    (loop,) = [op for op in again.walk() if isinstance(op, ForOp)]
    # Python reads identifiers in NFKC form (`ㄱ` is `ᄀ`).
    assert loop.loop_name.data == unicodedata.normalize("NFKC", name)


@pytest.mark.parametrize("name", ["in", "range", "attributes", "a.b", "x y", '"q"', "\\", "é\n"])
def test_class7_any_loop_name_string_round_trips(name):
    from xdsl.dialects import func
    from xdsl.dialects.builtin import ModuleOp
    from xdsl.ir import Block, Region
    from xdsl.ir.affine import AffineMap

    body = Block(arg_types=[])
    loop = ForOp(name, AffineMap.constant_map(0), AffineMap.constant_map(3), [], 1)
    body.add_op(loop)
    body.add_op(func.ReturnOp())
    module = ModuleOp([func.FuncOp("f", ([], []), Region(body))])
    text = str(module)
    (again,) = [op for op in xdsl_group.parse(text).walk() if isinstance(op, ForOp)]
    assert again.loop_name.data == name


def test_class7_star_import_is_a_complete_statement():
    source = "from numpy import *\nN = 4\ndef f(A: f32[N]):\n    for i in range(N):\n        A[i] = 1.0\n"
    assert join_continuations(source) == source
    assert "memref<4xf32>" in str(from_python(source))


def test_class7_continuation_still_joins_incomplete_lines():
    source = "O[i] +=\n    A[i] *\n    B[i]\nx = 1\n"
    assert join_continuations(source) == "O[i] += \\\n    A[i] * \\\n    B[i]\nx = 1\n"


# --------------------------------------------------------------------------
# Class 9: options that would be ignored are refused
# --------------------------------------------------------------------------

BARE = "for i in range(N):\n    A[i] = 1.0\n"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--size", "N=4", "--size", "N=8", "--array", "A=N"], "argument --size/-s: 'N' is given twice"),
        (["--size", "N=4", "--array", "A=4", "--array", "A=8"], "argument --array/-a: 'A' is given twice"),
        (["--size", "N=4", "--array", "A=N", "--name", ""], "argument --name: expected a Python identifier, got ''"),
        (["--size", "N=-4", "--array", "A=4"], "argument --size/-s: size N must be non-negative, got -4"),
        (["--size", "1bad=3", "--array", "A=4"], "argument --size/-s: expected NAME=INTEGER, got '1bad=3'"),
    ],
)
def test_class9_import_options_refused(tmp_path, capsys, argv, message):
    src = tmp_path / "k.py"
    src.write_text(BARE)
    status, out, err = _run(capsys, "import", str(src), *argv)
    assert status == 2 and out == ""
    assert _one_line(err) == f"xdsl-group import: error: {message} (see 'xdsl-group import --help')"


DEF = "def f(A: f32[4]):\n    for i in range(4):\n        A[i] = 1.0\n"


@pytest.mark.parametrize(
    "source, kwargs, message",
    [
        (BARE, {"sizes": {"1bad": 3, "N": 4}, "arrays": {"A": (4,)}}, "size name '1bad' is not a Python identifier"),
        (BARE, {"sizes": {"N": -4}, "arrays": {"A": (4,)}}, "size 'N' must be non-negative, got -4"),
        (BARE, {"sizes": {"N": True}, "arrays": {"A": (4,)}}, "size 'N' must be an integer, got True"),
        (BARE, {"sizes": {"N": 2**63}, "arrays": {"A": (4,)}}, "does not fit in the index type"),
        (BARE, {"sizes": {"N": 4}, "arrays": {"A": (4,)}, "name": ""}, "function name '' is not a Python identifier"),
        (BARE, {"sizes": {"N": 4}, "arrays": {"A-B": (4,)}}, "array name 'A-B' is not a Python identifier"),
        (BARE, {"sizes": {"N": 4}, "arrays": {"A": (4,)}, "dtype": "f16"}, "unknown element type 'f16'"),
        (DEF, {"name": "g"}, "a def keeps its own name"),
        (DEF, {"dtype": "f64"}, "the def's parameters are all annotated"),
        (DEF, {"arrays": {"B": (4,)}}, "the shape of 'B' (arrays=/--array) is not used"),
        (DEF, {"arrays": {"A": (8,)}}, "the shape of 'A' (arrays=/--array) is not used"),
    ],
)
def test_class9_from_python_arguments_refused(source, kwargs, message):
    with pytest.raises(LoopnestError) as info:
        from_python(source, **kwargs)
    assert message in str(info.value)


def test_class9_given_names_are_read_as_python_reads_identifiers():
    # `ﬁ` (a ligature) is the identifier `fi` to Python: a size, an array and
    # a function name given with it are not ignored.
    module = from_python("for i in range(ﬁ):\n    ﬀ[i] = 1.0\n",
                         sizes={"ﬁ": 3}, arrays={"ﬀ": ("ﬁ",)}, name="ﬁx")
    text = str(module)
    assert "func.func @fix(%ff: memref<3xf32>)" in text and "range(3)" in text


def test_class9_arrays_used_by_an_unannotated_parameter_are_fine():
    module = from_python("def f(A):\n    for i in range(4):\n        A[i] = 1\n",
                         arrays={"A": (4,)}, dtype="i32")
    assert "memref<4xi32>" in str(module)


def test_class9_run_seed_with_inputs_refused(tmp_path, capsys):
    np.save(tmp_path / "x.npy", np.zeros(3, np.float32))
    status, out, err = _run(capsys, "run", CONV, "--func", "conv2d_grouped",
                            "--inputs", str(tmp_path / "x.npy"), "--seed", "2")
    assert status == 1 and out == ""
    assert _one_line(err) == "error: --seed has no effect with --inputs"
