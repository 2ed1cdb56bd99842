"""The float32 activation kernels (csrc/cpu/activation_avx2.cpp, activation_gelu_avx2.cpp): 8 lanes
at a time with masked tails, polynomials and exp8 where libm would be a scalar call. These check
them where they can go wrong: lengths around the lane count and the thread split, accuracy against
float64 within the ulp bounds of the files' header comments, NaN / inf / -0 / huge / subnormal
inputs against the portable scalar functors, float64 untouched, and backward against torch."""
import math

import numpy as np
import pytest

import kernels
import kernels.nn.functional as F
from kernels import _C
from opcheck import check_torch, on_fast_and_portable

FMIN = float(np.finfo(np.float32).tiny)
_erfc = np.vectorize(math.erfc, otypes=[np.float64])
K = math.sqrt(2 / math.pi)


def _np(t):
    return np.asarray(t.detach().cpu().numpy())


def _sig(x):
    with np.errstate(over="ignore"):
        e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _phi_cdf(x):
    return 0.5 * _erfc(-x / math.sqrt(2))


def _v(x):  # gelu tanh: 2 k (x + 0.044715 x^3)
    return 2 * K * (x + 0.044715 * x ** 3)


def _softplus(beta, threshold):
    return lambda x: np.where(beta * x > threshold, x, np.logaddexp(0, beta * x) / beta)


def _softplus_d(beta, threshold):
    return lambda x: np.where(beta * x > threshold, 1.0, _sig(beta * x))


# name: (forward, backward(grad, x), float64 value, float64 derivative, scale of the derivative's
# terms (None: the derivative itself), max ulp forward, max ulp backward) -- the bounds of the
# kernels' header comments; the backward error is in ulp of the scale where the terms cancel.
KERNELS = {
    "sigmoid": (_C.sigmoid_forward, None, _sig, None, None, 2.41, None),
    "tanh": (_C.tanh_forward, None, np.tanh, None, None, 1.37, None),
    "silu": (_C.silu_forward, _C.silu_backward, lambda x: x * _sig(x),
             lambda x: _sig(x) * (1 + x * _sig(-x)), lambda x: _sig(x) * (1 + np.abs(x) * _sig(-x)),
             3.35, 4.22),
    "softplus": (lambda t: _C.softplus_forward(t, 1.0, 20.0),
                 lambda g, t: _C.softplus_backward(g, t, 1.0, 20.0), _softplus(1.0, 20.0),
                 _softplus_d(1.0, 20.0), None, 2.80, 2.41),
    "softplus_beta2": (lambda t: _C.softplus_forward(t, 2.0, 3.0),
                       lambda g, t: _C.softplus_backward(g, t, 2.0, 3.0), _softplus(2.0, 3.0),
                       _softplus_d(2.0, 3.0), None, 2.80, 2.41),
    "gelu": (lambda t: _C.gelu_forward(t, "none"), lambda g, t: _C.gelu_backward(g, t, "none"),
             lambda x: x * _phi_cdf(x), lambda x: _phi_cdf(x) + x * np.exp(-x * x / 2) / math.sqrt(2 * math.pi),
             lambda x: _phi_cdf(x) + np.abs(x) * np.exp(-x * x / 2) / math.sqrt(2 * math.pi), 6.28, 5.33),
    "gelu_tanh": (lambda t: _C.gelu_forward(t, "tanh"), lambda g, t: _C.gelu_backward(g, t, "tanh"),
                  lambda x: x * _sig(_v(x)),
                  lambda x: _sig(_v(x)) * (1 + x * _sig(-_v(x)) * 2 * K * (1 + 3 * 0.044715 * x * x)),
                  lambda x: _sig(_v(x)) * (1 + np.abs(x) * _sig(-_v(x)) * 2 * K * (1 + 3 * 0.044715 * x * x)),
                  3.76, 6.50),
}
# every op with a float32 fast path, through the public API (fwd) and autograd (bwd)
PUBLIC = {
    "sigmoid": F.sigmoid, "tanh": F.tanh, "relu": F.relu, "silu": F.silu, "softplus": F.softplus,
    "softplus_beta2": lambda x: F.softplus(x, beta=2.0, threshold=3.0),
    "softplus_beta_neg": lambda x: F.softplus(x, beta=-0.7, threshold=5.0),
    "gelu": F.gelu, "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
}


def _ulps(got, ref, scale=None):
    """|got - ref| in ulp of the float32 nearest |ref| (or of `scale`), where that is normal."""
    size = np.abs(ref) if scale is None else np.maximum(np.abs(ref), scale)
    ulp = np.spacing(size.astype(np.float32)).astype(np.float64)
    return np.where(np.abs(ref) >= FMIN, np.abs(got.astype(np.float64) - ref) / ulp, 0.0)


