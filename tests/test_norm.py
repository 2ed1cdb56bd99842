"""batch_norm, layer_norm, group_norm: forward against NumPy (float64) and torch, backward against
float64 finite differences and torch.autograd (training and eval, affine or not, 2-D..5-D),
running statistics against torch's over several steps, the modules' state_dicts against torch's
modules, CPU against CUDA, and bad inputs."""
import numpy as np
import pytest

import kernels
import kernels.functional as F
from kernels import _C, nn
from kernels.testing.cases import NORM, with_batch
from opcheck import check_cuda_vs_cpu, check_gradients, check_torch, gradcheck, requires_cuda, torch_functional

R = np.random.default_rng(11)


def _np(t):
    return np.asarray(t.detach().cpu().numpy())


def _t(a, like):
    """A numpy array as a tensor on `like`'s dtype and device (None stays None)."""
    return None if a is None else kernels.tensor(a, dtype=like.dtype, device=like.device)


# ------------------------------------------------------------------------------ NumPy references


def np_batch_norm(x, rm, rv, w, b, training, momentum, eps):
    """Returns (y, new running_mean, new running_var) in float64."""
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if training:
        mean, var = x.mean(axes), x.var(axes)
        m = x.size // x.shape[1]
        if rm is not None:
            rm = (1 - momentum) * rm + momentum * mean
            rv = (1 - momentum) * rv + momentum * var * m / (m - 1)
    else:
        mean, var = rm, rv
    y = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    if w is not None:
        y = y * w.reshape(shape)
    if b is not None:
        y = y + b.reshape(shape)
    return y, rm, rv


def np_layer_norm(x, nd, w, b, eps):
    axes = tuple(range(x.ndim - nd, x.ndim))
    y = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + eps)
    return y * (1 if w is None else w) + (0 if b is None else b)


def np_group_norm(x, G, w, b, eps):
    N, C = x.shape[:2]
    xg = x.reshape(N, G, -1)
    y = ((xg - xg.mean(-1, keepdims=True)) / np.sqrt(xg.var(-1, keepdims=True) + eps)).reshape(x.shape)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return y * (1 if w is None else w.reshape(shape)) + (0 if b is None else b.reshape(shape))


# ------------------------------------------------------------------------------ batch_norm

# Shapes cover (N, C), (N, C, L), (N, C, H, W), (N, C, D, H, W); K < 16 takes the CPU's column path,
# K >= 16 the plane path; (4, 1, 100, 100) has one channel long enough to be split over threads.
BN_SHAPES = [(6, 4), (5, 3, 7), (2, 3, 4, 5), (3, 2, 40), (2, 3, 5, 5), (2, 2, 2, 3, 3), (7, 1)]
AFFINE = ["wb", "w", "b", "none"]
# What the benchmarks time (kernels.testing.cases.NORM: LeNet-5's and ResNet's feature maps, the
# MLP's hidden layer), the feature maps at batch 2 (the (N, C) one at its own: 2 values per channel
# leave batch_norm's float32 gradient ill-conditioned); batch_norm in training and layer_norm over
# all but the batch.
NETWORK = [with_batch(shape, 2) if len(shape) > 2 else shape for shape in NORM]


def _affine(shape, affine):
    """The affine parameters `affine` asks for ("wb", "w", "b" or "none"), of `shape`: (weight or
    None, bias or None)."""
    w = R.uniform(0.5, 1.5, shape) if "w" in affine else None
    b = R.standard_normal(shape) if "b" in affine else None
    return w, b


def _splitter(w, b):
    """split(params) -> (weight or None, bias or None), from the present ones of (w, b) in order."""

    def split(ps):
        it = iter(ps)
        return (next(it) if w is not None else None), (next(it) if b is not None else None)

    return split


def _bn_inputs(shape, affine, dtype=np.float64):
    C = shape[1]
    x = R.standard_normal(shape) * 1.5 + R.uniform(-2, 2, (1, C) + (1,) * (len(shape) - 2))
    w, b = _affine(C, affine)
    rm, rv = R.standard_normal(C) * 0.3, R.uniform(0.5, 2.0, C)
    return x.astype(dtype), w, b, rm, rv


