"""Every step of docs/tutorial.md, run in order in a scratch directory.

The page's fenced blocks are its steps:

- a block preceded by `<!-- file: NAME -->` is written to NAME;
- a `sh` block holds commands (`$ ...`) each followed by its expected output:
  the lines must appear as shown (contiguously; `...` skips any lines).  A
  command whose expected output has an `error:` line must fail, others must
  succeed;
- a `python` block without a file marker is run as a script and must succeed;
- `<!-- requires: KIND:NAME -->` before a block skips it (visibly) when a
  `pass:`, `tool:` or `subcommand:` (of `xdsl-group`) is not available.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "tutorial.md"

_BLOCK = re.compile(r"```(\w*)\n(.*?)```", re.S)
_MARKER = re.compile(r"<!--\s*(file|requires):\s*(.*?)\s*-->")


@dataclass
class Step:
    line: int
    lang: str
    body: str
    file: str | None
    requires: list[str]

    @property
    def id(self) -> str:
        what = f"file {self.file}" if self.file else self.lang
        return f"L{self.line}-{what}"


def steps() -> list[Step]:
    text = DOC.read_text()
    out: list[Step] = []
    last_end = 0
    for m in _BLOCK.finditer(text):
        between = text[last_end : m.start()]
        # Markers count only when they directly precede the block.
        trailing = between.rstrip().rsplit("\n\n", 1)[-1]
        file = None
        requires: list[str] = []
        for kind, value in _MARKER.findall(trailing):
            if kind == "file":
                file = value
            else:
                requires.append(value)
        line = text.count("\n", 0, m.start()) + 1
        out.append(Step(line, m.group(1), m.group(2), file, requires))
        last_end = m.end()
    return out


def missing(requirement: str) -> str | None:
    kind, _, name = requirement.partition(":")
    if kind == "pass":
        from xdsl_group.context import all_passes

        return None if name in all_passes() else f"pass '{name}' is not available"
    if kind == "tool":
        return None if shutil.which(name) else f"'{name}' is not installed"
    if kind == "subcommand":
        from xdsl_group.cli import build_parser

        parser = build_parser()
        choices = next(
            a.choices for a in parser._actions if a.choices  # pyright: ignore
        )
        return None if name in choices else f"'xdsl-group {name}' is not available"
    raise ValueError(f"unknown requirement {requirement!r} in {DOC.name}")


def commands(body: str) -> list[tuple[str, list[str]]]:
    """(command, expected output lines) pairs of a shell block."""
    out: list[tuple[str, list[str]]] = []
    for line in body.splitlines():
        if line.startswith("$ "):
            out.append((line[2:], []))
        elif out and out[-1][0].endswith("\\") and not out[-1][1]:
            out[-1] = (out[-1][0][:-1] + line, [])
        elif out:
            out[-1][1].append(line.rstrip())
        elif line.strip():
            raise ValueError(f"output before any command in {DOC.name}: {line!r}")
    return out


def matches(expected: list[str], actual: list[str]) -> bool:
    """Segments of `expected` split at `...` appear in order, each contiguously;
    without a trailing `...` the output must end with the last segment."""
    segments: list[list[str]] = [[]]
    for line in expected:
        if line.strip() == "...":
            segments.append([])
        else:
            segments[-1].append(line)
    actual = [l.rstrip() for l in actual]
    pos = 0
    for k, seg in enumerate(segments):
        if not seg:
            continue
        anchored_start = k == 0
        found = None
        for start in ([pos] if anchored_start else range(pos, len(actual) - len(seg) + 1)):
            if actual[start : start + len(seg)] == seg:
                found = start
                break
        if found is None:
            return False
        pos = found + len(seg)
    if not expected:
        return not actual  # no output shown: none expected
    return segments[-1] == [] or pos == len(actual)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("tutorial")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    return env


STEPS = steps()


def test_tutorial_has_steps():
    assert sum(1 for s in STEPS if s.lang == "sh") >= 4


@pytest.mark.parametrize("step", STEPS, ids=[s.id for s in STEPS])
def test_tutorial_step(step: Step, workdir: Path):
    for requirement in step.requires:
        if (reason := missing(requirement)) is not None:
            pytest.skip(f"{DOC.name}:{step.line}: {reason}")
    if step.file:
        (workdir / step.file).write_text(step.body)
        return
    if step.lang == "python":
        result = subprocess.run(
            [sys.executable, "-c", step.body], cwd=workdir, env=_env(),
            capture_output=True, text=True, timeout=300,
        )
        assert result.returncode == 0, f"{DOC.name}:{step.line}:\n{result.stderr}"
        return
    if step.lang != "sh":
        return  # other listings are illustrations
    for command, expected in commands(step.body):
        result = subprocess.run(
            ["bash", "-c", command], cwd=workdir, env=_env(),
            capture_output=True, text=True, timeout=300,
        )
        output = (result.stdout + result.stderr).splitlines()
        should_fail = any("error:" in line for line in expected)
        where = f"{DOC.name}:{step.line}: $ {command}"
        assert "Traceback" not in result.stderr, f"{where}\n{result.stderr}"
        if should_fail:
            assert result.returncode != 0, f"{where}: expected a failure"
        else:
            assert result.returncode == 0, f"{where}\n{result.stderr}"
        assert matches(expected, output), (
            f"{where}\nexpected:\n" + "\n".join(expected) + "\ngot:\n" + "\n".join(output)
        )
