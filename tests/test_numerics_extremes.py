"""Values where a careless formula loses precision or produces NaN: log_softmax / cross_entropy at
large logits (x - m - log s, never x - (m + log s) in float32) and std's gradient at zero spread
(0, as torch). References in float64 NumPy; torch where installed."""
import numpy as np
import pytest

import kernels
import kernels.nn.functional as F


def log_softmax64(x, axis):
    x = x.astype(np.float64)
    m = x.max(axis=axis, keepdims=True)
    return (x - m) - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def cross_entropy64(x, y, smoothing):
    """Mean loss and its gradient for x (N, C) in float64."""
    lp = log_softmax64(x, 1)
    n, c = x.shape
    q = np.full((n, c), smoothing / c)
    q[np.arange(n), y] += 1 - smoothing
    loss = -(q * lp).sum() / n
    return loss, (np.exp(lp) - q) / n


@pytest.mark.parametrize("v", [1e4, 1e6, 1e7, 1e8, -1e8])
@pytest.mark.parametrize("layout", ["rows", "columns"])
def test_log_softmax_at_large_logits(v, layout, device):
    x = np.array([[v, v, 0.0], [v, v - 1, v - 2]], dtype=np.float32)
    dim = 1
    if layout == "columns":   # the class axis is not the last one: the column kernels
        x = np.ascontiguousarray(x.T[None])
    got = F.log_softmax(kernels.tensor(x, device=device), dim=dim).cpu().numpy()
    np.testing.assert_allclose(got, log_softmax64(x, dim), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("v", [1e4, 1e6, 1e7])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_and_its_gradient_at_large_logits(v, smoothing, device):
    x = np.array([[v, v, 0.0], [v, v - 1, v - 3], [0.0, v, v]], dtype=np.float32)
    y = np.array([0, 2, 1])
    k = kernels.tensor(x, device=device, requires_grad=True)
    loss = F.cross_entropy(k, kernels.tensor(y, device=device), label_smoothing=smoothing)
    loss.backward()
    want, dwant = cross_entropy64(x, y, smoothing)
    assert loss.item() == pytest.approx(want, rel=1e-6, abs=1e-6)
    np.testing.assert_allclose(k.grad.cpu().numpy(), dwant, rtol=1e-5, atol=1e-7)


def test_cross_entropy_at_large_logits_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.array([[1e6, 1e6, 0.0]], dtype=np.float32)
    k = kernels.tensor(x, requires_grad=True)
    loss = F.cross_entropy(k, kernels.tensor([0]))
    loss.backward()
    t = torch.tensor(x, requires_grad=True)
    tl = torch.nn.functional.cross_entropy(t, torch.tensor([0]))
    tl.backward()
    assert loss.item() == pytest.approx(tl.item(), rel=1e-6)
    np.testing.assert_allclose(k.grad.numpy(), t.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_cross_entropy_with_spatial_classes_at_large_logits(device):
    x = np.array([[[1e6, 0.0], [1e6, 1e6], [0.0, 1e6]]], dtype=np.float32)   # (N=1, C=3, K=2)
    y = np.array([[0, 2]])
    k = kernels.tensor(x, device=device, requires_grad=True)
    F.cross_entropy(k, kernels.tensor(y, device=device)).backward()
    flat = x[0].T                                                             # (K, C) rows
    _, dwant = cross_entropy64(flat, y[0], 0.0)
    np.testing.assert_allclose(k.grad.cpu().numpy()[0], dwant.T, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("dtype", [kernels.float32, kernels.float64])
def test_std_gradient_at_zero_spread_is_zero(dtype, device):
    x = kernels.full((2, 3), 4.0, dtype=dtype, device=device).requires_grad_()
    x.std(dim=1).sum().backward()
    assert x.grad.cpu().tolist() == [[0.0] * 3] * 2
    # A row with spread next to one without: the first keeps its usual gradient.
    y = kernels.tensor([[1.0, 2.0, 4.0], [3.0, 3.0, 3.0]], dtype=dtype, device=device, requires_grad=True)
    y.std(dim=1).sum().backward()
    r = np.array([1.0, 2.0, 4.0])
    want0 = (r - r.mean()) / (2 * r.std(ddof=1)) * 2 / 2
    np.testing.assert_allclose(y.grad.cpu().numpy(), [want0, [0.0] * 3], rtol=1e-6)
