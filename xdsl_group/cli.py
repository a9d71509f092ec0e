"""The `xdsl-group` command line.

Subcommands are registered in `SUBCOMMANDS` (name -> (add_arguments, run)),
so new ones plug in without touching the others.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import AffineMapAttr, AffineSetAttr, MemRefType, ModuleOp, NoneAttr
from xdsl.ir.affine import AffineBinaryOpExpr, AffineExpr
from xdsl.utils.exceptions import DiagnosticException, ParseError

from xdsl_group.errors import LoopnestError
from xdsl_group.frontend.python import MAX_AFFINE_DEPTH

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

JIT options (refused with `--backend interp`): `--threads N` runs the loops
marked `parallel` (e.g. by `-p parallelize-loops{loop=co}` or
`-p auto-schedule`) on N threads, with results bitwise those of one thread;
`--fast-math` lets LLVM fuse multiply-adds into FMA instructions, so float
results may differ from the exact ones within the error bound documented
with the JIT (docs/lowering.md).

Everything is checked before the function runs: the function's arguments
must be memrefs of static shape (f32, f64, i32, i64) that fit in memory, and
it must return nothing; each --inputs file must be a .npy file of exactly its
argument's shape and dtype (never unpickled); --save DIR must be writable.
Results are printed, and saved, only if the call succeeds.  A Python file is
translated first with `xdsl-group import`.

Exit status: 0 on success; 1 when the input is refused or fails at run time
(one `error:` line on stderr); 2 on a usage error or an internal error (one
`internal error:` line: please report it).

Examples:
  xdsl-group run examples/conv2d.mlir --func conv2d --backend jit
  xdsl-group run examples/conv2d.mlir --func conv2d -p auto-schedule --threads 2 --fast-math
"""


def _add_function_arguments(p: argparse.ArgumentParser, pipeline_help: str) -> None:
    """FILE, --func and -p, as `run` and `tune` take them."""
    p.add_argument("file", type=Path, help="MLIR file with the function")
    p.add_argument("--func", required=True, help="name of the function (without @)")
    p.add_argument("-p", "--pipeline", default="", help=pipeline_help)


def _add_run_arguments(p: argparse.ArgumentParser) -> None:
    _add_function_arguments(p, "xdsl-opt pass pipeline applied before running")
    p.add_argument("--backend", choices=("interp", "jit"), default="jit", help="default: jit")
    p.add_argument(
        "--inputs", nargs="+", type=Path, metavar="NPY", help="one .npy file per argument"
    )
    p.add_argument(
        "--seed", type=_seed, default=None, help="seed of the random inputs (default 0)"
    )
    p.add_argument(
        "--save",
        type=Path,
        metavar="DIR",
        help="write every argument after the call to DIR/argN.npy",
    )
    p.add_argument(
        "--threads",
        type=_threads,
        default=None,
        metavar="N",
        help="run loops marked parallel on N threads (jit only; default 1)",
    )
    p.add_argument(
        "--fast-math",
        action="store_true",
        help="let LLVM fuse multiply-adds into FMA (jit only; default: exact)",
    )


