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
    for word in (
        "--func", "--backend", "--inputs", "--seed", "--threads", "--fast-math",
        "interp", "jit", ".npy", "docs/lowering.md",
    ):
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


def _small_conv(path: Path) -> str:
    """examples/conv2d.mlir with 3 input channels, 4 output channels and 4x4
    outputs: small enough to compile quickly once auto-schedule unrolls it."""
    text = (EXAMPLES / "conv2d.mlir").read_text()
    for old, new in (
        ("8x6x6", "4x4x4"), ("8x8x8", "3x6x6"), ("8x8x3x3", "4x3x3x3"),
        ("co %co in range(8)", "co %co in range(4)"),
        ("ci %ci in range(8)", "ci %ci in range(3)"), ("range(6)", "range(4)"),
    ):
        assert old in text
        text = text.replace(old, new)
    path.write_text(text)
    return str(path)


def _run_lines(capsys, argv: list[str]) -> list[str]:
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    return captured.out.splitlines()


@pytest.fixture
def jit_options(monkeypatch) -> list[dict]:
    """The options each `xdsl_group.jit` call of `run` received."""
    import xdsl_group

    calls: list[dict] = []
    real = xdsl_group.jit

    def recording(module, func_name, **options):
        calls.append(options)
        return real(module, func_name, **options)

    monkeypatch.setattr(xdsl_group, "jit", recording)
    return calls


def test_run_threads_are_bitwise_one_thread_on_an_auto_scheduled_conv(
    tmp_path, capsys, jit_options
):
    import xdsl_group

    conv = _small_conv(tmp_path / "conv.mlir")
    scheduled = xdsl_group.apply(xdsl_group.parse(Path(conv).read_text()), "auto-schedule")
    assert " parallel {" in str(scheduled)  # the threads have a loop to share
    argv = ["run", conv, "--func", "conv2d", "-p", "auto-schedule", "--seed", "5"]
    one = _run_lines(capsys, [*argv, "--threads", "1", "--save", str(tmp_path / "one")])
    two = _run_lines(capsys, [*argv, "--threads", "2", "--save", str(tmp_path / "two")])
    assert one[0] == f"@conv2d (jit) on {conv}"
    assert two[0] == f"@conv2d (jit, 2 threads) on {conv}"
    assert jit_options == [{"fast_math": False, "threads": 1}, {"fast_math": False, "threads": 2}]
    # The checksums, printed and saved, are bitwise equal.
    assert one[1:4] == two[1:4] and "sum" in one[1]
    for i in range(3):
        a, b = (np.load(tmp_path / d / f"arg{i}.npy") for d in ("one", "two"))
        assert a.tobytes() == b.tobytes()
    O, I, W = (np.load(tmp_path / "one" / f"arg{i}.npy") for i in range(3))
    np.testing.assert_allclose(O, reference.conv2d(I, W), rtol=1e-5, atol=1e-5)


def test_run_fast_math_is_within_the_documented_error_bound(tmp_path, capsys, jit_options):
    """docs/lowering.md: |O - O_exact| <= gamma_n * sum |i * w| elementwise,
    n = CI * KH * KW products per output (the output starts at zero)."""
    conv = _small_conv(tmp_path / "conv.mlir")
    argv = ["run", conv, "--func", "conv2d", "-p", "auto-schedule", "--seed", "7"]
    lines = _run_lines(capsys, [*argv, "--fast-math", "--threads", "2", "--save", str(tmp_path / "f")])
    assert lines[0] == f"@conv2d (jit, 2 threads, fast-math) on {conv}"
    assert jit_options == [{"fast_math": True, "threads": 2}]
    O, I, W = (np.load(tmp_path / "f" / f"arg{i}.npy") for i in range(3))
    I64, W64 = I.astype(np.float64), W.astype(np.float64)
    win = np.lib.stride_tricks.sliding_window_view(I64, (3, 3), axis=(1, 2))
    exact = np.einsum("cxykl,ockl->oxy", win, W64)
    magnitude = np.einsum("cxykl,ockl->oxy", np.abs(win), np.abs(W64))
    n, u = 3 * 3 * 3, 2.0**-24
    assert np.all(np.abs(O - exact) <= n * u / (1 - n * u) * magnitude)
    assert np.any(O != 0)


def test_run_jit_options_with_the_interpreter(tmp_path, capsys):
    """One thread is what the interpreter does; more threads or fast-math
    are refused in one line before anything runs (more in cli_corpus/)."""
    f = tmp_path / "f.mlir"
    f.write_text("func.func @f(%A: memref<4xf32>) {\n  func.return\n}\n")
    lines = _run_lines(capsys, ["run", str(f), "--func", "f", "--backend", "interp", "--threads", "1"])
    assert lines[0] == f"@f (interp) on {f}"
    for option in (["--threads", "3"], ["--fast-math"]):
        assert main(["run", str(f), "--func", "f", "--backend", "interp", *option]) == 1
        out, err = capsys.readouterr()
        assert out == "" and err.count("\n") == 1 and "needs --backend jit" in err


def test_tune_prints_the_candidates_and_the_fastest_pipeline(capsys):
    """The last line is a pipeline that `run -p` accepts and that computes
    what the unscheduled function computes."""
    assert main(["tune", CONV, "--func", "conv2d_grouped", "--candidates", "2", "--rounds", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4
    assert "default" in lines[0].split()[:4]
    assert sum(line.startswith("*") for line in lines[:2]) == 1
    assert re.fullmatch(r"fastest: \d+\.\d\dx the default", lines[2])
    pipeline = lines[3]
    assert pipeline in lines[0] + lines[1]
    for p in ("", pipeline):
        assert main(["run", CONV, "--func", "conv2d_grouped", "--seed", "3", "-p", p]) == 0
    runs = capsys.readouterr().out.split("@conv2d_grouped")[1:]
    plain, tuned = (re.findall(r"sum \S+ abs-sum \S+", out) for out in runs)
    assert plain and plain == tuned


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--candidates", "0"], "argument --candidates: must be positive, got 0"),
        (["--rounds", "x"], "argument --rounds: expected an integer, got 'x'"),
        (["--func", "nope"], "error: no function @nope"),
    ],
)
def test_tune_refusals_are_one_line(capsys, argv, message):
    base = ["tune", CONV] + ([] if "--func" in argv else ["--func", "conv2d_grouped"])
    try:
        status = main(base + argv)
    except SystemExit as e:
        status = e.code
    assert status in (1, 2)
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err
