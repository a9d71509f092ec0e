"""The convolution layers of a network, each as a `loopnest` program.

A network is the sequence of its `nn.Conv2d` layers in PyTorch's
`named_modules()` order, each with the size of its input.  The built-in
ResNet-18/34 for CIFAR-10 are given here directly; any PyTorch model is
read by `from_torch` (torch is imported only there).
"""

from __future__ import annotations

import functools
import operator
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from xdsl.dialects.builtin import ModuleOp

from xdsl_group.frontend import from_python

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class ConvLayer:
    """One 2-d convolution: square kernel, stride and zero padding, no batch.

    `consumer` is the index of the one convolution that alone reads this
    layer's output (through batch-norm and ReLU only); None when anything
    else (a residual add, a second conv) reads it too.
    """

    index: int
    name: str
    in_channels: int
    out_channels: int
    height: int
    width: int
    kernel: int
    stride: int
    padding: int
    groups: int = 1
    consumer: int | None = None

    def __post_init__(self) -> None:
        for field in ("in_channels", "out_channels", "height", "width", "kernel", "stride", "groups"):
            if getattr(self, field) < 1:
                raise ValueError(f"conv layer '{self.name}': {field} must be positive")
        if self.index < 0 or self.padding < 0:
            raise ValueError(f"conv layer '{self.name}': index and padding must be non-negative")
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(
                f"conv layer '{self.name}': {self.groups} groups do not divide "
                f"{self.in_channels} input and {self.out_channels} output channels"
            )
        if self.out_height < 1 or self.out_width < 1:
            raise ValueError(
                f"conv layer '{self.name}': a {self.kernel}x{self.kernel} kernel does not fit "
                f"the {self.height}x{self.width} input padded by {self.padding}"
            )

    @property
    def out_height(self) -> int:
        return (self.height + 2 * self.padding - self.kernel) // self.stride + 1

    @property
    def out_width(self) -> int:
        return (self.width + 2 * self.padding - self.kernel) // self.stride + 1

    @property
    def base_pipeline(self) -> str:
        """The pipeline that makes the layer itself from its dense program."""
        if self.groups == 1:
            return ""
        return f"group-loops{{loops=co,ci groups={self.groups} compact=true}}"

    @property
    def shape(self) -> tuple[int, ...]:
        """What the layer's program and search space depend on (not its name or place)."""
        return (
            self.in_channels,
            self.out_channels,
            self.height,
            self.width,
            self.kernel,
            self.stride,
            self.padding,
            self.groups,
        )


@dataclass(frozen=True)
class Network:
    name: str
    input_shape: tuple[int, int, int]
    layers: tuple[ConvLayer, ...]

    def layer(self, ref: int | str) -> ConvLayer:
        """The layer at index `ref`, or named `ref` (ValueError naming the known ones)."""
        if not isinstance(ref, str):
            ref = operator.index(ref)
            if 0 <= ref < len(self.layers):
                return self.layers[ref]
            raise ValueError(
                f"network '{self.name}' has no layer {ref}: indices are 0..{len(self.layers) - 1}"
            )
        for layer in self.layers:
            if layer.name == ref:
                return layer
        raise ValueError(
            f"network '{self.name}' has no layer '{ref}': its layers are "
            + ", ".join(layer.name for layer in self.layers)
        )


# --- built-in networks --------------------------------------------------------

_RESNET_BLOCKS = {"resnet18-cifar": (2, 2, 2, 2), "resnet34-cifar": (3, 4, 6, 3)}

NETWORKS: tuple[str, ...] = ("resnet18-cifar", "resnet34-cifar")


def network(name: str) -> Network:
    """A built-in network by name (ValueError listing `NETWORKS` otherwise)."""
    if name not in _RESNET_BLOCKS:
        raise ValueError(f"unknown network '{name}': known networks are {', '.join(NETWORKS)}")
    return _resnet_cifar(name, _RESNET_BLOCKS[name])


