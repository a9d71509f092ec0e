"""xdsl-group: neural-network operators as loop nests, transformed by compiler passes.

The stable API:

- `parse(text)`: MLIR text to a verified `ModuleOp`;
- `apply(module, pipeline)`: run an `xdsl-opt -p` pipeline on a copy;
- `interpret(module, func_name, *arrays)`: run a function on numpy arrays;
- `from_python(source, sizes, arrays)`: Python loop code to a `loopnest` module;
- `jit(module, func_name, fast_math=False, threads=1)`: compile a function to
  native code (a callable); `fast_math` allows FMA contraction, `threads` runs
  loops marked `parallel` on several threads;
- `schedule_pipeline(module)`: the pass pipeline `auto-schedule` applies;
- `tune(module, func_name)`: time the cost model's best few schedules with
  the JIT and return the fastest as a pipeline (`Tuned`);
- `derive_gradients(module)`: add `@f_vjp`, the vector-Jacobian product, of
  each function `@f` (the `derive-gradients` pass);
- `to_torch(module, func_name, ...)`, `TorchOperator`: a function as a
  differentiable PyTorch operator (needs the `torch` extra; imported on
  first use, so `import xdsl_group` never needs torch).

Every refusal raises `LoopnestError` (a one-line diagnostic); a refused loop
transformation raises its subclass `TransformationError`.
"""

from typing import Any

from xdsl_group.api import apply, interpret, parse
from xdsl_group.autodiff.derive_gradients import derive_gradients
from xdsl_group.errors import LoopnestError, TransformationError
from xdsl_group.frontend import from_python
from xdsl_group.jit import jit
from xdsl_group.transforms.auto_schedule import schedule_pipeline
from xdsl_group.tuning import Tuned, tune

__all__ = [
    "LoopnestError",
    "TorchOperator",
    "TransformationError",
    "apply",
    "derive_gradients",
    "from_python",
    "interpret",
    "jit",
    "parse",
    "to_torch",
    "schedule_pipeline",
    "Tuned",
    "tune",
]

_TORCH_NAMES = ("to_torch", "TorchOperator")


def __getattr__(name: str) -> Any:
    if name in _TORCH_NAMES:
        from xdsl_group.bridges import torch as bridge

        return getattr(bridge, name)
    raise AttributeError(f"module 'xdsl_group' has no attribute '{name}'")
