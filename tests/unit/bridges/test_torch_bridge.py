"""`to_torch` and `TorchOperator`: loop nests as differentiable PyTorch
operators, against PyTorch's own ops and autograd.

Every program is built from a dense seed by the passes (grouped with
`compact=true`, Example 2 by peel + group, depthwise), or written out
(strided conv, matmul), and checked untransformed and after a random
sequence of meaning-preserving transformations (interchange, peel).
"""

from __future__ import annotations

import random

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

import xdsl_group  # noqa: E402
from xdsl_group.bridges.torch import TorchOperator, to_torch  # noqa: E402

DTYPES = {"f32": torch.float32, "f64": torch.float64}


def conv_text(CO, CI, H, K, stride=1, ty="f64", name="conv2d") -> str:
    """A dense conv `O[co, oh, ow] += I[ci, oh*s + kh, ow*s + kw] * W[co, ci, kh, kw]`."""
    OH = (H - K) // stride + 1
    at = (lambda v, k: f"%{v} * {stride} + %{k}") if stride != 1 else (lambda v, k: f"%{v} + %{k}")
    return f"""
func.func @{name}(%O: memref<{CO}x{OH}x{OH}x{ty}>, %I: memref<{CI}x{H}x{H}x{ty}>, %W: memref<{CO}x{CI}x{K}x{K}x{ty}>) {{
  loopnest.for co %co in range({CO}) {{
    loopnest.for ci %ci in range({CI}) {{
      loopnest.for oh %oh in range({OH}) {{
        loopnest.for ow %ow in range({OH}) {{
          loopnest.for kh %kh in range({K}) {{
            loopnest.for kw %kw in range({K}) {{
              %o = loopnest.load %O[%co, %oh, %ow] : memref<{CO}x{OH}x{OH}x{ty}>
              %i = loopnest.load %I[%ci, {at('oh', 'kh')}, {at('ow', 'kw')}] : memref<{CI}x{H}x{H}x{ty}>
              %w = loopnest.load %W[%co, %ci, %kh, %kw] : memref<{CO}x{CI}x{K}x{K}x{ty}>
              %p = arith.mulf %i, %w : {ty}
              %s = arith.addf %o, %p : {ty}
              loopnest.store %s, %O[%co, %oh, %ow] : memref<{CO}x{OH}x{OH}x{ty}>
            }}
          }}
        }}
      }}
    }}
  }}
  func.return
}}
"""


def matmul_text(M, K, N, ty="f64") -> str:
    return f"""
func.func @matmul(%C: memref<{M}x{N}x{ty}>, %A: memref<{M}x{K}x{ty}>, %B: memref<{K}x{N}x{ty}>) {{
  loopnest.for i %i in range({M}) {{
    loopnest.for j %j in range({N}) {{
      loopnest.for k %k in range({K}) {{
        %c = loopnest.load %C[%i, %j] : memref<{M}x{N}x{ty}>
        %a = loopnest.load %A[%i, %k] : memref<{M}x{K}x{ty}>
        %b = loopnest.load %B[%k, %j] : memref<{K}x{N}x{ty}>
        %p = arith.mulf %a, %b : {ty}
        %s = arith.addf %c, %p : {ty}
        loopnest.store %s, %C[%i, %j] : memref<{M}x{N}x{ty}>
      }}
    }}
  }}
  func.return
}}
"""


def example2_torch(x, W, U=2, G=2):
    """Example 2 as PyTorch ops: a dense conv over the first U output
    channels, a G-grouped conv over the rest, concatenated."""
    CO, CI = W.shape[:2]
    per_out, per_in = (CO - U) // G, CI // G
    grouped = torch.cat(
        [W[U + g * per_out:U + (g + 1) * per_out, g * per_in:(g + 1) * per_in] for g in range(G)]
    )
    return torch.cat([F.conv2d(x, W[:U]), F.conv2d(x, grouped, groups=G)], dim=1)