@functools.cache
def _resnet_cifar(name: str, blocks: tuple[int, ...]) -> Network:
    """ResNet for 32x32 inputs: a 3x3 stem, then stages of BasicBlocks with
    64/128/256/512 channels, stages after the first starting with stride 2
    and a 1x1 strided projection shortcut."""
    layers: list[ConvLayer] = []

    def add(name: str, cin: int, cout: int, size: int, kernel: int, stride: int, consumer: bool) -> None:
        index = len(layers)
        layers.append(
            ConvLayer(
                index, name, cin, cout, size, size, kernel, stride, (kernel - 1) // 2,
                consumer=index + 1 if consumer else None,
            )
        )

    size, channels = 32, 64
    add("conv1", 3, channels, size, 3, 1, consumer=False)
    for s, count in enumerate(blocks, start=1):
        width = 64 * 2 ** (s - 1)
        for b in range(count):
            stride = 2 if s > 1 and b == 0 else 1
            prefix = f"layer{s}.{b}"
            add(f"{prefix}.conv1", channels, width, size, 3, stride, consumer=True)
            out = (size + 2 - 3) // stride + 1
            add(f"{prefix}.conv2", width, width, out, 3, 1, consumer=False)
            if stride != 1 or channels != width:
                add(f"{prefix}.shortcut.0", channels, width, size, 1, stride, consumer=False)
            size, channels = out, width
    return Network(name, (3, 32, 32), tuple(layers))


# --- layer programs -----------------------------------------------------------

_CONV_SOURCE = """\
def conv(O: f32[CO, OH, OW], I: f32[CI, IH, IW], W: f32[CO, CI, K, K]):
    for co in range(CO):
        for ci in range(CI):
            for oh in range(OH):
                for ow in range(OW):
                    for kh in range(K):
                        for kw in range(K):
                            O[co][oh][ow] += I[ci][oh*S+kh][ow*S+kw] * W[co][ci][kh][kw]
"""


def layer_program(layer: ConvLayer) -> ModuleOp:
    """The layer's dense convolution as a `loopnest` program (a fresh module).

    `func.func @conv(O: CO x OH x OW, I: CI x (H+2P) x (W+2P), W: CO x CI x K x K)`
    with loops co, ci, oh, ow, kh, kw; the input is pre-padded (padding is
    applied outside the kernel).  A grouped layer's grouping is
    `layer.base_pipeline`, applied on top.
    """
    return _program(
        layer.in_channels,
        layer.out_channels,
        layer.height + 2 * layer.padding,
        layer.width + 2 * layer.padding,
        layer.out_height,
        layer.out_width,
        layer.kernel,
        layer.stride,
    ).clone()


@functools.lru_cache(maxsize=64)
def _program(ci: int, co: int, ih: int, iw: int, oh: int, ow: int, k: int, s: int) -> ModuleOp:
    # Translating and bounds-checking a layer costs more than cloning it;
    # the cached module is never handed out.
    sizes = {"CI": ci, "CO": co, "IH": ih, "IW": iw, "OH": oh, "OW": ow, "K": k, "S": s}
    return from_python(_CONV_SOURCE, sizes, filename="conv.py")


# --- PyTorch models -----------------------------------------------------------


