"""Bad inputs to `xdsl-group run` and `xdsl-group import` (`cli_corpus/`).

Each case is one file of the corpus whose leading comment lines say how to
run it and what to expect:

    # ARGS: run {} --func f        (or `// ARGS:`; shell words)
    # ERROR: a fragment of the expected message
    # STATUS: 2                    (optional; 1 by default)

`{}` is the case's own file, `{corpus}` the corpus directory (its `inputs/`
hold the files that cannot carry a header: binary, empty, .npy) and `{tmp}`
a fresh directory that is also the working directory.  A `.case` file is
only a header.

Every case must end with the expected status, nothing on stdout, one line on
stderr holding the fragment (a parse error may add the source line and a
caret under it, as MLIR prints them), no traceback, and no file written
anywhere (in `{tmp}` or the corpus; a pickled input that were unpickled
would create `UNPICKLED`).  The cases run in-process through `main(argv)`;
a few also run as real processes, to see the exit status and stderr the
terminal gets.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from xdsl_group.cli import main

CORPUS = Path(__file__).resolve().parent / "cli_corpus"
ROOT = Path(__file__).resolve().parents[2]
_HEADER = re.compile(r"^(?://|#)\s*(ARGS|ERROR|STATUS):\s?(.*)$")
_PARSE_ERROR = re.compile(r"^\S+:\d+:\d+: error: ")


@dataclass(frozen=True)
class Case:
    path: Path
    args: str
    error: str
    status: int

    @property
    def name(self) -> str:
        return self.path.stem

    def argv(self, tmp: Path) -> list[str]:
        def expand(word: str) -> str:
            return (
                word.replace("{corpus}", str(CORPUS))
                .replace("{tmp}", str(tmp))
                .replace("{}", str(self.path))
            )

        return [expand(w) for w in shlex.split(self.args)]


def _read_case(path: Path) -> Case:
    fields: dict[str, str] = {}
    for line in path.read_text().splitlines():
        m = _HEADER.match(line)
        if m is None:
            break
        fields[m.group(1)] = m.group(2)
    assert "ARGS" in fields and fields.get("ERROR"), f"{path.name}: no ARGS/ERROR header"
    return Case(path, fields["ARGS"], fields["ERROR"], int(fields.get("STATUS", "1")))


CASES = [
    _read_case(p)
    for p in sorted(CORPUS.iterdir())
    if p.is_file() and p.suffix in (".mlir", ".py", ".case")
]


def _snapshot(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        if p.is_file() else "dir"
        for p in sorted(directory.rglob("*"))
    }


def check_diagnostic(stderr: str, fragment: str) -> None:
    """One diagnostic line, or a parse error's line + source line + caret."""
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert stderr.endswith("\n") and lines, repr(stderr)
    if len(lines) == 3 and _PARSE_ERROR.match(lines[0]):
        assert lines[2].strip() == "^", repr(stderr)
    else:
        assert len(lines) == 1, repr(stderr)
    assert re.match(r"^(\S+: )?(internal )?error: |^xdsl-group \w+: error: ", lines[0]), lines[0]
    assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"


def test_corpus_is_broad():
    run = [c for c in CASES if c.args.startswith("run")]
    imp = [c for c in CASES if c.args.startswith("import")]
    assert len(run) >= 40 and len(imp) >= 35
    assert {c.status for c in CASES} == {1, 2}


@pytest.fixture(scope="module")
def corpus_before():
    return _snapshot(CORPUS)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bad_input(case: Case, tmp_path: Path, monkeypatch, corpus_before):
    monkeypatch.chdir(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(case.argv(tmp_path))
        except SystemExit as e:  # argparse's usage errors
            status = e.code
    assert status == case.status, err.getvalue()
    assert out.getvalue() == ""
    check_diagnostic(err.getvalue(), case.error)
    assert list(tmp_path.iterdir()) == []
    assert _snapshot(CORPUS) == corpus_before


# A few cases as real processes: the exit status and the bytes on stderr.
PROCESS_CASES = [
    "run_python_source",
    "run_huge_shape",
    "run_inputs_pickled",
    "run_parse_error",
    "import_size_twice",
    "import_deep_index",
]


@pytest.mark.parametrize("name", PROCESS_CASES)
def test_bad_input_in_a_process(name: str, tmp_path: Path):
    (case,) = [c for c in CASES if c.name == name]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "xdsl_group.cli", *case.argv(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120,
    )
    assert proc.returncode == case.status, proc.stderr
    assert proc.stdout == ""
    check_diagnostic(proc.stderr, case.error)
    assert list(tmp_path.iterdir()) == []
