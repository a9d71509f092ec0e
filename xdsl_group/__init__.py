"""xdsl-group: neural-network operators as loop nests, transformed by compiler passes.

The stable API:

- `parse(text)`: MLIR text to a verified `ModuleOp`;
- `apply(module, pipeline)`: run an `xdsl-opt -p` pipeline on a copy;
- `interpret(module, func_name, *arrays)`: run a function on numpy arrays;
- `from_python(source, sizes, arrays)`: Python loop code to a `loopnest` module;
- `jit(module, func_name, fast_math=False, threads=1)`: compile a function to
  native code (a callable); `fast_math` allows FMA contraction, `threads` runs
  loops marked `parallel` on several threads.

Every refusal raises `LoopnestError` (a one-line diagnostic).
"""

from xdsl_group.api import apply, interpret, parse
from xdsl_group.errors import LoopnestError
from xdsl_group.frontend import from_python
from xdsl_group.jit import jit

__all__ = ["LoopnestError", "apply", "from_python", "interpret", "jit", "parse"]