# name -> (program text, pipeline from it, function, torch reference, input shapes)
CASES = {
    "dense": (conv_text(4, 4, 6, 3), "", "conv2d",
              lambda I, W: F.conv2d(I, W), [(4, 6, 6), (4, 4, 3, 3)]),
    "grouped-compact": (conv_text(4, 4, 6, 3), "group-loops{loops=co,ci groups=2 compact=true}",
                        "conv2d", lambda I, W: F.conv2d(I, W, groups=2),
                        [(4, 6, 6), (4, 2, 3, 3)]),
    "example2": (conv_text(8, 4, 5, 3), "peel-loops{loop=co count=2},group-loops{loops=co,ci groups=2}",
                 "conv2d", example2_torch, [(4, 5, 5), (8, 4, 3, 3)]),
    "depthwise": (conv_text(4, 4, 5, 3), "group-loops{loops=co,ci groups=4 compact=true}",
                  "conv2d", lambda I, W: F.conv2d(I, W, groups=4), [(4, 5, 5), (4, 1, 3, 3)]),
    "strided": (conv_text(3, 2, 7, 3, stride=2), "", "conv2d",
                lambda I, W: F.conv2d(I, W, stride=2), [(2, 7, 7), (3, 2, 3, 3)]),
    "matmul": (matmul_text(3, 4, 5), "", "matmul", lambda A, B: A @ B, [(3, 4), (4, 5)]),
}

STEPS = {
    "conv2d": [
        "interchange-loops{loops=oh,ow}",
        "interchange-loops{loops=kh,kw}",
        "interchange-loops{loops=ci,oh}",
        "interchange-loops{loops=ow,kh}",
        "peel-loops{loop=oh count=1}",
        "peel-loops{loop=kw count=1 side=back}",
        "peel-loops{loop=ci count=1}",
    ],
    "matmul": [
        "interchange-loops{loops=j,k}",
        "interchange-loops{loops=i,j}",
        "peel-loops{loop=k count=1}",
        "peel-loops{loop=i count=2 side=back}",
    ],
}


def build(case: str, transform_seed: int | None):
    """The case's module; after `transform_seed`'s random sequence of
    transformations (each applied if legal) when given."""
    text, pipeline, fn, _, _ = CASES[case]
    module = xdsl_group.parse(text, f"{case}.mlir")
    if pipeline:
        module = xdsl_group.apply(module, pipeline)
    applied = []
    if transform_seed is not None:
        rng = random.Random(transform_seed)
        for _ in range(3):
            step = rng.choice(STEPS[fn])
            try:
                module = xdsl_group.apply(module, step)
                applied.append(step)
            except xdsl_group.LoopnestError:
                pass  # not legal here (e.g. the loops are no longer adjacent)
    return module, applied


def batched_for(fn: str):
    return ("O", "I") if fn == "conv2d" else ()


@pytest.mark.parametrize("transform_seed", [None, 1, 2], ids=["as-is", "transformed-1", "transformed-2"])
@pytest.mark.parametrize("case", list(CASES))
def test_forward_and_gradients_match_pytorch(case, transform_seed):
    module, applied = build(case, transform_seed)
    _, _, fn, ref, shapes = CASES[case]
    if transform_seed is not None:
        assert applied, "no transformation applied"
    batched = batched_for(fn)
    op = to_torch(module, fn, batched=batched)
    gen = torch.Generator().manual_seed(7)
    batch = (2,) if batched else ()
    x = torch.randn(*batch, *shapes[0], dtype=torch.float64, generator=gen, requires_grad=True)
    w = torch.randn(*shapes[1], dtype=torch.float64, generator=gen, requires_grad=True)
    out = op(x, w)
    want = ref(x, w)
    torch.testing.assert_close(out, want, rtol=1e-12, atol=1e-12)
    g = torch.randn(out.shape, dtype=torch.float64, generator=gen)
    ours = torch.autograd.grad(out, (x, w), g)
    theirs = torch.autograd.grad(want, (x, w), g)
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)


