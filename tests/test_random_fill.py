"""In-place random fills normal_ / uniform_ / bernoulli_ and kernels.bernoulli: moments and
ranges from fixed seeds, a seed reproduces (the same numbers as randn/rand), writes through views
and .data reach the base, autograd refusals as torch, CPU against CUDA, bad arguments."""
import numpy as np
import pytest

import kernels
from opcheck import raises_with, requires_cuda


def _np(t):
    return t.detach().cpu().numpy()


def test_normal_moments(device):
    x = kernels.zeros(200, 500, device=device).normal_(1.5, 0.25)
    a = _np(x)
    assert abs(a.mean() - 1.5) < 0.25 * 4 / np.sqrt(a.size)
    assert abs(a.std() - 0.25) < 0.01
    assert x.dtype == kernels.float32


def test_uniform_range_and_moments(device):
    a = _np(kernels.zeros(100_000, dtype=kernels.float64, device=device).uniform_(-2, 3))
    assert a.min() >= -2 and a.max() < 3
    assert abs(a.mean() - 0.5) < 5 * 5 / np.sqrt(12 * a.size)
    hist = np.histogram(a, bins=10, range=(-2, 3))[0]
    assert hist.min() > 0.95 * a.size / 10  # flat to within 5 %


def test_uniform_empty_range_fills_a():
    assert np.all(_np(kernels.zeros(5).uniform_(2, 2)) == 2)


def test_seed_reproduces_and_matches_randn_rand():
    kernels.manual_seed(7)
    a = kernels.zeros(3, 4).normal_(0.5, 2.0)
    kernels.manual_seed(7)
    b = kernels.randn(3, 4) * 2.0 + 0.5
    np.testing.assert_allclose(_np(a), _np(b), rtol=1e-6)
    kernels.manual_seed(7)
    u = kernels.zeros(6).uniform_()
    kernels.manual_seed(7)
    np.testing.assert_array_equal(_np(u), _np(kernels.rand(6)))


def test_dcgan_init_through_data():
    w = kernels.zeros(8, 4, requires_grad=True)
    w.data.normal_(0, 0.02)
    a = _np(w)
    assert w.requires_grad and w.is_leaf and a.std() > 0.005 and np.abs(a).max() < 0.2
    with kernels.no_grad():  # nn.init's form
        w.uniform_(-0.1, 0.1)
    assert np.abs(_np(w)).max() <= 0.1


def test_fill_through_views_reaches_base(device):
    x = kernels.zeros(4, 6, device=device)
    x[:, ::2].uniform_(1, 2)            # a stepped slice
    x.t()[1].normal_(10, 0.1)           # a column, through a transpose
    a = _np(x)
    assert np.all((a[:, 0] >= 1) & (a[:, 0] < 2)) and np.all(a[:, 3::2] == 0)
    assert np.all(np.abs(a[:, 1] - 10) < 1) and np.all((a[:, 4] >= 1) & (a[:, 4] < 2))


def test_refused_on_leaf_requiring_grad(torch):
    for name, args in (("normal_", ()), ("uniform_", ()), ("bernoulli_", (0.5,))):
        raises_with(RuntimeError, "a leaf Variable that requires grad is being used in an in-place operation",
                    lambda: getattr(kernels.zeros(3, requires_grad=True), name)(*args))
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            getattr(torch.zeros(3, requires_grad=True), name)(*args)
        with pytest.raises(RuntimeError):  # a view of such a leaf (torch refuses it too)
            getattr(kernels.zeros(3, requires_grad=True)[:2], name)(*args)


def test_fill_returns_self_and_records_nothing():
    x = kernels.zeros(3)
    assert x.normal_() is x and x.uniform_() is x and x.bernoulli_() is x
    assert x.grad_fn is None and not x.requires_grad


