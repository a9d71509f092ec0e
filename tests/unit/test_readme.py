"""The README's commands and Python example keep working."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, re.S)


def test_readme_gives_exactly_two_commands():
    commands = blocks("sh")
    assert len(commands) == 2
    assert commands[1].strip() == "pip install -e '.[test,torch,explore]' && lit -v tests/filecheck && pytest -q"
    assert commands[1].strip() in (ROOT / ".ci" / "run").read_text()


def test_readme_main_command_groups_the_example():
    command = blocks("sh")[0].strip()
    _, _, run = command.partition(" && ")  # the install step is what we test under
    out = subprocess.run(shlex.split(run), cwd=ROOT, capture_output=True, text=True, check=True)
    assert "loopnest.for g %g in range(2)" in out.stdout
    assert "loopnest.for co %co in range(%g * 4, %g * 4 + 4)" in out.stdout


def test_readme_python_example_runs(monkeypatch):
    monkeypatch.chdir(ROOT)
    (code,) = blocks("python")
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    import numpy as np

    assert np.array_equal(namespace["O"], namespace["O_native"])
