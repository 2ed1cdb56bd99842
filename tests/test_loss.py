"""Losses: forward against NumPy (float64) and torch, backward against finite differences and
torch.autograd (every option: weight, ignore_index, label_smoothing, reductions, K-dim inputs),
CPU against CUDA, and bad inputs."""
import numpy as np
import pytest

import kernels
import kernels.functional as F
from kernels import _C, nn
from kernels.testing.cases import CROSS_ENTROPY
from nn_models import T, torch_or_skip
from opcheck import Const, check_cuda_vs_cpu, check_torch, gradcheck, requires_cuda, on_fast_and_portable

R = np.random.default_rng(5)

# torch warns that kl_div's 'mean' is not 'batchmean'; this library computes torch's 'mean'.
pytestmark = pytest.mark.filterwarnings("ignore:reduction. 'mean' divides:UserWarning")


def _np(t):
    return np.asarray(t.detach().cpu().numpy())


def _reduce(loss, reduction, denom=None):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return np.sum(loss)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sum(loss) / (loss.size if denom is None else denom)


# ------------------------------------------------------------------------------ cross_entropy / nll


def _class_last(x, t, w):
    """(x as (N, ..., C), t as (N, ...), w (C,), unbatched): an unbatched (C,) input and () target
    as a batch of one, the class dimension moved last, no weight as ones."""
    unbatched = x.ndim == 1
    if unbatched:
        x, t = x[None], np.asarray(t)[None]
    C = x.shape[1]
    return np.moveaxis(x, 1, -1), t, (np.ones(C) if w is None else w), unbatched


def np_cross_entropy(x, t, w, ignore_index, reduction, eps):
    """Reference in float64: x (N, C, ...) or (C,), t (N, ...) or ()."""
    xm, t, w, unbatched = _class_last(x, t, w)  # xm (N, ..., C)
    C = xm.shape[-1]
    m = xm.max(-1, keepdims=True)
    logp = xm - m - np.log(np.exp(xm - m).sum(-1, keepdims=True))
    valid = t != ignore_index
    tc = np.where(valid, t, 0)
    nll = -np.take_along_axis(logp, tc[..., None], -1)[..., 0] * w[tc]
    smooth = -(logp * w).sum(-1)
    loss = np.where(valid, (1 - eps) * nll + eps / C * smooth, 0.0)
    W = np.sum(np.where(valid, w[tc], 0.0))
    out = _reduce(loss, reduction, W)
    return out[0] if unbatched and reduction == "none" else out


def np_nll(x, t, w, ignore_index, reduction):
    xm, t, w, unbatched = _class_last(x, t, w)
    valid = t != ignore_index
    tc = np.where(valid, t, 0)
    loss = np.where(valid, -np.take_along_axis(xm, tc[..., None], -1)[..., 0] * w[tc], 0.0)
    out = _reduce(loss, reduction, np.sum(np.where(valid, w[tc], 0.0)))
    return out[0] if unbatched and reduction == "none" else out


def _targets(shape, C, ignore_frac=0.0, ignore_index=-100):
    t = R.integers(0, C, shape)
    if ignore_frac:
        t = np.where(R.random(shape) < ignore_frac, ignore_index, t)
        t.flat[0] = 0 if C else ignore_index  # keep at least one valid target
    return np.asarray(t, dtype=np.int64)


# (input shape, kwargs)
CE_CASES = [
    ((6, 5), {}),
    ((6, 5), {"reduction": "sum"}),
    ((6, 5), {"reduction": "none"}),
    ((6, 5), {"weight": True}),
    ((6, 5), {"weight": True, "reduction": "none"}),
    ((6, 5), {"ignore_index": 1, "ignore": 0.3}),
    ((6, 5), {"ignore": 0.3}),  # default ignore_index -100 present in the target
    ((6, 5), {"label_smoothing": 0.2}),
    ((6, 5), {"label_smoothing": 0.2, "weight": True}),
    ((6, 5), {"label_smoothing": 0.3, "weight": True, "ignore_index": 2, "ignore": 0.3}),
    ((6, 5), {"label_smoothing": 0.1, "weight": True, "reduction": "sum", "ignore": 0.2}),
    ((6, 5), {"label_smoothing": 0.1, "weight": True, "reduction": "none", "ignore": 0.2}),
    ((3, 4, 2, 3), {}),  # K-dim: (N, C, d1, d2)
    ((3, 4, 5), {"weight": True, "label_smoothing": 0.25, "ignore": 0.2}),
    ((3, 4, 5), {"reduction": "none", "weight": True}),
    ((5,), {}),  # unbatched
    ((5,), {"reduction": "none", "label_smoothing": 0.1}),
    ((1, 1), {}),
    ((3, 40), {"weight": True, "label_smoothing": 0.1}),  # a row longer than one warp
    ((0, 4), {"reduction": "sum"}),
]


