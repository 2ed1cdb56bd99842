"""Activations: forward against NumPy (float64) and torch, backward against finite differences
and torch.autograd, CPU against CUDA, softmax over any dim and bad inputs (dropout: test_dropout.py)."""
import math

import numpy as np
import pytest

import kernels
import kernels.functional as F
from kernels import _C, nn
from kernels.testing.cases import ACTIVATION, with_batch
from nn_models import T, torch_or_skip
from opcheck import HAS_CUDA, check_cuda_vs_cpu, check_torch, gradcheck, requires_cuda

R = np.random.default_rng(11)
_erf = np.vectorize(math.erf, otypes=[np.float64])


def _np(t):
    return np.asarray(t.detach().cpu().numpy())


def normal(shape):
    return np.asarray(R.standard_normal(shape) * 1.5)


def away_from_zero(shape):  # |x| in [0.2, 2.5]: finite differences never straddle a kink at 0
    return np.asarray(R.uniform(0.2, 2.5, shape) * R.choice([-1.0, 1.0], shape))


def away_from_threshold(shape):  # softplus(beta=2, threshold=3) switches branch at x = 1.5
    x = R.uniform(-3.0, 3.0, shape)
    return np.asarray(np.where(np.abs(x - 1.5) < 0.2, x + 0.5, x))


def _gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


# name: (kernels fn, torch fn name + kwargs, numpy reference, domain)
POINTWISE = {
    "sigmoid": (F.sigmoid, ("sigmoid", {}), lambda x: 1 / (1 + np.exp(-x)), normal),
    "tanh": (F.tanh, ("tanh", {}), np.tanh, normal),
    "relu": (F.relu, ("relu", {}), lambda x: np.maximum(x, 0), away_from_zero),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1), ("leaky_relu", {"negative_slope": 0.1}),
                   lambda x: np.where(x > 0, x, 0.1 * x), away_from_zero),
    "leaky_relu_default": (F.leaky_relu, ("leaky_relu", {}), lambda x: np.where(x > 0, x, 0.01 * x),
                           away_from_zero),
    "elu": (lambda x: F.elu(x, alpha=1.3), ("elu", {"alpha": 1.3}),
            lambda x: np.where(x > 0, x, 1.3 * np.expm1(x)), away_from_zero),
    "softplus": (F.softplus, ("softplus", {}), lambda x: np.log1p(np.exp(x)), normal),
    "softplus_beta": (lambda x: F.softplus(x, beta=2.0, threshold=3.0),
                      ("softplus", {"beta": 2.0, "threshold": 3.0}),
                      lambda x: np.where(2 * x > 3, x, np.log1p(np.exp(2 * x)) / 2), away_from_threshold),
    "gelu": (F.gelu, ("gelu", {}), lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2))), normal),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), ("gelu", {"approximate": "tanh"}),
                  _gelu_tanh, normal),
    "silu": (F.silu, ("silu", {}), lambda x: x / (1 + np.exp(-x)), normal),
}
SHAPES = [(2, 3, 4), (5,), (), (0, 3), (1, 1)]
BIG = (130, 131)  # above the CPU threading grain
# The activations the benchmarks time on LeNet-5's and ResNet's feature maps
# (kernels.testing.cases.ACTIVATION), at batch 1.
NETWORK = [with_batch(shape, 1) for _, shape in ACTIVATION]


def _torch_fn(name):
    torch = pytest.importorskip("torch")
    tname, kw = POINTWISE[name][1]
    f = getattr(torch.nn.functional, tname, None) or getattr(torch, tname)
    return lambda x: f(x, **kw)


@pytest.mark.parametrize("shape", SHAPES + [BIG] + NETWORK, ids=str)
@pytest.mark.parametrize("name", POINTWISE)
@pytest.mark.parametrize("dtype", [kernels.float32, kernels.float64], ids=str)
def test_pointwise_forward_numpy(name, shape, dtype):
    fn, _, ref, dom = POINTWISE[name]
    x = dom(shape)
    out = fn(kernels.tensor(x, dtype=dtype))
    assert out.dtype == dtype and tuple(out.shape) == shape
    tol = 1e-12 if dtype == kernels.float64 else 2e-6
    np.testing.assert_allclose(_np(out), ref(x), rtol=tol, atol=tol)


