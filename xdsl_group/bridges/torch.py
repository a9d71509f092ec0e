"""`loopnest` functions as differentiable PyTorch operators.

`to_torch(module, "conv2d", batched=("O", "I"))` returns a callable
`op(I, W) -> O`: the function's read-only memref arguments in order in, its
written ones out (freshly zeroed before the kernel runs).  Forward runs the
JIT of `@f`, backward the JIT of `@f_vjp` from `derive-gradients` (compiled
on the first backward), inside a `torch.autograd.Function`.
`TorchOperator` is a `torch.nn.Module` holding some inputs (weights) as
`nn.Parameter`s, e.g. to replace an `nn.Conv2d`.

Needs the `torch` extra (`pip install -e '.[torch]'`).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.autograd.function import once_differentiable
from xdsl.dialects.builtin import Float32Type, Float64Type, MemRefType, ModuleOp

from xdsl_group.api import find_function
from xdsl_group.autodiff.derive_gradients import derive_gradients, plan_gradients, vjp_name
from xdsl_group.autodiff.statements import written_arguments
from xdsl_group.jit import JitFunction, jit

ArgumentRef = str | int
"""An argument of `@f`, by name (`"I"`) or by position in `@f`'s arguments."""


def _torch_dtype(t: MemRefType) -> torch.dtype:
    if isinstance(t.element_type, Float32Type):
        return torch.float32
    if isinstance(t.element_type, Float64Type):
        return torch.float64
    raise ValueError(f"element type {t.element_type} has no PyTorch float dtype")