def _sweep():
    """Dense floats: every 4099th float with |x| in [2^-20, 128), both signs, and every float
    around the branch points (0.5 of log1p, 0.625 of tanh, the exp8 underflow)."""
    bits = np.arange(np.float32(2.0 ** -20).view(np.uint32), np.float32(128.0).view(np.uint32), 4099,
                     dtype=np.uint32)
    x = bits.view(np.float32)
    near = [np.float32(c).view(np.uint32) + np.arange(-2000, 2000, dtype=np.int64)
            for c in (0.5, 0.625, 0.75, 87.33, 87.6, 13.2, 9.6, 1.2785, 0.7518)]
    x = np.concatenate([x] + [n.astype(np.uint32).view(np.float32) for n in near])
    return np.concatenate([x, -x])


SWEEP = _sweep()


def _fwd_and_grad(name, x32):
    fwd, bwd = KERNELS[name][:2]
    y = _np(fwd(kernels.tensor(x32)))
    d = None if bwd is None else _np(bwd(kernels.ones(x32.size), kernels.tensor(x32)))
    return y, d


@pytest.mark.parametrize("name", KERNELS)
def test_float32_accuracy_within_the_documented_bounds(name):
    _, _, ref, dref, dscale, bound, dbound = KERNELS[name]
    y, d = _fwd_and_grad(name, SWEEP)
    x = SWEEP.astype(np.float64)
    assert _ulps(y, ref(x)).max() <= bound
    if d is not None:
        assert _ulps(d, dref(x), None if dscale is None else dscale(x)).max() <= dbound


@pytest.mark.parametrize("name", KERNELS)
def test_float32_results_below_the_normal_range(name):
    # exp8 gives subnormals down to 2^-126 e^-0.27 and 0 below; where silu and gelu multiply a
    # subnormal sigmoid or exp by something large they work 2^24 higher and scale back last
    _, _, ref, dref, _, _, _ = KERNELS[name]
    x = -np.geomspace(80.0, 120.0, 2001).astype(np.float32) if "gelu" not in name else \
        -np.linspace(9.0, 16.0, 2001).astype(np.float32)
    y, d = _fwd_and_grad(name, x)
    for got, want in ((y, ref(x.astype(np.float64))),
                      (d, None if dref is None else dref(x.astype(np.float64)))):
        if got is None:
            continue
        tiny = np.abs(want) < FMIN
        assert np.abs(got[tiny] - want[tiny]).max(initial=0) < FMIN
        assert _ulps(got[~tiny], want[~tiny]).max(initial=0) <= 6.0


@pytest.mark.parametrize("n", list(range(1, 18)) + [16383, 40001, 100003])
@pytest.mark.parametrize("threads", [1, 2])
def test_float32_tails_and_threads(n, threads):
    """Every kernel, every length from 1 to 17 (the masked tail) and odd lengths the threads
    split at places that are not multiples of 8: the same numbers as computing the elements one
    by one (each lane runs the same maths wherever it sits)."""
    x = (np.random.default_rng(n).standard_normal(n) * 4).astype(np.float32)
    x[:: 5] *= 30  # large magnitudes in some lanes
    g = np.random.default_rng(n + 1).standard_normal(n).astype(np.float32)
    prev = kernels.get_num_threads()
    kernels.set_num_threads(threads)
    try:
        for name, (fwd, bwd, *_rest) in KERNELS.items():
            y = _np(fwd(kernels.tensor(x)))
            one_by_one = np.array([_np(fwd(kernels.tensor(x[i:i + 1])))[0] for i in range(min(n, 17))])
            np.testing.assert_array_equal(y[:17], one_by_one, err_msg=name)
            if bwd is not None:
                d = _np(bwd(kernels.tensor(g), kernels.tensor(x)))
                d1 = np.array([_np(bwd(kernels.tensor(g[i:i + 1]), kernels.tensor(x[i:i + 1])))[0]
                               for i in range(min(n, 17))])
                np.testing.assert_array_equal(d[:17], d1, err_msg=name)
            if n > 17:  # the element at every thread boundary equals its lone evaluation
                for i in (n // 2 - 1, n // 2, n // 2 + 1, n - 1):
                    assert y[i] == _np(fwd(kernels.tensor(x[i:i + 1])))[0], name
        xs = kernels.tensor(x)
        np.testing.assert_array_equal(_np(F.relu(xs)), np.where(x <= 0, 0, x))
        np.testing.assert_array_equal(_np(_C.relu_backward(kernels.tensor(g), xs)), np.where(x <= 0, 0, g))
        y = _np(F.sigmoid(xs))  # sigmoid's backward is the scalar's arithmetic, to the bit
        np.testing.assert_array_equal(_np(_C.sigmoid_backward(kernels.tensor(g), kernels.tensor(y))),
                                      (g * y) * (np.float32(1) - y))
    finally:
        kernels.set_num_threads(prev)


def test_relu_in_place_on_a_view_writes_only_its_elements():
    base = np.array([-1.0, 2.0, np.nan, -0.0, 3.0, -4.0, 5.0, -6.0, 7.0, -8.0, 9.0], np.float32)
    t = kernels.tensor(base)
    F.relu_(t[:9])  # 9 elements: one full 8-lane step and a 1-lane tail
    out = _np(t)
    np.testing.assert_array_equal(out[9:], base[9:])
    np.testing.assert_array_equal(out[:9], [0, 2, np.nan, 0, 3, 0, 5, 0, 7])
    assert not np.signbit(out[3])  # relu(-0) = +0, as torch


SPECIAL = np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, -1e-45, 1e-38, -1e-38,
                    1e-30, -1e-30, 3e38, -3e38, 1e20, -1e20, 1e13, -1e13, 1e10, -1e10, 200.0,
                    -200.0, 100.0, -100.0, 90.0, -90.0, 88.0, -88.0, 30.0, -30.0, 20.0, -20.0,
                    15.0, -15.0, 13.5, -13.5, 10.0, -10.0, 5.0, -5.0, 0.7518, -0.7518, 0.3,
                    -0.3], np.float32)