# What the benchmarks time (kernels.testing.cases.CROSS_ENTROPY: classifiers' logits and the
# char-LSTM's), at their own sizes; forward, torch and CUDA (no finite differences at these sizes).
NETWORK = [(shape, {}) for shape in CROSS_ENTROPY]


def _ce_args(shape, kw):
    kw = dict(kw)
    C = shape[0] if len(shape) == 1 else shape[1]
    tshape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    t = _targets(tshape, C, kw.pop("ignore", 0.0), kw.get("ignore_index", -100))
    w = R.uniform(0.2, 2.0, C) if kw.pop("weight", False) else None
    return np.asarray(R.standard_normal(shape) * 2), t, w, kw


def _with_weight(fn, w):
    """Weight travels as a float64 Const; cast to the input's dtype for float32 runs."""
    if w is None:
        return lambda x, t: fn(x, t, None)
    return lambda x, t, w_: fn(x, t, w_.to(x.dtype))


def _ids(cases):
    return [f"{s}-{sorted(k.items())}" for s, k in cases]


@pytest.mark.parametrize("shape,kw", CE_CASES + NETWORK, ids=_ids(CE_CASES + NETWORK))
@pytest.mark.parametrize("dtype", [kernels.float32, kernels.float64], ids=str)
def test_cross_entropy_forward_numpy(shape, kw, dtype):
    x, t, w, kw = _ce_args(shape, kw)
    out = F.cross_entropy(kernels.tensor(x, dtype=dtype), kernels.tensor(t),
                          weight=None if w is None else kernels.tensor(w, dtype=dtype), **kw)
    want = np_cross_entropy(x, t, w, kw.get("ignore_index", -100), kw.get("reduction", "mean"),
                            kw.get("label_smoothing", 0.0))
    assert out.dtype == dtype and tuple(out.shape) == np.shape(want)
    tol = 1e-12 if dtype == kernels.float64 else 2e-5
    np.testing.assert_allclose(_np(out), want, rtol=tol, atol=tol)


def _ce_fn(kw):
    return lambda x, t, w: F.cross_entropy(x, t, weight=w, **kw)


def _args(x, t, w):
    return [x, Const(t)] + ([] if w is None else [Const(w)])


@pytest.mark.parametrize("shape,kw", CE_CASES + NETWORK, ids=_ids(CE_CASES + NETWORK))
def test_cross_entropy_torch(shape, kw):
    torch = pytest.importorskip("torch")
    x, t, w, kw = _ce_args(shape, kw)
    fn = _with_weight(_ce_fn(kw), w)
    tfn = (lambda x, t: torch.nn.functional.cross_entropy(x, t, **kw)) if w is None else (
        lambda x, t, w: torch.nn.functional.cross_entropy(x, t, weight=w, **kw))
    check_torch(fn, tfn, _args(x, t, w))


@pytest.mark.parametrize("shape,kw", [c for c in CE_CASES if 0 not in c[0]], ids=_ids([c for c in CE_CASES if 0 not in c[0]]))
def test_cross_entropy_gradcheck(shape, kw):
    x, t, w, kw = _ce_args(shape, kw)
    gradcheck(_with_weight(_ce_fn(kw), w), _args(x, t, w))


@pytest.mark.parametrize("shape,kw", CE_CASES + NETWORK, ids=_ids(CE_CASES + NETWORK))
def test_cross_entropy_cuda_vs_cpu(shape, kw):
    x, t, w, kw = _ce_args(shape, kw)
    check_cuda_vs_cpu(_with_weight(_ce_fn(kw), w), _args(x, t, w))


NLL_CASES = [
    ((6, 5), {}), ((6, 5), {"weight": True}), ((6, 5), {"weight": True, "reduction": "sum"}),
    ((6, 5), {"reduction": "none", "ignore_index": 3, "ignore": 0.3}),
    ((6, 5), {"weight": True, "ignore": 0.4}),
    ((3, 4, 2, 3), {"weight": True}), ((5,), {}), ((5,), {"reduction": "none"}),
]


def _nll_fn(kw):
    return lambda x, t, w: F.nll_loss(x, t, weight=w, **kw)


