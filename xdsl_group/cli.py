"""The `xdsl-group` command: subcommands over the Python API."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    from xdsl_group.frontend.cli import add_import_parser

    parser = argparse.ArgumentParser(
        prog="xdsl-group",
        description="Neural-network operators as loop nests, transformed by compiler passes.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    add_import_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
