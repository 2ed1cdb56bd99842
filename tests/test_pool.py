"""Pooling: max/avg/adaptive pooling (1-d and 2-d) forward against NumPy float64 and torch,
backward against float64 finite differences and torch.autograd, ties / NaN / -inf routed as torch,
CPU against CUDA, modules against torch's modules, and bad inputs.

The configurations are a seeded random table (odd sizes, kernel 1-4, stride 1-3, padding up to
kernel/2, dilation 1-3, ceil_mode, count_include_pad, batch 1 and 7, unbatched input)."""
import math

import numpy as np
import pytest

import kernels
from kernels.backends import cpu as cpu_backend
import kernels.functional as F
import kernels.nn as nn
from kernels.testing.cases import FEATURE_MAPS, POOL, POOL_KERNEL, with_batch
from opcheck import (HAS_CUDA, check_cuda_vs_cpu, check_gradients, check_torch, gradcheck, raises_with, requires_cuda,
                     torch_functional)

TF = torch_functional  # imports torch when called: the tests without torch still run


def _np(t):
    return np.asarray(t.detach().cpu().numpy())


# ------------------------------------------------------------------------------ NumPy references


def out_size(n, k, s, p, d, ceil_mode):
    o = math.floor((n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) / s) + 1
    if ceil_mode and (o - 1) * s >= n + p:
        o -= 1
    return o


def np_max_pool2d(x, k, s, p, d, ceil_mode):
    """torch's scan: rows then columns of valid positions, v > m or isnan(v) takes the lead."""
    *lead, H, W = x.shape
    OH, OW = out_size(H, k[0], s[0], p[0], d[0], ceil_mode), out_size(W, k[1], s[1], p[1], d[1], ceil_mode)
    planes = x.reshape(-1, H, W)
    out = np.empty((planes.shape[0], OH, OW))
    idx = np.empty((planes.shape[0], OH, OW), dtype=np.int64)
    for q, plane in enumerate(planes):
        for oh in range(OH):
            for ow in range(OW):
                m, mi = -np.inf, None
                for kh in range(k[0]):
                    ih = oh * s[0] - p[0] + kh * d[0]
                    if not 0 <= ih < H:
                        continue
                    for kw in range(k[1]):
                        iw = ow * s[1] - p[1] + kw * d[1]
                        if not 0 <= iw < W:
                            continue
                        v = plane[ih, iw]
                        if mi is None:
                            mi = ih * W + iw  # torch's index when nothing beats -inf
                        if v > m or np.isnan(v):
                            m, mi = v, ih * W + iw
                out[q, oh, ow], idx[q, oh, ow] = m, mi
    return out.reshape(*lead, OH, OW), idx.reshape(*lead, OH, OW)


def np_avg_pool2d(x, k, s, p, ceil_mode, count_include_pad, divisor_override=None):
    *lead, H, W = x.shape
    OH, OW = out_size(H, k[0], s[0], p[0], 1, ceil_mode), out_size(W, k[1], s[1], p[1], 1, ceil_mode)
    planes = x.reshape(-1, H, W)
    out = np.empty((planes.shape[0], OH, OW))
    for oh in range(OH):
        h0 = oh * s[0] - p[0]
        h1 = min(h0 + k[0], H + p[0])
        for ow in range(OW):
            w0 = ow * s[1] - p[1]
            w1 = min(w0 + k[1], W + p[1])
            size = (h1 - h0) * (w1 - w0)
            a, b, c, e = max(h0, 0), min(h1, H), max(w0, 0), min(w1, W)
            div = divisor_override or (size if count_include_pad else (b - a) * (e - c))
            out[:, oh, ow] = planes[:, a:b, c:e].sum(axis=(1, 2)) / div
    return out.reshape(*lead, OH, OW)