def _bn_case(shape, affine, training, track, momentum=0.1, eps=1e-5):
    """(fn, torch_fn, args): the differentiable args are x and the present affine params."""
    x, w, b, rm, rv = _bn_inputs(shape, affine)
    if not track:
        rm = rv = None
    args = [x] + [a for a in (w, b) if a is not None]
    split = _splitter(w, b)

    def fn(x, *params):
        pw, pb = split(params)
        return F.batch_norm(x, _t(rm, x), _t(rv, x), pw, pb, training, momentum, eps)

    def tfn(x, *params):  # called by check_torch only, once it has found torch
        import torch

        pw, pb = split(params)
        trm = None if rm is None else torch.tensor(rm, dtype=x.dtype)
        trv = None if rv is None else torch.tensor(rv, dtype=x.dtype)
        return torch.nn.functional.batch_norm(x, trm, trv, pw, pb, training, momentum, eps)

    return fn, tfn, args


@pytest.mark.parametrize("shape", BN_SHAPES + NETWORK, ids=str)
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("dtype", [kernels.float32, kernels.float64], ids=str)
def test_batch_norm_forward_numpy(shape, training, dtype):
    x, w, b, rm, rv = _bn_inputs(shape, "wb")
    kx = kernels.tensor(x, dtype=dtype)
    krm, krv = _t(rm, kx), _t(rv, kx)
    y = F.batch_norm(kx, krm, krv, _t(w, kx), _t(b, kx), training=training, momentum=0.2, eps=1e-3)
    want, want_rm, want_rv = np_batch_norm(x, rm, rv, w, b, training, 0.2, 1e-3)
    tol = 1e-12 if dtype == kernels.float64 else 2e-5
    assert y.dtype == dtype and tuple(y.shape) == shape
    np.testing.assert_allclose(_np(y), want, rtol=tol, atol=tol)
    np.testing.assert_allclose(_np(krm), want_rm, rtol=tol, atol=tol)
    np.testing.assert_allclose(_np(krv), want_rv, rtol=tol, atol=tol)


def _with_affine_variants(cases, n_full):
    """Every case with weight and bias; the first n_full also without one or both."""
    return [c + ("wb",) for c in cases] + [c + (a,) for c in cases[:n_full] for a in AFFINE[1:]]


BN_MODES = {"train": (True, True), "train-notrack": (True, False), "eval": (False, True)}
BN_CASES = _with_affine_variants([(s, m) for s in BN_SHAPES[1:] + BN_SHAPES[:1] for m in BN_MODES], 6)


@pytest.mark.parametrize("shape,mode,affine", BN_CASES + [(s, "train", "wb") for s in NETWORK], ids=str)
def test_batch_norm_matches_torch_and_finite_differences(shape, mode, affine):
    mode = BN_MODES[mode]
    training, track = mode
    fn, tfn, args = _bn_case(shape, affine, training, track)
    check_gradients(fn, tfn, args, fd_max=60, fd_tol=(1e-6, 1e-5), tol32=(1e-5, 1e-4))


def test_batch_norm_large_channel_split_over_threads_matches_torch():
    # One channel of 40000 values: the CPU splits it into chunks merged with Chan's formula.
    for shape in [(4, 1, 100, 100), (4, 2, 75, 75), (2000, 3), (300, 2, 5)]:
        fn, tfn, args = _bn_case(shape, "wb", True, True)
        check_torch(fn, tfn, args, atol=1e-9, rtol=1e-7)
        check_torch(fn, tfn, args, dtype=kernels.float32, atol=2e-4, rtol=2e-4)


@pytest.mark.parametrize("shape", [(64, 3, 8, 8), (512, 5), (3, 2, 20000)], ids=str)
def test_batch_norm_float32_statistics_are_numerically_sound(shape):
    # A mean 1e4 times the spread: a one-pass E[x^2] - E[x]^2 in float32 would lose every digit.
    x = (R.standard_normal(shape) * 0.01 + 100.0).astype(np.float32)
    C = shape[1]
    rm, rv = kernels.zeros(C), kernels.ones(C)
    y = F.batch_norm(kernels.tensor(x), rm, rv, training=True, momentum=1.0)
    x64 = x.astype(np.float64)
    want, want_rm, want_rv = np_batch_norm(x64, np.zeros(C), np.ones(C), None, None, True, 1.0, 1e-5)
    np.testing.assert_allclose(_np(y), want, atol=2e-3)
    np.testing.assert_allclose(_np(rm), want_rm, rtol=1e-6)
    np.testing.assert_allclose(_np(rv), want_rv, rtol=1e-3)