def _integer(minimum: int, message: str) -> Callable[[str], int]:
    """An argparse type: an integer of at least `minimum`, else `message`
    (formatted with the value)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got '{text}'") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(message.format(value))
        return value

    return parse


_seed = _integer(0, "the seed must be non-negative, got {}")
_threads = _integer(1, "the number of threads must be positive, got {}")
_positive = _integer(1, "must be positive, got {}")


def _check_backend_options(args: argparse.Namespace) -> None:
    """Refuse JIT-only options with the interpreter, which runs on one thread
    and has no fast-math mode: an option silently ignored would mislead."""
    if args.backend == "jit":
        return
    if args.threads is not None and args.threads != 1:
        raise LoopnestError(
            f"--threads {args.threads} needs --backend jit (the interpreter "
            "runs on one thread)"
        )
    if args.fast_math:
        raise LoopnestError(
            "--fast-math needs --backend jit (the interpreter has no fast-math mode)"
        )


# -- the module and the function ----------------------------------------------

_PYTHON_START = re.compile(r"(def|for|from|import|class)\s")


def _parse_file(path: Path) -> ModuleOp:
    import xdsl_group
    from xdsl_group.frontend.cli import read_source

    text = read_source(path)
    if not text.strip():
        raise LoopnestError(f"{path} is empty: expected an MLIR module")
    python_hint = LoopnestError(
        f"{path} is Python source, not MLIR: translate it first with "
        f"'xdsl-group import {path} -o FILE.mlir'"
    )
    if path.suffix == ".py":
        raise python_hint
    try:
        module = xdsl_group.parse(text, str(path))
    except LoopnestError as e:
        first = next((l.strip() for l in text.splitlines() if l.strip()
                      and not l.lstrip().startswith("#")), "")
        if _PYTHON_START.match(first):
            raise python_hint from None
        if isinstance(e.__context__, ParseError):
            raise LoopnestError(_parse_error_text(e.__context__)) from None
        raise
    except RecursionError:
        raise LoopnestError(f"{path}: the input nests too deeply to parse") from None
    _check_affine_depth(module)
    return module


# Deeper affine expressions are refused (the frontend's limit): xDSL prints,
# lowers and evaluates them recursively, and a 1000-term index would exhaust
# Python's stack there.
def _affine_depth(expr: AffineExpr) -> int:
    deepest = 0
    work = [(expr, 1)]
    while work:
        e, d = work.pop()
        deepest = max(deepest, d)
        if isinstance(e, AffineBinaryOpExpr):
            work += [(e.lhs, d + 1), (e.rhs, d + 1)]
    return deepest


def _check_affine_depth(module: ModuleOp) -> None:
    for op in module.walk():
        for attr in (*op.properties.values(), *op.attributes.values()):
            if isinstance(attr, AffineMapAttr):
                exprs = attr.data.results
            elif isinstance(attr, AffineSetAttr):
                exprs = [e for c in attr.data.constraints for e in (c.lhs, c.rhs)]
            else:
                continue
            for e in exprs:
                if (d := _affine_depth(e)) > MAX_AFFINE_DEPTH:
                    raise LoopnestError(
                        f"an affine expression nests {d} levels deep; at most "
                        f"{MAX_AFFINE_DEPTH} are supported",
                        op,
                    )


def _parse_error_text(e: ParseError) -> str:
    """MLIR's layout: `file:line:col: error: message`, the line, a caret."""
    loc = e.span.get_location()
    inp = e.span.input
    start = inp.get_start_of_line(e.span.start)
    line = inp.content[start : inp.get_end_of_line(e.span.start)]
    if isinstance(line, bytes):
        line = line.decode("utf-8", "replace")
    line = line.split("\n")[0].rstrip("\r")
    col = min(e.span.start - start, len(line))
    caret = "".join(c if c == "\t" else " " for c in line[:col]) + "^"
    message = e.msg.strip().splitlines()[0] if e.msg.strip() else "parse error"
    if not inp.content[e.span.start :].strip():
        message = f"unexpected end of file ({message})"
    return f"{loc.file}:{loc.line}:{loc.col}: error: {message}\n{line}\n{caret}"


def _function(module: ModuleOp, path: Path, name: str) -> func.FuncOp:
    functions = [op for op in module.walk() if isinstance(op, func.FuncOp)]
    for fn in functions:
        if fn.sym_name.data == name:
            return fn
    lowered = [
        op for op in module.walk()
        if op.name == "llvm.func" and getattr(op, "sym_name", None) is not None
        and op.sym_name.data == name  # pyright: ignore
    ]
    if lowered:
        raise LoopnestError(
            f"@{name} is an llvm.func after the pipeline; run takes func.func "
            "functions (the JIT lowers them itself)"
        )
    has = ", ".join(f"@{f.sym_name.data}" for f in functions) or "none"
    raise LoopnestError(f"no function @{name} in {path} (functions: {has})")


def _argument_types(fn: func.FuncOp) -> list[MemRefType]:
    """The memref types of `fn`'s arguments, refusing what `run` cannot pass."""
    from xdsl_group.api import numpy_dtype

    name = fn.sym_name.data
    if not fn.body.blocks:
        raise LoopnestError(f"@{name} is a declaration without a body")
    if fn.function_type.outputs.data:
        raise LoopnestError(
            f"@{name} returns values; run calls functions that write their "
            "results into memref arguments"
        )
    names = _argument_names(fn)
    types: list[MemRefType] = []
    for i, t in enumerate(fn.function_type.inputs.data):
        what = f"@{name} argument #{i} %{names[i]}"
        if not isinstance(t, MemRefType):
            raise LoopnestError(f"{what} has type {t}; run passes memrefs only")
        if not isinstance(t.layout, NoneAttr) or not isinstance(t.memory_space, NoneAttr):
            raise LoopnestError(
                f"{what} has type {t}; run passes memrefs with the default "
                "(contiguous) layout and memory space only"
            )
        if any(d < 0 for d in t.get_shape()):
            raise LoopnestError(
                f"{what} has the dynamic shape {t}; run supports static shapes only"
            )
        try:
            numpy_dtype(t.element_type)
        except ValueError:
            raise LoopnestError(
                f"{what} has element type {t.element_type}; run supports f32, f64, "
                "i32 and i64"
            ) from None
        types.append(t)
    return types


