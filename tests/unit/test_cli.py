"""The `xdsl-group` command line."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from xdsl_group import reference
from xdsl_group.cli import build_parser, main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CONV = str(EXAMPLES / "conv2d_grouped.mlir")


def test_help_documents_run(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = capsys.readouterr().out
    for word in ("--func", "--backend", "--inputs", "--seed", "interp", "jit", ".npy"):
        assert word in out
    assert "run" in build_parser().format_help()


@pytest.mark.parametrize("backend", ["jit", "interp"])
def test_run_random_inputs_prints_summary(capsys, backend):
    assert main(["run", CONV, "--func", "conv2d_grouped", "--backend", backend, "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert f"@conv2d_grouped ({backend})" in out
    assert re.search(r"#0 %O: shape \(8, 6, 6\) float32 sum \S+ abs-sum \S+", out)
    assert "#2 %W: shape (8, 8, 3, 3) float32" in out
    assert re.search(r"run \d+\.\d+ ms", out)


def test_run_npy_inputs_and_save(tmp_path, capsys):
    rng = np.random.default_rng(0)
    I = rng.integers(-3, 4, (8, 8, 8)).astype(np.float32)
    W = rng.integers(-3, 4, (8, 8, 3, 3)).astype(np.float32)
    paths = []
    for name, arr in (("O", np.zeros((8, 6, 6), np.float32)), ("I", I), ("W", W)):
        paths.append(str(tmp_path / f"{name}.npy"))
        np.save(paths[-1], arr)
    out_dir = tmp_path / "out"
    assert main(["run", CONV, "--func", "conv2d_grouped", "--inputs", *paths, "--save", str(out_dir)]) == 0
    np.testing.assert_array_equal(np.load(out_dir / "arg0.npy"), reference.grouped_conv2d(I, W, 2))
    capsys.readouterr()


def test_errors_are_one_line(capsys, tmp_path):
    assert main(["run", CONV, "--func", "nope"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no function @nope" in err
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros(3, np.float32))
    assert main(["run", CONV, "--func", "conv2d_grouped", "--inputs", str(bad)]) == 1
    assert "takes 3 arrays, --inputs gives 1" in capsys.readouterr().err


def test_installed_command():
    import shutil
    import subprocess

    exe = shutil.which("xdsl-group")
    if exe is None:
        pytest.skip("xdsl-group is not on PATH (pip install -e .)")
    proc = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "run" in proc.stdout
