"""The Python blocks of docs/autodiff.md run as shown, in the repository root."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "autodiff.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)


def run(code: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(DOC.name), "exec"), {})
    return out.getvalue()


def test_the_page_has_its_two_examples():
    assert len(python_blocks()) == 2


def test_to_torch_example(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert run(python_blocks()[0]).strip() == "(4, 8, 6, 6) (4, 8, 8, 8) (8, 8, 3, 3)"


def test_training_example_loss_decreases(monkeypatch):
    monkeypatch.chdir(ROOT)
    printed = run(python_blocks()[1])
    losses = [float(v) for v in re.findall(r"^step \d: loss (\S+)$", printed, re.M)]
    assert len(losses) == 5
    assert all(b < a for a, b in zip(losses, losses[1:])), losses