def _argument_names(fn: func.FuncOp) -> list[str]:
    args = fn.body.blocks[0].args if fn.body.blocks else ()
    n = len(fn.function_type.inputs.data)
    return [
        (args[i].name_hint if i < len(args) else None) or f"arg{i}" for i in range(n)
    ]


def _nbytes(t: MemRefType) -> int:
    from xdsl_group.api import numpy_dtype

    return math.prod(t.get_shape()) * numpy_dtype(t.element_type).itemsize


def _physical_memory() -> int | None:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _check_memory(fn: func.FuncOp, types: Sequence[MemRefType]) -> None:
    """Refuse arguments that cannot fit in memory, before allocating them."""
    limit = _physical_memory()
    total = sum(_nbytes(t) for t in types)
    if limit is None or total <= limit:
        return
    i, t = max(enumerate(types), key=lambda it: _nbytes(it[1]))
    raise LoopnestError(
        f"the arguments of @{fn.sym_name.data} need {total} bytes (#{i} "
        f"%{_argument_names(fn)[i]}: {t}, {_nbytes(t)} bytes), more than the "
        f"{limit} bytes of memory of this machine"
    )


# -- the arrays -----------------------------------------------------------------


def _load_inputs(
    fn: func.FuncOp, types: Sequence[MemRefType], paths: Sequence[Path]
) -> list[np.ndarray[Any, Any]]:
    """Each .npy file, checked against its argument's type before its data is read."""
    from xdsl_group.api import numpy_dtype

    name = fn.sym_name.data
    if len(paths) != len(types):
        raise LoopnestError(
            f"@{name} takes {len(types)} arrays, --inputs gives {len(paths)}"
        )
    names = _argument_names(fn)
    headers = [_npy_header(p) for p in paths]
    for i, ((shape, dtype), t, path) in enumerate(zip(headers, types, paths)):
        want_shape, want_dtype = tuple(t.get_shape()), numpy_dtype(t.element_type)
        what = f"{path}: @{name} argument #{i} %{names[i]} ({t})"
        if shape != want_shape:
            raise LoopnestError(f"{what} needs shape {want_shape}, the file has {shape}")
        # The same numbers in the other byte order are converted exactly.
        if dtype.newbyteorder("=") != want_dtype:
            raise LoopnestError(f"{what} needs dtype {want_dtype}, the file has {dtype}")
    arrays = []
    for path, t in zip(paths, types):
        try:
            arr = np.load(path, allow_pickle=False)
        except (ValueError, OSError, EOFError) as e:  # e.g. truncated data
            raise LoopnestError(f"cannot load {path}: {_first_line(e)}") from None
        arrays.append(np.ascontiguousarray(arr, dtype=numpy_dtype(t.element_type)))
    return arrays


def _npy_header(path: Path) -> tuple[tuple[int, ...], np.dtype[Any]]:
    """Shape and dtype from a .npy header (the data is not read)."""
    fmt = np.lib.format
    try:
        with open(path, "rb") as f:
            try:
                version = fmt.read_magic(f)
            except ValueError:
                raise LoopnestError(f"{path} is not a .npy file") from None
            readers = {(1, 0): fmt.read_array_header_1_0, (2, 0): fmt.read_array_header_2_0}
            if version not in readers:
                raise LoopnestError(f"{path}: unsupported .npy format version {version}")
            shape, _, dtype = readers[version](f)
    except OSError as e:
        raise LoopnestError(f"cannot read {path}: {e.strerror or e}") from None
    except ValueError as e:
        raise LoopnestError(f"{path}: bad .npy header: {_first_line(e)}") from None
    if dtype.hasobject:
        raise LoopnestError(
            f"{path} holds Python objects (pickled data), which are never loaded; "
            "give numeric arrays"
        )
    return tuple(shape), dtype


