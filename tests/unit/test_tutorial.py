"""Every step of docs/tutorial.md, run in order in a scratch directory.

The page's fenced blocks are its steps:

- a block preceded by `<!-- file: NAME -->` is written to NAME;
- a `sh` block holds commands (`$ ...`) each followed by its expected output:
  the lines must appear as shown (contiguously; `...` skips any lines).  A
  command whose expected output has an `error:` line must fail, others must
  succeed;
- a `python` block without a file marker is run as a script and must succeed;
  what it prints must match the block marked `<!-- output -->` right after it
  (matched as a command's output), or be empty if there is none;
- in expected output, a line `...` skips any lines and `...` inside a line
  stands for any text (timings);
- any other block is an illustration and must hold no `$ ` command;
- `<!-- requires: KIND:NAME -->` before a block skips it (visibly) when a
  `pass:`, `tool:` or `subcommand:` (of `xdsl-group`) is not available.

Steps run in order and build on each other's files, so a failed step skips
the later ones.
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
_MARKER = re.compile(r"<!--\s*(file|requires|output)\b:?\s*(.*?)\s*-->")


@dataclass
class Step:
    line: int
    lang: str
    body: str
    file: str | None
    requires: list[str]
    is_output: bool = False
    output: list[str] | None = None  # a python step's expected output

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
        is_output = False
        for kind, value in _MARKER.findall(trailing):
            if kind == "file":
                file = value
            elif kind == "output":
                is_output = True
            else:
                requires.append(value)
        line = text.count("\n", 0, m.start()) + 1
        step = Step(line, m.group(1), m.group(2), file, requires, is_output)
        if is_output:
            prev = out[-1] if out else None
            if prev is None or prev.lang != "python" or prev.file or prev.output is not None:
                raise ValueError(f"{DOC.name}:{line}: output block not after a python step")
            prev.output = step.body.rstrip("\n").split("\n")
        out.append(step)
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


def _line_matches(expected: str, actual: str) -> bool:
    if "..." not in expected:
        return expected == actual
    pattern = ".*".join(re.escape(part) for part in expected.split("..."))
    return re.fullmatch(pattern, actual) is not None


def matches(expected: list[str], actual: list[str]) -> bool:
    """Segments of `expected` split at `...` lines appear in order, each
    contiguously; without a trailing `...` the output must end with the last
    segment."""
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
            window = actual[start : start + len(seg)]
            if len(window) == len(seg) and all(map(_line_matches, seg, window)):
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


STEPS = [s for s in steps() if not s.is_output]
_failed: list[str] = []


def test_tutorial_has_steps():
    assert sum(1 for s in STEPS if s.lang == "sh") >= 4


def test_matcher():
    assert matches(["a", "...", "c"], ["a", "b", "c"])
    assert not matches(["a", "...", "c"], ["a", "b", "c", "d"])
    assert matches(["  run ... ms", "..."], ["  run 1.5 ms", "x"])
    assert not matches(["  run ... ms"], ["  run 1.5 s"])
    assert not matches(["b"], ["a", "b"])  # anchored at the start
    assert not matches([], ["unexpected"])


def test_illustrations_hold_no_commands():
    """Every command on the page is in a block the test runs."""
    for step in STEPS:
        if step.lang in ("sh", "python") or step.file:
            continue
        assert not any(l.startswith("$ ") for l in step.body.splitlines()), (
            f"{DOC.name}:{step.line}: a command in a `{step.lang}` block is not run"
        )


@pytest.mark.parametrize("step", STEPS, ids=[s.id for s in STEPS])
def test_tutorial_step(step: Step, workdir: Path):
    if _failed:
        pytest.skip(f"an earlier step failed ({_failed[0]})")
    try:
        _run_step(step, workdir)
    except pytest.skip.Exception:
        raise
    except BaseException:
        _failed.append(f"{DOC.name}:{step.line}")
        raise


def _run_step(step: Step, workdir: Path) -> None:
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
        where = f"{DOC.name}:{step.line}"
        assert result.returncode == 0, f"{where}:\n{result.stderr}"
        expected = step.output or []
        output = result.stdout.splitlines()
        assert matches(expected, output), (
            f"{where}\nexpected:\n" + "\n".join(expected) + "\ngot:\n" + "\n".join(output)
        )
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
