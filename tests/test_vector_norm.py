"""norm(input, p, dim, keepdim): forward against NumPy and torch, backward against float64 finite
differences and torch.autograd, CPU against CUDA, bad input."""
import math

import numpy as np
import pytest

import kernels
from opcheck import DEVICES

P_VALUES = ["fro", 1, 2, 3, 0.5, math.inf, -math.inf, 0]
DIMS = [None, 0, 1, -1, (0, 1), (1, 2)]


def _numpy_norm(x, p, dim, keepdim):
    axis = tuple(range(x.ndim)) if dim is None else (dim,) if isinstance(dim, int) else dim
    a = np.abs(x)
    if p in ("fro", 2):
        r = np.sqrt((x * x).sum(axis=axis, keepdims=keepdim))
    elif p == math.inf:
        r = a.max(axis=axis, keepdims=keepdim)
    elif p == -math.inf:
        r = a.min(axis=axis, keepdims=keepdim)
    elif p == 0:
        r = (x != 0).sum(axis=axis, keepdims=keepdim).astype(x.dtype)
    else:
        r = (a ** p).sum(axis=axis, keepdims=keepdim) ** (1.0 / p)
    return np.asarray(r)


@pytest.mark.parametrize("p", P_VALUES)
@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("keepdim", [False, True])
def test_forward_matches_numpy_and_torch(p, dim, keepdim, rng):
    x = rng.standard_normal((3, 4, 5))
    x[0, 0, 0] = 0.0
    out = kernels.norm(kernels.tensor(x), p, dim, keepdim)
    np.testing.assert_allclose(out.numpy(), _numpy_norm(x, p, dim, keepdim), rtol=1e-12)
    torch = pytest.importorskip("torch")
    ref = torch.norm(torch.tensor(x), p=p, dim=dim, keepdim=keepdim)
    assert tuple(out.shape) == tuple(ref.shape)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-12)


@pytest.mark.parametrize("p", [v for v in P_VALUES if v != 0])
@pytest.mark.parametrize("dim", [None, 1, (0, 2)])
def test_backward_matches_finite_differences_and_torch(p, dim, rng):
    x = rng.standard_normal((2, 3, 4)) + 0.1  # distinct magnitudes: inf-norms have one maximiser
    w = rng.standard_normal(_numpy_norm(x, p, dim, False).shape)
    xt = kernels.tensor(x, requires_grad=True)
    (kernels.norm(xt, p, dim) * kernels.tensor(w)).sum().backward()
    num = np.zeros_like(x)
    h = 1e-6
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        num[i] = ((_numpy_norm(xp, p, dim, False) - _numpy_norm(xm, p, dim, False)) * w).sum() / (2 * h)
    np.testing.assert_allclose(xt.grad.numpy(), num, rtol=1e-5, atol=1e-7)
    torch = pytest.importorskip("torch")
    tt = torch.tensor(x, requires_grad=True)
    (torch.norm(tt, p=p, dim=dim) * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), tt.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("p", ["fro", 1, 3])
def test_gradient_of_a_zero_vector_is_zero_not_nan(p):
    x = kernels.zeros(4, dtype=kernels.float64, requires_grad=True)
    kernels.norm(x, p).backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(4))


def test_inf_norm_shares_the_gradient_among_ties(torch):
    x = np.array([3.0, -3.0, 1.0])
    k = kernels.tensor(x, requires_grad=True)
    k.norm(math.inf).backward()
    t = torch.tensor(x, requires_grad=True)
    t.norm(math.inf).backward()
    np.testing.assert_allclose(k.grad.numpy(), t.grad.numpy())


def test_method_float32_and_dtype_argument():
    x = kernels.tensor([[3.0, 4.0]])
    assert x.norm().item() == pytest.approx(5.0)
    assert x.norm(dim=1, keepdim=True).shape == (1, 1)
    assert kernels.norm(x, dtype=kernels.float64).dtype == kernels.float64


@pytest.mark.parametrize("dev", [d for d in DEVICES if d != "cpu"])
def test_cpu_equals_cuda(dev, rng):
    x = rng.standard_normal((5, 7)).astype(np.float32)
    for p in [2, 1, math.inf, 3]:
        c = kernels.norm(kernels.tensor(x), p, 1).numpy()
        g = kernels.norm(kernels.tensor(x, device=dev), p, 1).cpu().numpy()
        np.testing.assert_allclose(c, g, rtol=1e-5)


def test_bad_input():
    x = kernels.ones(2, 3)
    with pytest.raises(NotImplementedError, match="nuc"):
        kernels.norm(x, "nuc")
    with pytest.raises(ValueError, match="norm: p must be"):
        kernels.norm(x, "max")
    with pytest.raises(TypeError, match="norm: p must be"):
        kernels.norm(x, [2])
    with pytest.raises(IndexError, match=r"norm: dim 2 is out of range.*\(2, 3\)"):
        kernels.norm(x, 2, 2)
    with pytest.raises(ValueError, match="more than once"):
        kernels.norm(x, 2, (1, -1))
    with pytest.raises(TypeError, match="floating-point.*int64"):
        kernels.norm(kernels.ones(2, dtype=kernels.int64))
    with pytest.raises(RuntimeError, match="empty"):
        kernels.norm(kernels.ones(0), math.inf)