@pytest.mark.parametrize("name", PUBLIC)
def test_special_values_as_the_portable_functors(name):
    """NaN in gives NaN out (relu: forward NaN, backward passes g), infinities and huge inputs
    saturate as the scalar functors do (including their NaN where x^2 or inf * 0 appears), and a
    zero has the portable path's sign. Finite values agree to float32 rounding, or to below the
    smallest normal float where one side is subnormal, or to 4e-7 where the portable formula
    0.5 x (1 + erf) cancels (gelu of x < -3: the fast path keeps the digits)."""
    fn = PUBLIC[name]

    def run():
        x = kernels.tensor(SPECIAL, requires_grad=True)
        y = fn(x)
        y.backward(kernels.full(SPECIAL.shape, 0.5))
        return _np(y), _np(x.grad)

    (yf, df), (yp, dp) = on_fast_and_portable(run)
    for fast, port, what in ((yf, yp, "forward"), (df, dp, "backward")):
        np.testing.assert_array_equal(np.isnan(fast), np.isnan(port), err_msg=f"{name} {what} NaN")
        zero = (fast == 0) & (port == 0)
        np.testing.assert_array_equal(np.signbit(fast[zero]), np.signbit(port[zero]),
                                      err_msg=f"{name} {what} sign of zero")
        ok = ~np.isnan(port)
        atol = 4e-7 if "gelu" in name else FMIN
        if what == "backward" and name in ("sigmoid", "tanh"):
            atol = 1e-7  # from each path's own y: 1 - y near saturation moves by ulps of 1
        np.testing.assert_allclose(fast[ok], port[ok], rtol=1e-6, atol=atol, err_msg=f"{name} {what}")
    if name == "relu":
        assert np.isnan(yf[0]) and df[0] == 0.5  # torch's relu: NaN forward, g backward
        assert yf[5] == 0 and not np.signbit(yf[5]) and df[5] == 0


@pytest.mark.parametrize("name", PUBLIC)
def test_portable_and_fast_paths_agree(name):
    """The DEFAULT capability level runs the scalar functors (libm); both agree within the
    kernels' error plus the portable functors' own (absolute where 1 + erf or 1 + tanh cancels)."""
    x = (np.random.default_rng(5).standard_normal(4099) * 3).astype(np.float32)

    def run():
        t = kernels.tensor(x, requires_grad=True)
        y = PUBLIC[name](t)
        y.backward(kernels.ones(x.size))
        return _np(y), _np(t.grad)

    (yf, df), (yp, dp) = on_fast_and_portable(run)
    atol = 4e-7 if "gelu" in name else 0
    np.testing.assert_allclose(yf, yp, rtol=1e-6, atol=atol)
    # the backward terms cancel near the minimum of silu/gelu: absolute there
    np.testing.assert_allclose(df, dp, rtol=1e-6, atol=atol + 3e-7)


