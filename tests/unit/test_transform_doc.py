"""Every step of docs/transform.md, run in order in a scratch directory, with
the runner of docs/tutorial.md (`test_tutorial.py`: the same step format)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import test_tutorial as runner

DOC = Path(__file__).resolve().parents[2] / "docs" / "transform.md"


@contextmanager
def this_page() -> Iterator[None]:
    """The runner reads (and names in its messages) the page `runner.DOC`."""
    saved = runner.DOC
    runner.DOC = DOC
    try:
        yield
    finally:
        runner.DOC = saved


def doc_steps() -> list[runner.Step]:
    with this_page():
        return [s for s in runner.steps() if not s.is_output]


STEPS = doc_steps()
_failed: list[str] = []


def test_page_has_commands_and_scripts():
    assert sum(1 for s in STEPS if s.lang == "sh") >= 3
    assert sum(1 for s in STEPS if s.lang == "python" and not s.file) >= 2


def test_illustrations_hold_no_commands():
    for step in STEPS:
        if step.lang in ("sh", "python") or step.file:
            continue
        assert not any(l.startswith("$ ") for l in step.body.splitlines()), (
            f"{DOC.name}:{step.line}: a command in a `{step.lang}` block is not run"
        )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("transform_doc")


@pytest.mark.parametrize("step", STEPS, ids=[s.id for s in STEPS])
def test_transform_doc_step(step: runner.Step, workdir: Path):
    if _failed:
        pytest.skip(f"an earlier step failed ({_failed[0]})")
    try:
        with this_page():
            runner._run_step(step, workdir)  # pyright: ignore[reportPrivateUsage]
    except pytest.skip.Exception:
        raise
    except BaseException:
        _failed.append(f"{DOC.name}:{step.line}")
        raise
