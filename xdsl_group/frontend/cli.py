"""`xdsl-group import FILE.py`: print the `loopnest` MLIR of Python loop code."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from xdsl_group.errors import LoopnestError


def _size(text: str) -> tuple[str, int]:
    name, sep, value = text.partition("=")
    try:
        if not sep or not name.isidentifier():
            raise ValueError
        return name, int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected NAME=INTEGER, got '{text}'"
        ) from None


def _array(text: str) -> tuple[str, tuple[int | str, ...]]:
    name, sep, dims = text.partition("=")
    if not sep or not name.isidentifier() or not dims:
        raise argparse.ArgumentTypeError(f"expected NAME=D0,D1,..., got '{text}'")
    parsed = tuple(int(d) if d.strip().lstrip("-").isdigit() else d.strip()
                   for d in dims.split(","))
    return name, parsed


def add_import_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:  # pyright: ignore
    """Register the `import` subcommand (its handler in the `handler` default)."""
    p = subparsers.add_parser(
        "import",
        help="translate Python loop code to loopnest MLIR",
        description=(
            "Translate a Python loop nest (a def with annotated array "
            "parameters, or bare loop code with --array shapes) into the "
            "loopnest dialect and print it.  Accesses are checked to stay in "
            "bounds unless --no-bounds-check is given."
        ),
    )
    p.add_argument("file", help="Python source ('-' for stdin)")
    p.add_argument("--size", "-s", action="append", type=_size, default=[],
                   metavar="NAME=N", help="an integer size (repeatable); overrides the source's")
    p.add_argument("--array", "-a", action="append", type=_array, default=[],
                   metavar="NAME=D0,D1,...",
                   help="shape of an array of bare loop code, dims are integers or size names "
                        "(repeatable; parameter order)")
    p.add_argument("--dtype", default="f32", help="element type of --array arrays (default f32)")
    p.add_argument("--name", default=None, help="function name for bare loop code (default kernel)")
    p.add_argument("--no-bounds-check", action="store_true",
                   help="skip the static bounds check")
    p.add_argument("-o", "--output", default=None, help="write the MLIR here instead of stdout")
    p.set_defaults(handler=run_import)
    return p


def run_import(args: argparse.Namespace) -> int:
    from xdsl_group.frontend import from_python

    if args.file == "-":
        source, filename = sys.stdin.read(), "<stdin>"
    else:
        try:
            source = Path(args.file).read_text()
        except OSError as e:
            print(f"error: cannot read {args.file}: {e.strerror}", file=sys.stderr)
            return 1
        filename = args.file
    try:
        module = from_python(
            source,
            sizes=dict(args.size),
            arrays=dict(args.array) or None,
            dtype=args.dtype,
            name=args.name,
            filename=filename,
            check_bounds=not args.no_bounds_check,
        )
    except LoopnestError as e:
        print(str(e), file=sys.stderr)
        return 1
    text = str(module) + "\n"
    if args.output:
        Path(args.output).write_text(text)
    else:
        sys.stdout.write(text)
    return 0