@pytest.mark.parametrize("shape,kw", NLL_CASES, ids=_ids(NLL_CASES))
def test_nll_loss_forward_numpy_and_torch(shape, kw):
    torch = pytest.importorskip("torch")
    x, t, w, kw = _ce_args(shape, kw)
    out = F.nll_loss(kernels.tensor(x), kernels.tensor(t), weight=None if w is None else kernels.tensor(w), **kw)
    want = np_nll(x, t, w, kw.get("ignore_index", -100), kw.get("reduction", "mean"))
    np.testing.assert_allclose(_np(out), want, rtol=1e-12, atol=1e-12)
    tfn = (lambda x, t: torch.nn.functional.nll_loss(x, t, **kw)) if w is None else (
        lambda x, t, w: torch.nn.functional.nll_loss(x, t, weight=w, **kw))
    check_torch(_with_weight(_nll_fn(kw), w), tfn, _args(x, t, w))


@pytest.mark.parametrize("shape,kw", NLL_CASES, ids=_ids(NLL_CASES))
def test_nll_loss_gradcheck_and_cuda(shape, kw):
    x, t, w, kw = _ce_args(shape, kw)
    gradcheck(_with_weight(_nll_fn(kw), w), _args(x, t, w))
    check_cuda_vs_cpu(_with_weight(_nll_fn(kw), w), _args(x, t, w))


def test_cross_entropy_equals_log_softmax_then_nll():
    x = kernels.tensor(R.standard_normal((7, 6)))
    t = kernels.tensor(_targets((7,), 6))
    a = F.cross_entropy(x, t)
    b = F.nll_loss(F.log_softmax(x, 1), t)
    np.testing.assert_allclose(a.item(), b.item(), rtol=1e-13)


def test_cross_entropy_large_logits_are_stable():
    x = kernels.tensor(np.array([[1000.0, 0.0, -1000.0], [-5000.0, -5000.0, -5000.0]]))
    t = kernels.tensor(np.array([0, 2]))
    out = _np(F.cross_entropy(x, t, reduction="none"))
    np.testing.assert_allclose(out, [0.0, np.log(3)], atol=1e-12)


def test_cross_entropy_all_ignored_mean_is_nan_like_torch():
    torch = pytest.importorskip("torch")
    x = R.standard_normal((3, 4))
    t = np.array([-100, -100, -100])
    ours = F.cross_entropy(kernels.tensor(x), kernels.tensor(t)).item()
    theirs = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(t)).item()
    assert np.isnan(ours) and np.isnan(theirs)


def test_cross_entropy_legacy_reduction_arguments():
    x, t = kernels.tensor(R.standard_normal((4, 3))), kernels.tensor(_targets((4,), 3))
    s = F.cross_entropy(x, t, reduction="sum").item()
    assert F.cross_entropy(x, t, size_average=False).item() == pytest.approx(s)
    assert tuple(F.cross_entropy(x, t, reduce=False).shape) == (4,)


# ------------------------------------------------------------------------------ pointwise losses


def _unit(shape):
    return np.asarray(R.uniform(0.05, 0.95, shape))


def _normal(shape):
    return np.asarray(R.standard_normal(shape))


def _logprob(shape):
    return np.asarray(np.log(R.uniform(0.05, 1.0, shape)))


def _prob(shape):
    return np.asarray(R.uniform(0.05, 1.0, shape))


def _np_softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def np_smooth_l1(x, y, beta):
    d = np.abs(x - y)
    return np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta) if beta > 0 else d


def np_huber(x, y, delta):
    d = np.abs(x - y)
    return np.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))


# name: (kernels fn(x, y, red), torch fn name + kwargs, numpy unreduced loss, x domain, y domain)
POINT = {
    "mse_loss": (lambda x, y, r: F.mse_loss(x, y, reduction=r), ("mse_loss", {}),
                 lambda x, y: (x - y) ** 2, _normal, _normal),
    "l1_loss": (lambda x, y, r: F.l1_loss(x, y, reduction=r), ("l1_loss", {}),
                lambda x, y: np.abs(x - y), _normal, _normal),
    "smooth_l1_loss": (lambda x, y, r: F.smooth_l1_loss(x, y, reduction=r, beta=0.5),
                       ("smooth_l1_loss", {"beta": 0.5}), lambda x, y: np_smooth_l1(x, y, 0.5), _normal, _normal),
    "smooth_l1_loss_default": (lambda x, y, r: F.smooth_l1_loss(x, y, reduction=r), ("smooth_l1_loss", {}),
                               lambda x, y: np_smooth_l1(x, y, 1.0), _normal, _normal),
    "smooth_l1_loss_beta0": (lambda x, y, r: F.smooth_l1_loss(x, y, reduction=r, beta=0.0),
                             ("smooth_l1_loss", {"beta": 0.0}), lambda x, y: np_smooth_l1(x, y, 0.0),
                             _normal, _normal),
    "huber_loss": (lambda x, y, r: F.huber_loss(x, y, reduction=r, delta=0.7),
                   ("huber_loss", {"delta": 0.7}), lambda x, y: np_huber(x, y, 0.7), _normal, _normal),
    "binary_cross_entropy": (lambda x, y, r: F.binary_cross_entropy(x, y, reduction=r),
                             ("binary_cross_entropy", {}),
                             lambda x, y: -(y * np.log(x) + (1 - y) * np.log(1 - x)), _unit, _unit),
    "binary_cross_entropy_with_logits": (
        lambda x, y, r: F.binary_cross_entropy_with_logits(x, y, reduction=r),
        ("binary_cross_entropy_with_logits", {}),
        lambda x, y: (1 - y) * x + _np_softplus(-x), _normal, _unit),
    "kl_div": (lambda x, y, r: F.kl_div(x, y, reduction=r), ("kl_div", {}),
               lambda x, y: y * (np.log(y) - x), _logprob, _prob),
    "kl_div_log_target": (lambda x, y, r: F.kl_div(x, y, reduction=r, log_target=True),
                          ("kl_div", {"log_target": True}),
                          lambda x, y: np.exp(y) * (y - x), _logprob, _logprob),
}
REDUCTIONS = ["none", "mean", "sum"]
POINT_SHAPES = [(3, 4), (5,), (), (2, 0), (40, 300)]


