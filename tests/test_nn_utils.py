"""kernels.nn.utils: clip_grad_norm_ and clip_grad_value_ against torch (every norm type, both
dtypes, non-finite gradients), parameters_to_vector / vector_to_parameters."""
import math

import numpy as np
import pytest

import kernels
from kernels import nn
from nn_models import MLP, T, torch_or_skip

RNG = np.random.default_rng(1234)


def _grads_pair(torch, dtype, shapes=((4, 3), (3,), (2, 2, 2), (1,))):
    ks, ts = [], []
    for s in shapes:
        g = RNG.standard_normal(s) * 3
        kp = nn.Parameter(kernels.zeros(*s, dtype=dtype))
        kp.grad = T(g, dtype=dtype)
        tp = torch.nn.Parameter(torch.zeros(s, dtype=getattr(torch, str(dtype).split(".")[-1])))
        tp.grad = torch.tensor(g, dtype=tp.dtype)
        ks.append(kp)
        ts.append(tp)
    return ks, ts


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf, 0.5, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_clip_grad_norm_vs_torch(norm_type, max_norm, dtype):
    torch = torch_or_skip()
    ks, ts = _grads_pair(torch, getattr(kernels, dtype))
    nk = nn.utils.clip_grad_norm_(ks, max_norm, norm_type=norm_type)
    nt = torch.nn.utils.clip_grad_norm_(ts, max_norm, norm_type=norm_type)
    rtol = 1e-5 if dtype == "float32" else 1e-12
    assert isinstance(nk, kernels.Tensor) and nk.ndim == 0
    assert nk.dtype == getattr(kernels, dtype)
    np.testing.assert_allclose(nk.item(), nt.item(), rtol=rtol)
    for kp, tp in zip(ks, ts):
        np.testing.assert_allclose(kp.grad.numpy(), tp.grad.numpy(), rtol=rtol, atol=1e-7)


def test_clip_grad_norm_edge_cases():
    torch = torch_or_skip()
    p = nn.Parameter(kernels.zeros(3, dtype=kernels.float64))  # T() gives float64 grads
    assert nn.utils.clip_grad_norm_([p], 1.0).item() == 0.0  # no grads at all
    p.grad = T([3.0, 4.0, 0.0])
    n = nn.utils.clip_grad_norm_(p, 1.0)  # a single tensor
    assert n.item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8, 0.0], rtol=1e-5)
    p.grad = T([1.0, float("nan"), 0.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    p = nn.Parameter(kernels.zeros(2, dtype=kernels.float64))  # .grad must match its shape
    p.grad = T([1.0, float("inf")])
    tp = torch.nn.Parameter(torch.zeros(2))
    tp.grad = torch.tensor([1.0, float("inf")])
    nk = nn.utils.clip_grad_norm_([p], 1.0)
    nt = torch.nn.utils.clip_grad_norm_([tp], 1.0)
    assert math.isinf(nk.item()) and math.isinf(nt.item())
    np.testing.assert_array_equal(np.isnan(p.grad.numpy()), np.isnan(tp.grad.numpy()))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_clip_grad_value_vs_torch(dtype):
    torch = torch_or_skip()
    ks, ts = _grads_pair(torch, getattr(kernels, dtype))
    assert nn.utils.clip_grad_value_(ks, 1.5) is None
    torch.nn.utils.clip_grad_value_(ts, 1.5)
    for kp, tp in zip(ks, ts):
        np.testing.assert_array_equal(kp.grad.numpy(), tp.grad.numpy())
    assert max(np.abs(kp.grad.numpy()).max() for kp in ks) == 1.5


def test_clip_on_a_trained_model():
    m = MLP(act=False)
    (m(kernels.randn(8, 4)) * 100).sum().backward()
    grads = [p.grad for p in m.parameters()]
    total = nn.utils.clip_grad_norm_(m.parameters(), 1.0)
    assert total.item() > 1
    assert [p.grad for p in m.parameters()] == grads or all(
        a is b for a, b in zip(grads, [p.grad for p in m.parameters()]))  # in place
    after = math.sqrt(sum(float((p.grad.numpy().astype(np.float64) ** 2).sum())
                          for p in m.parameters()))
    assert after == pytest.approx(1.0, rel=1e-4)


def test_parameters_to_vector_round_trip():
    m = MLP()
    v = nn.utils.parameters_to_vector(m.parameters())
    n = sum(p.numel() for p in m.parameters())
    assert v.shape == (n,)
    expected = np.concatenate([p.detach().numpy().ravel() for p in m.parameters()])
    np.testing.assert_array_equal(v.detach().numpy(), expected)
    nn.utils.vector_to_parameters(kernels.arange(n, dtype=kernels.float32), m.parameters())
    np.testing.assert_array_equal(
        np.concatenate([p.detach().numpy().ravel() for p in m.parameters()]), np.arange(n))
    with pytest.raises(ValueError, match="vector_to_parameters"):
        nn.utils.vector_to_parameters(kernels.zeros(3), m.parameters())
    with pytest.raises(TypeError):
        nn.utils.vector_to_parameters(np.zeros(n), m.parameters())
