"""Fisher Potential (Turner et al., BlockSwap, ICLR 2020) at initialisation:
the capacity proxy by which the exploration rejects candidate operators.

For the output activation `a` (N, C, H, W) of a layer and `g = dL/da`, with
`L` the cross-entropy of the network's logits on one minibatch, mean-reduced
over the N samples (PyTorch's default), and the network in train mode
(batch-norm normalises by batch statistics):

    F = sum_c 0.5 * mean_n (sum_{h,w} a[n,c,h,w] * g[n,c,h,w])^2

This is BlockSwap's convention (its `0.5 * mean over the batch` per channel,
summed over channels).  Since `L` is a mean, `g` carries a factor 1/N:
values compare at the same minibatch size only.

`candidate_fisher` measures a candidate operator (a `loopnest` program run
through `xdsl_group.TorchOperator`) in place of one convolution of a freshly
initialised copy of the network.
"""

from __future__ import annotations

import copy
import numbers
import threading
import weakref
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from xdsl.dialects.builtin import MemRefType, ModuleOp

from xdsl_group.api import find_function
from xdsl_group.autodiff.statements import written_arguments
from xdsl_group.bridges.torch import TorchOperator

FUNC_NAME = "conv"
"""The function of a layer program (`networks.layer_program`)."""


def fisher_potential(
    model: nn.Module, layer_names: Sequence[str], images: torch.Tensor, labels: torch.Tensor
) -> dict[str, float]:
    """The Fisher Potential of the output of each module named (module paths
    as `model.named_modules()` gives them), from one forward and backward
    pass on (`images`, `labels`).  `model` is not modified: a copy runs (in
    train mode, so its batch-norm statistics move, not `model`'s)."""
    names = list(layer_names)
    work = copy.deepcopy(model)
    for p in work.parameters():
        p.requires_grad_(False)
    return _fisher(work, names, images, labels)


def candidate_fisher(
    model: nn.Module,
    net: Any,
    layer: Any,
    module: ModuleOp | None,
    images: torch.Tensor,
    labels: torch.Tensor,
    seed: int,
    next_module: ModuleOp | None = None,
    fast_math: bool = True,
) -> float:
    """The Fisher Potential at the output of `layer` (a `ConvLayer` of `net`)
    in a copy of `model` where that conv is computed by `@conv` of `module`.

    The copy is re-initialised: each module's parameters by its own
    `reset_parameters()` under `torch.manual_seed` of a seed derived from
    (`seed`, module path), so the same seed gives the same network whatever
    ran before, and the global random state is left as it was.  The copy is
    kept for the next call with the same model and seed (one per thread),
    candidates swapping their modules in and out of it.  The
    operator of `module` (weight `W` a parameter, the layer's zero padding
    applied outside the kernel, `threads=1`, `fast_math` as given) is
    initialised like an `nn.Conv2d` under the seed of the module it
    replaces: a program whose `W` has the conv's shape gets the conv's very
    weights (so the dense program measures the original layer), a compact
    grouped one the initialisation of a grouped `nn.Conv2d`.  `module=None`
    keeps the `nn.Conv2d`.

    `next_module` (a bottleneck: `module` has fewer output channels than the
    conv) replaces the layer's consumer conv (`net.layers[layer.consumer]`)
    too, and the batch norms between the two are rebuilt for the new channel
    count.  The operator at `layer` only runs forward on a detached input:
    the gradient at its output does not need its own adjoint; the consumer's
    adjoint carries the gradient back to it.

    Raises `ValueError` when a program's shapes do not fit the layer, the
    consumer, or the network; `LoopnestError` if a program has no
    differentiable `@conv`.
    """
    named = list(net.layers)
    if not 0 <= layer.index < len(named) or named[layer.index].name != layer.name:
        raise ValueError(f"layer {layer.index} ({layer.name!r}) is not a layer of {net.name!r}")
    initialised = _initialised(model, seed)
    work = initialised.model
    conv = _conv(work, layer.name)
    produced = conv.out_channels
    replacements: dict[str, nn.Module] = {}
    with torch.random.fork_rng(devices=[]):
        if module is not None:
            op = _operator(module, layer, conv.in_channels, conv, seed, fast_math)
            produced = op.op.shape(op.op.outputs[0], None)[0]
            replacements[layer.name] = _ForwardOnly(op)
        if next_module is not None:
            if layer.consumer is None:
                raise ValueError(
                    f"layer {layer.name!r} has no consumer conv for the next program to replace"
                )
            consumer = named[layer.consumer]
            replacements[consumer.name] = _operator(
                next_module, consumer, produced, _conv(work, consumer.name), seed, fast_math
            )
    if produced != conv.out_channels:
        if next_module is None:
            raise ValueError(
                f"the program for {layer.name!r} gives {produced} channels, the conv "
                f"{conv.out_channels}: a bottleneck needs the consumer's program too"
            )
        for name in initialised.batch_norms_between(layer.name, named[layer.consumer].name):
            bn = work.get_submodule(name)
            assert isinstance(bn, nn.BatchNorm2d)
            replacements[name] = _resized_batch_norm(bn, produced)
    for replacement in replacements.values():
        for p in replacement.parameters():
            p.requires_grad_(False)
    originals = {name: work.get_submodule(name) for name in replacements}
    try:
        for name, replacement in replacements.items():
            _set_submodule(work, name, replacement)
        return _fisher(work, [layer.name], images, labels)[layer.name]
    finally:
        for name, original in originals.items():
            _set_submodule(work, name, original)