def test_gradcheck_tiny_conv():
    module = xdsl_group.parse(conv_text(2, 2, 4, 2))
    op = to_torch(module, "conv2d", batched=("O", "I"))
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(2, 2, 4, 4, dtype=torch.float64, generator=gen, requires_grad=True)
    w = torch.randn(2, 2, 2, 2, dtype=torch.float64, generator=gen, requires_grad=True)
    assert torch.autograd.gradcheck(op, (x, w))


def test_threads_are_bitwise_equal_to_one_thread():
    module = xdsl_group.parse(conv_text(4, 4, 6, 3, ty="f32"))
    gen = torch.Generator().manual_seed(5)
    x = torch.randn(5, 4, 6, 6, generator=gen)
    w = torch.randn(4, 4, 3, 3, generator=gen)
    g = torch.randn(5, 4, 4, 4, generator=gen)
    results = []
    for threads in (1, 3):
        op = to_torch(module, "conv2d", batched=("O", 1), threads=threads)
        xs, ws = x.clone().requires_grad_(), w.clone().requires_grad_()
        out = op(xs, ws)
        out.backward(g)
        results.append((out.detach(), xs.grad, ws.grad))
    for a, b in zip(*results):
        assert torch.equal(a, b)


def test_fast_math_stays_within_the_fma_tolerance():
    """`fast_math=True` reaches both kernels (FMA contraction) and stays within
    the bound exact f32 code meets: |err| <= gamma_n * sum |terms| against
    float64, n the reduction length."""
    module = xdsl_group.parse(conv_text(4, 4, 6, 3, ty="f32"))
    gen = torch.Generator().manual_seed(11)
    x = torch.randn(2, 4, 6, 6, generator=gen)
    w = torch.randn(4, 4, 3, 3, generator=gen)
    g = torch.randn(2, 4, 4, 4, generator=gen)
    op = to_torch(module, "conv2d", batched=("O", "I"), fast_math=True)
    assert op.fast_math and op._forward.fast_math and op._backward.fast_math
    xs, ws = x.clone().requires_grad_(), w.clone().requires_grad_()
    out = op(xs, ws)
    out.backward(g)
    x64, w64 = x.double().requires_grad_(), w.double().requires_grad_()
    ref = torch.nn.functional.conv2d(x64, w64)
    ref.backward(g.double())
    n = 4 * 3 * 3
    gamma = n * 2.0**-24 / (1 - n * 2.0**-24)
    bound = gamma * torch.nn.functional.conv2d(x64.abs(), w64.abs())
    assert torch.all((out.double() - ref).abs() <= bound)
    assert torch.allclose(xs.grad.double(), x64.grad, rtol=1e-5, atol=1e-5)
    assert torch.allclose(ws.grad.double(), w64.grad, rtol=1e-5, atol=1e-5)


def test_the_adjoint_is_compiled_on_the_first_backward_only(monkeypatch):
    """Making an operator and running it forward compiles `@f` alone;
    `@f_vjp` is compiled by the first backward, once."""
    import xdsl_group.bridges.torch as bridge

    compiled: list[tuple[str, tuple[str, ...]]] = []
    real_jit = bridge.jit

    def recording_jit(module, func_name, **options):
        functions = tuple(op.sym_name.data for op in module.ops)
        compiled.append((func_name, functions))
        return real_jit(module, func_name, **options)

    monkeypatch.setattr(bridge, "jit", recording_jit)
    module = xdsl_group.parse(conv_text(2, 2, 5, 3, ty="f32"))
    op = TorchOperator(module, "conv2d", parameters=("W",))
    # The module given to the forward JIT holds no adjoint to compile.
    assert compiled and all(c == ("conv2d", ("conv2d",)) for c in compiled)
    x = torch.randn(2, 2, 5, 5, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        op(x)
    assert all(name == "conv2d" for name, _ in compiled)
    before = len(compiled)
    for _ in range(2):
        op(x).sum().backward()
    assert [name for name, _ in compiled[before:]] == ["conv2d_vjp"]
    # Two backward passes of sum(O) accumulate twice PyTorch's weight gradient.
    expected = 2 * torch.nn.grad.conv2d_weight(x, op.W.shape, torch.ones(2, 2, 3, 3))
    torch.testing.assert_close(op.W.grad, expected, rtol=1e-5, atol=1e-5)


def test_float32_and_non_contiguous_inputs():
    module = xdsl_group.parse(matmul_text(3, 4, 5, ty="f32"))
    op = to_torch(module, "matmul")
    gen = torch.Generator().manual_seed(9)
    a = torch.randn(4, 3, generator=gen).t().requires_grad_()  # a transposed view
    b = torch.randn(4, 5, generator=gen, requires_grad=True)
    assert not a.is_contiguous()
    out = op(a, b)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, a @ b, rtol=1e-5, atol=1e-5)
    out.sum().backward()
    torch.testing.assert_close(a.grad, torch.ones(3, 5) @ b.detach().t(), rtol=1e-5, atol=1e-5)