# -- --save -------------------------------------------------------------------


def _check_save_dir(path: Path, count: int) -> None:
    """Refuse, before running, a --save directory that cannot be written."""
    if path.exists() and not path.is_dir():
        raise LoopnestError(f"cannot save to {path}: it exists and is not a directory")
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise LoopnestError(f"cannot save to {path}: {existing} is not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise LoopnestError(f"cannot save to {path}: {existing} is not writable")
    for i in range(count):
        target = path / f"arg{i}.npy"
        if target.is_dir() or (target.exists() and not os.access(target, os.W_OK)):
            raise LoopnestError(f"cannot save to {path}: {target} cannot be overwritten")


def _save(path: Path, arrays: Sequence[np.ndarray[Any, Any]]) -> None:
    """All of DIR/argN.npy or none: temporary files first, renamed at the end."""
    import tempfile

    path.mkdir(parents=True, exist_ok=True)
    temps: list[tuple[str, Path]] = []
    try:
        for i, arr in enumerate(arrays):
            fd, tmp = tempfile.mkstemp(dir=path, prefix=f".arg{i}.", suffix=".npy")
            temps.append((tmp, path / f"arg{i}.npy"))
            with os.fdopen(fd, "wb") as f:
                np.save(f, arr, allow_pickle=False)
        for tmp, target in temps:
            os.replace(tmp, target)
    except BaseException:
        for tmp, _ in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)
        raise


# -- run ------------------------------------------------------------------------


def _load_function(
    args: argparse.Namespace,
) -> tuple[ModuleOp, str, func.FuncOp, list[MemRefType]]:
    """The module of `args.file` after `args.pipeline`, the function
    `args.func` (with or without `@`) and its argument types."""
    import xdsl_group

    func_name = args.func[1:] if args.func.startswith("@") else args.func
    module = _parse_file(args.file)
    if args.pipeline:
        module = xdsl_group.apply(module, args.pipeline)
    fn = _function(module, args.file, func_name)
    return module, func_name, fn, _argument_types(fn)


def _run(args: argparse.Namespace) -> int:
    import xdsl_group

    if args.inputs and args.seed is not None:
        raise LoopnestError("--seed has no effect with --inputs")
    _check_backend_options(args)
    module, func_name, fn, types = _load_function(args)
    if args.save is not None:
        _check_save_dir(args.save, len(types))
    _check_memory(fn, types)
    if args.inputs:
        arrays = _load_inputs(fn, types, args.inputs)
    else:
        from xdsl_group.api import random_arrays

        arrays = random_arrays(fn, types, args.seed or 0)
    names = _argument_names(fn)

    compile_s = 0.0
    if args.backend == "jit":
        t = time.perf_counter()
        runner = xdsl_group.jit(
            module, func_name, fast_math=args.fast_math, threads=args.threads or 1
        )
        compile_s = time.perf_counter() - t
        call = lambda: runner(*arrays)  # noqa: E731
    else:
        call = lambda: xdsl_group.interpret(module, func_name, *arrays)  # noqa: E731
    t = time.perf_counter()
    call()
    run_s = time.perf_counter() - t

    if args.save is not None:
        try:
            _save(args.save, arrays)
        except OSError as e:
            raise LoopnestError(f"cannot save to {args.save}: {e.strerror or e}") from None
    mode = args.backend
    if args.threads is not None and args.threads > 1:
        mode += f", {args.threads} threads"
    if args.fast_math:
        mode += ", fast-math"
    lines = [f"@{func_name} ({mode}) on {args.file}"]
    for i, arr in enumerate(arrays):
        total = float(np.sum(arr, dtype=np.float64))
        absolute = float(np.sum(np.abs(arr), dtype=np.float64))
        lines.append(
            f"  #{i} %{names[i]}: shape {tuple(arr.shape)} {arr.dtype} "
            f"sum {total:.6g} abs-sum {absolute:.6g}"
        )
    if args.backend == "jit":
        lines.append(f"  compile {compile_s * 1e3:.1f} ms")
    lines.append(f"  run {run_s * 1e3:.3f} ms")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


