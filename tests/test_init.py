"""kernels.nn.init: gains against torch, the statistics of every initialiser, in-place and
untracked on Parameters, reproducible with a seed, bad inputs."""
import math

import numpy as np
import pytest

import kernels
from kernels import nn
from nn_models import torch_or_skip


def _stats(t):
    a = t.detach().numpy().astype(np.float64)
    return a.mean(), a.std(), a.min(), a.max()


def test_calculate_gain_matches_torch():
    torch = torch_or_skip()
    for nl, param in [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None),
                      ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None)]:
        assert nn.init.calculate_gain(nl, param) == pytest.approx(
            torch.nn.init.calculate_gain(nl, param))
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        nn.init.calculate_gain("swishy")
    with pytest.raises(ValueError, match="negative_slope"):
        nn.init.calculate_gain("leaky_relu", True)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_init_statistics(dtype):
    dt = getattr(kernels, dtype)
    shape = (200, 100, 3, 3)  # fan_in = 900, fan_out = 1800
    t = kernels.empty(*shape, dtype=dt)
    fan_in, fan_out = 900, 1800
    tol_std = 0.01

    def check(fn, mean, std, lo=None, hi=None):
        assert fn(t) is t
        m, s, mn, mx = _stats(t)
        assert abs(m - mean) < 0.01 * max(std, 1e-3) + 5 * std / math.sqrt(t.numel()), fn
        assert abs(s / std - 1) < tol_std, (s, std)
        if lo is not None:
            assert mn >= lo and mx <= hi
            assert mn < lo + 0.01 * (hi - lo) and mx > hi - 0.01 * (hi - lo)

    check(lambda x: nn.init.uniform_(x, -2.0, 3.0), 0.5, 5 / math.sqrt(12), -2.0, 3.0)
    check(lambda x: nn.init.normal_(x, 1.0, 0.5), 1.0, 0.5)
    b = math.sqrt(6 / (fan_in + fan_out))
    check(nn.init.xavier_uniform_, 0.0, b / math.sqrt(3), -b, b)
    check(lambda x: nn.init.xavier_normal_(x, gain=2.0), 0.0, 2 * math.sqrt(2 / (fan_in + fan_out)))
    g = math.sqrt(2.0)
    b = g * math.sqrt(3 / fan_in)
    check(lambda x: nn.init.kaiming_uniform_(x, nonlinearity="relu"), 0.0, b / math.sqrt(3), -b, b)
    check(lambda x: nn.init.kaiming_normal_(x, mode="fan_out", nonlinearity="relu"), 0.0,
          g / math.sqrt(fan_out))
    g = math.sqrt(2 / (1 + 5))
    b = g * math.sqrt(3 / fan_in)
    check(lambda x: nn.init.kaiming_uniform_(x, a=math.sqrt(5)), 0.0, b / math.sqrt(3), -b, b)
    # truncated normal on [-1, 2] with std 1: known mean and std of the truncated distribution
    nn.init.trunc_normal_(t, 0.0, 1.0, -1.0, 2.0)
    m, s, mn, mx = _stats(t)
    from math import erf, exp, pi, sqrt

    phi = lambda x: exp(-x * x / 2) / sqrt(2 * pi)  # noqa: E731
    Phi = lambda x: 0.5 * (1 + erf(x / sqrt(2)))  # noqa: E731
    Z = Phi(2) - Phi(-1)
    tm = (phi(-1) - phi(2)) / Z
    tv = 1 + (-1 * phi(-1) - 2 * phi(2)) / Z - tm**2
    assert mn >= -1 and mx <= 2
    assert abs(m - tm) < 0.01 and abs(s - sqrt(tv)) < 0.01
    nn.init.constant_(t, 0.25)
    assert np.all(t.numpy() == 0.25)
    nn.init.ones_(t)
    assert np.all(t.numpy() == 1)
    nn.init.zeros_(t)
    assert np.all(t.numpy() == 0)
    e = nn.init.eye_(kernels.empty(3, 4, dtype=dt))
    np.testing.assert_array_equal(e.numpy(), np.eye(3, 4))


def test_init_on_parameters_is_in_place_and_untracked():
    p = nn.Parameter(kernels.zeros(30, 20))
    nn.init.kaiming_normal_(p)
    assert p.requires_grad and p.grad_fn is None and np.any(p.detach().numpy() != 0)
    nn.init.zeros_(p)
    assert p.grad_fn is None and np.all(p.detach().numpy() == 0)


def test_init_is_reproducible_with_seed():
    kernels.manual_seed(7)
    a = nn.Linear(5, 4).weight.detach().numpy()
    kernels.manual_seed(7)
    b = nn.Linear(5, 4).weight.detach().numpy()
    np.testing.assert_array_equal(a, b)


def test_init_bad_inputs():
    with pytest.raises(ValueError, match="Fan in and fan out"):
        nn.init.xavier_uniform_(kernels.empty(5))
    with pytest.raises(ValueError, match="Mode fan_mid not supported"):
        nn.init.kaiming_uniform_(kernels.empty(3, 3), mode="fan_mid")
    with pytest.raises(TypeError, match="floating point"):
        nn.init.normal_(kernels.zeros(3, dtype=kernels.int64))
    with pytest.raises(NotImplementedError, match="generator"):
        nn.init.uniform_(kernels.empty(3), generator=object())
    with pytest.warns(UserWarning, match="zero-element"):
        nn.init.kaiming_uniform_(kernels.empty(0, 3))