def test_batch_norm_backward_only_some_gradients(torch):
    x, w, b, rm, rv = _bn_inputs((4, 3, 5), "wb")
    g = R.standard_normal(x.shape)
    tx = torch.tensor(x, requires_grad=True)
    tw, tb = torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)
    torch.nn.functional.batch_norm(tx, None, None, tw, tb, True).backward(torch.tensor(g))
    kx, kw, kb = kernels.tensor(x), kernels.tensor(w), kernels.tensor(b)
    _, m, s = _C.batch_norm_forward(kx, kw, kb, None, None, True, 0.1, 1e-5)
    for mask in ([True, False, False], [False, True, False], [False, False, True], [False, True, True]):
        got = _C.batch_norm_backward(kernels.tensor(g), kx, kw, m, s, True, mask)
        for want, have, on in zip((tx.grad, tw.grad, tb.grad), got, mask):
            assert (have is not None) == on
            if on:
                np.testing.assert_allclose(_np(have), want.numpy(), rtol=1e-10, atol=1e-12)


def test_batch_norm_empty_batch_leaves_running_stats():
    rm, rv = kernels.zeros(3, dtype=kernels.float64), kernels.ones(3, dtype=kernels.float64)
    x = kernels.zeros(0, 3, dtype=kernels.float64, requires_grad=True)
    w = kernels.ones(3, dtype=kernels.float64, requires_grad=True)
    y = F.batch_norm(x, rm, rv, w, training=True)
    assert tuple(y.shape) == (0, 3)
    y.sum().backward()
    np.testing.assert_array_equal(_np(rm), 0.0)
    np.testing.assert_array_equal(_np(rv), 1.0)
    np.testing.assert_array_equal(_np(w.grad), 0.0)
    assert tuple(x.grad.shape) == (0, 3)


