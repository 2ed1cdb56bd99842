"""Copies and conversions: Tensor.to (dtype, device, copy=), the cast methods, copy_ (dtype,
device and broadcast), device round trips, and the same for a whole Module (to, double, float,
cuda, cpu), which keeps its Parameter objects and tied parameters."""
import numpy as np
import pytest

import kernels
from kernels import nn
from nn_models import MLP, T, numpy_mlp
from opcheck import HAS_CUDA, requires_cuda

RNG = np.random.default_rng(1234)


def _np(t):
    return np.asarray(t.detach().cpu().numpy())


# ---------------------------------------------------------------- tensors


def test_to_dtype_values_and_gradient():
    x = kernels.tensor([1.5, -2.25, 3.0], requires_grad=True)
    y = x.double()
    assert y.dtype == kernels.float64 and y.grad_fn is not None
    y.backward(kernels.tensor([1.0, 2.0, 3.0], dtype=kernels.float64))
    assert x.grad.dtype == kernels.float32
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(kernels.tensor([1.7, -1.7]).long().numpy(), [1, -1])
    np.testing.assert_array_equal(kernels.tensor([0.0, 2.0]).bool().numpy(), [False, True])
    assert x.to(kernels.float32) is x  # no change, no copy (as torch)
    assert x.to(x) is x
    assert x.to(kernels.float32, copy=True) is not x


@requires_cuda
def test_cuda_roundtrip_and_dlpack(rng):
    a = rng.standard_normal((33, 17)).astype(np.float32)
    g = kernels.tensor(a, device="cuda")
    assert g.is_cuda and str(g.device) == "cuda:0"
    np.testing.assert_array_equal(g.cpu().numpy(), a)
    np.testing.assert_array_equal(g.to(kernels.float64).cpu().numpy(), a.astype(np.float64))
    with pytest.raises(TypeError, match="numpy"):
        g.numpy()
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        tt = torch.from_dlpack(g)
        assert tt.is_cuda
        np.testing.assert_array_equal(tt.cpu().numpy(), a)
        back = kernels.from_dlpack(torch.ones(4, device="cuda"))
        assert back.is_cuda and back.cpu().numpy().tolist() == [1.0] * 4


def test_copy_(device):
    t = kernels.zeros(2, 3, device=device)
    t.copy_(kernels.tensor([[1, 2, 3], [4, 5, 6]]))  # int64 on the CPU into float32 on `device`
    np.testing.assert_array_equal(_np(t), [[1, 2, 3], [4, 5, 6]])
    t.copy_(kernels.tensor([7.0, 8.0, 9.0], dtype=kernels.float64))  # broadcast over rows
    np.testing.assert_array_equal(_np(t), [[7, 8, 9], [7, 8, 9]])
    t.copy_(t)
    np.testing.assert_array_equal(_np(t), [[7, 8, 9], [7, 8, 9]])
    with pytest.raises(ValueError, match="copy_"):
        t.copy_(kernels.zeros(4))


# ---------------------------------------------------------------- modules


def test_double_gives_float64_model_matching_numpy():
    m = MLP(act=False)
    x64 = RNG.standard_normal((7, 4))
    assert m.double() is m
    for p in m.parameters():
        assert p.dtype == kernels.float64 and isinstance(p, nn.Parameter) and p.requires_grad
    assert m.scale.dtype == kernels.float64
    assert m.steps.dtype == kernels.int64  # integer buffers keep their dtype
    assert m.cache.dtype == kernels.float64  # non-persistent buffers convert too
    y = m(T(x64))
    assert y.dtype == kernels.float64
    np.testing.assert_allclose(y.detach().numpy(), numpy_mlp(m, x64, act=False), rtol=1e-12,
                               atol=1e-14)
    m.float()
    assert all(p.dtype == kernels.float32 for p in m.parameters())
    m.to(dtype=kernels.float64)
    assert all(p.dtype == kernels.float64 for p in m.parameters())
    m.to(kernels.float32)
    assert all(p.dtype == kernels.float32 for p in m.parameters())


def test_conversion_keeps_parameter_objects():
    m = MLP()
    before = list(m.parameters())
    saved = before[0].detach().numpy().copy()
    assert m.to(kernels.float32) is m and m.cpu() is m
    assert all(a is b for a, b in zip(before, m.parameters()))  # no-op keeps the objects
    m.fc1.weight.grad = kernels.ones(8, 4)
    m.double()
    after = list(m.parameters())
    # As torch: the same Parameter objects, now float64, so an optimizer built before still works.
    assert all(a is b for a, b in zip(before, after))
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in after)
    assert m.fc1.weight.dtype == kernels.float64 and m.fc1.weight.grad.dtype == kernels.float64
    np.testing.assert_array_equal(m.fc1.weight.detach().numpy(), saved.astype(np.float64))
    with pytest.raises(TypeError, match="floating point"):
        m.to(kernels.int64)


def test_conversion_keeps_tied_parameters_tied():
    a, b = nn.Linear(3, 3), nn.Linear(3, 3)
    b.weight = a.weight
    m = nn.Sequential(a, b)
    m.double()
    assert m[0].weight is m[1].weight and m[0].weight.dtype == kernels.float64
    assert len(list(m.parameters())) == 3


@pytest.mark.skipif(not HAS_CUDA, reason="no CUDA device")
def test_cuda_and_back():
    m = MLP(act=False)
    x = kernels.randn(3, 4)
    ref = m(x).detach().numpy()
    m.cuda()
    assert all(p.is_cuda for p in m.parameters()) and m.steps.is_cuda
    y = m(x.cuda())
    np.testing.assert_allclose(y.detach().cpu().numpy(), ref, rtol=1e-5, atol=1e-6)
    m.cpu()
    assert not any(p.is_cuda for p in m.parameters())
    m.to("cuda", kernels.float64)
    assert all(p.is_cuda and p.dtype == kernels.float64 for p in m.parameters())
