"""interpolate (nearest, bilinear, linear, area; size or scale_factor; align_corners): forward
against NumPy float64 and torch, backward against float64 finite differences and torch.autograd,
CPU against CUDA, the Upsample modules and the deprecated aliases against torch, and bad inputs."""
import math
import warnings

import numpy as np
import pytest

import kernels
import kernels.functional as F
import kernels.nn as nn
from opcheck import HAS_CUDA, check_cuda_vs_cpu, check_gradients, check_torch, gradcheck, raises_with, torch_functional

TF = torch_functional  # imports torch when called: the tests without torch still run


def _np(t):
    return np.asarray(t.detach().cpu().numpy())


# ------------------------------------------------------------------------------ NumPy references


def np_nearest_index(o, n, on, scale):
    if on == n:
        return o
    if on == 2 * n:
        return o >> 1
    r = np.float32(1.0 / scale) if scale else np.float32(n) / np.float32(on)  # torch computes in float
    return min(int(np.floor(np.float32(o) * r)), n - 1)


def np_linear_weights(n, on, align_corners, scale):
    """(i0, i1, l0, l1) per output position with torch's coordinate formula, in float64."""
    out = []
    for o in range(on):
        if on == n:
            out.append((o, o, 1.0, 0.0))
            continue
        if align_corners:
            r = (n - 1) / (on - 1) if on > 1 else 0.0
            real = r * o
        else:
            r = 1.0 / scale if scale else n / on
            real = max(r * (o + 0.5) - 0.5, 0.0)
        i0 = min(int(math.floor(real)), n - 1)
        l1 = min(max(real - i0, 0.0), 1.0)
        out.append((i0, min(i0 + 1, n - 1), 1.0 - l1, l1))
    return out


def np_interpolate(x, out_size, mode, align_corners, scales):
    """x (N, C, *spatial) with 1 or 2 spatial dims; scales per dim or None."""
    sd = x.ndim - 2
    scales = scales or [None] * sd
    y = x
    for d in range(sd):  # separable: one axis at a time
        axis = 2 + d
        n, on = x.shape[axis], out_size[d]
        if mode == "nearest":
            idx = [np_nearest_index(o, n, on, scales[d]) for o in range(on)]
            y = np.take(y, idx, axis=axis)
        else:
            w = np_linear_weights(n, on, align_corners, scales[d])
            a = np.take(y, [t[0] for t in w], axis=axis)
            b = np.take(y, [t[1] for t in w], axis=axis)
            shape = [1] * y.ndim
            shape[axis] = on
            y = a * np.array([t[2] for t in w]).reshape(shape) + b * np.array([t[3] for t in w]).reshape(shape)
    return y


# ------------------------------------------------------------------------------ configuration table


def _table(seed, n):
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(n):
        lead = [(1, 2), (7, 2), (2, 3)][i % 3]
        hw = (int(rng.choice([1, 2, 3, 5, 7, 9])), int(rng.choice([1, 3, 4, 5, 8, 11])))
        mode = ["nearest", "bilinear"][i % 2]
        kw = {"mode": mode}
        if rng.integers(2):
            kw["size"] = (int(rng.integers(1, 14)), int(rng.integers(1, 14)))
        else:
            f = rng.choice([0.5, 0.7, 1.0, 1.5, 2.0, 2.3, 3.0])
            kw["scale_factor"] = float(f) if rng.integers(2) else (float(f), float(rng.choice([0.8, 1.3, 2.0, 2.5])))
            if min(math.floor(h * s) for h, s in zip(hw, _pair(kw["scale_factor"]))) < 1:
                kw["scale_factor"] = 2.0
            if rng.integers(3) == 0:
                kw["recompute_scale_factor"] = True
        if mode == "bilinear":
            kw["align_corners"] = bool(rng.integers(2))
        cases.append((lead + hw, kw))
    return cases


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


CASES = _table(1, 30) + [
    ((2, 3, 4, 4), {"scale_factor": 2, "mode": "nearest"}),
    ((2, 3, 4, 5), {"scale_factor": 2, "mode": "bilinear", "align_corners": False}),
    ((2, 3, 4, 5), {"size": (4, 5), "mode": "bilinear"}),  # identity
    ((1, 1, 1, 1), {"size": (3, 4), "mode": "bilinear", "align_corners": True}),
    ((1, 2, 6, 6), {"size": 1, "mode": "bilinear", "align_corners": True}),  # out size 1: ratio 0
    ((1, 2, 8, 9), {"size": (3, 2), "mode": "nearest"}),  # downsampling
]


def _ids(cases):
    return [f"{s}-" + ",".join(f"{k}={v}" for k, v in kw.items()) for s, kw in cases]