def _point_args(name, shape):
    _, _, _, dx, dy = POINT[name]
    return [dx(shape), dy(shape)]


@pytest.mark.parametrize("shape", POINT_SHAPES, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", POINT)
@pytest.mark.parametrize("dtype", [kernels.float32, kernels.float64], ids=str)
def test_pointwise_loss_forward_numpy(name, reduction, shape, dtype):
    fn, _, ref, _, _ = POINT[name]
    x, y = _point_args(name, shape)
    out = fn(kernels.tensor(x, dtype=dtype), kernels.tensor(y, dtype=dtype), reduction)
    want = _reduce(ref(x, y), reduction)
    assert out.dtype == dtype and tuple(out.shape) == np.shape(want)
    tol = 1e-12 if dtype == kernels.float64 else 2e-5
    with np.errstate(invalid="ignore"):
        np.testing.assert_allclose(_np(out), want, rtol=tol, atol=tol)


def _torch_point(name, reduction):
    torch = pytest.importorskip("torch")
    tname, kw = POINT[name][1]
    f = getattr(torch.nn.functional, tname)
    return lambda x, y: f(x, y, reduction=reduction, **kw)


@pytest.mark.parametrize("shape", POINT_SHAPES, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", POINT)
def test_pointwise_loss_torch(name, reduction, shape):
    fn = POINT[name][0]
    check_torch(lambda x, y: fn(x, y, reduction), _torch_point(name, reduction), _point_args(name, shape))


@pytest.mark.parametrize("shape", [(3, 4), (5,), ()], ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", POINT)
def test_pointwise_loss_gradcheck(name, reduction, shape):
    fn = POINT[name][0]
    gradcheck(lambda x, y: fn(x, y, reduction), _point_args(name, shape))


@pytest.mark.parametrize("shape", POINT_SHAPES, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", POINT)
def test_pointwise_loss_cuda_vs_cpu(name, reduction, shape):
    fn = POINT[name][0]
    check_cuda_vs_cpu(lambda x, y: fn(x, y, reduction), _point_args(name, shape))


# Weighted variants: (kernels fn(x, y, w, pw), torch fn, weight shape, pos_weight shape)
WEIGHTED = {
    "bce_weight_full": ("binary_cross_entropy", (3, 4), None),
    "bce_weight_broadcast": ("binary_cross_entropy", (4,), None),
    "bce_logits_weight": ("binary_cross_entropy_with_logits", (1, 4), None),
    "bce_logits_pos_weight": ("binary_cross_entropy_with_logits", None, (4,)),
    "bce_logits_both": ("binary_cross_entropy_with_logits", (3, 1), (4,)),
}


def _weighted_case(case, reduction):
    name, wshape, pshape = WEIGHTED[case]
    x, y = _point_args(name, (3, 4))
    w = None if wshape is None else R.uniform(0.2, 2, wshape)
    pw = None if pshape is None else R.uniform(0.2, 3, pshape)
    consts = [Const(v) for v in (w, pw) if v is not None]

    def fn(x, y, *c):
        it = iter(c)
        kw = {}
        if w is not None:
            kw["weight"] = next(it).to(x.dtype)
        if pw is not None:
            kw["pos_weight"] = next(it).to(x.dtype)
        return getattr(F, name)(x, y, reduction=reduction, **kw)

    def tfn(x, y, *c):
        torch = pytest.importorskip("torch")
        it = iter(c)
        kw = {}
        if w is not None:
            kw["weight"] = next(it)
        if pw is not None:
            kw["pos_weight"] = next(it)
        return getattr(torch.nn.functional, name)(x, y, reduction=reduction, **kw)

    return fn, tfn, [x, y] + consts


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", WEIGHTED)
def test_weighted_bce(case, reduction):
    fn, tfn, args = _weighted_case(case, reduction)
    check_torch(fn, tfn, args)
    gradcheck(fn, args)
    check_cuda_vs_cpu(fn, args)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_weighted_mse_l1_huber_match_torch(name, reduction):
    torch = pytest.importorskip("torch")
    x, y, w = _normal((3, 4)), _normal((3, 4)), R.uniform(0.2, 2, (3, 4))
    check_torch(lambda x, y, w: getattr(F, name)(x, y, reduction=reduction, weight=w),
                lambda x, y, w: getattr(torch.nn.functional, name)(x, y, reduction=reduction, weight=w),
                [x, y, Const(w)])


def test_kl_div_batchmean_and_zero_target():
    torch = pytest.importorskip("torch")
    x, y = _logprob((4, 5)), _prob((4, 5))
    y[0, 0] = 0.0  # xlogy: contributes 0
    out = F.kl_div(kernels.tensor(x), kernels.tensor(y), reduction="batchmean")
    want = torch.nn.functional.kl_div(torch.tensor(x), torch.tensor(y), reduction="batchmean")
    np.testing.assert_allclose(out.item(), want.item(), rtol=1e-12)
    check_torch(lambda x: F.kl_div(x, kernels.tensor(y), reduction="batchmean"),
                lambda x: torch.nn.functional.kl_div(x, torch.tensor(y), reduction="batchmean"), [x])


def test_bce_log_clamp_like_torch():
    torch = pytest.importorskip("torch")
    x = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    y = np.array([1.0, 0.0, 0.0, 1.0, 0.5])
    ours = _np(F.binary_cross_entropy(kernels.tensor(x), kernels.tensor(y), reduction="none"))
    theirs = torch.nn.functional.binary_cross_entropy(torch.tensor(x), torch.tensor(y), reduction="none")
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-12)
    assert ours[0] == 100.0


def test_bce_with_logits_is_stable():
    x = kernels.tensor(np.array([-1000.0, 1000.0, 0.0]))
    y = kernels.tensor(np.array([0.0, 1.0, 1.0]))
    out = _np(F.binary_cross_entropy_with_logits(x, y, reduction="none"))
    np.testing.assert_allclose(out, [0.0, 0.0, np.log(2)], atol=1e-12)


# ------------------------------------------------------------------------------ bad inputs


def test_cross_entropy_bad_inputs():
    x = kernels.tensor(R.standard_normal((4, 5)))
    t = kernels.tensor(np.array([0, 1, 2, 3]))
    with pytest.raises(TypeError, match="cross_entropy.*float32"):
        F.cross_entropy(x, kernels.tensor(np.zeros((4, 5)), dtype=kernels.float32))
    with pytest.raises(TypeError, match="cross_entropy"):
        F.cross_entropy(x, [0, 1, 2, 3])
    with pytest.raises(IndexError, match=r"cross_entropy.*label 7.*5 classes"):
        F.cross_entropy(x, kernels.tensor(np.array([0, 7, 1, 2])))
    with pytest.raises(IndexError, match=r"cross_entropy.*-1"):
        F.cross_entropy(x, kernels.tensor(np.array([0, -1, 1, 2])))
    with pytest.raises(ValueError, match=r"cross_entropy.*\(4,\).*\(3,\)"):
        F.cross_entropy(x, kernels.tensor(np.array([0, 1, 2])))
    with pytest.raises(ValueError, match=r"cross_entropy: weight.*\(5,\)"):
        F.cross_entropy(x, t, weight=kernels.tensor(np.ones(4)))
    with pytest.raises(TypeError, match="cross_entropy"):
        F.cross_entropy(x, t, weight=kernels.ones(5, dtype=kernels.float32))
    with pytest.raises(ValueError, match="cross_entropy.*reduction"):
        F.cross_entropy(x, t, reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(x, t, label_smoothing=1.5)
    with pytest.raises(TypeError, match="cross_entropy"):
        F.cross_entropy(kernels.tensor(np.array([[1, 2]])), kernels.tensor(np.array([0])))
    with pytest.raises(ValueError, match="cross_entropy"):
        F.cross_entropy(kernels.tensor(1.0), kernels.tensor(np.array(0)))


def test_nll_loss_bad_inputs():
    x = kernels.tensor(R.standard_normal((4, 5)))
    with pytest.raises(IndexError, match=r"nll_loss.*label 5"):
        F.nll_loss(x, kernels.tensor(np.array([0, 5, 1, 2])))
    with pytest.raises(TypeError, match="nll_loss.*float64"):
        F.nll_loss(x, kernels.tensor(np.zeros(4)))
    with pytest.raises(ValueError, match=r"nll_loss.*\(4,3\)"):
        F.nll_loss(x, kernels.tensor(np.zeros((4, 3), dtype=np.int64)))


@pytest.mark.parametrize("name", [n for n in POINT if not n.endswith(("_default", "_beta0", "_log_target"))])
def test_pointwise_loss_bad_inputs(name):
    fn = POINT[name][0]
    op = POINT[name][1][0]
    x, y = kernels.tensor(_unit((3, 4))), kernels.tensor(_unit((3, 4)))
    with pytest.raises(ValueError, match=rf"{op}.*\(3,4\)"):
        fn(x, kernels.tensor(_unit((4,))), "mean")  # broadcasting is refused
    with pytest.raises(ValueError, match=f"{op}.*reduction"):
        fn(x, y, "avg")
    with pytest.raises(TypeError, match=op):
        fn(x, [1.0], "mean")
    with pytest.raises(TypeError, match=op):
        fn(kernels.tensor(np.ones((3, 4), dtype=np.int64)), kernels.tensor(np.ones((3, 4), dtype=np.int64)), "mean")
    with pytest.raises(TypeError, match=op):
        fn(x, kernels.tensor(_unit((3, 4)), dtype=kernels.float32), "mean")


def test_loss_parameter_errors():
    x, y = kernels.tensor(_unit((3, 4))), kernels.tensor(_unit((3, 4)))
    with pytest.raises(ValueError, match="binary_cross_entropy.*between 0 and 1"):
        F.binary_cross_entropy(kernels.tensor(np.array([0.5, 1.5])), kernels.tensor(np.array([0.0, 1.0])))
    with pytest.raises(ValueError, match="binary_cross_entropy.*between 0 and 1"):
        F.binary_cross_entropy(kernels.tensor(np.array([np.nan])), kernels.tensor(np.array([0.0])))
    with pytest.raises(ValueError, match="binary_cross_entropy: weight"):
        F.binary_cross_entropy(x, y, weight=kernels.tensor(np.ones(3)))
    with pytest.raises(ValueError, match="pos_weight"):
        F.binary_cross_entropy_with_logits(x, y, pos_weight=kernels.tensor(np.ones(5)))
    with pytest.raises(ValueError, match="huber_loss: delta"):
        F.huber_loss(x, y, delta=0.0)
    with pytest.raises(ValueError, match="smooth_l1_loss: beta"):
        F.smooth_l1_loss(x, y, beta=-1.0)
    with pytest.raises(ValueError, match="mse_loss: weight"):
        F.mse_loss(x, y, weight=kernels.tensor(np.ones(4)))
    with pytest.raises(ValueError, match="kl_div.*batchmean"):
        F.kl_div(x, y, reduction="batch")
    with pytest.raises(ValueError, match="mse_loss.*batchmean|mse_loss.*reduction"):
        F.mse_loss(x, y, reduction="batchmean")


def test_backward_entry_checks():
    x = kernels.tensor(R.standard_normal((4, 5)))
    t = kernels.tensor(np.array([0, 1, 2, 3]))
    loss, lse, totals = _C.cross_entropy_forward(x, t, None, -100, "mean", 0.0)
    with pytest.raises(ValueError, match="cross_entropy_backward: grad"):
        _C.cross_entropy_backward(kernels.tensor(np.ones(4)), x, t, None, lse, totals, -100, "mean", 0.0)
    with pytest.raises(ValueError, match="mse_loss_backward: grad"):
        _C.mse_loss_backward(kernels.tensor(np.ones(3)), x, x, "none")


@requires_cuda
def test_cuda_bad_label_reports_index_error():
    x = kernels.tensor(R.standard_normal((4, 5)), device="cuda")
    with pytest.raises(IndexError, match=r"cross_entropy.*label 9"):
        F.cross_entropy(x, kernels.tensor(np.array([0, 9, 1, 2]), device="cuda"))
    with pytest.raises(IndexError, match=r"nll_loss.*label -3"):
        F.nll_loss(x, kernels.tensor(np.array([0, -3, 1, 2]), device="cuda"))
    with pytest.raises(ValueError, match="binary_cross_entropy.*between 0 and 1"):
        F.binary_cross_entropy(kernels.tensor(np.array([2.0]), device="cuda"),
                               kernels.tensor(np.array([1.0]), device="cuda"))


# ------------------------------------------------------------------ float32 (N, C) fast rows
# float32 cross_entropy on (N, C) without label smoothing runs vectorised row loops (8 lanes, a
# padded tail, its own exp); these compare them with a float64 reference at the edges.

def _ce_grad_ref(x, t, w, reduction):
    x = x.astype(np.float64)
    p = np.exp(x - x.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    wt = np.ones(len(t)) if w is None else w[t].astype(np.float64)
    d = p * wt[:, None]
    d[np.arange(len(t)), t] -= wt
    return d / wt.sum() if reduction == "mean" else d


@pytest.mark.parametrize("C", [1, 2, 7, 8, 9, 17, 1000, 1001])
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_float32_rows(C, threads, reduction):
    prev = kernels.get_num_threads()
    kernels.set_num_threads(threads)
    try:
        rng = np.random.default_rng(C)
        N = 37
        x = (rng.standard_normal((N, C)) * 6).astype(np.float32)
        t = rng.integers(0, C, N)
        w = rng.uniform(0.5, 2, C).astype(np.float32) if C % 2 else None
        kx = kernels.tensor(x, requires_grad=True)
        loss = F.cross_entropy(kx, kernels.tensor(t), weight=None if w is None else kernels.tensor(w),
                               reduction=reduction)
        want = np_cross_entropy(x.astype(np.float64), t, w, -100, reduction, 0.0)
        np.testing.assert_allclose(_np(loss), want, rtol=1e-5, atol=1e-5)
        (loss.sum() if reduction == "none" else loss).backward()
        np.testing.assert_allclose(_np(kx.grad), _ce_grad_ref(x, t, w, reduction), rtol=1e-5, atol=1e-6)
    finally:
        kernels.set_num_threads(prev)


def test_cross_entropy_float32_rows_extreme_logits():
    ninf = -np.inf
    x = np.array([[0.0] * 9 + [ninf],            # a masked-out class: probability exactly 0
                  [1e4, 0.0, -1e4] + [0.0] * 7,   # huge spread: no overflow
                  [-200.0] * 10,                  # all far below zero: the max is subtracted
                  [0.0, np.nan] + [0.0] * 8],     # NaN propagates to the loss and the gradient
                 dtype=np.float32)
    t = np.array([0, 0, 3, 0])
    kx = kernels.tensor(x, requires_grad=True)
    loss = F.cross_entropy(kx, kernels.tensor(t), reduction="none")
    F.cross_entropy(kx, kernels.tensor(t), reduction="sum").backward()
    out, g = _np(loss), _np(kx.grad)
    # row 2: lse is about -197.7 in float32 (ulp 1.5e-5), so its loss is good to ~1e-5
    np.testing.assert_allclose(out[:3], [np.log(9.0), 0.0, np.log(10.0)], rtol=1e-5, atol=1e-6)
    assert np.isnan(out[3]) and np.isnan(g[3]).all()
    assert g[0, 9] == 0.0
    np.testing.assert_allclose(g[0, :9], np.full(9, 1 / 9) - np.eye(9)[0], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(g[1], np.eye(10)[0] * 0, atol=1e-7)
    np.testing.assert_allclose(g[2], np.full(10, 0.1) - np.eye(10)[3], rtol=1e-5, atol=1e-7)  # lse as above


def _cross_entropy_value_and_grad():
    rng = np.random.default_rng(0)
    x = kernels.tensor((rng.standard_normal((33, 1001)) * 5).astype(np.float32), requires_grad=True)
    loss = F.cross_entropy(x, kernels.tensor(rng.integers(0, 1001, 33)))
    loss.backward()
    return np.concatenate([[loss.item()], x.grad.numpy().ravel()])


def test_cross_entropy_portable_matches():
    """The DEFAULT capability level runs the portable libm rows; both paths agree."""
    outs = on_fast_and_portable(_cross_entropy_value_and_grad)
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-5, atol=1e-9)


# ------------------------------------------------------------------ loss modules (kernels.nn): forward and backward against torch, weights as buffers, legacy arguments


def test_loss_weights_are_buffers_like_torch():
    torch = torch_or_skip()
    w = [1.0, 2.0, 0.5]
    cases = [
        (nn.CrossEntropyLoss(weight=T(w)), torch.nn.CrossEntropyLoss(weight=torch.tensor(w))),
        (nn.NLLLoss(weight=T(w)), torch.nn.NLLLoss(weight=torch.tensor(w))),
        (nn.BCELoss(weight=T(w)), torch.nn.BCELoss(weight=torch.tensor(w))),
        (nn.BCEWithLogitsLoss(pos_weight=T(w)),
         torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(w))),
        (nn.BCEWithLogitsLoss(weight=T(w), pos_weight=T(w)),
         torch.nn.BCEWithLogitsLoss(weight=torch.tensor(w), pos_weight=torch.tensor(w))),
    ]
    for k, t in cases:
        assert list(k.state_dict()) == list(t.state_dict())
        assert [n for n, _ in k.named_buffers()] == [n for n, _ in t.named_buffers()]
    k = cases[0][0].double()
    assert k.weight.dtype == kernels.float64


def test_legacy_reduction_arguments():
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert nn.MSELoss(size_average=False).reduction == "sum"
    with pytest.warns(UserWarning):
        assert nn.L1Loss(reduce=False).reduction == "none"
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        nn.MSELoss(reduction="avg")


def _loss_inputs(torch, kind):
    n, c = 6, 4
    if kind == "class":
        x = R.standard_normal((n, c))
        y = R.integers(0, c, n)
        y[1] = 2
        return x, y, torch.tensor(y), T(y)
    if kind == "logprob":
        x = R.standard_normal((n, c))
        x = x - np.log(np.exp(x).sum(1, keepdims=True))
        y = R.integers(0, c, n)
        return x, y, torch.tensor(y), T(y)
    if kind == "prob":
        x = 1 / (1 + np.exp(-R.standard_normal((n, c))))
        y = R.random((n, c))
        return x, y, torch.tensor(y), T(y)
    if kind == "kl":
        x = np.log(R.dirichlet(np.ones(c), n))
        y = R.dirichlet(np.ones(c), n)
        return x, y, torch.tensor(y), T(y)
    x = R.standard_normal((n, c))
    y = R.standard_normal((n, c))
    return x, y, torch.tensor(y), T(y)


LOSSES = [
    ("CrossEntropyLoss", {}, "class", "cross_entropy"),
    ("CrossEntropyLoss", {"weight": [1.0, 2.0, 0.5, 1.5], "label_smoothing": 0.1,
                          "ignore_index": 2}, "class", "cross_entropy"),
    ("CrossEntropyLoss", {"reduction": "sum"}, "class", "cross_entropy"),
    ("NLLLoss", {}, "logprob", "nll_loss"),
    ("NLLLoss", {"weight": [1.0, 2.0, 0.5, 1.5], "reduction": "none"}, "logprob", "nll_loss"),
    ("MSELoss", {}, "real", "mse_loss"), ("MSELoss", {"reduction": "none"}, "real", "mse_loss"),
    ("L1Loss", {"reduction": "sum"}, "real", "l1_loss"),
    ("SmoothL1Loss", {"beta": 0.5}, "real", "smooth_l1_loss"),
    ("HuberLoss", {"delta": 0.7}, "real", "huber_loss"),
    ("BCELoss", {}, "prob", "binary_cross_entropy"),
    ("BCELoss", {"weight": [1.0, 2.0, 0.5, 1.5]}, "prob", "binary_cross_entropy"),
    ("BCEWithLogitsLoss", {"pos_weight": [1.0, 2.0, 0.5, 1.5]}, "prob",
     "binary_cross_entropy_with_logits"),
    ("BCEWithLogitsLoss", {"weight": [1.0, 2.0, 0.5, 1.5], "reduction": "sum"}, "prob",
     "binary_cross_entropy_with_logits"),
    ("KLDivLoss", {"reduction": "batchmean"}, "kl", "kl_div"),
    ("KLDivLoss", {"reduction": "sum", "log_target": True}, "kl", "kl_div"),
]


@pytest.mark.parametrize("name,kwargs,kind,fn", LOSSES,
                         ids=[f"{a[0]}{i}" for i, a in enumerate(LOSSES)])
def test_loss_modules_vs_torch(name, kwargs, kind, fn):
    torch = torch_or_skip()
    x, y, yt, yk = _loss_inputs(torch, kind)
    if kind == "kl" and kwargs.get("log_target"):
        y = np.log(y)
        yt, yk = torch.tensor(y), T(y)
    kkw = {k: (T(v, dtype=kernels.float64) if isinstance(v, list) else v) for k, v in kwargs.items()}
    tkw = {k: (torch.tensor(v, dtype=torch.float64) if isinstance(v, list) else v)
           for k, v in kwargs.items()}
    xk = T(x).requires_grad_()
    xt = torch.tensor(x, requires_grad=True)
    lk = getattr(nn, name)(**kkw)(xk, yk)
    lt = getattr(torch.nn, name)(**tkw)(xt, yt)
    np.testing.assert_allclose(lk.detach().numpy(), lt.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = R.standard_normal(tuple(lt.shape))
    lk.backward(T(g))
    lt.backward(torch.tensor(g))
    np.testing.assert_allclose(xk.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-11)