class LoopnestOperator:
    """A `loopnest` function and its derived `@f_vjp`, compiled; call it on
    tensors (see `to_torch`)."""

    def __init__(
        self,
        module: ModuleOp,
        func_name: str,
        batched: Sequence[ArgumentRef] = (),
        threads: int = 1,
        fast_math: bool = False,
    ):
        if not isinstance(threads, int) or threads < 1:
            raise ValueError(f"threads must be a positive integer, got {threads!r}")
        # Only @f is derived: other functions of the module need not be in
        # the differentiable class.
        single = ModuleOp([find_function(module, func_name).clone()])
        # Refuse now what derive-gradients would refuse (the analysis alone);
        # @f_vjp itself is built on the first backward.
        plan_gradients(single)
        fn = find_function(single, func_name)
        self.func_name = func_name
        self.threads = threads
        args = list(fn.body.block.args)
        self.names = [a.name_hint or f"#{k}" for k, a in enumerate(args)]
        self.types: list[MemRefType] = [a.type for a in args]  # type: ignore[misc]
        written = written_arguments(fn)
        self.outputs = [k for k in range(len(args)) if k in written]
        self.inputs = [k for k in range(len(args)) if k not in written]
        self.set_batched(batched)
        self.fast_math = fast_math
        # @f is compiled now (its errors surface here); @f_vjp on the first
        # backward: many operators only ever run forward (inference, or
        # an input and weights that need no gradient), and the adjoint nests
        # would otherwise make up much of the compile time.
        self._forward: JitFunction = jit(single, func_name, fast_math=fast_math)
        self._single = single
        self._backward_kernel: JitFunction | None = None
        self._backward_lock = threading.Lock()

    def set_batched(self, batched: Sequence[ArgumentRef]) -> None:
        """Which arguments carry a leading batch dimension (see `to_torch`)."""
        if isinstance(batched, str | int):
            batched = (batched,)
        func_name = self.func_name
        positions = {self.position(ref) for ref in batched}
        if positions:
            unbatched = [self.names[k] for k in self.outputs if k not in positions]
            if unbatched:
                raise ValueError(
                    f"@{func_name}: output {', '.join(repr(n) for n in unbatched)} must "
                    "be batched too: each batch element writes its own output"
                )
            if not any(k in positions for k in self.inputs):
                raise ValueError(
                    f"@{func_name}: batched names no input; the batch size comes "
                    "from the batched inputs"
                )
        self.batched = positions

    @property
    def _backward(self) -> JitFunction:
        """The JIT of `@f_vjp`, derived and compiled on first use."""
        with self._backward_lock:
            if self._backward_kernel is None:
                derived = derive_gradients(self._single)
                self._backward_kernel = jit(
                    derived, vjp_name(self.func_name), fast_math=self.fast_math
                )
            return self._backward_kernel

    def position(self, ref: ArgumentRef) -> int:
        """The position in `@f`'s arguments of an argument named or numbered."""
        if isinstance(ref, bool) or not isinstance(ref, str | int):
            raise ValueError(f"an argument is named by a string or a position, got {ref!r}")
        if isinstance(ref, int):
            if not 0 <= ref < len(self.names):
                raise ValueError(
                    f"@{self.func_name} has {len(self.names)} arguments; no argument #{ref}"
                )
            return ref
        if ref not in self.names:
            raise ValueError(
                f"@{self.func_name} has no argument '{ref}' (arguments: "
                f"{', '.join(self.names)})"
            )
        return self.names.index(ref)

    def shape(self, k: int, batch: int | None) -> tuple[int, ...]:
        shape = tuple(self.types[k].get_shape())
        return (batch, *shape) if k in self.batched and batch is not None else shape

    def check(self, tensors: Sequence[Any]) -> int | None:
        """Check the inputs; the batch size (None if nothing is batched)."""
        name = self.func_name
        if len(tensors) != len(self.inputs):
            raise ValueError(
                f"@{name} takes {len(self.inputs)} input"
                f"{'s' if len(self.inputs) != 1 else ''} "
                f"({', '.join(self.names[k] for k in self.inputs)}), "
                f"{len(tensors)} were given"
            )
        batch: int | None = None
        for k, t in zip(self.inputs, tensors):
            what = f"@{name} input '{self.names[k]}' (argument #{k})"
            if not isinstance(t, torch.Tensor):
                raise ValueError(f"{what} must be a torch.Tensor, got {type(t).__name__}")
            if t.device.type != "cpu":
                raise ValueError(f"{what} must be on the CPU, got device {t.device}")
            want = _torch_dtype(self.types[k])
            if t.dtype != want:
                raise ValueError(f"{what} must have dtype {want}, got {t.dtype}")
            if k in self.batched:
                if t.dim() < 1:
                    raise ValueError(f"{what} is batched: it needs a leading batch dimension")
                if batch is None:
                    batch = t.shape[0]
                expected = self.shape(k, batch)
                if tuple(t.shape) != expected:
                    shown = ("B", *expected[1:])
                    raise ValueError(
                        f"{what} must have shape {_shape_str(shown)} with the batch "
                        f"size B = {batch} of the first batched input, got "
                        f"{_shape_str(tuple(t.shape))}"
                    )
            elif tuple(t.shape) != self.shape(k, None):
                raise ValueError(
                    f"{what} must have shape {_shape_str(self.shape(k, None))}, got "
                    f"{_shape_str(tuple(t.shape))}"
                )
        return batch

    def __call__(self, *inputs: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, ...]:
        batch = self.check(inputs)
        outputs = _LoopnestFunction.apply(self, batch, *inputs)
        return outputs[0] if len(self.outputs) == 1 else tuple(outputs)

    # -- running the kernels ---------------------------------------------------

    def run(
        self,
        kernel: JitFunction,
        arrays: list[np.ndarray[Any, Any]],
        per_element: list[bool],
        batch: int | None,
    ) -> None:
        """Call `kernel` on `arrays`, once per batch element on the slices of
        the arrays marked `per_element`, on up to `threads` threads."""
        if batch is None:
            kernel(*arrays)
            return

        def run_range(lo: int, hi: int) -> None:
            for b in range(lo, hi):
                kernel(*[a[b] if p else a for a, p in zip(arrays, per_element)])

        workers = min(self.threads, batch)
        if workers <= 1:
            run_range(0, batch)
            return
        cuts = [batch * w // workers for w in range(workers + 1)]
        errors: list[BaseException] = []

        def target(lo: int, hi: int) -> None:
            try:
                run_range(lo, hi)
            except BaseException as e:  # re-raised in the caller
                errors.append(e)

        pool = [
            threading.Thread(target=target, args=(cuts[w], cuts[w + 1]))
            for w in range(workers)
        ]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        if errors:
            raise errors[0]

    def forward_arrays(
        self, inputs: Sequence[np.ndarray[Any, Any]], batch: int | None
    ) -> list[np.ndarray[Any, Any]]:
        """Run `@f`: the outputs, zeroed and then written."""
        arrays: list[np.ndarray[Any, Any]] = [None] * len(self.names)  # type: ignore[list-item]
        for k, a in zip(self.inputs, inputs):
            arrays[k] = a
        outputs = []
        for k in self.outputs:
            arrays[k] = np.zeros(self.shape(k, batch), _numpy_dtype(self.types[k]))
            outputs.append(arrays[k])
        per_element = [k in self.batched for k in range(len(self.names))]
        self.run(self._forward, arrays, per_element, batch)
        return outputs

    def backward_arrays(
        self,
        inputs: Sequence[np.ndarray[Any, Any]],
        outputs: Sequence[np.ndarray[Any, Any]],
        grad_outputs: Sequence[np.ndarray[Any, Any]],
        batch: int | None,
    ) -> list[np.ndarray[Any, Any]]:
        """Run `@f_vjp`: the gradient of each input.

        An input shared by the batch (weights) gets one partial gradient per
        batch element, summed afterwards in a fixed order, so the result does
        not depend on `threads`.
        """
        arrays: list[np.ndarray[Any, Any]] = [None] * len(self.names)  # type: ignore[list-item]
        for k, a in zip(self.inputs, inputs):
            arrays[k] = a
        for k, a in zip(self.outputs, outputs):
            arrays[k] = a
        per_element = [k in self.batched for k in range(len(self.names))]
        arrays += list(grad_outputs)
        per_element += [k in self.batched for k in self.outputs]
        partials = []
        for k in self.inputs:
            shared = batch is not None and k not in self.batched
            shape = self.shape(k, batch)
            if shared:
                shape = (batch, *shape)  # type: ignore[assignment]
            partials.append((np.zeros(shape, _numpy_dtype(self.types[k])), shared))
            arrays.append(partials[-1][0])
            per_element.append(batch is not None)
        self.run(self._backward, arrays, per_element, batch)
        return [p.sum(axis=0) if shared else p for p, shared in partials]


def _numpy_dtype(t: MemRefType) -> np.dtype[Any]:
    return np.dtype(np.float32 if isinstance(t.element_type, Float32Type) else np.float64)


def _shape_str(shape: tuple[Any, ...]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ")"


def _array(t: torch.Tensor) -> np.ndarray[Any, Any]:
    return t.detach().contiguous().numpy()


class _LoopnestFunction(torch.autograd.Function):
    """forward: the JIT of `@f`; backward: the JIT of `@f_vjp`."""

    @staticmethod
    def forward(ctx: Any, op: LoopnestOperator, batch: int | None, *inputs: torch.Tensor):
        arrays = [_array(t) for t in inputs]
        outputs = [torch.from_numpy(o) for o in op.forward_arrays(arrays, batch)]
        ctx.op, ctx.batch = op, batch
        ctx.save_for_backward(*inputs, *outputs)
        return tuple(outputs)

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, *grad_outputs: torch.Tensor | None):
        op: LoopnestOperator = ctx.op
        saved = ctx.saved_tensors
        n = len(op.inputs)
        inputs = [_array(t) for t in saved[:n]]
        outputs = [_array(t) for t in saved[n:]]
        grads = [
            np.zeros_like(o) if g is None else _array(g).astype(o.dtype, copy=False)
            for g, o in zip(grad_outputs, outputs)
        ]
        grads = [np.ascontiguousarray(g) for g in grads]
        result = op.backward_arrays(inputs, outputs, grads, ctx.batch)
        needs = ctx.needs_input_grad[2:]
        return (None, None, *[
            torch.from_numpy(np.ascontiguousarray(g)) if need else None
            for g, need in zip(result, needs)
        ])


def to_torch(
    module: ModuleOp,
    func_name: str,
    batched: Sequence[ArgumentRef] = (),
    fast_math: bool = False,
    threads: int = 1,
) -> LoopnestOperator:
    """`@func_name` as a differentiable PyTorch operator `op(*inputs)`.

    Inputs are the function's read-only memref arguments in order; the
    result is its written argument (a tuple if several), freshly zeroed
    before the kernel runs.  `batched` names arguments (by name or position
    in `@func_name`'s arguments) that carry an extra leading batch
    dimension; every output must be among them when any is.  The batch runs
    as a loop over the kernel, split over `threads` Python threads (native
    calls release the GIL; results are the same for any `threads`).
    `fast_math=True` compiles both kernels with the JIT's `fast_math`
    (multiply-adds may fuse into FMA; see `docs/lowering.md` for the
    tolerance).  Raises
    `LoopnestError` if the function is not differentiable (see
    `derive-gradients`), `ValueError` on wrong shapes, dtypes or devices.
    """
    return LoopnestOperator(module, func_name, batched, threads=threads, fast_math=fast_math)


class TorchOperator(nn.Module):
    """A `loopnest` function as an `nn.Module`: the inputs named in
    `parameters` are held as `nn.Parameter`s, the others are `forward`'s
    arguments, in order.

    By default every argument but the parameters is batched.  `padding`
    zero-pads the last two dimensions of each non-parameter input with
    `torch.nn.functional.pad` (an int, or `(height, width)`); stride and
    dilation are the nest's indexing.  `bias` (one value per channel, the
    output's first non-batch dimension) is added to a single output.
    Parameters start as `nn.Conv2d`'s default initialisation.
    """

    def __init__(
        self,
        module: ModuleOp,
        func_name: str,
        parameters: Sequence[ArgumentRef] = (),
        batched: Sequence[ArgumentRef] | None = None,
        padding: int | tuple[int, int] = 0,
        bias: bool = False,
        threads: int = 1,
        fast_math: bool = False,
    ):
        super().__init__()
        # One operator: its batched arguments are set once the held ones are known.
        op = LoopnestOperator(module, func_name, (), threads=threads, fast_math=fast_math)
        held = {op.position(p) for p in parameters}
        for k in held:
            if k not in op.inputs:
                raise ValueError(
                    f"@{func_name} argument '{op.names[k]}' is written; only inputs "
                    "can be parameters"
                )
        if batched is None:
            batched = [k for k in range(len(op.names)) if k not in held]
        op.set_batched(batched)
        self.op = op
        self._held = held
        self.padding = (padding, padding) if isinstance(padding, int) else tuple(padding)
        self._parameter_names: dict[int, str] = {}
        for k in sorted(held):
            name = op.names[k] if op.names[k].isidentifier() else f"arg{k}"
            t = op.types[k]
            value = torch.empty(tuple(t.get_shape()), dtype=_torch_dtype(t))
            _default_init(value)
            self.register_parameter(name, nn.Parameter(value))
            self._parameter_names[k] = name
        if bias:
            if len(self.op.outputs) != 1:
                raise ValueError(f"@{func_name}: a bias needs exactly one output")
            out = self.op.outputs[0]
            shape = self.op.shape(out, None)
            if not shape:
                raise ValueError(f"@{func_name}: a bias needs an output with a channel dimension")
            t = op.types[out]
            fan_in = _fan_in(self)
            b = torch.empty(shape[0], dtype=_torch_dtype(t))
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            nn.init.uniform_(b, -bound, bound)
            self.bias: nn.Parameter | None = nn.Parameter(b)
        else:
            self.bias = None

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, ...]:
        data = [k for k in self.op.inputs if k not in self._held]
        if len(inputs) != len(data):
            raise ValueError(
                f"{type(self).__name__}(@{self.op.func_name}) takes {len(data)} "
                f"input{'s' if len(data) != 1 else ''} "
                f"({', '.join(self.op.names[k] for k in data)}), {len(inputs)} were given"
            )
        given = dict(zip(data, inputs))
        ph, pw = self.padding
        args = []
        for k in self.op.inputs:
            if k in self._held:
                args.append(getattr(self, self._parameter_names[k]))
            else:
                x = given[k]
                if ph or pw:
                    x = nn.functional.pad(x, (pw, pw, ph, ph))
                args.append(x)
        out = self.op(*args)
        if self.bias is not None:
            assert isinstance(out, torch.Tensor)
            batched = self.op.outputs[0] in self.op.batched
            extra = out.dim() - (2 if batched else 1)
            out = out + self.bias.view(-1, *([1] * extra))
        return out

    @classmethod
    def from_conv2d(
        cls,
        conv: nn.Conv2d,
        module: ModuleOp,
        func_name: str,
        weight: ArgumentRef | None = None,
        threads: int = 1,
        fast_math: bool = False,
    ) -> TorchOperator:
        """A drop-in for `conv` (batched NCHW input) computed by `@func_name`:
        its weight copied (the program's weight must have `conv.weight`'s
        shape, e.g. a grouped conv with `compact=true`), its zero padding
        applied with `F.pad`, its bias added.  The program's stride must be
        the conv's: its output shape is checked against the conv's."""
        probe = LoopnestOperator(module, func_name)
        if len(probe.outputs) != 1 or len(probe.inputs) != 2:
            raise ValueError(
                f"@{func_name} must have one output and two inputs (data, weight) "
                "to stand for an nn.Conv2d"
            )
        if weight is None:
            matching = [
                k for k in probe.inputs if probe.shape(k, None) == tuple(conv.weight.shape)
            ]
            if len(matching) != 1:
                raise ValueError(
                    f"@{func_name} has no input of the conv's weight shape "
                    f"{_shape_str(tuple(conv.weight.shape))}; name it with weight="
                )
            w = matching[0]
        else:
            w = probe.position(weight)
            if probe.shape(w, None) != tuple(conv.weight.shape):
                raise ValueError(
                    f"@{func_name} weight '{probe.names[w]}' has shape "
                    f"{_shape_str(probe.shape(w, None))}, the conv's weight "
                    f"{_shape_str(tuple(conv.weight.shape))}"
                )
        if conv.padding_mode != "zeros" or isinstance(conv.padding, str):
            raise ValueError("only explicit zero padding (padding=int or tuple) is supported")
        (x,) = [k for k in probe.inputs if k != w]
        (o,) = probe.outputs
        ph, pw = conv.padding  # type: ignore[misc]
        c, h, wd = probe.shape(x, None)[-3:]
        expected = (
            conv.out_channels,
            (h - conv.dilation[0] * (conv.kernel_size[0] - 1) - 1) // conv.stride[0] + 1,
            (wd - conv.dilation[1] * (conv.kernel_size[1] - 1) - 1) // conv.stride[1] + 1,
        )
        if c != conv.in_channels or probe.shape(o, None) != expected:
            raise ValueError(
                f"@{func_name} maps a (padded) input {_shape_str((c, h, wd))} to "
                f"{_shape_str(probe.shape(o, None))}; the conv would give "
                f"{_shape_str(expected)} from {conv.in_channels} channels"
            )
        op = cls(
            module,
            func_name,
            parameters=(w,),
            padding=(ph, pw),
            bias=conv.bias is not None,
            threads=threads,
            fast_math=fast_math,
        )
        with torch.no_grad():
            getattr(op, op._parameter_names[w]).copy_(conv.weight)
            if conv.bias is not None and op.bias is not None:
                op.bias.copy_(conv.bias)
        return op


def _default_init(value: torch.Tensor) -> None:
    """`nn.Conv2d`'s default: Kaiming-uniform with a = sqrt(5)."""
    if value.dim() >= 2:
        nn.init.kaiming_uniform_(value, a=math.sqrt(5))
    else:
        bound = 1 / math.sqrt(max(value.numel(), 1))
        nn.init.uniform_(value, -bound, bound)


def _fan_in(module: nn.Module) -> int:
    for p in module.parameters():
        if p.dim() >= 2:
            return math.prod(p.shape[1:])
    return 0


__all__ = ["LoopnestOperator", "TorchOperator", "to_torch"]