@pytest.mark.parametrize("momentum", [0.1, None], ids=["m0.1", "cma"])
@pytest.mark.parametrize("module", ["BatchNorm1d", "BatchNorm2d"])
def test_running_statistics_match_torch_over_steps(module, momentum, torch):
    shape = (8, 3, 5) if module == "BatchNorm1d" else (4, 3, 3, 4)
    ours = getattr(nn, module)(3, momentum=momentum).double()
    theirs = getattr(torch.nn, module)(3, momentum=momentum).double()
    for step in range(5):
        x = R.standard_normal(shape) * (step + 1) + step
        y = ours(kernels.tensor(x))
        ty = theirs(torch.tensor(x))
        np.testing.assert_allclose(_np(y), ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    for key in ("running_mean", "running_var"):
        np.testing.assert_allclose(_np(getattr(ours, key)), getattr(theirs, key).numpy(), rtol=1e-12)
    assert ours.num_batches_tracked.item() == theirs.num_batches_tracked.item() == 5
    assert ours.num_batches_tracked.dtype == kernels.int64
    ours.eval()
    theirs.eval()
    x = R.standard_normal(shape)
    np.testing.assert_allclose(_np(ours(kernels.tensor(x))), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-10, atol=1e-12)
    assert ours.num_batches_tracked.item() == 5  # eval mode tracks nothing


def _to_torch_state(torch, sd):
    return {k: torch.from_numpy(np.array(_np(v))) for k, v in sd.items()}


@pytest.mark.parametrize("kw", [{}, {"affine": False}, {"track_running_stats": False}, {"bias": False},
                                {"momentum": None, "eps": 1e-3}], ids=str)
@pytest.mark.parametrize("module", ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d"])
def test_batchnorm_module_state_dict_round_trips_with_torch(module, kw, torch):
    shape = {"BatchNorm1d": (6, 4, 3), "BatchNorm2d": (3, 4, 2, 3), "BatchNorm3d": (2, 4, 2, 2, 3)}[module]
    theirs = getattr(torch.nn, module)(4, **kw).double()
    ours = getattr(nn, module)(4, **kw).double()
    assert list(ours.state_dict().keys()) == list(theirs.state_dict().keys())
    assert repr(ours) == repr(theirs)
    # give torch's module non-default state, then load it into ours
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.tensor(R.uniform(0.5, 1.5, p.shape)))
    for _ in range(3):
        theirs(torch.tensor(R.standard_normal(shape)))
    ours.load_state_dict(theirs.state_dict())
    if "num_batches_tracked" in theirs.state_dict():
        assert ours.num_batches_tracked.dtype == kernels.int64 and ours.num_batches_tracked.item() == 3
    for training in (True, False):
        ours.train(training)
        theirs.train(training)
        _same_outputs_and_grads(torch, ours, theirs, shape)
        for p in ours.parameters():
            p.grad = None
        theirs.zero_grad()
    # and back: our state_dict loads into a fresh torch module with the same values
    fresh = getattr(torch.nn, module)(4, **kw).double()
    fresh.load_state_dict(_to_torch_state(torch, ours.state_dict()))
    for k, v in fresh.state_dict().items():
        np.testing.assert_allclose(v.numpy(), theirs.state_dict()[k].numpy(), rtol=1e-12)


def test_batchnorm_module_defaults_conversion_and_resets():
    m = nn.BatchNorm2d(3)
    assert m.weight.dtype == kernels.float32 and m.running_mean.dtype == kernels.float32
    np.testing.assert_array_equal(_np(m.weight), 1.0)
    np.testing.assert_array_equal(_np(m.bias), 0.0)
    np.testing.assert_array_equal(_np(m.running_mean), 0.0)
    np.testing.assert_array_equal(_np(m.running_var), 1.0)
    assert m.num_batches_tracked.dtype == kernels.int64 and tuple(m.num_batches_tracked.shape) == ()
    m(kernels.tensor(R.standard_normal((4, 3, 2, 2)), dtype=kernels.float32))
    for conv in (lambda m: m.double(), lambda m: m.to(kernels.float64), lambda m: m.float()):
        conv(m)
        assert m.num_batches_tracked.dtype == kernels.int64 and m.num_batches_tracked.item() == 1
    m.double()
    assert m.running_mean.dtype == kernels.float64 and m.weight.dtype == kernels.float64
    assert not np.allclose(_np(m.running_var), 1.0)
    m.reset_running_stats()
    np.testing.assert_array_equal(_np(m.running_mean), 0.0)
    np.testing.assert_array_equal(_np(m.running_var), 1.0)
    assert m.num_batches_tracked.item() == 0
    with kernels.no_grad():
        m.weight.fill_(3.0)
    m.reset_parameters()
    np.testing.assert_array_equal(_np(m.weight), 1.0)
    # an old checkpoint without num_batches_tracked loads (the count starts at 0), as torch
    sd = {k: v for k, v in m.state_dict().items() if k != "num_batches_tracked"}
    m.num_batches_tracked.fill_(7)
    m.load_state_dict(sd)
    assert m.num_batches_tracked.item() == 7  # kept: nothing to load it from


def test_batchnorm_without_running_stats_uses_batch_stats_in_eval():
    m = nn.BatchNorm1d(3, track_running_stats=False).double().eval()
    x = R.standard_normal((5, 3))
    want, _, _ = np_batch_norm(x, None, None, None, None, True, 0.1, 1e-5)
    np.testing.assert_allclose(_np(m(kernels.tensor(x))), want, rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------------------ layer_norm

LN_CASES = [((4, 5), (5,)), ((3, 4, 5), (5,)), ((3, 4, 5), (4, 5)), ((2, 3, 2, 3), (3, 2, 3)), ((6,), (6,)),
            ((2, 300), (300,)), ((3, 2, 7), 7)]


def _ln_case(shape, ns, affine):
    nshape = (ns,) if isinstance(ns, int) else ns
    x = R.standard_normal(shape) * 2 + 1
    w, b = _affine(nshape, affine)
    split = _splitter(w, b)
    params = [a for a in (w, b) if a is not None]

    def fn(x, *ps):
        return F.layer_norm(x, ns, *split(ps), eps=1e-4)

    def tfn(x, *ps):
        return torch_functional.layer_norm(x, nshape, *split(ps), eps=1e-4)

    return fn, tfn, [x] + params, (x, len(nshape), w, b)


@pytest.mark.parametrize("shape,ns,affine", _with_affine_variants(LN_CASES, 2) + [(s, s[1:], "wb") for s in NETWORK],
                         ids=str)
def test_layer_norm_matches_numpy_torch_and_finite_differences(shape, ns, affine):
    fn, tfn, args, (x, nd, w, b) = _ln_case(shape, ns, affine)
    for dtype, tol in ((kernels.float64, 1e-12), (kernels.float32, 2e-5)):
        y = fn(*[kernels.tensor(a, dtype=dtype) for a in args])
        np.testing.assert_allclose(_np(y), np_layer_norm(x, nd, w, b, 1e-4), rtol=tol, atol=tol)
    check_gradients(fn, tfn, args, fd_max=80, fd_tol=(1e-6, 1e-5), tol32=(1e-5, 1e-4))


def test_layer_norm_float32_large_offset():
    x = (R.standard_normal((16, 1000)) * 0.01 + 1000.0).astype(np.float32)
    y = F.layer_norm(kernels.tensor(x), (1000,))
    np.testing.assert_allclose(_np(y), np_layer_norm(x.astype(np.float64), 1, None, None, 1e-5), atol=5e-3)


# ------------------------------------------------------------------------------ group_norm

GN_CASES = [((4, 6), 3), ((3, 6, 5), 2), ((3, 6, 5), 6), ((3, 6, 5), 1), ((2, 4, 3, 3), 2), ((2, 6, 2, 2, 2), 3),
            ((1, 4, 40), 2)]


def _gn_case(shape, G, affine):
    x = R.standard_normal(shape) * 2 - 1
    w, b = _affine(shape[1], affine)
    split = _splitter(w, b)

    def fn(x, *ps):
        return F.group_norm(x, G, *split(ps), eps=1e-4)

    def tfn(x, *ps):
        return torch_functional.group_norm(x, G, *split(ps), eps=1e-4)

    return fn, tfn, [x] + [a for a in (w, b) if a is not None], (x, w, b)


@pytest.mark.parametrize("shape,G,affine", _with_affine_variants(GN_CASES, 2), ids=str)
def test_group_norm_matches_numpy_torch_and_finite_differences(shape, G, affine):
    fn, tfn, args, (x, w, b) = _gn_case(shape, G, affine)
    for dtype, tol in ((kernels.float64, 1e-12), (kernels.float32, 2e-5)):
        y = fn(*[kernels.tensor(a, dtype=dtype) for a in args])
        np.testing.assert_allclose(_np(y), np_group_norm(x, G, w, b, 1e-4), rtol=tol, atol=tol)
    if x.size <= 80:
        gradcheck(fn, args, atol=1e-6, rtol=1e-5)
    if affine != "b":  # torch 2.13's CPU backward fails for a bias without weight ("no device")
        check_torch(fn, tfn, args)
        check_torch(fn, tfn, args, dtype=kernels.float32, atol=1e-5, rtol=1e-4)


def test_norms_on_empty_batches():
    for fn, tfn, shape in [
        (lambda x, w: F.layer_norm(x, (4,), w), lambda x, w: torch_functional.layer_norm(x, (4,), w), (0, 4)),
        (lambda x, w: F.group_norm(x, 2, w), lambda x, w: torch_functional.group_norm(x, 2, w), (0, 4, 3)),
    ]:
        w = np.ones(4)
        check_torch(fn, tfn, [np.zeros(shape), w])


# ------------------------------------------------------------------------------ modules


@pytest.mark.parametrize("kw", [{}, {"elementwise_affine": False}, {"bias": False}, {"eps": 1e-3}], ids=str)
def test_layernorm_module_matches_torch(kw, torch):
    theirs = torch.nn.LayerNorm((3, 4), **kw).double()
    ours = nn.LayerNorm((3, 4), **kw).double()
    _load_from_torch(torch, ours, theirs)
    _same_outputs_and_grads(torch, ours, theirs, (2, 5, 3, 4))


@pytest.mark.parametrize("kw", [{}, {"affine": False}, {"bias": False}], ids=str)
def test_groupnorm_module_matches_torch(kw, torch):
    theirs = torch.nn.GroupNorm(2, 6, **kw).double()
    ours = nn.GroupNorm(2, 6, **kw).double()
    _load_from_torch(torch, ours, theirs)
    _same_outputs_and_grads(torch, ours, theirs, (3, 6, 4))


def _load_from_torch(torch, ours, theirs):
    """The same repr and state_dict keys; torch's parameters given non-default values, then loaded
    into ours."""
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict().keys()) == list(theirs.state_dict().keys())
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.tensor(R.uniform(0.5, 1.5, p.shape)))
    ours.load_state_dict(theirs.state_dict())