@pytest.mark.parametrize("shape", SHAPES + [BIG] + NETWORK, ids=str)
@pytest.mark.parametrize("name", POINTWISE)
def test_pointwise_torch(name, shape):
    check_torch(POINTWISE[name][0], _torch_fn(name), [POINTWISE[name][3](shape)])


@pytest.mark.parametrize("shape", [(2, 3, 4), (5,), ()], ids=str)
@pytest.mark.parametrize("name", POINTWISE)
def test_pointwise_gradcheck(name, shape):
    gradcheck(POINTWISE[name][0], [POINTWISE[name][3](shape)])


@pytest.mark.parametrize("shape", SHAPES + [BIG], ids=str)
@pytest.mark.parametrize("name", POINTWISE)
def test_pointwise_cuda_vs_cpu(name, shape):
    check_cuda_vs_cpu(POINTWISE[name][0], [POINTWISE[name][3](shape)])


def test_extreme_values_are_finite():
    x = kernels.tensor(np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0]))
    np.testing.assert_allclose(_np(F.sigmoid(x)), [0, 1 / (1 + math.exp(50)), 0.5, 1 / (1 + math.exp(-50)), 1],
                               rtol=1e-12, atol=0)
    np.testing.assert_allclose(_np(F.softplus(x)), [0, math.log1p(math.exp(-50)), math.log(2), 50, 1000],
                               rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(_np(F.silu(x)), [0, -50 / (1 + math.exp(50)), 0, 50, 1000], rtol=1e-12)
    # relu keeps NaN, as torch
    assert np.isnan(_np(F.relu(kernels.tensor([np.nan])))[0])


def test_relu_kink_gradient_is_zero():
    x = kernels.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    F.relu(x).sum().backward()
    np.testing.assert_array_equal(_np(x.grad), [0.0, 0.0, 1.0])


def test_relu_inplace():
    x = kernels.tensor([-1.0, 2.0, -3.0])
    y = F.relu(x, inplace=True)
    assert y is x
    np.testing.assert_array_equal(_np(x), [0.0, 2.0, 0.0])
    z = kernels.tensor([-2.0, 1.0])
    assert F.relu_(z) is z and _np(z).tolist() == [0.0, 1.0]
    leaf = kernels.tensor([-1.0, 1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="relu_: a leaf Variable that requires grad"):
        F.relu_(leaf)
    with pytest.raises(RuntimeError, match="relu: a leaf Variable that requires grad"):
        F.relu(leaf, inplace=True)
    h = leaf * 2  # a non-leaf: written in place and recorded, as torch
    out = F.relu(h, inplace=True)
    assert out is h and _np(h).tolist() == [0.0, 2.0]
    out.sum().backward()
    np.testing.assert_array_equal(_np(leaf.grad), [0.0, 2.0])


def test_tensor_methods():
    x = kernels.tensor(normal((3, 4)))
    np.testing.assert_allclose(_np(x.sigmoid()), _np(F.sigmoid(x)))
    np.testing.assert_allclose(_np(x.tanh()), np.tanh(_np(x)))
    np.testing.assert_allclose(_np(x.relu()), np.maximum(_np(x), 0))
    np.testing.assert_allclose(_np(x.softmax(0)), _np(F.softmax(x, 0)))
    np.testing.assert_allclose(_np(x.log_softmax(dim=-1)), _np(F.log_softmax(x, -1)))
    assert kernels.sigmoid is F.sigmoid and kernels.softmax is F.softmax


# ------------------------------------------------------------------------------ softmax


def np_softmax(x, dim):
    m = np.max(x, axis=dim, keepdims=True)
    e = np.exp(x - m)
    return e / e.sum(axis=dim, keepdims=True)


def np_log_softmax(x, dim):
    m = np.max(x, axis=dim, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=dim, keepdims=True))


SOFTMAX_CASES = [
    ((2, 3, 4), 0), ((2, 3, 4), 1), ((2, 3, 4), 2), ((2, 3, 4), -1), ((2, 3, 4), -3),
    ((5,), 0), ((), 0), ((), -1), ((3, 0, 2), 1), ((3, 0, 2), 0), ((4, 1), 1),
    ((3, 300), -1),      # rows longer than one CUDA block
    ((2, 7, 130), 1),    # inner > the CPU column block
    ((2, 5, 3, 2), 2),
]
SOFTMAX_FNS = {"softmax": (F.softmax, np_softmax), "log_softmax": (F.log_softmax, np_log_softmax)}


@pytest.mark.parametrize("case", SOFTMAX_CASES, ids=str)
@pytest.mark.parametrize("name", SOFTMAX_FNS)
@pytest.mark.parametrize("dtype", [kernels.float32, kernels.float64], ids=str)
def test_softmax_forward_numpy(name, case, dtype):
    fn, ref = SOFTMAX_FNS[name]
    shape, dim = case
    x = normal(shape) * 3
    out = fn(kernels.tensor(x, dtype=dtype), dim)
    assert tuple(out.shape) == shape and out.dtype == dtype
    if x.size == 0:
        want = x
    elif shape:
        want = ref(x, dim)
    else:
        want = ref(x.reshape(1), 0).reshape(())
    tol = 1e-12 if dtype == kernels.float64 else 3e-6
    np.testing.assert_allclose(_np(out), want, rtol=tol, atol=tol)


@pytest.mark.parametrize("case", SOFTMAX_CASES, ids=str)
@pytest.mark.parametrize("name", SOFTMAX_FNS)
def test_softmax_torch(name, case):
    torch = pytest.importorskip("torch")
    shape, dim = case
    tfn = getattr(torch.nn.functional, name)
    check_torch(lambda x: SOFTMAX_FNS[name][0](x, dim), lambda x: tfn(x, dim), [normal(shape)])


@pytest.mark.parametrize("case", [c for c in SOFTMAX_CASES if np.prod(c[0]) <= 60], ids=str)
@pytest.mark.parametrize("name", SOFTMAX_FNS)
def test_softmax_gradcheck(name, case):
    shape, dim = case
    gradcheck(lambda x: SOFTMAX_FNS[name][0](x, dim), [normal(shape)])


@pytest.mark.parametrize("case", SOFTMAX_CASES, ids=str)
@pytest.mark.parametrize("name", SOFTMAX_FNS)
def test_softmax_cuda_vs_cpu(name, case):
    shape, dim = case
    check_cuda_vs_cpu(lambda x: SOFTMAX_FNS[name][0](x, dim), [normal(shape)])


def test_softmax_is_stable_and_propagates_nan():
    x = kernels.tensor(np.array([[1000.0, 1000.0, -1000.0], [-1e300, 0.0, np.nan]]))
    y = _np(F.softmax(x, 1))
    np.testing.assert_allclose(y[0], [0.5, 0.5, 0.0])
    assert np.isnan(y[1]).all()
    np.testing.assert_allclose(_np(F.log_softmax(x, 1))[0], [-math.log(2), -math.log(2), -2000 - math.log(2)])


def test_softmax_dtype_and_implicit_dim():
    x = kernels.tensor(normal((2, 3)), dtype=kernels.float32)
    y = F.softmax(x, dim=1, dtype=kernels.float64)
    assert y.dtype == kernels.float64
    with pytest.warns(UserWarning, match="implicit"):
        z = F.softmax(x)
    np.testing.assert_allclose(_np(z), np_softmax(_np(x), 1), rtol=1e-6)


# ------------------------------------------------------------------------------ bad inputs


ALL_FNS = {
    "sigmoid": F.sigmoid, "tanh": F.tanh, "relu": F.relu, "leaky_relu": F.leaky_relu, "elu": F.elu,
    "softplus": F.softplus, "gelu": F.gelu, "silu": F.silu,
    "softmax": lambda x: F.softmax(x, 0), "log_softmax": lambda x: F.log_softmax(x, 0),
    "dropout": F.dropout,
}


@pytest.mark.parametrize("name", ALL_FNS)
def test_bad_input_types(name):
    fn = ALL_FNS[name]
    with pytest.raises(TypeError, match=name):
        fn([1.0, 2.0])
    with pytest.raises(TypeError, match=name):
        fn(kernels.tensor([1, 2, 3]))  # int64
    with pytest.raises(TypeError, match=name):
        fn(kernels.tensor([True, False]))


def test_bad_arguments():
    x = kernels.tensor(normal((2, 3)))
    with pytest.raises(ValueError, match="gelu.*approximate"):
        F.gelu(x, approximate="fast")
    with pytest.raises(IndexError, match="softmax"):
        F.softmax(x, 2)
    with pytest.raises(IndexError, match="log_softmax"):
        F.log_softmax(x, -3)
    with pytest.raises(TypeError, match="softmax: dim"):
        F.softmax(x, 1.0)
    with pytest.raises(TypeError, match="leaky_relu"):
        F.leaky_relu(x, "0.1")
    for p in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="dropout probability"):
            F.dropout(x, p)
    with pytest.raises(ValueError, match="softplus: beta"):
        F.softplus(x, beta=0.0)


