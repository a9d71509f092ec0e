"""Issue class 8, real upstream code: constructs from LLVM's own MLIR affine
tests that xDSL 0.74 handles badly end as diagnostics, or run.

(a) Semi-affine maps, input nested beyond the recursion limit, upstream
    verifiers that crash: one `file:line:col: error:` line, no traceback.
(c) The short form `affine.load %A[%c0]` reads back as a symbol map
    `()[s0] -> (s0)`: it runs in the interpreter and the JIT, and raises.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import xdsl_group
from xdsl_group.errors import LoopnestError

ROOT = Path(__file__).resolve().parents[2]

SEMI_AFFINE = {
    # name: (text, line, column of the offending operator, words of the reason)
    "map_alias_mul": (
        "#map = affine_map<(d0)[s0] -> (d0 * s0)>\n"
        "func.func @f() {\n  func.return\n}\n",
        1, 35, "'d0 * s0' multiplies two non-constant expressions",
    ),
    "apply_floordiv": (
        "func.func @f(%n: index) {\n"
        "  affine.for %i = 0 to 4 {\n"
        "    %j = affine.apply affine_map<(d0)[s0] -> (d0 floordiv s0)>(%i)[%n]\n"
        "  }\n  func.return\n}\n",
        3, 50, "'d0 floordiv s0': the right operand of floordiv",
    ),
    "bound_floordiv": (
        "func.func @f(%n: index) {\n"
        "  affine.for %i = 0 to affine_map<()[s0] -> (16 floordiv s0)>()[%n] {\n"
        "  }\n  func.return\n}\n",
        2, 49, "'16 floordiv s0'",
    ),
    "short_form_mul": (
        "func.func @f(%A: memref<16xf32>) {\n"
        "  affine.for %i = 0 to 4 {\n"
        "    affine.for %j = 0 to 4 {\n"
        "      %v = affine.load %A[%i * %j] : memref<16xf32>\n"
        "    }\n  }\n  func.return\n}\n",
        4, 30, "'%i * %j' multiplies two non-constant expressions",
    ),
    "short_form_mod": (
        "func.func @f(%A: memref<16xf32>, %v: f32) {\n"
        "  affine.for %i = 1 to 4 {\n"
        "    affine.store %v, %A[%i mod %i] : memref<16xf32>\n"
        "  }\n  func.return\n}\n",
        3, 28, "'%i mod %i': the right operand of mod",
    ),
    "layout": (
        "func.func @f(%A: memref<4xf32, affine_map<(d0)[s0] -> (d0 * s0)>>) {\n"
        "  func.return\n}\n",
        1, 59, "'d0 * s0'",
    ),
    "loopnest_index": (
        "func.func @f(%A: memref<16xf32>) {\n"
        "  loopnest.for i %i in range(4) {\n"
        "    loopnest.for j %j in range(4) {\n"
        "      %v = loopnest.load %A[%i * %j + 1] : memref<16xf32>\n"
        "    }\n  }\n  func.return\n}\n",
        4, 32, "'%i * %j' multiplies two non-constant expressions",
    ),
}


def _diagnostic(text: str, name: str) -> str:
    with pytest.raises(LoopnestError) as info:
        xdsl_group.parse(text, name)
    message = str(info.value)
    assert "\n" not in message
    assert "Traceback" not in message
    return message


@pytest.mark.parametrize("case", sorted(SEMI_AFFINE))
def test_class8_semi_affine_is_a_diagnostic_at_the_operator(case):
    text, line, col, words = SEMI_AFFINE[case]
    message = _diagnostic(text, "semi.mlir")
    assert message.startswith(f"semi.mlir:{line}:{col}: error: semi-affine expressions are not supported")
    assert words in message
    # The column is the operator's.
    src = text.splitlines()[line - 1]
    assert src[col - 1 :].startswith(("*", "floordiv", "mod", "ceildiv"))


def _run_cli(tmp_path: Path, text: str, *args: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "input.mlir"
    path.write_text(text)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "xdsl_group.cli", "run", str(path), "--func", "f", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )


@pytest.mark.parametrize("case", ["map_alias_mul", "short_form_mul", "loopnest_index"])
@pytest.mark.parametrize("backend", ["jit", "interp"])
def test_class8_semi_affine_cli_one_line(tmp_path, case, backend):
    text, line, col, words = SEMI_AFFINE[case]
    proc = _run_cli(tmp_path, text, "--backend", backend)
    assert proc.returncode != 0
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"{tmp_path / 'input.mlir'}:{line}:{col}: error: semi-affine")
    assert words in lines[0]


DEEP = {
    "parenthesised_map": "#map = affine_map<(d0) -> ({}d0{})>\nfunc.func @f() {{\n  func.return\n}}\n".format(
        "(" * 1500, ")" * 1500
    ),
    "negated_map": "#map = affine_map<(d0) -> ({}d0)>\nfunc.func @f() {{\n  func.return\n}}\n".format(
        "-" * 3000
    ),
    "type": "func.func @f(%A: {}f32{}) {{\n  func.return\n}}\n".format(
        "memref<" * 1500, ">" * 1500
    ),
    "attribute": "func.func @f() attributes {{x = {}{}}} {{\n  func.return\n}}\n".format(
        "[" * 3000, "]" * 3000
    ),
    "affine_loops": "func.func @f() {{\n{}{}  func.return\n}}\n".format(
        "".join(f"affine.for %l{k} = 0 to 2 {{\n" for k in range(600)), "}\n" * 600
    ),
    "loopnest_parenthesised_index": (
        "func.func @f(%A: memref<16xf32>) {{\n  loopnest.for i %i in range(4) {{\n"
        "    %v = loopnest.load %A[{}%i{}] : memref<16xf32>\n  }}\n  func.return\n}}\n"
    ).format("(" * 1500, ")" * 1500),
    "loopnest_long_sum": (
        "func.func @f(%A: memref<100000xf32>) {{\n  loopnest.for i %i in range(4) {{\n"
        "    %v = loopnest.load %A[{}] : memref<100000xf32>\n  }}\n  func.return\n}}\n"
    ).format(" + ".join(["%i"] * 3000)),
}


@pytest.mark.parametrize("case", sorted(DEEP))
def test_class8_deep_input_is_a_diagnostic(case):
    message = _diagnostic(DEEP[case], "deep.mlir")
    assert message.startswith("deep.mlir:")
    assert "nested too deeply" in message


def test_class8_crashing_upstream_verifier_is_a_diagnostic():
    # xDSL 0.74's affine.for verifier indexes the body's missing block.
    text = (
        "func.func @f() {\n"
        '  "affine.for"() <{lowerBoundMap = affine_map<() -> (0)>, '
        "upperBoundMap = affine_map<() -> (4)>, step = 1 : index, "
        "operandSegmentSizes = array<i32: 0, 0, 0>}> ({\n"
        "  }) : () -> ()\n  func.return\n}\n"
    )
    message = _diagnostic(text, "v.mlir")
    assert message.startswith("error: 'affine.for' op: verification failed with IndexError")


def test_class8_parse_errors_are_one_line_with_location():
    message = _diagnostic("func.func @f() {\n  \"foo.bar\"() : () -> ()\n  func.return\n}\n", "u.mlir")
    assert message == "u.mlir:2:12: error: Operation foo.bar is not registered"
