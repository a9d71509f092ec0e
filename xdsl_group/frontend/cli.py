"""`xdsl-group import FILE.py`: print the `loopnest` MLIR of Python loop code."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xdsl_group.errors import LoopnestError
from xdsl_group.frontend.python import ELEMENT_TYPES


def _size(text: str) -> tuple[str, int]:
    name, sep, value = text.partition("=")
    try:
        if not sep or not name.isidentifier():
            raise ValueError
        size = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected NAME=INTEGER, got '{text}'"
        ) from None
    if size < 0:
        raise argparse.ArgumentTypeError(f"size {name} must be non-negative, got {size}")
    return name, size


def _array(text: str) -> tuple[str, tuple[int | str, ...]]:
    name, sep, dims = text.partition("=")
    if not sep or not name.isidentifier() or not dims:
        raise argparse.ArgumentTypeError(f"expected NAME=D0,D1,..., got '{text}'")
    parsed = tuple(int(d) if d.strip().lstrip("-").isdigit() else d.strip()
                   for d in dims.split(","))
    return name, parsed


def _function_name(text: str) -> str:
    if not text.isidentifier():
        raise argparse.ArgumentTypeError(
            f"expected a Python identifier, got '{text}'"
        )
    return text


class _AppendUnique(argparse.Action):
    """Append a (name, value) pair; the same name twice is a usage error."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        pairs: list[tuple[str, Any]] = list(getattr(namespace, self.dest) or [])
        name = values[0]
        for other, _ in pairs:
            if other == name:
                parser.error(f"argument {'/'.join(self.option_strings)}: "
                             f"'{name}' is given twice")
        setattr(namespace, self.dest, [*pairs, values])


def add_import_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:  # pyright: ignore
    """Register the `import` subcommand (its handler in the `handler` default)."""
    p = subparsers.add_parser(
        "import",
        help="translate Python loop code to loopnest MLIR",
        description=(
            "Translate a Python loop nest (a def with annotated array "
            "parameters, or bare loop code with --array shapes) into the "
            "loopnest dialect and print it.  Accesses are checked to stay in "
            "bounds unless --no-bounds-check is given.  An option that would "
            "have no effect (a name given twice, an --array no parameter "
            "takes, --name or --dtype for a def) is an error."
        ),
    )
    p.add_argument("file", help="Python source ('-' for stdin)")
    p.add_argument("--size", "-s", action=_AppendUnique, type=_size, default=[],
                   metavar="NAME=N",
                   help="a non-negative integer size (repeatable); overrides the source's")
    p.add_argument("--array", "-a", action=_AppendUnique, type=_array, default=[],
                   metavar="NAME=D0,D1,...",
                   help="shape of an array of bare loop code, dims are integers or size names "
                        "(repeatable; parameter order)")
    p.add_argument("--dtype", default=None, choices=tuple(ELEMENT_TYPES),
                   help="element type of --array arrays (default f32)")
    p.add_argument("--name", default=None, type=_function_name,
                   help="function name for bare loop code (default kernel)")
    p.add_argument("--no-bounds-check", action="store_true",
                   help="skip the static bounds check")
    p.add_argument("-o", "--output", default=None, type=Path,
                   help="write the MLIR here instead of stdout")
    p.set_defaults(handler=run_import)
    return p


def read_source(path: Path) -> str:
    """The text of `path`, or `LoopnestError` saying why it cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise LoopnestError(f"cannot read {path}: {e.strerror or e}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise LoopnestError(
            f"cannot read {path}: not UTF-8 text (byte {e.start})"
        ) from None


def check_output_path(path: Path, inputs: Sequence[Path] = ()) -> None:
    """Refuse, before any work is done, an output file that cannot be written."""
    for i in inputs:
        try:
            if path.exists() and path.samefile(i):
                raise LoopnestError(f"the output {path} would overwrite the input")
        except OSError:
            pass
    if path.is_dir():
        raise LoopnestError(f"cannot write {path}: it is a directory")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise LoopnestError(f"cannot write {path}: the directory {parent} does not exist")
    if not parent.is_dir():
        raise LoopnestError(f"cannot write {path}: {parent} is not a directory")
    import os

    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise LoopnestError(f"cannot write {path}: permission denied")


def write_atomically(path: Path, data: str | bytes) -> None:
    """Write `path` whole or not at all (through a temporary file beside it)."""
    import os
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def run_import(args: argparse.Namespace) -> int:
    from xdsl_group.frontend import from_python

    if args.output is not None:
        check_output_path(args.output, () if args.file == "-" else (Path(args.file),))
    if args.file == "-":
        source, filename = sys.stdin.read(), "<stdin>"
    else:
        if Path(args.file).suffix == ".mlir":
            raise LoopnestError(
                f"{args.file} is MLIR, not Python: run it with "
                f"'xdsl-group run {args.file} --func NAME'"
            )
        source, filename = read_source(Path(args.file)), args.file
    module = from_python(
        source,
        sizes=dict(args.size),
        arrays=dict(args.array) or None,
        dtype=args.dtype,
        name=args.name,
        filename=filename,
        check_bounds=not args.no_bounds_check,
    )
    text = str(module) + "\n"
    if args.output is not None:
        write_atomically(args.output, text)
    else:
        sys.stdout.write(text)
    return 0