def from_torch(model: torch.nn.Module, input_shape: tuple[int, int, int]) -> Network:
    """The `nn.Conv2d` layers of `model`, in `named_modules()` order, each with
    the size of its input for one `input_shape` (C, H, W) image.

    Sizes come from forward hooks on a zero input of batch 1 (in eval mode,
    without gradients; the model's train/eval state is restored).  Refuses
    (ValueError naming the module) dilation other than 1, non-square kernels,
    strides or paddings, padding modes other than zeros, `padding="same"`, and
    convolutions the forward pass calls other than exactly once.  `consumer`
    comes from `torch.fx` tracing; when the model cannot be traced every
    `consumer` is None (with a warning).
    """
    import torch
    from torch import nn

    if len(input_shape) != 3 or any(int(d) < 1 for d in input_shape):
        raise ValueError(f"input_shape must be (C, H, W) with positive sizes, not {input_shape}")
    c, h, w = (int(d) for d in input_shape)
    convs = [(name, m) for name, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    if not convs:
        raise ValueError(f"{type(model).__name__} has no nn.Conv2d layer")
    params = {name: _conv_parameters(name, conv) for name, conv in convs}

    seen: dict[str, list[tuple[int, int]]] = {name: [] for name, _ in convs}

    def hook(name: str) -> Any:
        def record(module: nn.Module, inputs: tuple[Any, ...], output: Any) -> None:
            seen[name].append(tuple(inputs[0].shape[-2:]))

        return record

    handles = [conv.register_forward_hook(hook(name)) for name, conv in convs]
    training = {m: m.training for m in model.modules()}
    try:
        model.eval()
        with torch.no_grad():
            first = next(iter(model.parameters()), None)
            x = torch.zeros(
                (1, c, h, w),
                dtype=first.dtype if first is not None else torch.float32,
                device=first.device if first is not None else None,
            )
            model(x)
    finally:
        for handle in handles:
            handle.remove()
        for m, mode in training.items():
            m.training = mode
    for name, sizes in seen.items():
        if len(sizes) != 1:
            raise ValueError(
                f"conv '{name}' is called {len(sizes)} times by the forward pass; "
                "each nn.Conv2d must run exactly once"
            )

    index = {name: k for k, (name, _) in enumerate(convs)}
    consumers = _consumers(model, index)
    layers = []
    for k, (name, conv) in enumerate(convs):
        ((height, width),) = seen[name]
        kernel, stride, padding = params[name]
        layers.append(
            ConvLayer(
                k, name, conv.in_channels, conv.out_channels, int(height), int(width),
                kernel, stride, padding, conv.groups, consumers.get(name),
            )
        )
    return Network(type(model).__name__, (c, h, w), tuple(layers))


def _conv_parameters(name: str, conv: Any) -> tuple[int, int, int]:
    """(kernel, stride, padding) of a square, undilated, zero-padded conv."""

    def square(what: str, value: Any) -> int:
        a, b = (value, value) if isinstance(value, int) else tuple(value)
        if a != b:
            raise ValueError(f"conv '{name}': {what} {tuple(value)} is not square")
        return int(a)

    if conv.padding_mode != "zeros":
        raise ValueError(f"conv '{name}': padding mode '{conv.padding_mode}' is not zeros")
    if square("dilation", conv.dilation) != 1:
        raise ValueError(f"conv '{name}': dilation {tuple(conv.dilation)} is not 1")
    kernel = square("kernel", conv.kernel_size)
    stride = square("stride", conv.stride)
    if conv.padding == "valid":
        padding = 0
    elif isinstance(conv.padding, str):
        raise ValueError(f"conv '{name}': padding '{conv.padding}' is not an explicit size")
    else:
        padding = square("padding", conv.padding)
    return kernel, stride, padding


def _consumers(model: Any, index: dict[str, int]) -> dict[str, int]:
    """conv name -> the conv that alone reads its output through BN/ReLU.

    Found on the `torch.fx` graph: conv -> [BatchNorm2d] -> [ReLU] -> conv,
    each intermediate value with that one user.  Empty if tracing fails.
    """
    import torch
    from torch import fx, nn

    try:
        graph = fx.symbolic_trace(model).graph
    except Exception as e:  # noqa: BLE001 - fx raises many kinds on untraceable code
        warnings.warn(
            f"{type(model).__name__} cannot be traced by torch.fx ({type(e).__name__}: "
            f"{str(e).strip().splitlines()[0] if str(e).strip() else ''}); "
            "no conv is given a consumer",
            stacklevel=3,
        )
        return {}
    modules = dict(model.named_modules())

    def module(node: Any) -> Any:
        return modules.get(node.target) if node.op == "call_module" else None

    def is_relu(node: Any) -> bool:
        return (
            isinstance(module(node), nn.ReLU)
            or (node.op == "call_function" and node.target in (torch.relu, torch.relu_, nn.functional.relu))
            or (node.op == "call_method" and node.target in ("relu", "relu_"))
        )

    calls: dict[str, list[Any]] = {}
    for node in graph.nodes:
        if node.op == "call_module" and node.target in index:
            calls.setdefault(node.target, []).append(node)
    result: dict[str, int] = {}
    for name, nodes in calls.items():
        if len(nodes) != 1:
            continue
        node = nodes[0]
        steps = [lambda n: isinstance(module(n), nn.BatchNorm2d), is_relu]
        while True:
            users = list(node.users)
            if len(users) != 1:
                break
            (user,) = users
            if user.op == "call_module" and user.target in index:
                # The conv's only input must be this value.
                if len(calls.get(user.target, ())) == 1 and list(user.all_input_nodes) == [node]:
                    result[name] = index[user.target]
                break
            # Each of BN and ReLU at most once, in that order.
            while steps and not steps[0](user):
                steps.pop(0)
            if not steps or len(user.all_input_nodes) != 1:
                break
            steps.pop(0)
            node = user
    return result