def _windows(n, on):
    return [(o * n // on, -(-(o + 1) * n // on)) for o in range(on)]


def np_adaptive_pool2d(x, osize, kind):
    *lead, H, W = x.shape
    OH, OW = osize
    planes = x.reshape(-1, H, W)
    out = np.empty((planes.shape[0], OH, OW))
    idx = np.empty((planes.shape[0], OH, OW), dtype=np.int64)
    for oh, (a, b) in enumerate(_windows(H, OH)):
        for ow, (c, e) in enumerate(_windows(W, OW)):
            win = planes[:, a:b, c:e].reshape(planes.shape[0], -1)
            if kind == "avg":
                out[:, oh, ow] = win.mean(axis=1)
            else:
                j = np.argmax(win, axis=1)  # first max (no NaN in these inputs)
                out[:, oh, ow] = win[np.arange(len(win)), j]
                idx[:, oh, ow] = (a + j // (e - c)) * W + c + j % (e - c)
    return out.reshape(*lead, OH, OW), idx.reshape(*lead, OH, OW)


# ------------------------------------------------------------------------------ configuration table


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _valid(shape, k, s, p, d, ceil_mode):
    H, W = shape[-2:]
    for n, kk, ss, pp, dd in zip((H, W), k, s, p, d):
        if pp > kk // 2:
            return False
        on = out_size(n, kk, ss, pp, dd, ceil_mode)
        if on < 1:
            return False
        for o in range(on):  # every window must hold an input position (else max pool rejects it)
            if not any(0 <= o * ss - pp + j * dd < n for j in range(kk)):
                return False
    return True


def _table(seed, n, dilation):
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < n:
        lead = [(1, 2), (7, 2), (3,), (2, 3)][rng.integers(4)]  # batch 1 / 7, unbatched (C, H, W)
        shape = tuple(lead) + (int(rng.choice([1, 3, 5, 7, 9, 11])), int(rng.choice([1, 2, 3, 5, 7, 9, 11])))
        k = (int(rng.integers(1, 5)), int(rng.integers(1, 5)))
        s = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        p = (int(rng.integers(0, k[0] // 2 + 1)), int(rng.integers(0, k[1] // 2 + 1)))
        d = (int(rng.integers(1, 4)), int(rng.integers(1, 4))) if dilation else (1, 1)
        ceil_mode = bool(rng.integers(2))
        if not _valid(shape, k, s, p, d, ceil_mode):
            continue
        kw = {"kernel_size": k, "stride": s, "padding": p, "ceil_mode": ceil_mode}
        if dilation:
            kw["dilation"] = d
        else:
            kw["count_include_pad"] = bool(rng.integers(2))
        cases.append((shape, kw))
    return cases


MAX_CASES = _table(1, 26, dilation=True) + [
    ((2, 3, 28, 28), {"kernel_size": 2}),  # LeNet
    ((2, 4, 32, 32), {"kernel_size": 3, "stride": 2, "padding": 1}),  # ResNet stem
    ((1, 2, 9, 9), {"kernel_size": 3, "stride": None}),  # stride None = kernel_size
    ((1, 1, 6, 7), {"kernel_size": (2, 3), "stride": (1, 2), "padding": (1, 0), "ceil_mode": True}),
]
AVG_CASES = _table(2, 26, dilation=False) + [
    ((2, 3, 28, 28), {"kernel_size": 2}),
    ((2, 4, 32, 32), {"kernel_size": 3, "stride": 2, "padding": 1}),
    ((1, 2, 7, 7), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False}),
    ((1, 2, 7, 7), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "divisor_override": 5}),
    ((2, 1, 5, 6), {"kernel_size": 2, "divisor_override": -3}),
]


# The pooling the benchmarks time (kernels.testing.cases.POOL: 2x2 on LeNet-5's and ResNet's
# feature maps), at batch 2; max and avg alike.
NETWORK = [(with_batch(shape, 2), {"kernel_size": POOL_KERNEL}) for _, shape in POOL]


def _ids(cases):
    return [f"{s}-" + ",".join(f"{k}={v}" for k, v in kw.items()) for s, kw in cases]


def _distinct(shape, seed=0):
    """Values at least 1e-3 apart, so no max moves under a 1e-6 finite-difference step."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    return (rng.permutation(n) * 1e-3 + rng.uniform(0, 1e-4, n)).reshape(shape) - n * 5e-4


def _kw2(kw):
    return {"kernel_size": _pair(kw["kernel_size"]), "stride": _pair(kw.get("stride") or kw["kernel_size"]),
            "padding": _pair(kw.get("padding", 0))}


# ------------------------------------------------------------------------------ max_pool2d


@pytest.mark.parametrize("shape,kw", MAX_CASES + NETWORK, ids=_ids(MAX_CASES + NETWORK))
def test_max_pool2d_forward(shape, kw):
    x = np.random.default_rng(3).standard_normal(shape)
    k = _kw2(kw)
    want, want_idx = np_max_pool2d(x, k["kernel_size"], k["stride"], k["padding"], _pair(kw.get("dilation", 1)),
                                   kw.get("ceil_mode", False))
    for dtype in (kernels.float64, kernels.float32):
        out, idx = F.max_pool2d(kernels.tensor(x, dtype=dtype), return_indices=True, **kw)
        assert out.dtype == dtype and idx.dtype == kernels.int64
        np.testing.assert_array_equal(_np(out), want.astype(np.float32) if dtype == kernels.float32 else want)
        np.testing.assert_array_equal(_np(idx), want_idx)
    torch = pytest.importorskip("torch")
    tout, tidx = TF.max_pool2d(torch.tensor(x), return_indices=True, **kw)
    np.testing.assert_array_equal(want, tout.numpy())
    np.testing.assert_array_equal(want_idx, tidx.numpy())


@pytest.mark.parametrize("shape,kw", MAX_CASES + NETWORK, ids=_ids(MAX_CASES + NETWORK))
def test_max_pool2d_backward(shape, kw):
    x = _distinct(shape)
    check_gradients(lambda t: F.max_pool2d(t, **kw), lambda t: TF.max_pool2d(t, **kw), [x], tol32=(1e-6, 1e-6))


@pytest.mark.parametrize("shape,kw", MAX_CASES[:12] + MAX_CASES[-4:], ids=_ids(MAX_CASES[:12] + MAX_CASES[-4:]))
def test_max_pool2d_ties_route_like_torch(shape, kw, torch):
    # Few distinct values: most windows hold ties; torch sends the gradient to the first max.
    x = np.random.default_rng(4).integers(0, 3, shape).astype(np.float64)
    fn = lambda t: F.max_pool2d(t, return_indices=True, **kw)  # noqa: E731
    check_torch(fn, lambda t: TF.max_pool2d(t, return_indices=True, **kw), [x])
    _, idx = F.max_pool2d(kernels.tensor(x), return_indices=True, **kw)
    _, tidx = TF.max_pool2d(torch.tensor(x), return_indices=True, **kw)
    np.testing.assert_array_equal(_np(idx), tidx.numpy())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_max_pool2d_nan_and_inf_like_torch(dtype, torch):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 9, 11)).astype(dtype)
    x[rng.random(x.shape) < 0.15] = np.nan
    x[0, 0] = -np.inf  # whole plane -inf: torch's index is the first valid position
    x[0, 1, ::2] = np.inf
    for kw in ({"kernel_size": 3, "stride": 2, "padding": 1}, {"kernel_size": 2, "dilation": 2},
               {"kernel_size": (3, 2), "stride": 1, "ceil_mode": True}):
        out, idx = F.max_pool2d(kernels.tensor(x), return_indices=True, **kw)
        tout, tidx = TF.max_pool2d(torch.tensor(x), return_indices=True, **kw)
        np.testing.assert_array_equal(_np(out), tout.numpy())  # NaN compares equal here
        np.testing.assert_array_equal(_np(idx), tidx.numpy())
        want, want_idx = np_max_pool2d(x.astype(np.float64), *[_pair(kw.get(n, d)) for n, d in (
            ("kernel_size", 1), ("stride", kw.get("stride") or kw["kernel_size"]), ("padding", 0), ("dilation", 1))],
            kw.get("ceil_mode", False))
        np.testing.assert_array_equal(_np(idx), want_idx)
        # backward routes to the same places as torch
        xt = kernels.tensor(x, requires_grad=True)
        g = rng.standard_normal(tuple(out.shape)).astype(dtype)
        F.max_pool2d(xt, **kw).backward(kernels.tensor(g))
        tx = torch.tensor(x, requires_grad=True)
        TF.max_pool2d(tx, **kw).backward(torch.tensor(g))
        np.testing.assert_allclose(_np(xt.grad), tx.grad.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("shape,kw", MAX_CASES[::3], ids=_ids(MAX_CASES[::3]))
def test_max_pool2d_cuda_vs_cpu(shape, kw):
    check_cuda_vs_cpu(lambda t: F.max_pool2d(t, **kw), [_distinct(shape)])
    # ties: the same indices on both devices
    x = kernels.tensor(np.random.default_rng(6).integers(0, 3, shape).astype(np.float32))
    _, idx_cpu = F.max_pool2d(x, return_indices=True, **kw)
    _, idx_gpu = F.max_pool2d(x.to("cuda"), return_indices=True, **kw)
    np.testing.assert_array_equal(_np(idx_gpu), _np(idx_cpu))


# ------------------------------------------------------------------------------ the other CPU loops


@pytest.fixture
def cpu_path(request):
    """Run a test at a lower CPU capability level than this machine would pick (None: its own): "default" (the
    baseline-ISA vector loops) or "scalar" (the plane loops without the 2x2 fast path, and
    torch's one-output-at-a-time loop for max pooling)."""
    if request.param is None:  # the level this machine picks
        yield None
        return
    with cpu_backend.cpu_capability(request.param):
        yield request.param


SUBSET = MAX_CASES[::4] + MAX_CASES[-4:]


@pytest.mark.parametrize("cpu_path", ["default", "scalar"], indirect=True)
@pytest.mark.parametrize("shape,kw", SUBSET, ids=_ids(SUBSET))
def test_max_pool2d_other_cpu_paths(cpu_path, shape, kw, torch):
    rng = np.random.default_rng(17)
    x = rng.integers(0, 3, shape).astype(np.float32)  # ties
    x[rng.random(shape) < 0.05] = np.nan
    for dtype in (np.float32, np.float64):
        out, idx = F.max_pool2d(kernels.tensor(x.astype(dtype)), return_indices=True, **kw)
        tout, tidx = TF.max_pool2d(torch.tensor(x.astype(dtype)), return_indices=True, **kw)
        np.testing.assert_array_equal(_np(out), tout.numpy())
        np.testing.assert_array_equal(_np(idx), tidx.numpy())
    check_torch(lambda t: F.max_pool2d(t, **kw), lambda t: TF.max_pool2d(t, **kw), [_distinct(shape)])


AVG_SUBSET = AVG_CASES[::4] + AVG_CASES[-5:]


@pytest.mark.parametrize("cpu_path", ["default", "scalar"], indirect=True)
@pytest.mark.parametrize("shape,kw", AVG_SUBSET, ids=_ids(AVG_SUBSET))
def test_avg_pool2d_base_cpu_path(cpu_path, shape, kw):
    x = np.random.default_rng(18).standard_normal(shape)
    check_torch(lambda t: F.avg_pool2d(t, **kw), lambda t: TF.avg_pool2d(t, **kw), [x])
    check_torch(lambda t: F.avg_pool2d(t, **kw), lambda t: TF.avg_pool2d(t, **kw), [x], dtype=kernels.float32,
                atol=1e-5, rtol=1e-5)


def test_cpu_path_bad_name():
    with pytest.raises(ValueError, match="expected 'avx512', 'avx2', 'default' or 'scalar'"):
        cpu_backend.set_cpu_capability("sse9")


# ------------------------------------------------------------------------------ avg_pool2d


@pytest.mark.parametrize("shape,kw", AVG_CASES + NETWORK, ids=_ids(AVG_CASES + NETWORK))
def test_avg_pool2d_forward(shape, kw):
    x = np.random.default_rng(7).standard_normal(shape)
    k = _kw2(kw)
    want = np_avg_pool2d(x, k["kernel_size"], k["stride"], k["padding"], kw.get("ceil_mode", False),
                         kw.get("count_include_pad", True), kw.get("divisor_override"))
    out = F.avg_pool2d(kernels.tensor(x), **kw)
    np.testing.assert_allclose(_np(out), want, rtol=1e-13, atol=1e-14)
    out32 = F.avg_pool2d(kernels.tensor(x, dtype=kernels.float32), **kw)
    np.testing.assert_allclose(_np(out32), want, rtol=2e-6, atol=2e-6)
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(TF.avg_pool2d(torch.tensor(x), **kw).numpy(), want, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("shape,kw", AVG_CASES + NETWORK, ids=_ids(AVG_CASES + NETWORK))
def test_avg_pool2d_backward(shape, kw):
    x = np.random.default_rng(8).standard_normal(shape)
    check_gradients(lambda t: F.avg_pool2d(t, **kw), lambda t: TF.avg_pool2d(t, **kw), [x])


@pytest.mark.parametrize("shape,kw", AVG_CASES[::3], ids=_ids(AVG_CASES[::3]))
def test_avg_pool2d_cuda_vs_cpu(shape, kw):
    check_cuda_vs_cpu(lambda t: F.avg_pool2d(t, **kw), [np.random.default_rng(9).standard_normal(shape)])


# ------------------------------------------------------------------------------ adaptive pooling

ADAPTIVE_CASES = [
    ((2, 3, 7, 9), (3, 4)), ((7, 2, 5, 5), 1), ((1, 2, 11, 6), (4, None)), ((3, 8, 8), (2, 2)),
    ((2, 2, 5, 7), (5, 7)), ((2, 2, 4, 5), (7, 9)), ((1, 1, 1, 1), 3), ((2, 3, 32, 32), 1),
    ((1, 2, 13, 10), (None, 3)),
]
_AIDS = [f"{s}-{o}" for s, o in ADAPTIVE_CASES]


def _osize(shape, o):
    o = o if isinstance(o, tuple) else (o, o)
    return tuple(shape[-2 + i] if v is None else v for i, v in enumerate(o))


@pytest.mark.parametrize("shape,osize", ADAPTIVE_CASES, ids=_AIDS)
@pytest.mark.parametrize("cpu_path", [None, "default"], indirect=True)
def test_adaptive_avg_pool2d(shape, osize, cpu_path):
    x = np.random.default_rng(10).standard_normal(shape)
    want, _ = np_adaptive_pool2d(x, _osize(shape, osize), "avg")
    out = F.adaptive_avg_pool2d(kernels.tensor(x), osize)
    np.testing.assert_allclose(_np(out), want, rtol=1e-13, atol=1e-14)
    fn = lambda t: F.adaptive_avg_pool2d(t, osize)  # noqa: E731
    tfn = lambda t: TF.adaptive_avg_pool2d(t, osize)  # noqa: E731
    if np.prod(shape) <= 400:
        gradcheck(fn, [x])
    if HAS_CUDA:  # CPU vs CUDA on the same inputs (check_cuda_vs_cpu would skip the whole test)
        check_cuda_vs_cpu(fn, [x])
    check_torch(fn, tfn, [x], atol=1e-13, rtol=1e-12)  # last: it skips the rest without torch
    check_torch(fn, tfn, [x], dtype=kernels.float32, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("shape,osize", ADAPTIVE_CASES, ids=_AIDS)
def test_adaptive_max_pool2d(shape, osize):
    x = _distinct(shape, 11)
    want, want_idx = np_adaptive_pool2d(x, _osize(shape, osize), "max")
    out, idx = F.adaptive_max_pool2d(kernels.tensor(x), osize, return_indices=True)
    np.testing.assert_array_equal(_np(out), want)
    np.testing.assert_array_equal(_np(idx), want_idx)
    fn = lambda t: F.adaptive_max_pool2d(t, osize)  # noqa: E731
    if np.prod(shape) <= 400:
        gradcheck(fn, [x])
    if HAS_CUDA:
        check_cuda_vs_cpu(fn, [x])
    check_torch(fn, lambda t: TF.adaptive_max_pool2d(t, osize), [x])
    ties = np.random.default_rng(12).integers(0, 2, shape).astype(np.float64)
    check_torch(lambda t: F.adaptive_max_pool2d(t, osize, True), lambda t: TF.adaptive_max_pool2d(t, osize, True),
                [ties])


def test_global_average_pooling_is_the_plane_mean():
    x = np.random.default_rng(13).standard_normal((7, 5, 6, 9))
    out = F.adaptive_avg_pool2d(kernels.tensor(x), 1)
    np.testing.assert_allclose(_np(out), x.mean(axis=(2, 3), keepdims=True), rtol=1e-13)


def test_adaptive_output_size_zero_is_empty_like_torch():
    x = kernels.tensor(np.ones((2, 3, 4, 4)), requires_grad=True)
    out = F.adaptive_avg_pool2d(x, (0, 2))
    assert tuple(out.shape) == (2, 3, 0, 2)
    out.sum().backward()
    np.testing.assert_array_equal(_np(x.grad), np.zeros((2, 3, 4, 4)))
    torch = pytest.importorskip("torch")
    assert tuple(TF.adaptive_avg_pool2d(torch.ones(2, 3, 4, 4), (0, 2)).shape) == (2, 3, 0, 2)


# ------------------------------------------------------------------------------ 1-d pooling

POOL1D_CASES = [
    ((2, 3, 9), {"kernel_size": 3, "stride": 2, "padding": 1}),
    ((7, 2, 10), {"kernel_size": 2}),
    ((3, 11), {"kernel_size": 4, "stride": 3, "padding": 2, "ceil_mode": True}),
    ((1, 1, 5), {"kernel_size": 1, "stride": 1}),
    ((2, 2, 8), {"kernel_size": 3, "stride": 1, "padding": 1, "count_include_pad": False}),
]


@pytest.mark.parametrize("shape,kw", POOL1D_CASES, ids=_ids(POOL1D_CASES))
def test_pool1d(shape, kw):
    x = _distinct(shape, 14)
    avg_kw = dict(kw)
    max_kw = {k: v for k, v in kw.items() if k != "count_include_pad"}
    xs = x[:1]  # finite differences on a small slice
    gradcheck(lambda t: F.max_pool1d(t, **max_kw), [xs])
    gradcheck(lambda t: F.avg_pool1d(t, **avg_kw), [xs])
    gradcheck(lambda t: F.adaptive_avg_pool1d(t, 3), [xs])
    if HAS_CUDA:
        check_cuda_vs_cpu(lambda t: F.max_pool1d(t, **max_kw), [xs])
        check_cuda_vs_cpu(lambda t: F.avg_pool1d(t, **avg_kw), [xs])
    check_torch(lambda t: F.avg_pool1d(t, **avg_kw), lambda t: TF.avg_pool1d(t, **avg_kw), [x])
    check_torch(lambda t: F.max_pool1d(t, return_indices=True, **max_kw),
                lambda t: TF.max_pool1d(t, return_indices=True, **max_kw), [x])
    stride = max_kw.get("stride") or max_kw["kernel_size"]
    if _valid((1,) + shape[-1:], (1, max_kw["kernel_size"]), (1, stride), (0, max_kw.get("padding", 0)), (1, 2),
              max_kw.get("ceil_mode", False)):
        check_torch(lambda t: F.max_pool1d(t, dilation=2, **max_kw), lambda t: TF.max_pool1d(t, dilation=2, **max_kw),
                    [x])
    o = 3 if len(shape) == 2 else shape[-1] + 2  # shrinking and growing windows
    check_torch(lambda t: F.adaptive_avg_pool1d(t, o), lambda t: TF.adaptive_avg_pool1d(t, o), [x])
    check_torch(lambda t: F.adaptive_max_pool1d(t, o, True), lambda t: TF.adaptive_max_pool1d(t, o, True), [x])


# ------------------------------------------------------------------------------ modules


MODULE_CASES = [
    ("MaxPool2d", (3,), {"stride": 2, "padding": 1}, (2, 3, 9, 9)),
    ("MaxPool2d", ((2, 3),), {"dilation": (2, 1), "ceil_mode": True, "return_indices": True}, (2, 3, 9, 9)),
    ("AvgPool2d", (2,), {}, (2, 3, 8, 8)),
    ("AvgPool2d", (3, 2, 1), {"ceil_mode": True, "count_include_pad": False, "divisor_override": 4}, (1, 2, 7, 7)),
    ("MaxPool1d", (3, 2), {"padding": 1}, (2, 3, 9)),
    ("AvgPool1d", (3,), {"stride": 1, "padding": 1, "count_include_pad": False}, (2, 3, 9)),
    ("AdaptiveAvgPool2d", ((3, None),), {}, (2, 3, 7, 8)),
    ("AdaptiveAvgPool2d", (1,), {}, (2, 3, 7, 8)),
    ("AdaptiveAvgPool1d", (4,), {}, (2, 3, 9)),
    ("AdaptiveMaxPool2d", ((2, 3),), {}, (2, 3, 7, 8)),
    ("AdaptiveMaxPool2d", (2,), {"return_indices": True}, (2, 3, 7, 8)),
    ("AdaptiveMaxPool1d", (4,), {}, (2, 3, 9)),
]


@pytest.mark.parametrize("name,args,kw,shape", MODULE_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(MODULE_CASES)])
def test_modules_match_torch(name, args, kw, shape, torch):
    ours, theirs = getattr(nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(ours) == repr(theirs)
    x = _distinct(shape, 15)
    check_torch(lambda t: ours(t), lambda t: theirs(t), [x])
    assert ours.state_dict() == {} and len(list(ours.parameters())) == 0


# ------------------------------------------------------------------------------ bad inputs

X4 = np.zeros((2, 3, 5, 5))


def _t(a):
    return kernels.tensor(np.asarray(a, dtype=np.float64))


BAD = [
    ("rank", lambda: F.max_pool2d(_t(np.zeros((5, 5))), 2), ValueError, "max_pool2d: input must be 3-D"),
    ("rank5", lambda: F.avg_pool2d(_t(np.zeros((1, 1, 1, 5, 5))), 2), ValueError, "avg_pool2d: input must be"),
    ("rank1d", lambda: F.max_pool1d(_t(X4), 2), ValueError, "max_pool1d: input must be 2-D (C, L) or 3-D"),
    ("zero channel", lambda: F.max_pool2d(_t(np.zeros((2, 0, 5, 5))), 2), ValueError, "zero-sized"),
    ("kernel too big", lambda: F.max_pool2d(_t(X4), 6), ValueError, "max_pool2d: input (2,3,5,5) is too small"),
    ("kernel too big avg", lambda: F.avg_pool2d(_t(X4), (2, 7)), ValueError, "avg_pool2d: input (2,3,5,5) is too small"),
    ("dilated too big", lambda: F.max_pool2d(_t(X4), 3, dilation=3), ValueError, "dilated kernel (7,7)"),
    ("padding > k/2", lambda: F.max_pool2d(_t(X4), 2, padding=2), ValueError, "padding (2,2) must be at most half"),
    ("padding > k/2 avg", lambda: F.avg_pool2d(_t(X4), 3, padding=(0, 2)), ValueError, "at most half of kernel_size (3,3)"),
    ("negative padding", lambda: F.max_pool2d(_t(X4), 2, padding=-1), ValueError, "padding must be non-negative"),
    ("zero kernel", lambda: F.max_pool2d(_t(X4), 0), ValueError, "kernel_size must be positive, got (0,0)"),
    ("negative kernel", lambda: F.avg_pool1d(_t(np.zeros((2, 3, 5))), -1), ValueError, "avg_pool1d: kernel_size must be positive"),
    ("zero stride", lambda: F.max_pool2d(_t(X4), 2, stride=0), ValueError, "stride must be positive, got (0,0)"),
    ("negative stride", lambda: F.avg_pool2d(_t(X4), 2, stride=(1, -1)), ValueError, "stride must be positive, got (1,-1)"),
    ("zero dilation", lambda: F.max_pool2d(_t(X4), 2, dilation=0), ValueError, "dilation must be positive"),
    ("three kernel dims", lambda: F.max_pool2d(_t(X4), (2, 2, 2)), ValueError, "kernel_size must be a single int or a tuple of two"),
    ("float kernel", lambda: F.max_pool2d(_t(X4), 2.5), TypeError, "kernel_size must be an int"),
    ("divisor zero", lambda: F.avg_pool2d(_t(X4), 2, divisor_override=0), ValueError, "divisor_override must be non-zero"),
    ("empty window", lambda: F.max_pool2d(_t(np.zeros((1, 1, 4, 1))), 2, padding=1, dilation=(1, 2)), ValueError,
     "covers only padding"),
    ("adaptive negative", lambda: F.adaptive_avg_pool2d(_t(X4), (-1, 2)), ValueError,
     "adaptive_avg_pool2d: output_size must be non-negative, got (-1,2)"),
    ("adaptive rank", lambda: F.adaptive_max_pool2d(_t(np.zeros((4, 4))), 2), ValueError, "adaptive_max_pool2d: input must be"),
    ("adaptive size len", lambda: F.adaptive_avg_pool2d(_t(X4), (1, 2, 3)), ValueError, "output_size must be an int or a tuple of 2"),
    ("int input", lambda: F.max_pool2d(kernels.tensor(np.zeros((1, 1, 4, 4), dtype=np.int64)), 2), TypeError,
     "max_pool2d: expected a float32 or float64 tensor"),
    ("not a tensor", lambda: F.avg_pool2d(X4, 2), TypeError, "avg_pool2d: input must be a Tensor"),
    ("bad grad shape", lambda: kernels._C.max_pool2d_backward(_t(np.zeros((2, 3, 3, 3))), kernels.tensor(np.zeros((2, 3, 2, 2), dtype=np.int64)),
                                                             [2, 3, 5, 5], [2], [], [0], [1], False), ValueError,
     "max_pool2d_backward: grad must have the output's shape (2,3,2,2), got (2,3,3,3)"),
    ("bad indices dtype", lambda: kernels._C.max_pool2d_backward(_t(np.zeros((2, 3, 2, 2))), _t(np.zeros((2, 3, 2, 2))),
                                                                [2, 3, 5, 5], [2], [], [0], [1], False), TypeError,
     "indices must be int64"),
]


@pytest.mark.parametrize("name,call,exc,msg", BAD, ids=[b[0] for b in BAD])
def test_bad_inputs(name, call, exc, msg):
    raises_with(exc, msg, call)


def test_zero_batch_is_fine_like_torch():
    x = kernels.tensor(np.zeros((0, 3, 5, 5)), requires_grad=True)
    out = F.max_pool2d(x, 2)
    assert tuple(out.shape) == (0, 3, 2, 2)
    out.sum().backward()
    assert tuple(x.grad.shape) == (0, 3, 5, 5)
    assert tuple(F.avg_pool2d(x, 3, 1, 1).shape) == (0, 3, 5, 5)


@requires_cuda
def test_cuda_results_stay_on_device():
    x = kernels.tensor(np.random.default_rng(16).standard_normal((2, 3, 8, 8)), device="cuda", requires_grad=True)
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    assert out.device == x.device and idx.device == x.device
    out.sum().backward()
    assert x.grad.device == x.device


# ------------------------------------------------------------------------------ avg_pool2d 2x2 rows
# 2x2 / stride 2 / no padding avg pooling runs its own row loops (pool_2x2.h) instead of the
# plane loops; it must give the plane loops' exact bits, forward and backward, at every edge.

AVG2_SHAPES = [(1, 1, 2, 2), (2, 3, 28, 28), (3, 2, 7, 9), (2, 2, 10, 11), (1, 4, 5, 4), (2, 1, 3, 6),
               FEATURE_MAPS["lenet"]]
AVG2_KW = [dict(kernel_size=2), dict(kernel_size=2, stride=2, divisor_override=3),
           dict(kernel_size=(2, 2), ceil_mode=True), dict(kernel_size=2, count_include_pad=False)]


def _avg_fwd_bwd(x, g, kw):
    kx = kernels.tensor(x, requires_grad=True)
    y = F.avg_pool2d(kx, **kw)
    y.backward(kernels.tensor(g.astype(x.dtype)))
    return _np(y), _np(kx.grad)


@pytest.mark.parametrize("shape", AVG2_SHAPES, ids=str)
@pytest.mark.parametrize("kw", AVG2_KW, ids=lambda k: str(sorted(k.items())))
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: d.__name__)
@pytest.mark.parametrize("threads", [1, 2])
def test_avg_pool2d_2x2_rows_match_plane_loops_and_torch(shape, kw, dtype, threads):
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal(shape).astype(dtype)
    out_shape = tuple(F.avg_pool2d(kernels.tensor(x), **kw).shape)
    g = rng.standard_normal(out_shape)
    prev_threads = kernels.get_num_threads()
    kernels.set_num_threads(threads)
    try:
        fast = _avg_fwd_bwd(x, g, kw)
        with cpu_backend.cpu_capability("scalar"):  # the plane loops, without the 2x2 rows
            plane = _avg_fwd_bwd(x, g, kw)
    finally:
        kernels.set_num_threads(prev_threads)
    np.testing.assert_array_equal(fast[0], plane[0])
    np.testing.assert_array_equal(fast[1], plane[1])
    torch = pytest.importorskip("torch")
    tx = torch.tensor(x, requires_grad=True)
    TF.avg_pool2d(tx, **kw).backward(torch.tensor(g.astype(dtype)))
    tol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(fast[0], TF.avg_pool2d(torch.tensor(x), **kw).numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(fast[1], tx.grad.numpy(), rtol=tol, atol=tol)