def test_several_outputs_and_unused_gradient():
    module = xdsl_group.parse("""
func.func @two(%S: memref<3xf64>, %D: memref<3xf64>, %A: memref<3xf64>, %B: memref<3xf64>) {
  loopnest.for i %i in range(3) {
    %a = loopnest.load %A[%i] : memref<3xf64>
    %b = loopnest.load %B[%i] : memref<3xf64>
    %s = arith.addf %a, %b : f64
    loopnest.store %s, %S[%i] : memref<3xf64>
    %d = arith.subf %a, %b : f64
    loopnest.store %d, %D[%i] : memref<3xf64>
  }
  func.return
}
""")
    op = to_torch(module, "two")
    a = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([4.0, 5.0, 6.0], dtype=torch.float64, requires_grad=True)
    s, d = op(a, b)
    torch.testing.assert_close(s, a + b)
    torch.testing.assert_close(d, a - b)
    (2 * d).sum().backward()  # S gets no gradient: treated as zero
    torch.testing.assert_close(a.grad, torch.full((3,), 2.0, dtype=torch.float64))
    torch.testing.assert_close(b.grad, torch.full((3,), -2.0, dtype=torch.float64))


@pytest.fixture(scope="module")
def conv_op():
    return to_torch(xdsl_group.parse(conv_text(2, 2, 4, 2)), "conv2d", batched=("O", "I"))


@pytest.mark.parametrize(
    "args,message",
    [
        (lambda: (torch.zeros(3, 2, 4, 4, dtype=torch.float64),),
         r"@conv2d takes 2 inputs \(I, W\), 1 were given"),
        (lambda: (torch.zeros(3, 2, 4, 5, dtype=torch.float64), torch.zeros(2, 2, 2, 2, dtype=torch.float64)),
         r"@conv2d input 'I' \(argument #1\) must have shape \(B, 2, 4, 4\) with the batch size B = 3 of the first batched input, got \(3, 2, 4, 5\)"),
        (lambda: (torch.zeros(3, 2, 4, 4, dtype=torch.float64), torch.zeros(2, 2, 2, dtype=torch.float64)),
         r"@conv2d input 'W' \(argument #2\) must have shape \(2, 2, 2, 2\), got \(2, 2, 2\)"),
        (lambda: (torch.zeros(3, 2, 4, 4), torch.zeros(2, 2, 2, 2, dtype=torch.float64)),
         r"@conv2d input 'I' \(argument #1\) must have dtype torch.float64, got torch.float32"),
        (lambda: (np.zeros((3, 2, 4, 4)), torch.zeros(2, 2, 2, 2, dtype=torch.float64)),
         r"@conv2d input 'I' \(argument #1\) must be a torch.Tensor, got ndarray"),
    ],
    ids=["arity", "batched-shape", "shape", "dtype", "not-a-tensor"],
)
def test_bad_arguments_are_refused_before_running(conv_op, args, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        conv_op(*args())


def test_bad_options_are_refused():
    module = xdsl_group.parse(conv_text(2, 2, 4, 2))
    with pytest.raises(ValueError, match="has no argument 'X' \\(arguments: O, I, W\\)"):
        to_torch(module, "conv2d", batched=("X",))
    with pytest.raises(ValueError, match="output 'O' must be batched too"):
        to_torch(module, "conv2d", batched=("I",))
    with pytest.raises(ValueError, match="threads must be a positive integer"):
        to_torch(module, "conv2d", threads=0)
    with pytest.raises(ValueError, match="no function @conv"):
        to_torch(module, "conv")


def test_not_differentiable_is_a_loopnest_error():
    module = xdsl_group.parse("""
func.func @ratio(%O: memref<2xf32>, %A: memref<2xf32>) {
  loopnest.for i %i in range(2) {
    %a = loopnest.load %A[%i] : memref<2xf32>
    %q = arith.divf %a, %a : f32
    loopnest.store %q, %O[%i] : memref<2xf32>
  }
  func.return
}
""")
    with pytest.raises(xdsl_group.LoopnestError, match="'arith.divf' op: division"):
        to_torch(module, "ratio")


# --------------------------------------------------------------------------
# nn.Module wrapper: a ResNet-style block, and training Example 2
# --------------------------------------------------------------------------


class Block(nn.Module):
    """conv-BN-ReLU-conv-BN plus the identity, then ReLU."""

    def __init__(self, c: int, conv1: nn.Module, conv2: nn.Module):
        super().__init__()
        self.conv1, self.bn1, self.conv2, self.bn2 = conv1, nn.BatchNorm2d(c), conv2, nn.BatchNorm2d(c)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + x)


