"""The plugin's footprint on the stock xDSL tools: pass names that clash with
no upstream pass, one-line diagnostics for our errors only, xDSL's own
errors left as xDSL reports them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from xdsl.transforms import get_all_passes

from xdsl_group.universe import PASSES

STENCIL = """\
func.func @stencil(%A: memref<10x10xf32>) {
  loopnest.for i %i in range(1, 10) {
    loopnest.for j %j in range(0, 9) {
      %a = loopnest.load %A[%i - 1, %j + 1] : memref<10x10xf32>
      loopnest.store %a, %A[%i, %j] : memref<10x10xf32>
    }
  }
  func.return
}
"""

# An error in an upstream op: xDSL's to report, not ours.
UPSTREAM_PARSE_ERROR = """\
func.func @f() {
  %0 = arith.addi : i32
  func.return
}
"""


def xdsl_opt(tmp_path, text: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "input.mlir"
    path.write_text(text)
    environ = {k: v for k, v in os.environ.items() if k != "XDSL_GROUP_TRACEBACK"}
    return subprocess.run(
        ["xdsl-opt", str(path), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**environ, **env},
    )


def listed_passes() -> list[str]:
    """The pass names `xdsl-opt --help` lists (argparse wraps the list)."""
    help_text = subprocess.run(
        ["xdsl-opt", "--help"], capture_output=True, text=True, check=True
    ).stdout
    block = help_text.split("Available passes are:", 1)[1]
    lines = []
    for line in block.splitlines()[0:]:
        if lines and re.match(r"^  -", line):
            break
        lines.append(line.strip())
    return "".join(lines).split(",")


def mlir_pass_names() -> set[str]:
    help_text = subprocess.run(
        ["mlir-opt-22", "--help"], capture_output=True, text=True, check=True
    ).stdout
    return set(re.findall(r"^\s+--([a-z0-9][a-z0-9-]*)", help_text, re.M))


def test_xdsl_opt_lists_our_passes():
    listed = listed_passes()
    assert set(PASSES) <= set(listed)
    # Each name once: a clash with another plugin or xDSL would fail loading.
    assert len(listed) == len(set(listed))


def test_no_pass_name_clashes_with_xdsl():
    assert not set(PASSES) & set(get_all_passes())


@pytest.mark.skipif(shutil.which("mlir-opt-22") is None, reason="needs mlir-opt-22")
def test_no_pass_name_clashes_with_mlir():
    mlir = mlir_pass_names()
    assert "convert-arith-to-llvm" in mlir  # the list was read
    assert not set(PASSES) & mlir


def test_our_refusal_is_one_line(tmp_path):
    proc = xdsl_opt(tmp_path, STENCIL, "-p", "interchange-loops{loops=i,j}")
    assert proc.returncode == 1
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1
    assert re.match(r".*input\.mlir:2:3: error: 'loopnest.for' op \(loop 'i'\): cannot permute", lines[0])


def test_bad_option_of_our_pass_is_one_line(tmp_path):
    proc = xdsl_opt(tmp_path, STENCIL, "-p", "group-loops{loops=i,j groups=abc}")
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        "error: invalid pass pipeline: Incompatible types: given ('abc',), expected int | None"
    ]


def test_xdsl_errors_are_left_to_xdsl(tmp_path):
    # An upstream op's parse error and a bad option of an xDSL pass: printed
    # as xDSL prints them (with its traceback), not rewritten by the plugin.
    proc = xdsl_opt(tmp_path, UPSTREAM_PARSE_ERROR)
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr
    proc = xdsl_opt(tmp_path, STENCIL, "-p", "canonicalize{bogus=1}")
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr


def test_full_traceback_on_request(tmp_path):
    proc = xdsl_opt(
        tmp_path, STENCIL, "-p", "interchange-loops{loops=i,j}", XDSL_GROUP_TRACEBACK="1"
    )
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr
    assert "TransformationError" in proc.stderr
