"""The `xdsl-group` command line.

Subcommands are registered in `SUBCOMMANDS` (name -> (add_arguments, run)),
so new ones plug in without touching the others.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

RUN_HELP = """\
Run one function of a loopnest/MLIR file on numpy arrays and print, for each
argument, its shape, dtype and checksum (sum and sum of absolute values)
after the call, plus the call's wall time.

Inputs: with --inputs, one .npy file per argument, in order (shapes and
dtypes must match the function's memref types).  Otherwise arrays are made
up from --seed: arguments the function writes (outputs) start at zero, the
others are standard-normal (floats) or in [-8, 8) (integers).

Backends: `interp` is xDSL's interpreter (slow, bounds-checked); `jit`
compiles to native code with llvmlite (the timing excludes compilation,
reported separately).

Example:
  xdsl-group run examples/conv2d.mlir --func conv2d --backend jit
"""


def _add_run_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", type=Path, help="MLIR file with the function")
    p.add_argument("--func", required=True, help="name of the function (without @)")
    p.add_argument("--backend", choices=("interp", "jit"), default="jit", help="default: jit")
    p.add_argument(
        "--inputs", nargs="+", type=Path, metavar="NPY", help="one .npy file per argument"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the random inputs (default 0)")
    p.add_argument(
        "-p", "--pipeline", default="", help="xdsl-opt pass pipeline applied before running"
    )
    p.add_argument(
        "--save",
        type=Path,
        metavar="DIR",
        help="write every argument after the call to DIR/argN.npy",
    )


def _random_inputs(fn: Any, seed: int) -> list[np.ndarray[Any, Any]]:
    from xdsl_group.api import numpy_dtype
    from xdsl_group.jit import written_arguments

    rng = np.random.default_rng(seed)
    written = written_arguments(fn)
    arrays = []
    for i, t in enumerate(fn.function_type.inputs.data):
        if not hasattr(t, "get_shape"):
            raise ValueError(f"argument #{i} has type {t}; only memrefs are supported")
        dtype = numpy_dtype(t.element_type)
        shape = tuple(t.get_shape())
        if i in written:
            arrays.append(np.zeros(shape, dtype))
        elif dtype.kind == "f":
            arrays.append(rng.standard_normal(shape).astype(dtype))
        else:
            arrays.append(rng.integers(-8, 8, shape).astype(dtype))
    return arrays


def _run(args: argparse.Namespace) -> int:
    import xdsl_group
    from xdsl_group.api import find_function

    module = xdsl_group.parse(args.file.read_text(), str(args.file))
    if args.pipeline:
        module = xdsl_group.apply(module, args.pipeline)
    fn = find_function(module, args.func)
    if args.inputs:
        arrays = [np.load(p) for p in args.inputs]
    else:
        arrays = _random_inputs(fn, args.seed)
    args_ = fn.body.blocks[0].args if fn.body.blocks else ()
    names = [a.name_hint or f"arg{i}" for i, a in enumerate(args_)]

    compile_s = 0.0
    if args.backend == "jit":
        t = time.perf_counter()
        runner = xdsl_group.jit(module, args.func)
        compile_s = time.perf_counter() - t
        from xdsl_group.api import check_arguments

        check_arguments(fn, tuple(arrays))
        call = lambda: runner(*arrays)  # noqa: E731
    else:
        call = lambda: xdsl_group.interpret(module, args.func, *arrays)  # noqa: E731
    t = time.perf_counter()
    call()
    run_s = time.perf_counter() - t

    print(f"@{args.func} ({args.backend}) on {args.file}")
    for i, arr in enumerate(arrays):
        name = names[i] if i < len(names) else f"arg{i}"
        total = float(np.sum(arr, dtype=np.float64))
        absolute = float(np.sum(np.abs(arr), dtype=np.float64))
        print(
            f"  #{i} %{name}: shape {tuple(arr.shape)} {arr.dtype} "
            f"sum {total:.6g} abs-sum {absolute:.6g}"
        )
    if args.backend == "jit":
        print(f"  compile {compile_s * 1e3:.1f} ms")
    print(f"  run {run_s * 1e3:.3f} ms")
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        for i, arr in enumerate(arrays):
            np.save(args.save / f"arg{i}.npy", arr)
    return 0


AddArguments = Callable[[argparse.ArgumentParser], None]
Run = Callable[[argparse.Namespace], int]

# name -> (one-line summary, --help description, add_arguments, run)
SUBCOMMANDS: dict[str, tuple[str, str, AddArguments, Run]] = {
    "run": ("run a function via the interpreter or the JIT", RUN_HELP, _add_run_arguments, _run),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xdsl-group",
        description="Neural-network operators as loop nests: run and inspect them.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (summary, description, add_arguments, run) in SUBCOMMANDS.items():
        p = sub.add_parser(
            name,
            help=summary,
            description=description,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        add_arguments(p)
        p.set_defaults(handler=run)
    from xdsl_group.frontend.cli import add_import_parser

    add_import_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from xdsl_group.errors import LoopnestError

    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except LoopnestError as e:
        print(str(e), file=sys.stderr)
    except (ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