def test_bad_backward_arguments():
    x = kernels.tensor(normal((2, 3)))
    y = kernels.tensor(normal((3, 2)))
    with pytest.raises(ValueError, match=r"sigmoid_backward.*\(3,2\)"):
        _C.sigmoid_backward(x, y)
    with pytest.raises(TypeError, match="relu_backward"):
        _C.relu_backward(x, kernels.tensor(normal((2, 3)), dtype=kernels.float32))
    with pytest.raises(ValueError, match="softmax_backward"):
        _C.softmax_backward(x, y, 0)
    with pytest.raises(TypeError, match="dropout_backward: mask"):
        _C.dropout_backward(x, x, 0.5)
    with pytest.raises(ValueError, match="dropout_backward"):
        _C.dropout_backward(x, kernels.ones(3, 2, dtype=kernels.bool), 0.5)


@requires_cuda
def test_mixed_devices_raise():
    x = kernels.tensor(normal((2, 3)))
    with pytest.raises(RuntimeError, match="tanh_backward"):
        _C.tanh_backward(x, x.cuda())


def test_cuda_flag_consistent():
    assert HAS_CUDA == (kernels.cuda.is_available())


# float32 fast-path kernel edges (tanh, sigmoid, relu, silu, softplus, gelu): test_activation_float32.py


