"""ResNets for CIFAR-10 (32x32 inputs) as PyTorch models.

The convolutions of these models are, in `named_modules()` order, the
layers of the built-in networks of `xdsl_group.explore.networks`
(`resnet18-cifar`, `resnet34-cifar`): the stem `conv1`, then per block
`layer{s}.{b}.conv1`, `layer{s}.{b}.conv2` and, where the block changes
the shape, `layer{s}.{b}.shortcut.0`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

STAGE_CHANNELS = (64, 128, 256, 512)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with batch norm, ReLU between, and a residual
    connection: the identity, or a strided 1x1 convolution with batch norm
    (`shortcut.0`, `shortcut.1`) when the block changes the shape."""

    def __init__(self, in_channels: int, channels: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_channels != channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, channels, 1, stride=stride, bias=False),
                nn.BatchNorm2d(channels),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNetCifar(nn.Module):
    """Stem (3x3 conv, 3 -> 64, stride 1), four stages of basic blocks
    (64/128/256/512 channels; stages 2-4 start with stride 2), global average
    pooling and a linear classifier."""

    def __init__(self, blocks: Sequence[int], num_classes: int = 10):
        super().__init__()
        blocks = tuple(blocks)
        if len(blocks) != len(STAGE_CHANNELS) or any(
            isinstance(b, bool) or not isinstance(b, int) or b < 1 for b in blocks
        ):
            raise ValueError(
                f"blocks must be {len(STAGE_CHANNELS)} positive integers (one per stage), "
                f"got {blocks!r}"
            )
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"num_classes must be a positive integer, got {num_classes!r}")
        self.blocks = blocks
        self.conv1 = nn.Conv2d(3, STAGE_CHANNELS[0], 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(STAGE_CHANNELS[0])
        in_channels = STAGE_CHANNELS[0]
        for s, (count, channels) in enumerate(zip(blocks, STAGE_CHANNELS), start=1):
            stage = []
            for b in range(count):
                stride = 2 if s > 1 and b == 0 else 1
                stage.append(BasicBlock(in_channels, channels, stride))
                in_channels = channels
            self.add_module(f"layer{s}", nn.Sequential(*stage))
        self.linear = nn.Linear(STAGE_CHANNELS[-1], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)
        return self.linear(out)


def resnet_cifar(blocks: Sequence[int], num_classes: int = 10) -> nn.Module:
    """A CIFAR ResNet with `blocks[s]` basic blocks in stage s+1, PyTorch's
    default initialisation."""
    return ResNetCifar(blocks, num_classes)


def resnet18_cifar() -> nn.Module:
    """ResNet-18 for CIFAR-10: blocks (2, 2, 2, 2), 20 convolutions."""
    return resnet_cifar((2, 2, 2, 2))


def resnet34_cifar() -> nn.Module:
    """ResNet-34 for CIFAR-10: blocks (3, 4, 6, 3), 36 convolutions."""
    return resnet_cifar((3, 4, 6, 3))


_MODELS = {"resnet18-cifar": resnet18_cifar, "resnet34-cifar": resnet34_cifar}


def model_for(network_name: str) -> nn.Module:
    """The PyTorch model of a built-in network, by its name."""
    if network_name not in _MODELS:
        raise ValueError(
            f"no model for network {network_name!r}; known: {', '.join(_MODELS)}"
        )
    return _MODELS[network_name]()


__all__ = [
    "BasicBlock",
    "ResNetCifar",
    "model_for",
    "resnet18_cifar",
    "resnet34_cifar",
    "resnet_cifar",
]