def reinitialise(model: nn.Module, seed: int) -> None:
    """Re-draw every parameter of `model` in place: each module owning
    parameters or buffers calls its `reset_parameters()` under the seed
    `module_seed(seed, path)`."""
    for name, mod in model.named_modules():
        owns = any(True for _ in mod.parameters(recurse=False)) or any(
            True for _ in mod.buffers(recurse=False)
        )
        if not owns:
            continue
        reset: Callable[[], None] | None = getattr(mod, "reset_parameters", None)
        if reset is None:
            raise ValueError(
                f"module {name!r} ({type(mod).__name__}) has parameters but no "
                "reset_parameters() to re-initialise them"
            )
        torch.manual_seed(module_seed(seed, name))
        reset()


def module_seed(seed: int, path: str) -> int:
    """The seed initialising the module at `path` for the network seed `seed`."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    return zlib.crc32(f"{int(seed)}:{path}".encode())


@dataclass
class _Initialised:
    """A re-initialised copy of a model (parameters not requiring gradients),
    for one seed; candidates swap their modules in and out of it."""

    source: weakref.ref[nn.Module]
    key: tuple[int, str]
    model: nn.Module
    paths: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def batch_norms_between(self, producer: str, consumer: str) -> list[str]:
        if (producer, consumer) not in self.paths:
            self.paths[producer, consumer] = _batch_norms_between(self.model, producer, consumer)
        return self.paths[producer, consumer]


# One copy per thread (a copy is being modified while a candidate runs).
_copies = threading.local()


def _initialised(model: nn.Module, seed: int) -> _Initialised:
    """`model` re-initialised under `seed`, copied once per thread for the
    last (model, seed) asked: the copy and the re-initialisation cost as much
    as a forward pass.  The key includes the model's structure as printed, so
    a model whose modules were changed in place since is copied again."""
    module_seed(seed, "")  # refuses a seed that is not an integer
    key = (int(seed), repr(model))
    entry: _Initialised | None = getattr(_copies, "entry", None)
    if entry is None or entry.source() is not model or entry.key != key:
        work = copy.deepcopy(model)
        with torch.random.fork_rng(devices=[]):
            reinitialise(work, seed)
        for p in work.parameters():
            p.requires_grad_(False)
        entry = _Initialised(weakref.ref(model), key, work)
        _copies.entry = entry
    return entry


# -- the measurement -----------------------------------------------------------


def _fisher(
    model: nn.Module, names: list[str], images: torch.Tensor, labels: torch.Tensor
) -> dict[str, float]:
    """Fisher Potentials of `model` itself (run in train mode)."""
    modules = dict(model.named_modules())
    unknown = [n for n in names if n not in modules or n == ""]
    if unknown:
        raise ValueError(f"no module {', '.join(repr(n) for n in unknown)} in the model")
    if images.dim() != 4 or labels.dim() != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"images must be (N, C, H, W) and labels (N,), got {tuple(images.shape)} "
            f"and {tuple(labels.shape)}"
        )
    activations: dict[str, torch.Tensor] = {}

    def capture(name: str) -> Callable[[nn.Module, Any, Any], torch.Tensor]:
        def hook(mod: nn.Module, inputs: Any, output: Any) -> torch.Tensor:
            if name in activations:
                raise ValueError(f"module {name!r} runs more than once in a forward pass")
            if not isinstance(output, torch.Tensor) or output.dim() != 4:
                raise ValueError(f"module {name!r} does not output an (N, C, H, W) tensor")
            if not output.requires_grad:
                # Nothing upstream needs a gradient: start the graph here.
                output = output.detach().requires_grad_()
            activations[name] = output
            return output

        return hook

    handles = [modules[n].register_forward_hook(capture(n)) for n in dict.fromkeys(names)]
    model.train()
    try:
        with torch.enable_grad():
            loss = F.cross_entropy(model(images), labels)
            missing = [n for n in dict.fromkeys(names) if n not in activations]
            if missing:
                raise ValueError(
                    f"module {', '.join(repr(n) for n in missing)} does not run in the forward pass"
                )
            order = list(activations)
            grads = torch.autograd.grad(
                loss, [activations[n] for n in order], allow_unused=True
            )
    finally:
        for h in handles:
            h.remove()
    result: dict[str, float] = {}
    for name, g in zip(order, grads):
        a = activations[name].detach().double()
        if g is None:  # the loss does not depend on this activation
            result[name] = 0.0
            continue
        per_channel = (a * g.double()).sum(dim=(2, 3))  # (N, C)
        result[name] = float(0.5 * per_channel.pow(2).mean(dim=0).sum())
    return {n: result[n] for n in names}


# -- building the candidate network -------------------------------------------


class _ForwardOnly(nn.Module):
    """Runs `op` without recording a graph, on a detached input: the Fisher
    Potential at its output needs no gradient through it, so its adjoint is
    never compiled or run."""

    def __init__(self, op: nn.Module):
        super().__init__()
        self.op = op

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return self.op(x.detach())


def _conv(model: nn.Module, name: str) -> nn.Conv2d:
    try:
        conv = model.get_submodule(name)
    except AttributeError:
        raise ValueError(f"the model has no module {name!r}") from None
    if not isinstance(conv, nn.Conv2d):
        raise ValueError(f"module {name!r} is a {type(conv).__name__}, not an nn.Conv2d")
    return conv


def _operator(
    module: ModuleOp, layer: Any, in_channels: int, conv: nn.Conv2d, seed: int, fast_math: bool
) -> TorchOperator:
    """The `TorchOperator` of `@conv` standing for `layer`, reading
    `in_channels` channels, initialised under the seed of `layer.name`."""
    fn = find_function(module, FUNC_NAME)
    args = fn.body.block.args
    names = [a.name_hint for a in args]
    shapes = [tuple(a.type.get_shape()) if isinstance(a.type, MemRefType) else () for a in args]
    if names != ["O", "I", "W"] or written_arguments(fn) != {0} or len(shapes[0]) != 3:
        raise ValueError(
            f"the program for {layer.name!r} must be @{FUNC_NAME}(O, I, W) writing "
            f"O[CO, OH, OW], got @{FUNC_NAME}({', '.join(str(n) for n in names)})"
        )
    p = layer.padding
    data = (in_channels, layer.height + 2 * p, layer.width + 2 * p)
    (co, oh, ow), i_shape = shapes[0], shapes[1]
    if i_shape != data or (oh, ow) != (layer.out_height, layer.out_width):
        raise ValueError(
            f"the program for {layer.name!r} maps I{i_shape} to O{(co, oh, ow)}; the layer "
            f"takes I{data} (padded by {p}) to {layer.out_height}x{layer.out_width} outputs"
        )
    torch.manual_seed(module_seed(seed, layer.name))
    return TorchOperator(
        module,
        FUNC_NAME,
        parameters=("W",),
        padding=p,
        bias=conv.bias is not None,
        threads=1,
        fast_math=fast_math,
    )


def _set_submodule(model: nn.Module, name: str, replacement: nn.Module) -> None:
    parent, _, leaf = name.rpartition(".")
    setattr(model.get_submodule(parent) if parent else model, leaf, replacement)


def _batch_norms_between(model: nn.Module, producer: str, consumer: str) -> list[str]:
    """The batch norms on the path from `producer`'s output to `consumer`,
    found by tracing `model` with `torch.fx`: the producer's output must
    reach the consumer alone, through batch norms and element-wise
    activations only."""
    import torch.fx

    try:
        graph = torch.fx.symbolic_trace(model).graph
    except Exception as e:  # tracing fails on data-dependent control flow
        raise ValueError(
            f"cannot trace the model to find the path from {producer!r} to {consumer!r}: {e}"
        ) from None
    modules = dict(model.named_modules())
    elementwise = {F.relu, torch.relu, F.leaky_relu, F.relu6, F.gelu, F.silu}
    start = [n for n in graph.nodes if n.op == "call_module" and n.target == producer]
    if len(start) != 1:
        raise ValueError(f"{producer!r} is not called exactly once by the model")
    node, path = start[0], []
    while True:
        users = list(node.users)
        if len(users) != 1:
            raise ValueError(
                f"the output of {producer!r} does not reach {consumer!r} alone"
            )
        (node,) = users
        if node.op == "call_module" and node.target == consumer:
            return path
        if node.op == "call_module" and isinstance(modules.get(node.target), nn.BatchNorm2d):
            path.append(str(node.target))
        elif not (
            (node.op == "call_function" and node.target in elementwise)
            or (node.op == "call_module" and isinstance(modules.get(node.target), nn.ReLU))
        ):
            raise ValueError(
                f"the output of {producer!r} reaches {consumer!r} through {node.format_node()}, "
                "not only batch norms and activations"
            )


def _resized_batch_norm(bn: nn.BatchNorm2d, channels: int) -> nn.BatchNorm2d:
    """A fresh batch norm like `bn` over `channels` channels."""
    return nn.BatchNorm2d(
        channels,
        eps=bn.eps,
        momentum=bn.momentum,
        affine=bn.affine,
        track_running_stats=bn.track_running_stats,
    )


__all__ = ["candidate_fisher", "fisher_potential", "module_seed", "reinitialise"]
