"""Fisher Potential, the candidate networks it is measured on, the CIFAR
ResNets and the digits minibatch.

The Fisher Potential is checked against a computation by hand: the network
run in two halves, the cut activation a leaf, its gradient from
`torch.autograd.grad`, the potential in numpy.  Candidate operators are
checked against PyTorch networks that hold the same convolution as an
`nn.Conv2d` (dense, grouped, a bottleneck).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

import xdsl_group  # noqa: E402
import xdsl_group.bridges.torch as bridge  # noqa: E402
from xdsl_group.explore.data import dataset_size, minibatch  # noqa: E402
from xdsl_group.explore.fisher import (  # noqa: E402
    candidate_fisher,
    fisher_potential,
    reinitialise,
)
from xdsl_group.explore.models import model_for, resnet18_cifar, resnet34_cifar  # noqa: E402

CONV = """
def conv(O: f32[CO, OH, OW], I: f32[CI, IH, IW], W: f32[CO, CI, K, K]):
    for co in range(CO):
        for ci in range(CI):
            for oh in range(OH):
                for ow in range(OW):
                    for kh in range(K):
                        for kw in range(K):
                            O[co][oh][ow] += I[ci][oh*S+kh][ow*S+kw] * W[co][ci][kh][kw]
"""


@dataclass(frozen=True)
class Layer:
    """The attributes of a network's conv layer that the Fisher code reads."""

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

    @property
    def out_height(self) -> int:
        return (self.height + 2 * self.padding - self.kernel) // self.stride + 1

    @property
    def out_width(self) -> int:
        return (self.width + 2 * self.padding - self.kernel) // self.stride + 1


@dataclass(frozen=True)
class Net:
    name: str
    input_shape: tuple[int, int, int]
    layers: tuple[Layer, ...]


def program(layer: Layer, out_channels: int | None = None, in_channels: int | None = None):
    """The layer's dense convolution (pre-padded input), optionally with
    fewer output or input channels (a bottleneck's two sides)."""
    p = layer.padding
    sizes = dict(
        CO=out_channels or layer.out_channels, CI=in_channels or layer.in_channels,
        OH=layer.out_height, OW=layer.out_width,
        IH=layer.height + 2 * p, IW=layer.width + 2 * p, K=layer.kernel, S=layer.stride,
    )
    return xdsl_group.from_python(CONV, sizes=sizes)