EXPLORE_HELP = """\
Search, for each convolution of a network, pass pipelines that turn it into
other operators (grouped, Example 2, bottlenecked, split, spatially grouped):
for every candidate count its FLOPs and parameters exactly, time its native
code (auto-schedule, fast-math) beside PyTorch's nearest operator, and
compute its Fisher Potential at initialisation; reject those whose Fisher
Potential falls below the original layer's by more than --threshold; report
each layer's Pareto front (time vs Fisher) and the fastest accepted network.

Writes OUT/results.json (one record per candidate), OUT/summary.json,
OUT/table.txt (also printed) and OUT/plots/*.png; OUT/cache/ keeps every
evaluation, so a rerun into the same folder resumes.  Candidates are
evaluated on Dask: a local cluster sized to this machine, or the cluster of
--scheduler (started with `dask scheduler` and `dask worker`).  Needs the
`explore` extra (pip install -e '.[explore]').  See docs/exploration.md.

Exit status: 0 on success; 1 on a bad argument (unknown network or layer,
bad budget, unreachable scheduler, OUT not writable), one `error:` line.

Example:
  xdsl-group explore --network resnet18-cifar --budget 32 --seed 0 --out results/
"""


def _add_explore_arguments(p: argparse.ArgumentParser) -> None:
    from xdsl_group.explore.results import DEFAULT_THRESHOLD

    p.add_argument("--network", default="resnet18-cifar",
                   help="built-in network (resnet18-cifar, resnet34-cifar); default resnet18-cifar")
    p.add_argument("--budget", default="32", help="candidates per layer, the original included "
                   "(default 32)")
    p.add_argument("--seed", default="0", help="seed of the candidates, the initialisation and "
                   "the minibatch (default 0)")
    p.add_argument("--out", required=True, type=Path, help="output folder (created)")
    p.add_argument("--layers", default=None,
                   help="comma-separated conv layers to search, by index or name (default: all)")
    p.add_argument("--scheduler", default=None, metavar="ADDR",
                   help="address of a Dask scheduler, e.g. tcp://127.0.0.1:8786 (default: a "
                   "local cluster)")
    p.add_argument("--threads", default="1", help="threads of the timed calls (default 1)")
    p.add_argument("--threshold", default=str(DEFAULT_THRESHOLD),
                   help=f"the Fisher rule's tolerated loss, a fraction (default {DEFAULT_THRESHOLD})")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def _integer(option: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{option} expects an integer, got '{text}'") from None


def _explore(args: argparse.Namespace) -> int:
    from xdsl_group.explore.run import run

    import importlib.util

    for package in ("torch", "distributed", "matplotlib", "tqdm", "sklearn"):
        if importlib.util.find_spec(package) is None:
            raise ValueError(
                f"explore needs the '{package}' package: pip install -e '.[explore]'"
            )
    threshold_text = args.threshold
    try:
        threshold = float(threshold_text)
    except ValueError:
        raise ValueError(f"--threshold expects a fraction, got '{threshold_text}'") from None
    layers = None
    if args.layers is not None:
        refs = [t.strip() for t in args.layers.split(",")]
        if not all(refs):
            raise ValueError(f"--layers expects indices or names separated by commas, got "
                             f"'{args.layers}'")
        layers = [int(t) if t.isdigit() else t for t in refs]
    run(
        args.network,
        budget=_integer("--budget", args.budget),
        seed=_integer("--seed", args.seed),
        out=args.out,
        layers=layers,
        scheduler=args.scheduler,
        threads=_integer("--threads", args.threads),
        threshold=threshold,
        progress=not args.no_progress,
    )
    sys.stdout.write((args.out / "table.txt").read_text())
    sys.stdout.write(
        f"wrote {args.out / 'results.json'}, {args.out / 'summary.json'} and "
        f"{args.out / 'plots'}/\n"
    )
    return 0


# -- tune -----------------------------------------------------------------------

TUNE_HELP = """\
Time the cost model's best few schedules of a file's nests (what
`auto-schedule` would apply, then its next-ranked register blocks) as the
JIT runs one function on random inputs, and print one line per candidate
(median time, `*` on the fastest) and, last, the fastest pipeline, to pass
to `xdsl-opt -p` or `xdsl-group run -p`.  Every candidate is checked to
compute what the default schedule computes before it is timed.  The
default is deterministic and never depends on timings; this is the
measured search on top of it (`xdsl_group.tune`).
"""


def _add_tune_arguments(p: argparse.ArgumentParser) -> None:
    _add_function_arguments(p, "xdsl-opt pass pipeline applied before scheduling")
    p.add_argument(
        "--candidates", type=_positive, default=6, metavar="N",
        help="schedules to time (default 6)",
    )
    p.add_argument(
        "--rounds", type=_positive, default=15, metavar="N",
        help="interleaved timing rounds (default 15)",
    )
    p.add_argument(
        "--threads", type=_threads, default=1, metavar="N",
        help="threads of the timed calls (default 1)",
    )
    p.add_argument(
        "--exact", action="store_true",
        help="time exact code (default: fast-math, as schedules are meant to run)",
    )


def _tune(args: argparse.Namespace) -> int:
    import xdsl_group

    module, func_name, fn, types = _load_function(args)
    _check_memory(fn, types)
    from xdsl_group.api import random_arrays

    tuned = xdsl_group.tune(
        module,
        func_name,
        candidates=args.candidates,
        rounds=args.rounds,
        threads=args.threads,
        fast_math=not args.exact,
        arrays=random_arrays(fn, types, 0),
    )
    sys.stdout.write(f"{tuned}\nfastest: {tuned.speedup:.2f}x the default\n{tuned.pipeline}\n")
    return 0


AddArguments = Callable[[argparse.ArgumentParser], None]
Run = Callable[[argparse.Namespace], int]

# name -> (one-line summary, --help description, add_arguments, run)
SUBCOMMANDS: dict[str, tuple[str, str, AddArguments, Run]] = {
    "run": ("run a function via the interpreter or the JIT", RUN_HELP, _add_run_arguments, _run),
    "tune": (
        "time auto-schedule's best few schedules of a function, print the fastest pipeline",
        TUNE_HELP,
        _add_tune_arguments,
        _tune,
    ),
    "explore": (
        "search transformations of a network's convolutions (Fisher rule, Pareto fronts)",
        EXPLORE_HELP,
        _add_explore_arguments,
        _explore,
    ),
}


class _ArgumentParser(argparse.ArgumentParser):
    """Usage errors as one line (`xdsl-group run: error: ...`), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _ArgumentParser(
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


# Errors a user's input or data can cause at run time (the JIT's run-time
# checks raise the last three): their message is the diagnostic, status 1.
EXPECTED_ERRORS: tuple[type[BaseException], ...] = (
    ValueError,
    OSError,
    ZeroDivisionError,
    OverflowError,
    IndexError,
)


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _interpreted_op(e: BaseException) -> str | None:
    """The op xDSL's interpreter was running when `e` was raised, if known.

    The interpreter attaches a note printing the module with the failing op
    underlined; the first note is the innermost op.
    """
    notes: list[str] = getattr(e, "__notes__", [])
    if not notes:
        return None
    lines = notes[0].splitlines()
    for k in range(1, len(lines)):
        if re.fullmatch(r"\s*\^+-*", lines[k]):
            if m := re.search(r'"([A-Za-z_][\w$.]*)"\(', lines[k - 1]):
                return m.group(1)
    return None


def report(e: BaseException) -> int:
    """Print `e` as one diagnostic line on stderr; the exit status.

    1 for refusals and errors the input explains; 2 for anything else (an
    internal error: a bug to report, never shown as a traceback).
    """
    if isinstance(e, LoopnestError):
        message = str(e)
    elif isinstance(e, DiagnosticException):
        message = _first_line(e)
        if not message.startswith("error: ") and ": error: " not in message:
            message = f"error: {message}"
    elif isinstance(e, RecursionError):
        message = "error: the input nests too deeply (Python's recursion limit was reached)"
    elif isinstance(e, MemoryError):
        message = f"error: out of memory{': ' + str(e) if str(e) else ''}"
    elif isinstance(e, EXPECTED_ERRORS):
        message = f"error: {_first_line(e)}"
    else:
        where = _interpreted_op(e)
        message = f"internal error: {type(e).__name__}: {_first_line(e)}"
        if where:
            message += f" (interpreting '{where}')"
        print(message, file=sys.stderr)
        return 2
    print(message, file=sys.stderr)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    """The `xdsl-group` command: 0 on success, 1 on a refusal or bad input, 2
    on a usage or internal error.  Output is written only on success."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except SystemExit:
        raise
    except BaseException as e:  # the boundary: one line, never a traceback
        # (BaseException: xDSL's ArgSpecParseError is one.)
        return report(e)


if __name__ == "__main__":
    sys.exit(main())