def _expected(x, kw):
    sd = x.ndim - 2
    if "size" in kw:
        osize, scales = list(_pair(kw["size"]) if sd == 2 else [kw["size"]]), None
    else:
        f = list(_pair(kw["scale_factor"])) if sd == 2 else [kw["scale_factor"]]
        osize = [math.floor(x.shape[2 + i] * f[i]) for i in range(sd)]
        scales = None if kw.get("recompute_scale_factor") else f
    return np_interpolate(x, osize, "nearest" if kw["mode"] == "nearest" else "linear",
                          kw.get("align_corners", False), scales)


@pytest.mark.parametrize("shape,kw", CASES, ids=_ids(CASES))
def test_interpolate_forward(shape, kw):
    x = np.random.default_rng(2).standard_normal(shape)
    want = _expected(x, kw)
    out = F.interpolate(kernels.tensor(x), **kw)
    np.testing.assert_allclose(_np(out), want, rtol=1e-12, atol=1e-12)
    out32 = F.interpolate(kernels.tensor(x, dtype=kernels.float32), **kw)
    np.testing.assert_allclose(_np(out32), want, rtol=1e-5, atol=1e-5)
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(TF.interpolate(torch.tensor(x), **kw).numpy(), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape,kw", CASES, ids=_ids(CASES))
def test_interpolate_backward(shape, kw):
    x = np.random.default_rng(3).standard_normal(shape)
    check_gradients(lambda t: F.interpolate(t, **kw), lambda t: TF.interpolate(t, **kw), [x], fd_max=200)


@pytest.mark.parametrize("shape,kw", CASES[::3], ids=_ids(CASES[::3]))
def test_interpolate_cuda_vs_cpu(shape, kw):
    check_cuda_vs_cpu(lambda t: F.interpolate(t, **kw), [np.random.default_rng(4).standard_normal(shape)])


CASES_1D = [
    ((2, 3, 5), {"size": 9, "mode": "nearest"}),
    ((7, 2, 6), {"scale_factor": 1.7, "mode": "nearest"}),
    ((2, 3, 5), {"size": 12, "mode": "linear", "align_corners": True}),
    ((1, 2, 9), {"scale_factor": 0.6, "mode": "linear"}),
    ((2, 2, 4), {"scale_factor": 2.5, "mode": "linear", "recompute_scale_factor": True}),
]


@pytest.mark.parametrize("shape,kw", CASES_1D, ids=_ids(CASES_1D))
def test_interpolate_1d(shape, kw):
    x = np.random.default_rng(5).standard_normal(shape)
    np.testing.assert_allclose(_np(F.interpolate(kernels.tensor(x), **kw)), _expected(x, kw), rtol=1e-12, atol=1e-12)
    fn = lambda t: F.interpolate(t, **kw)  # noqa: E731
    gradcheck(fn, [x])
    if HAS_CUDA:  # CPU vs CUDA on the same inputs (check_cuda_vs_cpu would skip the whole test)
        check_cuda_vs_cpu(fn, [x])
    check_torch(fn, lambda t: TF.interpolate(t, **kw), [x])  # last: it skips the rest without torch


@pytest.mark.parametrize("shape,size", [((2, 3, 9, 7), (4, 3)), ((1, 2, 5, 5), 7), ((2, 2, 11), 4)])
def test_interpolate_area_is_adaptive_avg_pool(shape, size):
    x = np.random.default_rng(6).standard_normal(shape)
    check_torch(lambda t: F.interpolate(t, size=size, mode="area"), lambda t: TF.interpolate(t, size=size, mode="area"),
                [x])


def test_scale_factor_uses_one_over_scale_like_torch():
    # 5 * 1.5 = 7 outputs; coordinates use 1/1.5, not 5/7 (unless recompute_scale_factor=True).
    x = np.arange(5.0).reshape(1, 1, 5)
    a = _np(F.interpolate(kernels.tensor(x), scale_factor=1.5, mode="linear"))
    b = _np(F.interpolate(kernels.tensor(x), scale_factor=1.5, mode="linear", recompute_scale_factor=True))
    assert a.shape == b.shape == (1, 1, 7) and not np.allclose(a, b)
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(a, TF.interpolate(torch.tensor(x), scale_factor=1.5, mode="linear").numpy(), rtol=1e-14)
    np.testing.assert_allclose(b, TF.interpolate(torch.tensor(x), scale_factor=1.5, mode="linear",
                                                 recompute_scale_factor=True).numpy(), rtol=1e-14)


# ------------------------------------------------------------------------------ modules and aliases


@pytest.mark.parametrize("name,kw", [
    ("Upsample", {"scale_factor": 2}), ("Upsample", {"size": (5, 7), "mode": "bilinear"}),
    ("Upsample", {"scale_factor": (1.5, 2.0), "mode": "bilinear", "align_corners": True}),
    ("UpsamplingNearest2d", {"scale_factor": 3}), ("UpsamplingBilinear2d", {"size": 6}),
])
def test_modules_match_torch(name, kw, torch):
    ours, theirs = getattr(nn, name)(**kw), getattr(torch.nn, name)(**kw)
    assert repr(ours) == repr(theirs)
    check_torch(lambda t: ours(t), lambda t: theirs(t), [np.random.default_rng(7).standard_normal((2, 3, 4, 5))])


@pytest.mark.parametrize("name,kw", [("upsample", {"scale_factor": 2, "mode": "bilinear"}),
                                     ("upsample_nearest", {"size": (5, 3)}),
                                     ("upsample_bilinear", {"scale_factor": 1.5})])
def test_deprecated_aliases_warn_and_match_torch(name, kw, torch):
    x = np.random.default_rng(8).standard_normal((2, 2, 4, 4))
    with pytest.warns(UserWarning, match="deprecated"):
        ours = getattr(F, name)(kernels.tensor(x), **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = getattr(TF, name)(torch.tensor(x), **kw)
    np.testing.assert_allclose(_np(ours), theirs.numpy(), rtol=1e-13)


# ------------------------------------------------------------------------------ bad inputs

X4 = kernels.tensor(np.zeros((2, 3, 5, 5)))
X3 = kernels.tensor(np.zeros((2, 3, 5)))

BAD = [
    ("both", lambda: F.interpolate(X4, size=3, scale_factor=2), ValueError, "exactly one of size and scale_factor"),
    ("neither", lambda: F.interpolate(X4), ValueError, "exactly one of size and scale_factor"),
    ("align_corners nearest", lambda: F.interpolate(X4, size=3, align_corners=True), ValueError,
     "align_corners option can only be set with the interpolating modes"),
    ("align_corners False nearest", lambda: F.interpolate(X4, size=3, align_corners=False), ValueError,
     "align_corners option"),
    ("align_corners area", lambda: F.interpolate(X4, size=3, mode="area", align_corners=True), ValueError,
     "align_corners option"),
    ("size zero", lambda: F.interpolate(X4, size=(0, 3)), ValueError,
     "upsample_nearest2d: output size must be positive, got (0,3) for input (2,3,5,5)"),
    ("size negative", lambda: F.interpolate(X4, size=-2, mode="bilinear"), ValueError,
     "upsample_bilinear2d: output size must be positive, got (-2,-2)"),
    ("scale too small", lambda: F.interpolate(X4, scale_factor=0.1), ValueError, "output size must be positive, got (0,0)"),
    ("scale negative", lambda: F.interpolate(X4, scale_factor=-1.0), ValueError, "scale_factor must be positive"),
    ("size length", lambda: F.interpolate(X4, size=(2, 2, 2)), ValueError, "size must be an int or a tuple of 2 ints"),
    ("scale length", lambda: F.interpolate(X4, scale_factor=(2.0, 2.0, 2.0)), ValueError,
     "scale_factor must be a number or a tuple of 2 numbers"),
    ("float size", lambda: F.interpolate(X4, size=(2.5, 3)), ValueError, "size must be an int"),
    ("bilinear on 3-D", lambda: F.interpolate(X3, size=4, mode="bilinear"), ValueError,
     "mode 'bilinear' needs 4-D input, got input of shape (2, 3, 5)"),
    ("linear on 4-D", lambda: F.interpolate(X4, size=4, mode="linear"), ValueError, "mode 'linear' needs 3-D input"),
    ("rank 2", lambda: F.interpolate(kernels.tensor(np.zeros((3, 5))), size=4), ValueError, "needs 3-D or 4-D input"),
    ("bad mode", lambda: F.interpolate(X4, size=4, mode="bicubic"), ValueError, "mode 'bicubic' is not supported"),
    ("antialias", lambda: F.interpolate(X4, size=4, mode="bilinear", antialias=True), ValueError, "antialias"),
    ("recompute with size", lambda: F.interpolate(X4, size=4, recompute_scale_factor=True), ValueError,
     "recompute_scale_factor is not meaningful"),
    ("zero channels", lambda: F.interpolate(kernels.tensor(np.zeros((2, 0, 5, 5))), size=4), ValueError, "zero-sized"),
    ("int input", lambda: F.interpolate(kernels.tensor(np.zeros((1, 1, 2, 2), dtype=np.int64)), size=4), TypeError,
     "expected a float32 or float64 tensor"),
    ("kernel grad shape", lambda: kernels._C.upsample_nearest2d_backward(X4, [2, 3, 2, 2], [4, 4], []), ValueError,
     "grad must have the output's shape (2,3,4,4), got (2,3,5,5)"),
]


@pytest.mark.parametrize("name,call,exc,msg", BAD, ids=[b[0] for b in BAD])
def test_bad_inputs(name, call, exc, msg):
    raises_with(exc, msg, call)


def test_zero_batch():
    x = kernels.tensor(np.zeros((0, 2, 3, 3)), requires_grad=True)
    out = F.interpolate(x, scale_factor=2, mode="bilinear")
    assert tuple(out.shape) == (0, 2, 6, 6)
    out.sum().backward()
    assert tuple(x.grad.shape) == (0, 2, 3, 3)