def _same_outputs_and_grads(torch, ours, theirs, shape):
    x, g = R.standard_normal(shape), R.standard_normal(shape)
    kx, tx = kernels.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = ours(kx), theirs(tx)
    np.testing.assert_allclose(_np(y), ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    y.backward(kernels.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(_np(kx.grad), tx.grad.numpy(), rtol=1e-9, atol=1e-11)
    for (name, p), tp in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(_np(p.grad), tp.grad.numpy(), rtol=1e-9, atol=1e-11, err_msg=name)


def test_norm_modules_default_init():
    ln, gn = nn.LayerNorm(5), nn.GroupNorm(2, 4)
    for m, shape in ((ln, (5,)), (gn, (4,))):
        assert tuple(m.weight.shape) == shape and m.weight.dtype == kernels.float32
        np.testing.assert_array_equal(_np(m.weight), 1.0)
        np.testing.assert_array_equal(_np(m.bias), 0.0)
    assert ln.normalized_shape == (5,)


# ------------------------------------------------------------------------------ CPU vs CUDA


@pytest.mark.parametrize("shape", [(64, 5), (8, 3, 7), (4, 3, 17, 17), (2, 1, 300, 300), (3000, 2)], ids=str)
@pytest.mark.parametrize("mode", [(True, True), (True, False), (False, True)], ids=["train", "train-notrack", "eval"])
def test_batch_norm_cuda_matches_cpu(shape, mode):
    fn, _, args = _bn_case(shape, "wb", *mode)
    check_cuda_vs_cpu(fn, args, atol=1e-4, rtol=1e-4)
    check_cuda_vs_cpu(fn, args, dtype=kernels.float64, atol=1e-10, rtol=1e-10)


@requires_cuda
def test_batch_norm_cuda_running_stats_match_cpu():
    x = R.standard_normal((16, 4, 9, 9)) * 3 + 2
    stats = {}
    for dev in ("cpu", "cuda"):
        rm = kernels.zeros(4, device=dev)
        rv = kernels.ones(4, device=dev)
        for _ in range(3):
            F.batch_norm(kernels.tensor(x, dtype=kernels.float32, device=dev), rm, rv, training=True)
        stats[dev] = (_np(rm), _np(rv))
    for a, b in zip(stats["cpu"], stats["cuda"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape,ns", [((4, 5), (5,)), ((3, 4, 700), (700,)), ((2, 3, 4, 5), (3, 4, 5)), ((300, 16), (16,))],
                         ids=str)
def test_layer_norm_cuda_matches_cpu(shape, ns):
    fn, _, args, _ = _ln_case(shape, ns, "wb")
    check_cuda_vs_cpu(fn, args, atol=1e-4, rtol=1e-4)
    check_cuda_vs_cpu(fn, args, dtype=kernels.float64, atol=1e-10, rtol=1e-10)


@pytest.mark.parametrize("shape,G", [((4, 6), 3), ((3, 6, 50), 2), ((2, 8, 9, 9), 4), ((64, 4, 3), 1)], ids=str)
def test_group_norm_cuda_matches_cpu(shape, G):
    fn, _, args, _ = _gn_case(shape, G, "wb")
    check_cuda_vs_cpu(fn, args, atol=1e-4, rtol=1e-4)
    check_cuda_vs_cpu(fn, args, dtype=kernels.float64, atol=1e-10, rtol=1e-10)


@requires_cuda
def test_batchnorm_module_on_cuda_matches_torch(torch):
    theirs = torch.nn.BatchNorm2d(3)
    ours = nn.BatchNorm2d(3).cuda()
    x = R.standard_normal((4, 3, 5, 5)).astype(np.float32)
    y = ours(kernels.tensor(x, device="cuda"))
    np.testing.assert_allclose(_np(y), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(_np(ours.running_var), theirs.running_var.numpy(), rtol=1e-5)
    assert ours.num_batches_tracked.item() == 1 and ours.num_batches_tracked.device == kernels.device("cuda:0")


# ------------------------------------------------------------------------------ bad inputs


def _raises(exc, pattern, fn, *args, **kw):
    with pytest.raises(exc, match=pattern):
        fn(*args, **kw)


def test_batch_norm_bad_inputs():
    x = kernels.tensor(R.standard_normal((8, 4, 5)))
    c4, c3 = kernels.tensor(np.ones(4)), kernels.tensor(np.ones(3))
    with pytest.raises(ValueError) as e:
        F.batch_norm(kernels.tensor(R.standard_normal((1, 4))), None, None, training=True)
    assert str(e.value) == "batch_norm: expected more than 1 value per channel when training, got input (1,4)"
    _raises(ValueError, r"more than 1 value per channel.*\(1,4,1\)", F.batch_norm,
            kernels.tensor(np.ones((1, 4, 1))), None, None, training=True)
    _raises(ValueError, r"batch_norm: running_mean must have shape \(4,\).*\(8,4,5\), got \(3,\)", F.batch_norm,
            x, c3, c4)
    _raises(ValueError, r"batch_norm: running_var must have shape \(4,\)", F.batch_norm, x, c4, c3)
    _raises(ValueError, r"batch_norm: weight must have shape \(4,\).*got \(3,\)", F.batch_norm, x, c4, c4, c3)
    _raises(ValueError, r"batch_norm: bias must have shape \(4,\)", F.batch_norm, x, c4, c4, c4, c3)
    _raises(ValueError, r"batch_norm: weight must have shape \(4,\).*got \(2,2\)", F.batch_norm, x, c4, c4,
            kernels.tensor(np.ones((2, 2))))
    _raises(ValueError, "batch_norm: running_mean and running_var must both be given", F.batch_norm, x, c4, None,
            training=True)
    _raises(ValueError, "batch_norm: running_mean and running_var must be given in evaluation mode",
            F.batch_norm, x, None, None, training=False)
    _raises(ValueError, r"batch_norm: input must have shape \(N, C, ...\).*\(8,\)", F.batch_norm,
            kernels.tensor(np.ones(8)), None, None, training=True)
    _raises(ValueError, r"batch_norm: input must have shape.*\(\)", F.batch_norm, kernels.tensor(1.0), None, None,
            training=True)
    _raises(ValueError, "batch_norm: eps must be positive when training", F.batch_norm, x, None, None,
            training=True, eps=0.0)
    _raises(ValueError, "batch_norm: eps must be non-negative", F.batch_norm, x, c4, c4, eps=-1.0)
    _raises(TypeError, r"batch_norm: running_mean must have the input's dtype float64.*float32", F.batch_norm, x,
            kernels.ones(4), kernels.ones(4))
    _raises(TypeError, "batch_norm: weight must have the input's dtype", F.batch_norm, x, c4, c4,
            kernels.ones(4))
    _raises(TypeError, "batch_norm: expected a float32 or float64 tensor", F.batch_norm,
            kernels.tensor(np.ones((3, 4), dtype=np.int64)), None, None, training=True)
    _raises(TypeError, "batch_norm: momentum must be a number", F.batch_norm, x, c4, c4, training=True,
            momentum=None)
    _raises(TypeError, "batch_norm: input must be a Tensor", F.batch_norm, np.ones((3, 4)), None, None)
    _raises(TypeError, "batch_norm: weight must be a Tensor", F.batch_norm, x, c4, c4, [1.0] * 4)


def test_batch_norm_backward_entry_checks():
    x = kernels.tensor(R.standard_normal((8, 4)))
    _, m, s = _C.batch_norm_forward(x, None, None, None, None, True, 0.1, 1e-5)
    g = kernels.tensor(R.standard_normal((8, 4)))
    _raises(ValueError, r"batch_norm_backward: grad must have shape \(8,4\).*got \(8,3\)", _C.batch_norm_backward,
            kernels.tensor(np.ones((8, 3))), x, None, m, s, True)
    _raises(ValueError, r"batch_norm_backward: save_mean must have shape \(4,\)", _C.batch_norm_backward, g, x,
            None, kernels.tensor(np.ones(3)), s, True)
    _raises(ValueError, "batch_norm_backward: output_mask must have 3 entries", _C.batch_norm_backward, g, x,
            None, m, s, True, [True])
    _raises(TypeError, "batch_norm_backward: grad must have the input's dtype", _C.batch_norm_backward,
            kernels.ones(8, 4), x, None, m, s, True)


def test_layer_and_group_norm_bad_inputs():
    x = kernels.tensor(R.standard_normal((4, 6)))
    with pytest.raises(ValueError) as e:
        F.layer_norm(x, (5,))
    assert str(e.value) == ("layer_norm: normalized_shape (5,) does not match the trailing dims of input (4,6); "
                            "expected input of shape (*, 5)")
    _raises(ValueError, r"layer_norm: normalized_shape \(2,4,6\) does not match.*\(4,6\)", F.layer_norm, x, (2, 4, 6))
    _raises(ValueError, "layer_norm: normalized_shape must have at least one dim", F.layer_norm, x, ())
    _raises(ValueError, r"layer_norm: weight must have shape \(6,\).*got \(5,\)", F.layer_norm, x, (6,),
            kernels.tensor(np.ones(5)))
    _raises(ValueError, r"layer_norm: bias must have shape \(6,\)", F.layer_norm, x, (6,), None,
            kernels.tensor(np.ones((1, 6))))
    _raises(TypeError, "layer_norm: weight must have the input's dtype", F.layer_norm, x, (6,), kernels.ones(6))
    _raises(TypeError, "layer_norm: normalized_shape must be an int or a sequence of ints", F.layer_norm, x, 6.0)
    with pytest.raises(ValueError) as e:
        F.group_norm(x, 4)
    assert str(e.value) == "group_norm: num_groups 4 must divide the number of channels 6 of input (4,6)"
    _raises(ValueError, "group_norm: num_groups must be positive, got 0", F.group_norm, x, 0)
    _raises(ValueError, r"group_norm: input must have shape \(N, C, ...\).*\(6,\)", F.group_norm,
            kernels.tensor(np.ones(6)), 3)
    _raises(ValueError, r"group_norm: weight must have shape \(6,\).*got \(3,\)", F.group_norm, x, 3,
            kernels.tensor(np.ones(3)))
    _raises(TypeError, "group_norm: num_groups must be an int", F.group_norm, x, 2.0)
    _raises(TypeError, "group_norm: bias must have the input's dtype", F.group_norm, x, 2, None, kernels.ones(6))
    _raises(ValueError, r"layer_norm_backward: rstd must have shape \(4,\)", _C.layer_norm_backward, x, x, [6],
            None, kernels.tensor(np.ones(4)), kernels.tensor(np.ones(3)))
    _raises(ValueError, r"group_norm_backward: mean must have shape \(4,2\)", _C.group_norm_backward, x, x, 2,
            None, kernels.tensor(np.ones(4)), kernels.tensor(np.ones((4, 2))))


def test_norm_module_bad_inputs():
    _raises(ValueError, r"BatchNorm1d: expected 2-D \(N, C\) or 3-D \(N, C, L\) input, got shape \(2, 3, 4, 5\)",
            nn.BatchNorm1d(3), kernels.ones(2, 3, 4, 5))
    _raises(ValueError, r"BatchNorm2d: expected 4-D \(N, C, H, W\) input, got shape \(2, 3, 4\)", nn.BatchNorm2d(3),
            kernels.ones(2, 3, 4))
    _raises(ValueError, r"BatchNorm2d\(3\): expected input with 3 channels", nn.BatchNorm2d(3), kernels.ones(2, 4, 2, 2))
    _raises(TypeError, "BatchNorm1d: expected a Tensor", nn.BatchNorm1d(3), np.ones((2, 3)))
    _raises(ValueError, "BatchNorm1d: num_features must be a non-negative int", nn.BatchNorm1d, 2.5)
    _raises(ValueError, r"num_channels \(6\) must be divisible by num_groups \(4\)", nn.GroupNorm, 4, 6)
    _raises(ValueError, "LayerNorm: normalized_shape must be non-negative ints", nn.LayerNorm, (3, -1))
    _raises(TypeError, "BatchNorm1d: momentum must be a number or None", nn.BatchNorm1d, 3, momentum="fast")


@requires_cuda
def test_norm_device_mismatch_raises():
    x = kernels.tensor(R.standard_normal((4, 3)), device="cuda")
    c = kernels.tensor(np.ones(3))
    _raises(RuntimeError, "batch_norm: expected all tensors on the same device", F.batch_norm, x, c, c)
    _raises(RuntimeError, "layer_norm: expected all tensors on the same device", F.layer_norm, x, (3,), c)
    _raises(RuntimeError, "group_norm: expected all tensors on the same device", F.group_norm, x, 3, c)