def test_bernoulli_scalar_p_and_integer_dtypes():
    a = _np(kernels.zeros(50_000).bernoulli_(0.3))
    assert set(np.unique(a)) <= {0.0, 1.0} and abs(a.mean() - 0.3) < 0.01
    for dt in (kernels.int64, kernels.uint8, kernels.bool):
        b = kernels.zeros(1000, dtype=dt).bernoulli_(0.5)
        assert b.dtype == dt and 400 < int(_np(b).astype(np.int64).sum()) < 600
    assert np.all(_np(kernels.zeros(10).bernoulli_(1.0)) == 1)
    assert np.all(_np(kernels.ones(10).bernoulli_(0.0)) == 0)


def test_bernoulli_tensor_p_broadcasts():
    p = kernels.tensor([0.0, 0.25, 1.0])
    a = _np(kernels.zeros(20_000, 3).bernoulli_(p))
    assert np.all(a[:, 0] == 0) and np.all(a[:, 2] == 1) and abs(a[:, 1].mean() - 0.25) < 0.015


def test_bernoulli_function(torch):
    probs = kernels.tensor(np.tile([0.0, 0.5, 1.0], (20_000, 1)), dtype=kernels.float64)
    out = kernels.bernoulli(probs)
    a = _np(out)
    assert out.dtype == kernels.float64 and np.all(a[:, 0] == 0) and np.all(a[:, 2] == 1)
    assert abs(a[:, 1].mean() - 0.5) < 0.015
    assert _np(kernels.bernoulli(kernels.zeros(4), 1.0)).tolist() == [1, 1, 1, 1]
    # torch: p= with an integer input works; without it, integer probabilities are refused
    assert torch.bernoulli(torch.zeros(2, dtype=torch.long), 1.0).tolist() == [1, 1]
    assert _np(kernels.bernoulli(kernels.zeros(2, dtype=kernels.int64), 1.0)).tolist() == [1, 1]
    with pytest.raises(NotImplementedError):
        torch.bernoulli(torch.zeros(2, dtype=torch.long))
    with pytest.raises(NotImplementedError, match="bernoulli"):
        kernels.bernoulli(kernels.zeros(2, dtype=kernels.int64))


@requires_cuda
def test_same_numbers_on_cpu_and_cuda():
    for fill in (lambda t: t.normal_(0.5, 2), lambda t: t.uniform_(-1, 1), lambda t: t.bernoulli_(0.4)):
        kernels.manual_seed(3)
        c = _np(fill(kernels.zeros(64, 33)))
        kernels.manual_seed(3)
        g = _np(fill(kernels.zeros(64, 33, device="cuda")))
        np.testing.assert_allclose(g, c, rtol=1e-5, atol=1e-6)


def test_bad_arguments(torch):
    x = kernels.zeros(3)
    raises_with(RuntimeError, "normal_: normal expects std >= 0.0, but found std -1", lambda: x.normal_(0, -1))
    with pytest.raises(RuntimeError, match="normal expects std >= 0.0"):
        torch.zeros(3).normal_(0, -1)
    raises_with(RuntimeError, "uniform_ expects to return a [from, to) range, but found from=1 > to=0",
                lambda: x.uniform_(1, 0))
    raises_with(RuntimeError, "bernoulli_ expects p to be in [0, 1], but got p=1.5", lambda: x.bernoulli_(1.5))
    raises_with(RuntimeError, "bernoulli_: every probability p must be in [0, 1]",
                lambda: x.bernoulli_(kernels.tensor([0.0, 2.0, 0.5])))
    raises_with(RuntimeError, "bernoulli_: p of shape (2,) does not broadcast to self's shape (3,)",
                lambda: x.bernoulli_(kernels.tensor([0.0, 1.0])))
    for name in ("normal_", "uniform_"):
        raises_with(NotImplementedError, f"{name}: expected a floating point tensor, got kernels.int64",
                    lambda: getattr(kernels.zeros(3, dtype=kernels.int64), name)())
        with pytest.raises(NotImplementedError):
            getattr(torch.zeros(3, dtype=torch.long), name)()
    raises_with(TypeError, "normal_: mean", lambda: x.normal_("0"))
