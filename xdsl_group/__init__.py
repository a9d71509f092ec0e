"""xdsl-group: neural-network operators as loop nests, transformed by compiler passes.

The stable API:

- `parse(text)`: MLIR text to a verified `ModuleOp`;
- `apply(module, pipeline)`: run an `xdsl-opt -p` pipeline on a copy;
- `interpret(module, func_name, *arrays)`: run a function on numpy arrays;
- `from_python(source, sizes, arrays)`: Python loop code to a `loopnest` module;
- `jit(module, func_name, fast_math=False, threads=1)`: compile a function to
  native code (a callable); `fast_math` allows FMA contraction, `threads` runs
  loops marked `parallel` on several threads;
- `schedule_pipeline(module)`: the pass pipeline `auto-schedule` applies.

Every refusal raises `LoopnestError` (a one-line diagnostic); a refused loop
transformation raises its subclass `TransformationError`.
"""

from xdsl_group.api import apply, interpret, parse
from xdsl_group.errors import LoopnestError, TransformationError
from xdsl_group.frontend import from_python
from xdsl_group.jit import jit
from xdsl_group.transforms.auto_schedule import schedule_pipeline

__all__ = [
    "LoopnestError",
    "TransformationError",
    "apply",
    "from_python",
    "interpret",
    "jit",
    "parse",
    "schedule_pipeline",
]