# ------------------------------------------------------------------ activation modules (kernels.nn) against torch


ACTIVATIONS = [
    ("ReLU", (), {}, "relu"), ("Sigmoid", (), {}, "sigmoid"), ("Tanh", (), {}, "tanh"),
    ("LeakyReLU", (0.2,), {}, "leaky_relu"), ("ELU", (0.7,), {}, "elu"),
    ("Softplus", (2.0, 5.0), {}, "softplus"), ("GELU", (), {}, "gelu"),
    ("GELU", (), {"approximate": "tanh"}, "gelu"), ("SiLU", (), {}, "silu"),
    ("Softmax", (1,), {}, "softmax"), ("Softmax", (-1,), {}, "softmax"),
    ("LogSoftmax", (1,), {}, "log_softmax"), ("Softmax", (), {}, "softmax"),
]


@pytest.mark.parametrize("name,args,kwargs,fn", ACTIVATIONS,
                         ids=[f"{a[0]}{i}" for i, a in enumerate(ACTIVATIONS)])
def test_activation_modules_vs_torch(name, args, kwargs, fn):
    torch = torch_or_skip()
    x = R.standard_normal((3, 5, 2)) * 3
    xk = T(x).requires_grad_()
    xt = torch.tensor(x, requires_grad=True)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's implicit-dim warning
        yk = getattr(nn, name)(*args, **kwargs)(xk)
        yt = getattr(torch.nn, name)(*args, **kwargs)(xt)
    np.testing.assert_allclose(yk.detach().numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = R.standard_normal(x.shape)
    yk.backward(T(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(xk.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-11)
