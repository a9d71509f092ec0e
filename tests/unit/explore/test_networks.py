"""Network specs, layer programs (run against numpy) and `from_torch`."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
from xdsl.dialects import func

import xdsl_group
from xdsl_group.dialects.loopnest import ForOp
from xdsl_group.explore.networks import (
    NETWORKS,
    ConvLayer,
    Network,
    from_torch,
    layer_program,
    network,
)


def reference_conv(x, w, stride, padding):
    """Zero-padded strided convolution, one kernel tap at a time (numpy slicing)."""
    co, _, k, _ = w.shape
    xp = np.pad(x.astype(np.float64), ((0, 0), (padding, padding), (padding, padding)))
    oh = (xp.shape[1] - k) // stride + 1
    ow = (xp.shape[2] - k) // stride + 1
    out = np.zeros((co, oh, ow))
    for kh in range(k):
        for kw in range(k):
            window = xp[:, kh : kh + stride * (oh - 1) + 1 : stride, kw : kw + stride * (ow - 1) + 1 : stride]
            out += np.einsum("cyx,oc->oyx", window, w[:, :, kh, kw].astype(np.float64))
    return out


# --- built-in networks --------------------------------------------------------


@pytest.mark.parametrize(
    "name, blocks", [("resnet18-cifar", (2, 2, 2, 2)), ("resnet34-cifar", (3, 4, 6, 3))]
)
def test_builtin_resnet_layers(name, blocks):
    net = network(name)
    assert net.name == name and net.input_shape == (3, 32, 32)
    assert len(net.layers) == 1 + 2 * sum(blocks) + 3
    assert [layer.index for layer in net.layers] == list(range(len(net.layers)))
    assert net.layers[0] == ConvLayer(0, "conv1", 3, 64, 32, 32, 3, 1, 1)
    expected = ["conv1"]
    for s, count in enumerate(blocks, start=1):
        for b in range(count):
            expected += [f"layer{s}.{b}.conv1", f"layer{s}.{b}.conv2"]
            if s > 1 and b == 0:
                expected.append(f"layer{s}.{b}.shortcut.0")
    assert [layer.name for layer in net.layers] == expected
    for layer in net.layers:
        stage = int(layer.name[5]) if layer.name != "conv1" else 0
        width = 64 * 2 ** max(stage - 1, 0)
        first = layer.name.endswith(".0.conv1") or layer.name.endswith("shortcut.0")
        strided = stage > 1 and first
        assert layer.out_channels == width
        assert layer.out_height == layer.out_width == 32 // 2 ** max(stage - 1, 0)
        assert layer.stride == (2 if strided else 1)
        assert (layer.kernel, layer.padding) == ((1, 0) if "shortcut" in layer.name else (3, 1))
        assert layer.groups == 1 and layer.base_pipeline == ""
        if layer.name.endswith("conv1") and layer.name != "conv1":
            consumer = net.layers[layer.consumer]
            assert consumer.name == layer.name[:-1] + "2"
            assert consumer.in_channels == layer.out_channels
            assert (consumer.height, consumer.width) == (layer.out_height, layer.out_width)
        else:
            assert layer.consumer is None
    last = net.layers[-1]
    assert (last.in_channels, last.out_channels, last.height) == (512, 512, 4)


def test_network_lookup():
    net = network("resnet18-cifar")
    assert net.layer(7) is net.layers[7]
    assert net.layer("layer2.0.shortcut.0").index == 7
    with pytest.raises(ValueError, match=r"no layer 20: indices are 0\.\.19"):
        net.layer(20)
    with pytest.raises(ValueError, match=r"no layer -1"):
        net.layer(-1)
    with pytest.raises(ValueError, match=r"no layer 'layer9'.*conv1, layer1\.0\.conv1"):
        net.layer("layer9")
    with pytest.raises(ValueError, match="unknown network 'vgg'.*resnet18-cifar, resnet34-cifar"):
        network("vgg")
    assert NETWORKS == ("resnet18-cifar", "resnet34-cifar")


def test_conv_layer_fields():
    layer = ConvLayer(3, "x", 8, 12, 7, 6, 3, 2, 1, groups=4)
    assert (layer.out_height, layer.out_width) == (4, 3)
    assert layer.base_pipeline == "group-loops{loops=co,ci groups=4 compact=true}"
    with pytest.raises(ValueError, match="3 groups do not divide 8 input"):
        ConvLayer(0, "x", 8, 12, 7, 6, 3, 2, 1, groups=3)
    with pytest.raises(ValueError, match="does not fit"):
        ConvLayer(0, "x", 8, 8, 2, 2, 5, 1, 1)
    with pytest.raises(ValueError, match="stride must be positive"):
        ConvLayer(0, "x", 8, 8, 2, 2, 1, 0, 0)


# --- layer programs -----------------------------------------------------------


def test_layer_program_signature_loops_and_fresh_copies():
    layer = ConvLayer(0, "x", 3, 5, 7, 6, 3, 2, 1)
    module = layer_program(layer)
    (f,) = [op for op in module.walk() if isinstance(op, func.FuncOp)]
    assert f.sym_name.data == "conv"
    shapes = [tuple(t.get_shape()) for t in f.function_type.inputs.data]
    assert shapes == [(5, 4, 3), (3, 9, 8), (5, 3, 3, 3)]
    loops = [op for op in module.walk() if isinstance(op, ForOp)]
    assert [loop.loop_name.data for loop in loops] == ["co", "ci", "oh", "ow", "kh", "kw"]
    assert "%oh * 2 + %kh" in str(module) and "%ow * 2 + %kw" in str(module)
    # Each call is a module of its own: changing one leaves the next intact.
    text = str(module)
    loops[0].detach()
    assert str(layer_program(layer)) == text != str(module)


@pytest.mark.parametrize(
    "layer",
    [
        ConvLayer(0, "padded", 2, 3, 3, 4, 3, 1, 1),
        ConvLayer(1, "strided", 2, 2, 5, 6, 3, 2, 1),
        ConvLayer(2, "shortcut", 3, 2, 4, 5, 1, 2, 0),
    ],
    ids=lambda layer: layer.name,
)
def test_layer_program_computes_the_convolution(layer):
    rng = np.random.default_rng(layer.index)
    x = rng.standard_normal((layer.in_channels, layer.height, layer.width)).astype(np.float32)
    w = rng.standard_normal(
        (layer.out_channels, layer.in_channels, layer.kernel, layer.kernel)
    ).astype(np.float32)
    p = layer.padding
    padded = np.ascontiguousarray(np.pad(x, ((0, 0), (p, p), (p, p))))
    expected = reference_conv(x, w, layer.stride, p)
    assert expected.shape == (layer.out_channels, layer.out_height, layer.out_width)
    module = layer_program(layer)
    out = np.zeros(expected.shape, np.float32)
    xdsl_group.interpret(module, "conv", out, padded, w)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    if layer.name == "strided":
        native = np.zeros_like(out)
        xdsl_group.jit(module, "conv")(native, padded, w)
        np.testing.assert_array_equal(native, out)


def test_networks_and_space_import_without_torch():
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import xdsl_group.explore.networks, xdsl_group.explore.space\n"
        "assert 'torch.nn' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- from_torch ---------------------------------------------------------------


def small_model():
    torch = pytest.importorskip("torch")
    nn, F = torch.nn, torch.nn.functional

    class Small(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(3, 4, 3, padding=1, bias=False)
            self.bn0 = nn.BatchNorm2d(4)
            self.block = nn.Sequential(
                nn.Conv2d(4, 4, 3, padding=1, groups=2, bias=False),
                nn.BatchNorm2d(4),
                nn.ReLU(inplace=True),
                nn.Conv2d(4, 4, 3, padding=1),
            )
            self.down = nn.Conv2d(4, 8, 3, stride=2, padding=1)
            self.head = nn.Conv2d(8, 6, 1, padding="valid")

        def forward(self, x):
            h = F.relu(self.bn0(self.stem(x)))
            h = h + self.block(h)  # residual: the stem's output has two readers
            return self.head(self.down(h).relu())

    return Small()


def test_from_torch_small_model():
    model = small_model()
    model.train()
    model.bn0.eval()
    net = from_torch(model, (3, 9, 10))
    assert isinstance(net, Network)
    assert net.name == "Small" and net.input_shape == (3, 9, 10)
    assert net.layers == (
        ConvLayer(0, "stem", 3, 4, 9, 10, 3, 1, 1),
        ConvLayer(1, "block.0", 4, 4, 9, 10, 3, 1, 1, groups=2, consumer=2),
        ConvLayer(2, "block.3", 4, 4, 9, 10, 3, 1, 1),
        ConvLayer(3, "down", 4, 8, 9, 10, 3, 2, 1, consumer=4),
        ConvLayer(4, "head", 8, 6, 5, 5, 1, 1, 0),
    )
    # The model is left as it was: modes restored, no hook left behind.
    assert model.training and not model.bn0.training and model.block[1].training
    assert all(not m._forward_hooks for m in model.modules())
    assert model.bn0.num_batches_tracked.item() == 0 == model.block[1].num_batches_tracked.item()


def test_from_torch_without_a_traceable_graph_has_no_consumers():
    torch = pytest.importorskip("torch")
    nn = torch.nn

    class Branchy(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Conv2d(2, 4, 3, padding=1)
            self.b = nn.Conv2d(4, 4, 3)

        def forward(self, x):
            if x.sum() > 0:  # data-dependent control flow: torch.fx cannot trace it
                x = -x
            return self.b(self.a(x))

    with pytest.warns(UserWarning, match="Branchy cannot be traced by torch.fx"):
        net = from_torch(Branchy(), (2, 6, 6))
    assert [layer.consumer for layer in net.layers] == [None, None]
    assert net.layers[1] == ConvLayer(1, "b", 4, 4, 6, 6, 3, 1, 0)


def test_from_torch_consumer_needs_a_single_reader():
    torch = pytest.importorskip("torch")
    nn = torch.nn

    class Fork(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Conv2d(2, 4, 1)
            self.b = nn.Conv2d(4, 4, 1)
            self.c = nn.Conv2d(4, 4, 1)
            self.d = nn.Conv2d(4, 4, 1)
            self.e = nn.Conv2d(4, 4, 1)

        def forward(self, x):
            h = torch.relu(self.a(x))
            y = self.b(h) + self.c(h)  # a's output feeds two convs
            return self.e(torch.sigmoid(self.d(y)))  # not BN or ReLU

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net = from_torch(Fork(), (2, 3, 3))
    assert [layer.consumer for layer in net.layers] == [None] * 5


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"dilation": 2}, r"conv 'conv': dilation \(2, 2\) is not 1"),
        ({"kernel_size": (3, 1)}, r"conv 'conv': kernel \(3, 1\) is not square"),
        ({"stride": (1, 2)}, r"conv 'conv': stride \(1, 2\) is not square"),
        ({"padding": (1, 0)}, r"conv 'conv': padding \(1, 0\) is not square"),
        ({"padding": 1, "padding_mode": "reflect"}, "padding mode 'reflect' is not zeros"),
        ({"padding": "same"}, "padding 'same' is not an explicit size"),
    ],
)
def test_from_torch_refusals(kwargs, message):
    torch = pytest.importorskip("torch")
    options = {"kernel_size": 3, **kwargs}
    model = torch.nn.Sequential()
    model.add_module("conv", torch.nn.Conv2d(2, 2, **options))
    with pytest.raises(ValueError, match=message):
        from_torch(model, (2, 8, 8))


def test_from_torch_refuses_convs_not_run_once():
    torch = pytest.importorskip("torch")
    nn = torch.nn

    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Conv2d(2, 2, 1)
            self.unused = nn.Conv2d(2, 2, 1)

        def forward(self, x):
            return self.a(self.a(x))

    with pytest.raises(ValueError, match="conv 'a' is called 2 times"):
        from_torch(Twice(), (2, 4, 4))
    model = Twice()
    model.forward = lambda x: model.a(x)
    with pytest.raises(ValueError, match="conv 'unused' is called 0 times"):
        from_torch(model, (2, 4, 4))


@pytest.mark.parametrize("name", NETWORKS)
def test_builtin_specs_match_the_pytorch_models(name):
    pytest.importorskip("torch")
    models = pytest.importorskip("xdsl_group.explore.models")
    model = {"resnet18-cifar": models.resnet18_cifar, "resnet34-cifar": models.resnet34_cifar}[name]()
    net = from_torch(model, (3, 32, 32))
    assert net.layers == network(name).layers