@pytest.mark.parametrize("name", PUBLIC)
def test_float64_still_runs_the_scalar_functors(name):
    x = np.random.default_rng(6).standard_normal(1001) * 5
    x[::7] = np.resize([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e300, -1e300, 50.0], x[::7].shape)

    def run():
        t = kernels.tensor(x, requires_grad=True)
        y = PUBLIC[name](t)
        y.backward(kernels.ones(x.size, dtype=kernels.float64))
        return _np(y), _np(t.grad)

    (yf, df), (yp, dp) = on_fast_and_portable(run)
    np.testing.assert_array_equal(yf, yp)  # to the bit: float64 has no fast path
    np.testing.assert_array_equal(df, dp)


@pytest.mark.parametrize("shape", [(17,), (3, 5, 7), (64, 6, 28, 28)], ids=str)
@pytest.mark.parametrize("name", PUBLIC)
def test_float32_forward_and_backward_against_torch(name, shape):
    torch = pytest.importorskip("torch")
    tf = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
          "silu": torch.nn.functional.silu, "softplus": torch.nn.functional.softplus,
          "softplus_beta2": lambda t: torch.nn.functional.softplus(t, beta=2.0, threshold=3.0),
          "softplus_beta_neg": lambda t: torch.nn.functional.softplus(t, beta=-0.7, threshold=5.0),
          "gelu": torch.nn.functional.gelu,
          "gelu_tanh": lambda t: torch.nn.functional.gelu(t, approximate="tanh")}[name]
    x = np.random.default_rng(7).standard_normal(shape) * 3
    # absolute 1e-6: torch's float32 gelu takes 1 + erf (or 1 + tanh), which cancels for x < -3,
    # and sigmoid's and tanh's backward from each library's own y moves by ulps of 1 - y. torch's
    # vectorised erf is itself off by up to 6e-7 (x = -3.3: gelu 1.06e-6 away from float64, ours
    # 1e-10), and its gelu tanh backward is 0 once tanh rounds to -1 (x < -5.2), where the true
    # value times the upstream gradient is up to 3e-6: 2e-6 and 5e-6 for those.
    atol = {"gelu": 2e-6, "gelu_tanh": 5e-6}.get(name, 1e-6)
    check_torch(PUBLIC[name], tf, [x], dtype=kernels.float32, atol=atol, rtol=2e-6)


# ------------------------------------------------------------------ float32 tanh
# tanh: a polynomial below |x| = 0.625, exp above, clamped at 10.

def _tanh_ulps(x32):
    got = _np(F.tanh(kernels.tensor(x32))).astype(np.float64)
    ref = np.tanh(x32.astype(np.float64))
    ulp = np.spacing(np.abs(ref).astype(np.float32)).astype(np.float64)
    return np.abs(got - ref) / ulp


@pytest.mark.parametrize("n", [1, 7, 8, 9, 15, 17, 16385, 40001])
@pytest.mark.parametrize("threads", [1, 2])
def test_tanh_float32_tails_and_threads(n, threads):
    prev = kernels.get_num_threads()
    kernels.set_num_threads(threads)
    try:
        x = np.random.default_rng(n).standard_normal(n).astype(np.float32) * 4
        assert _tanh_ulps(x).max() <= 2.0
    finally:
        kernels.set_num_threads(prev)


def test_tanh_float32_accuracy_across_the_branches():
    # dense around the polynomial/exp switch, the clamp, and tiny/huge magnitudes
    x = np.concatenate([np.linspace(-12, 12, 200001), np.linspace(0.6, 0.65, 10001),
                        np.linspace(9.9, 10.1, 1001), np.geomspace(1e-38, 1e-3, 1001)]).astype(np.float32)
    x = np.concatenate([x, -x])
    assert _tanh_ulps(x).max() <= 2.0


def test_tanh_float32_special_values():
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 3e38, -3e38, 1e-11, 0.625,
                  -0.625, 10.0, -10.0], dtype=np.float32)
    y = _np(F.tanh(kernels.tensor(x)))
    np.testing.assert_array_equal(np.signbit(y[:2]), [False, True])
    np.testing.assert_array_equal(y[2:4], [1.0, -1.0])
    assert np.isnan(y[4])
    np.testing.assert_array_equal(y[5:7], x[5:7])
    np.testing.assert_array_equal(y[7:9], [1.0, -1.0])
    np.testing.assert_allclose(y[9:], np.tanh(x[9:].astype(np.float64)), rtol=2e-7)


def test_tanh_float32_backward_rounds_once():
    y = np.random.default_rng(8).uniform(-1, 1, 1003).astype(np.float32)
    g = np.random.default_rng(9).standard_normal(1003).astype(np.float32)
    d = _np(_C.tanh_backward(kernels.tensor(g), kernels.tensor(y))).astype(np.float64)
    want = g.astype(np.float64) * (1 - y.astype(np.float64) ** 2)
    assert _ulps(d, want).max() <= 1.5