def test_from_conv2d_replaces_the_convs_of_a_resnet_block():
    torch.manual_seed(0)
    c = 4
    convs = [nn.Conv2d(c, c, 3, padding=1, bias=b).double() for b in (False, True)]
    module = xdsl_group.parse(conv_text(c, c, 8, 3))  # a 6x6 image padded by 1
    ours = Block(c, *[TorchOperator.from_conv2d(conv, module, "conv2d") for conv in convs]).double()
    theirs = Block(c, *convs).double()
    x = torch.randn(3, c, 6, 6, dtype=torch.float64)
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    ya, yb = ours(xa), theirs(xb)
    torch.testing.assert_close(ya, yb, rtol=1e-12, atol=1e-12)
    ya.square().sum().backward()
    yb.square().sum().backward()
    torch.testing.assert_close(xa.grad, xb.grad, rtol=1e-10, atol=1e-10)
    for mine, conv in zip((ours.conv1, ours.conv2), convs):
        torch.testing.assert_close(mine.W.grad, conv.weight.grad, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(ours.conv2.bias.grad, convs[1].bias.grad, rtol=1e-10, atol=1e-10)


def test_from_conv2d_refuses_a_mismatched_program():
    module = xdsl_group.parse(conv_text(4, 4, 8, 3))
    with pytest.raises(ValueError, match="no input of the conv's weight shape"):
        TorchOperator.from_conv2d(nn.Conv2d(4, 4, 3, groups=2), module, "conv2d")
    with pytest.raises(ValueError, match="the conv would give"):
        TorchOperator.from_conv2d(nn.Conv2d(4, 4, 3, stride=2), module, "conv2d")


SEED = (
    "examples/conv2d.mlir"
)


def _relative(a, b) -> float:
    return float((a - b).norm() / b.norm())


@pytest.mark.parametrize("dtype", ["f32", "f64"])
@pytest.mark.parametrize(
    "variant",
    ["example2", "grouped-compact"],
)
def test_training_two_layers_matches_pytorch(variant, dtype):
    """Two layers of the transformed seed conv (8 channels, padding 1),
    a few SGD steps: the loss decreases and every step's gradients match
    autograd of the equivalent PyTorch composition."""
    from pathlib import Path

    ty = DTYPES[dtype]
    tol = 1e-5 if dtype == "f32" else 1e-10
    seed = xdsl_group.parse((Path(__file__).resolve().parents[3] / SEED).read_text())
    if dtype == "f64":
        seed = xdsl_group.parse(str(seed).replace("f32", "f64"))
    if variant == "example2":
        program = xdsl_group.apply(seed, "peel-loops{loop=co count=2},group-loops{loops=co,ci groups=2}")
        reference = example2_torch
    else:
        program = xdsl_group.apply(seed, "group-loops{loops=co,ci groups=2 compact=true}")
        reference = lambda x, W: F.conv2d(x, W, groups=2)  # noqa: E731

    torch.manual_seed(0)
    layers = [TorchOperator(program, "conv2d", parameters=("W",), padding=1) for _ in range(2)]
    ours = nn.Sequential(layers[0], nn.ReLU(), layers[1])
    weights = [nn.Parameter(layer.W.detach().clone()) for layer in layers]

    def theirs(x):
        return reference(F.pad(F.relu(reference(F.pad(x, (1,) * 4), weights[0])), (1,) * 4), weights[1])

    x = torch.randn(4, 8, 6, 6, dtype=ty)
    target = torch.randn(4, 8, 6, 6, dtype=ty)
    opt_ours = torch.optim.SGD(ours.parameters(), lr=0.01)
    opt_theirs = torch.optim.SGD(weights, lr=0.01)
    losses = []
    for _ in range(4):
        for opt in (opt_ours, opt_theirs):
            opt.zero_grad()
        loss = F.mse_loss(ours(x), target)
        ref_loss = F.mse_loss(theirs(x), target)
        loss.backward()
        ref_loss.backward()
        assert abs(loss.item() - ref_loss.item()) <= tol * ref_loss.item()
        for layer, w in zip(layers, weights):
            assert _relative(layer.W.grad, w.grad) <= tol
        opt_ours.step()
        opt_theirs.step()
        losses.append(loss.item())
    assert losses == sorted(losses, reverse=True) and losses[-1] < losses[0]


def test_relu_and_leaky_relu_bodies_match_pytorch():
    """ReLU `maximumf(y, 0)` and leaky ReLU `select(y > 0, y, 0.1 * y)` of
    `y = x * s`: gradients routed by the comparison, as PyTorch's."""
    module = xdsl_group.parse("""
func.func @act(%R: memref<3x4xf64>, %L: memref<3x4xf64>, %X: memref<3x4xf64>, %S: memref<4xf64>) {
  loopnest.for i %i in range(3) {
    loopnest.for j %j in range(4) {
      %x = loopnest.load %X[%i, %j] : memref<3x4xf64>
      %s = loopnest.load %S[%j] : memref<4xf64>
      %y = arith.mulf %x, %s : f64
      %z = arith.constant 0.0 : f64
      %r = arith.maximumf %y, %z : f64
      loopnest.store %r, %R[%i, %j] : memref<3x4xf64>
      %c = arith.cmpf ogt, %y, %z : f64
      %k = arith.constant 0.1 : f64
      %ky = arith.mulf %k, %y : f64
      %l = arith.select %c, %y, %ky : f64
      loopnest.store %l, %L[%i, %j] : memref<3x4xf64>
    }
  }
  func.return
}
""")
    op = to_torch(module, "act", batched=("R", "L", "X"))
    gen = torch.Generator().manual_seed(11)
    x = torch.randn(2, 3, 4, dtype=torch.float64, generator=gen, requires_grad=True)
    s = torch.randn(4, dtype=torch.float64, generator=gen, requires_grad=True)
    r, leaky = op(x, s)
    y = x * s
    torch.testing.assert_close(r, F.relu(y), rtol=0, atol=0)
    torch.testing.assert_close(leaky, F.leaky_relu(y, 0.1), rtol=1e-15, atol=1e-15)
    gr, gl = torch.randn(r.shape, dtype=torch.float64, generator=gen), torch.randn(r.shape, dtype=torch.float64, generator=gen)
    ours = torch.autograd.grad((r, leaky), (x, s), (gr, gl))
    theirs = torch.autograd.grad((F.relu(y), F.leaky_relu(y, 0.1)), (x, s), (gr, gl))
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