class Tiny(nn.Module):
    """Three convs on 8x8 inputs; conv1's output reaches conv2 alone (through
    bn1 and a ReLU)."""

    def __init__(self, c1=4, groups2=1, c2_in=None):
        super().__init__()
        self.conv1 = nn.Conv2d(3, c1, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c1)
        self.conv2 = nn.Conv2d(c2_in or c1, 4, 3, padding=1, bias=False, groups=groups2)
        self.bn2 = nn.BatchNorm2d(4)
        self.conv3 = nn.Conv2d(4, 6, 3, stride=2, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(6)
        self.fc = nn.Linear(6, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        x = F.relu(self.bn3(self.conv3(x)))
        return self.fc(x.mean(dim=(2, 3)))


TINY = Net("tiny", (3, 8, 8), (
    Layer(0, "conv1", 3, 4, 8, 8, 3, 1, 1, consumer=1),
    Layer(1, "conv2", 4, 4, 8, 8, 3, 1, 1),
    Layer(2, "conv3", 4, 6, 8, 8, 3, 2, 1),
))


def batch(seed=0, n=4):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, 8, 8, generator=gen), torch.randint(0, 10, (n,), generator=gen)


def fisher_by_hand(model: Tiny, images, labels, cut: int) -> float:
    """Run `model` in two halves around the output of conv `cut`: that output
    becomes a leaf, its gradient comes from `torch.autograd.grad`, and the
    potential 0.5 * sum_c mean_n (sum_hw a g)^2 is taken in numpy."""
    model = copy.deepcopy(model).train()
    stages = [(model.conv1, model.bn1), (model.conv2, model.bn2), (model.conv3, model.bn3)]
    x = images
    for k, (conv, bn) in enumerate(stages):
        a = conv(x)
        if k == cut:
            a = leaf = a.detach().requires_grad_()
        x = F.relu(bn(a))
    loss = F.cross_entropy(model.fc(x.mean(dim=(2, 3))), labels)
    (g,) = torch.autograd.grad(loss, leaf)
    A = leaf.detach().numpy().astype(np.float64)
    G = g.numpy().astype(np.float64)
    return float(0.5 * ((A * G).sum(axis=(2, 3)) ** 2).mean(axis=0).sum())


def initialised(model: nn.Module, seed: int) -> nn.Module:
    model = copy.deepcopy(model)
    reinitialise(model, seed)
    return model


# -- fisher_potential ----------------------------------------------------------


def test_fisher_potential_matches_the_network_run_in_two_halves():
    torch.manual_seed(5)
    model = Tiny()
    x, y = batch()
    before = copy.deepcopy(model.state_dict())
    got = fisher_potential(model, ["conv3", "conv1", "conv2"], x, y)
    assert list(got) == ["conv3", "conv1", "conv2"]
    for k, name in enumerate(["conv1", "conv2", "conv3"]):
        expected = fisher_by_hand(model, x, y, k)
        assert expected > 0
        assert got[name] == pytest.approx(expected, rel=1e-5)
    # One layer at a time gives the same as all at once.
    alone = fisher_potential(model, ["conv2"], x, y)["conv2"]
    assert alone == pytest.approx(got["conv2"], rel=1e-6)
    # The model itself is left alone: weights, batch-norm statistics, gradients.
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert all(p.grad is None for p in model.parameters())


def test_fisher_potential_is_in_train_mode_whatever_the_model_is_in():
    torch.manual_seed(6)
    model = Tiny()
    with torch.no_grad():  # running statistics that eval mode would use
        model.bn1.running_mean.fill_(3.0)
    x, y = batch(1)
    value = fisher_potential(model.eval(), ["conv1"], x, y)["conv1"]
    assert not model.training
    assert value == pytest.approx(fisher_by_hand(model, x, y, 0), rel=1e-5)


def test_fisher_potential_refuses_unknown_modules():
    x, y = batch()
    with pytest.raises(ValueError, match="no module 'conv9'"):
        fisher_potential(Tiny(), ["conv1", "conv9"], x, y)


# -- candidate_fisher ------------------------------------------------------------


def test_baseline_is_the_fisher_of_the_reinitialised_model():
    torch.manual_seed(7)
    model = Tiny()
    x, y = batch(2)
    for layer in TINY.layers:
        got = candidate_fisher(model, TINY, layer, None, x, y, seed=3)
        expected = fisher_by_hand(initialised(model, 3), x, y, layer.index)
        assert got == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("fast_math", [False, True])
def test_dense_program_measures_the_original_layer(fast_math):
    """The dense program's operator is initialised under the seed of the conv
    it replaces: it holds the conv's weights, so its Fisher is the layer's."""
    model = Tiny()
    x, y = batch(3)
    for layer in TINY.layers[1:]:
        base = candidate_fisher(model, TINY, layer, None, x, y, seed=11)
        dense = candidate_fisher(
            model, TINY, layer, program(layer), x, y, seed=11, fast_math=fast_math
        )
        assert dense == pytest.approx(base, rel=1e-4)


def test_grouped_program_measures_a_grouped_conv():
    """A compact 2-group program stands for `nn.Conv2d(groups=2)` initialised
    under the same seed."""
    layer = TINY.layers[1]
    grouped = xdsl_group.apply(program(layer), "group-loops{loops=co,ci groups=2 compact=true}")
    x, y = batch(4)
    got = candidate_fisher(Tiny(), TINY, layer, grouped, x, y, seed=2)
    expected = candidate_fisher(Tiny(groups2=2), TINY, layer, None, x, y, seed=2)
    dense = candidate_fisher(Tiny(), TINY, layer, None, x, y, seed=2)
    assert got == pytest.approx(expected, rel=1e-4)
    assert got != pytest.approx(dense, rel=1e-2)


def test_bottleneck_replaces_the_consumer_and_the_batch_norm_between():
    """conv1 with half its output channels, conv2 with half its input
    channels: the network of those two narrower `nn.Conv2d`s.  The gradient
    reaches conv1's output through the consumer operator's adjoint."""
    layer, consumer = TINY.layers[0], TINY.layers[1]
    x, y = batch(5)
    got = candidate_fisher(
        Tiny(), TINY, layer, program(layer, out_channels=2), x, y, seed=4,
        next_module=program(consumer, in_channels=2),
    )
    expected = candidate_fisher(Tiny(c1=2), TINY, layer, None, x, y, seed=4)
    assert expected > 0
    assert got == pytest.approx(expected, rel=1e-4)


def test_same_seed_same_value_whatever_ran_before():
    layer = TINY.layers[1]
    grouped = xdsl_group.apply(program(layer), "group-loops{loops=co,ci groups=2 compact=true}")
    x, y = batch(6)
    model = Tiny()
    first = candidate_fisher(model, TINY, layer, grouped, x, y, seed=8)
    other = candidate_fisher(model, TINY, layer, grouped, x, y, seed=9)
    torch.manual_seed(123)
    torch.rand(1000)
    with torch.no_grad():  # the model's own weights do not matter: it is re-initialised
        for p in model.parameters():
            p.mul_(-3.0)
    state = torch.get_rng_state()
    again = candidate_fisher(model, TINY, layer, grouped, x, y, seed=8)
    assert torch.equal(torch.get_rng_state(), state)
    assert again == first
    assert other != first
    assert candidate_fisher(copy.deepcopy(model), TINY, layer, grouped, x, y, seed=8) == first


def test_candidates_leave_the_network_of_the_next_one_intact():
    """Each call starts from the same re-initialised network, whatever the
    previous candidate replaced, and sees a model's modules changed in place."""
    layer, consumer = TINY.layers[0], TINY.layers[1]
    x, y = batch(8)
    model = Tiny()
    base = candidate_fisher(model, TINY, consumer, None, x, y, seed=5)
    candidate_fisher(
        model, TINY, layer, program(layer, out_channels=2), x, y, seed=5,
        next_module=program(consumer, in_channels=2),
    )
    with pytest.raises(ValueError):
        candidate_fisher(model, TINY, layer, program(layer, out_channels=2), x, y, seed=5)
    assert candidate_fisher(model, TINY, consumer, None, x, y, seed=5) == base
    model.conv2 = nn.Conv2d(4, 4, 3, padding=1, bias=False, groups=2)
    grouped = candidate_fisher(model, TINY, consumer, None, x, y, seed=5)
    assert grouped == candidate_fisher(Tiny(groups2=2), TINY, consumer, None, x, y, seed=5)
    assert grouped != base


def test_the_replaced_operator_runs_forward_only(monkeypatch):
    """Neither the replaced operator's adjoint nor a weight gradient is ever
    computed for a candidate that is not a bottleneck."""
    compiled: list[str] = []
    real_jit = bridge.jit

    def recording_jit(module, func_name, **options):
        compiled.append(func_name)
        return real_jit(module, func_name, **options)

    monkeypatch.setattr(bridge, "jit", recording_jit)
    layer = TINY.layers[0]
    x, y = batch(7)
    model = Tiny()
    candidate_fisher(model, TINY, layer, program(layer), x, y, seed=1)
    assert compiled and all(name == "conv" for name in compiled)
    assert all(p.grad is None for p in model.parameters())


def test_candidates_that_do_not_fit_are_refused():
    layer = TINY.layers[0]
    x, y = batch()
    model = Tiny()
    with pytest.raises(ValueError, match="maps I"):
        candidate_fisher(model, TINY, layer, program(TINY.layers[2]), x, y, seed=0)
    with pytest.raises(ValueError, match="needs the consumer's program"):
        candidate_fisher(model, TINY, layer, program(layer, out_channels=2), x, y, seed=0)
    with pytest.raises(ValueError, match="no consumer conv"):
        candidate_fisher(
            model, TINY, TINY.layers[1], program(TINY.layers[1]), x, y, seed=0,
            next_module=program(TINY.layers[2]),
        )
    stranger = Layer(1, "conv3", 4, 6, 8, 8, 3, 2, 1)
    with pytest.raises(ValueError, match="is not a layer of 'tiny'"):
        candidate_fisher(model, TINY, stranger, None, x, y, seed=0)
    # A model whose conv1 output also feeds a residual add has no bottleneck path.

    class Residual(Tiny):
        def forward(self, x):
            a = self.conv1(x)
            x = F.relu(self.bn2(self.conv2(F.relu(self.bn1(a))) + a))
            x = F.relu(self.bn3(self.conv3(x)))
            return self.fc(x.mean(dim=(2, 3)))

    with pytest.raises(ValueError, match="does not reach 'conv2' alone"):
        candidate_fisher(
            Residual(), TINY, layer, program(layer, out_channels=2), x, y, seed=0,
            next_module=program(TINY.layers[1], in_channels=2),
        )


# -- models ----------------------------------------------------------------------


def expected_convs(blocks):
    """(name, in, out, kernel, stride, padding, input size) of each conv, from
    the architecture's description."""
    convs = [("conv1", 3, 64, 3, 1, 1, 32)]
    cin, size = 64, 32
    for s, (count, width) in enumerate(zip(blocks, (64, 128, 256, 512)), start=1):
        for b in range(count):
            stride = 2 if s > 1 and b == 0 else 1
            out = size // stride
            convs.append((f"layer{s}.{b}.conv1", cin, width, 3, stride, 1, size))
            convs.append((f"layer{s}.{b}.conv2", width, width, 3, 1, 1, out))
            if stride != 1 or cin != width:
                convs.append((f"layer{s}.{b}.shortcut.0", cin, width, 1, stride, 0, size))
            cin, size = width, out
    return convs


@pytest.mark.parametrize("make, blocks, count", [
    (resnet18_cifar, (2, 2, 2, 2), 20), (resnet34_cifar, (3, 4, 6, 3), 36),
])
def test_resnet_convs_in_named_modules_order(make, blocks, count):
    with torch.device("meta"):  # shapes only: no weights drawn, no arithmetic
        model = make()
    sizes: dict[str, int] = {}
    convs = []
    for name, m in model.named_modules():
        if isinstance(m, nn.Conv2d):
            assert m.bias is None and m.groups == 1 and m.dilation == (1, 1)
            convs.append(name)
            m.register_forward_hook(
                lambda mod, inputs, out, name=name: sizes.__setitem__(name, inputs[0].shape[-1])
            )
    with torch.no_grad():
        logits = model.eval()(torch.zeros(2, 3, 32, 32, device="meta"))
    assert logits.shape == (2, 10)
    got = [
        (n, c.in_channels, c.out_channels, c.kernel_size[0], c.stride[0], c.padding[0], sizes[n])
        for n in convs
        for c in [model.get_submodule(n)]
    ]
    assert got == expected_convs(blocks)
    assert len(got) == count
    with torch.device("meta"):
        named = model_for("resnet18-cifar" if count == 20 else "resnet34-cifar")
    assert named.state_dict().keys() == model.state_dict().keys()


def test_model_for_refuses_unknown_networks():
    with pytest.raises(ValueError, match="known: resnet18-cifar, resnet34-cifar"):
        model_for("resnet50")


# -- data --------------------------------------------------------------------------


def test_minibatch_is_the_digits_drawn_by_the_seed():
    from sklearn.datasets import load_digits

    images, labels = minibatch(3, 5)
    assert images.shape == (5, 3, 32, 32) and images.dtype == torch.float32
    assert labels.shape == (5,) and labels.dtype == torch.int64
    again = minibatch(3, 5)
    assert torch.equal(images, again[0]) and torch.equal(labels, again[1])
    assert not torch.equal(images, minibatch(4, 5)[0])
    digits = load_digits()
    index = np.random.default_rng(3).choice(len(digits.target), size=5, replace=False)
    assert labels.tolist() == digits.target[index].tolist()
    # Each channel is the same upsampled digit: its coarse 4x4 blocks average
    # like the 8x8 original, up to the normalisation's affine map.
    assert torch.equal(images[:, 0], images[:, 1]) and torch.equal(images[:, 0], images[:, 2])
    coarse = images[:, 0].reshape(5, 8, 4, 8, 4).mean(dim=(2, 4)).numpy().ravel()
    original = digits.images[index].ravel()
    assert np.corrcoef(coarse, original)[0, 1] > 0.97


def test_minibatch_normalisation_and_sizes():
    everything, labels = minibatch(0, dataset_size())
    assert float(everything.mean()) == pytest.approx(0.0, abs=1e-4)
    assert float(everything.std()) == pytest.approx(1.0, rel=1e-3)
    assert sorted(set(labels.tolist())) == list(range(10))
    assert minibatch(0)[0].shape == (16, 3, 32, 32)
    for bad in (0, dataset_size() + 1, 2.5):
        with pytest.raises(ValueError, match="size must be"):
            minibatch(0, bad)
