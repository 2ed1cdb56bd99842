"""Adadelta, Adamax, NAdam, RAdam and LBFGS against torch.optim: 20 steps from the same float64
parameters with the same gradients to 1e-12 for several hyper-parameter combinations (float32
looser), param groups, state_dict round trips and loading torch's state, hyper-parameter errors
with torch's messages, the fused _C kernels (by hand and their argument checks), CPU against CUDA;
LBFGS on Rosenbrock functions against torch's iterates with both line searches."""
import copy

import numpy as np
import pytest

import kernels
from kernels import _C, optim
from opcheck import requires_cuda
from test_optim import _data, _np, _run_kernels, _run_torch, _t

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.usefixtures("torch_one_thread")

STEPS = 20

CASES = [
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.5)),
    ("Adadelta", dict(lr=0.1, rho=0.95, eps=1e-3)),
    ("Adadelta", dict(weight_decay=0.1, maximize=True)),
    ("Adadelta", dict(lr=2.0, rho=0.0, eps=1e-8, weight_decay=0.01)),
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.9))),
    ("Adamax", dict(lr=0.01, weight_decay=0.1, eps=1e-3)),
    ("Adamax", dict(lr=0.01, weight_decay=0.05, maximize=True)),
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.01, momentum_decay=0.05)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("NAdam", dict(lr=0.01, betas=(0.7, 0.95), weight_decay=0.05, maximize=True, eps=1e-6)),
    ("NAdam", dict(lr=0.01, weight_decay=0.05, decoupled_weight_decay=True, maximize=True,
                   momentum_decay=0.0)),
    # RAdam: with beta2 = 0.999 the first 5 steps are un-rectified, the later ones rectified.
    ("RAdam", dict()),
    ("RAdam", dict(lr=0.01, betas=(0.8, 0.9))),
    ("RAdam", dict(lr=0.01, weight_decay=0.1)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.01, betas=(0.9, 0.99), weight_decay=0.05, maximize=True, eps=1e-4)),
    ("RAdam", dict(lr=0.01, weight_decay=0.05, decoupled_weight_decay=True, maximize=True)),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}" for name, kw in CASES]
NAMES = ["Adadelta", "Adamax", "NAdam", "RAdam"]


# ------------------------------------------------------------------------------ against torch


@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_matches_torch_float64(name, kw):
    params, grads = _data(seed=10)
    for k in range(0, STEPS, 3):  # the second parameter gets no gradient on some steps
        grads[k][1] = None
    ours, opt = _run_kernels(name, kw, params, grads)
    ref, topt = _run_torch(name, kw, params, grads)
    for a, b, p0 in zip(ours, ref, params):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
        if a.size:
            assert not np.allclose(a, p0), "the parameter did not move"
    # The step counts (and NAdam's mu_product, which torch keeps in float32) agree exactly.
    for p, tp in zip(opt.param_groups[0]["params"], topt.param_groups[0]["params"]):
        if p.numel():
            for key in ("step", "mu_product"):
                if key in topt.state[tp]:
                    assert opt.state[p][key] == topt.state[tp][key].item(), key


@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_matches_torch_float32(name, kw):
    params, grads = _data(seed=11, shapes=[(4, 3), (300,)])
    ours, _ = _run_kernels(name, kw, params, grads, dtype=kernels.float32)
    ref, _ = _run_torch(name, kw, params, grads, dtype="float32")
    for a, b in zip(ours, ref):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)


GROUP_CASES = [
    ("Adadelta", dict(lr=0.5), [dict(params=[0, 1]), dict(params=[2], rho=0.5, weight_decay=0.1)]),
    ("Adamax", dict(lr=0.01), [dict(params=[0]), dict(params=[1, 2], lr=0.05, betas=(0.7, 0.9))]),
    ("NAdam", dict(lr=0.01), [dict(params=[2, 0], weight_decay=0.1, decoupled_weight_decay=True),
                              dict(params=[1], momentum_decay=0.01)]),
    ("RAdam", dict(lr=0.01), [dict(params=[0, 1], weight_decay=0.1), dict(params=[2], lr=0.1)]),
]


@pytest.mark.parametrize("name,kw,groups", GROUP_CASES, ids=[c[0] for c in GROUP_CASES])
def test_param_groups_match_torch(name, kw, groups):
    params, grads = _data(seed=12, shapes=[(4, 3), (5,), (2, 2, 2)])
    ours, opt = _run_kernels(name, kw, params, grads, groups=groups)
    ref, topt = _run_torch(name, kw, params, grads, groups=groups)
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    for g, tg in zip(opt.param_groups, topt.param_groups):
        for key, value in g.items():
            if key != "params":
                assert tg[key] == value, key


@pytest.mark.parametrize("name", NAMES)
def test_defaults_match_torch(name):
    p = kernels.zeros(2, requires_grad=True)
    tp = torch.zeros(2, requires_grad=True)
    group = getattr(optim, name)([p]).param_groups[0]
    tgroup = getattr(torch.optim, name)([tp]).param_groups[0]
    # Every option we keep has torch's name and default (torch adds foreach, capturable, ...).
    for key, value in group.items():
        if key != "params":
            assert tgroup[key] == value, key
    assert set(tgroup) - set(group) <= {"foreach", "capturable", "differentiable"}


# ------------------------------------------------------------------------------ the kernels by hand


def test_kernel_adadelta_reference():
    rng = np.random.default_rng(13)
    p0, g0 = rng.standard_normal(10), rng.standard_normal(10)
    sq0, acc0 = rng.random(10), rng.random(10)
    p, g = kernels.tensor(p0), kernels.tensor(g0)
    sq, acc = kernels.tensor(sq0), kernels.tensor(acc0)
    lr, rho, eps, wd = 0.7, 0.8, 1e-4, 0.1
    _C.adadelta_step(p, g, sq, acc, lr, rho, eps, wd, True)
    d = -g0 + wd * p0
    sq1 = rho * sq0 + (1 - rho) * d * d
    delta = np.sqrt(acc0 + eps) / np.sqrt(sq1 + eps) * d
    np.testing.assert_allclose(_np(sq), sq1, rtol=1e-14)
    np.testing.assert_allclose(_np(acc), rho * acc0 + (1 - rho) * delta**2, rtol=1e-14)
    np.testing.assert_allclose(_np(p), p0 - lr * delta, rtol=1e-14)


def test_kernel_adamax_reference():
    rng = np.random.default_rng(14)
    p0, g0, m0, u0 = (rng.standard_normal(10) for _ in range(4))
    u0 = np.abs(u0)
    p, g, m, u = (kernels.tensor(a) for a in (p0, g0, m0, u0))
    _C.adamax_step(p, g, m, u, 3, 0.01, 0.9, 0.99, 1e-8, 0.0, False)
    m1 = 0.9 * m0 + 0.1 * g0
    u1 = np.maximum(0.99 * u0, np.abs(g0) + 1e-8)
    np.testing.assert_allclose(_np(m), m1, rtol=1e-14)
    np.testing.assert_allclose(_np(u), u1, rtol=1e-14)
    np.testing.assert_allclose(_np(p), p0 - 0.01 / (1 - 0.9**3) * m1 / u1, rtol=1e-13)


def test_kernel_nadam_returns_float32_product():
    p, g, m, v = _t((3,), value=1.0), _t((3,), value=0.5), _t((3,), value=0.0), _t((3,), value=0.0)
    mu = 0.9 * (1 - 0.5 * 0.96 ** (1 * 4e-3))
    prod = _C.nadam_step(p, g, m, v, 1, 1.0, 0.002, 0.9, 0.999, 1e-8, 0.0, 4e-3, False, False)
    assert prod == float(np.float32(1.0) * np.float32(mu)) and prod != mu
    # Step 1 by hand: m = 0.1 g, v = 0.001 g^2, denom = |g| + eps.
    mu2 = 0.9 * (1 - 0.5 * 0.96 ** (2 * 4e-3))
    denom = np.sqrt(0.001 * 0.25 / 0.001) + 1e-8
    expect = 1.0 - 0.002 * (1 - mu) / (1 - prod) * 0.5 / denom \
        - 0.002 * mu2 / (1 - prod * mu2) * 0.05 / denom
    np.testing.assert_allclose(_np(p), [expect] * 3, rtol=1e-14)
    # An empty parameter still advances the product.
    e = _t((0,))
    assert _C.nadam_step(e, _t((0,)), _t((0,)), _t((0,)), 1, 1.0, 0.002, 0.9, 0.999, 1e-8, 0.0,
                         4e-3, False, False) == prod


def test_kernel_radam_unrectified_and_rectified():
    rng = np.random.default_rng(15)
    p0, g0 = rng.standard_normal(6), rng.standard_normal(6)
    p, g, m, v = kernels.tensor(p0), kernels.tensor(g0), _t((6,), value=0.0), _t((6,), value=0.0)
    _C.radam_step(p, g, m, v, 1, 0.1, 0.9, 0.999, 1e-8, 0.0, False, False)
    # Step 1: rho_1 = 1 <= 5, so p = p - lr * m / (1 - beta1) = p - lr * g.
    np.testing.assert_allclose(_np(p), p0 - 0.1 * g0, rtol=1e-14)
    # At step 10 with beta2 = 0.9 (rho_inf = 19), the rectified step.
    m0, v0 = rng.standard_normal(6), rng.random(6)
    p, m, v = kernels.tensor(p0), kernels.tensor(m0), kernels.tensor(v0)
    t, b1, b2 = 10, 0.9, 0.9
    _C.radam_step(p, g, m, v, t, 0.1, b1, b2, 1e-8, 0.0, False, False)
    m1, v1 = b1 * m0 + (1 - b1) * g0, b2 * v0 + (1 - b2) * g0**2
    rho_inf = 2 / (1 - b2) - 1
    rho_t = rho_inf - 2 * t * b2**t / (1 - b2**t)
    assert rho_t > 5
    rect = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
    expect = p0 - m1 / (1 - b1**t) * 0.1 * np.sqrt(1 - b2**t) / (np.sqrt(v1) + 1e-8) * rect
    np.testing.assert_allclose(_np(p), expect, rtol=1e-13)


KERNEL_BAD = [
    (lambda: _C.adadelta_step(_t((2,)), _t((2,)), _t((3,)), _t((2,)), 1.0, 0.9, 1e-6, 0, False),
     ValueError, r"adadelta_step: square_avg has shape \(3,\) but param has shape \(2,\)"),
    (lambda: _C.adadelta_step(_t((2,)), _t((2,)), _t((2,)), _t((2,)), 1.0, 1.5, 1e-6, 0, False),
     ValueError, r"adadelta_step: rho must be in \[0, 1\], got 1.5"),
    (lambda: (lambda s: _C.adadelta_step(_t((2,)), _t((2,)), s, s, 1.0, 0.9, 1e-6, 0, False))(_t((2,))),
     ValueError, "adadelta_step: square_avg and acc_delta share memory"),
    (lambda: _C.adamax_step(_t((2,)), _t((2,)), _t((2,)), _t((2,), kernels.float32), 1, 0.1, 0.9,
                            0.999, 1e-8, 0, False),
     TypeError, r"adamax_step: exp_inf is float32 but param \(2,\) is float64"),
    (lambda: _C.adamax_step(_t((2,)), _t((2,)), _t((2,)), _t((2,)), 0, 0.1, 0.9, 0.999, 1e-8, 0, False),
     ValueError, "adamax_step: step must be >= 1"),
    (lambda: _C.nadam_step(_t((2,)), _t((2,)), _t((2,)), _t((2,)), 1, 1.0, 0.1, 0.9, 0.999, 1e-8, 0,
                           -1.0, False, False),
     ValueError, "nadam_step: momentum_decay must be a finite number >= 0, got -1"),
    (lambda: _C.nadam_step(_t((2,), kernels.int64), _t((2,), kernels.int64), _t((2,)), _t((2,)), 1,
                           1.0, 0.1, 0.9, 0.999, 1e-8, 0, 4e-3, False, False),
     TypeError, "nadam_step: param must be a float32 or float64"),
    (lambda: _C.radam_step(_t((2,)), _t((2,)), _t((2,)), _t((2,)), 1, 0.1, 0.9, 1.0, 1e-8, 0, False, False),
     ValueError, r"radam_step: beta2 must be in \[0, 1\), got 1"),
    (lambda: (lambda p: _C.radam_step(p, _t((2,)), p, _t((2,)), 1, 0.1, 0.9, 0.999, 1e-8, 0, False,
                                      False))(_t((2,))),
     ValueError, "radam_step: param and exp_avg share memory"),
    (lambda: _C.radam_step(_t((2,)), _t((1, 2)), _t((2,)), _t((2,)), 1, 0.1, 0.9, 0.999, 1e-8, 0,
                           False, False),
     ValueError, r"radam_step: grad has shape \(1,2\) but param has shape \(2,\)"),
]


@pytest.mark.parametrize("call,exc,match", KERNEL_BAD)
def test_kernel_bad_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# ------------------------------------------------------------------------------ state dict


def _to_kernels(value):
    """torch's state_dict with every torch tensor made a kernels tensor (0-d ones included), as a
    checkpoint converter would hand it over."""
    if isinstance(value, torch.Tensor):
        return kernels.tensor(value.detach().numpy().copy(), dtype=getattr(kernels, str(value.dtype)[6:]))
    if isinstance(value, dict):
        return {k: _to_kernels(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_kernels(v) for v in value)
    return value


def _state_value(v):
    return _np(v) if isinstance(v, kernels.Tensor) else v


@pytest.mark.parametrize("name,kw", CASES[::2], ids=IDS[::2])
def test_state_dict_round_trip(name, kw):
    params, grads = _data(seed=16, shapes=[(4, 3), (6,)])
    full, _ = _run_kernels(name, kw, params, grads)
    ps = [kernels.tensor(p, requires_grad=True) for p in params]
    opt = getattr(optim, name)(ps, **kw)

    def run(opt, ps, gs_list):
        for gs in gs_list:
            for p, g in zip(ps, gs):
                p.grad = kernels.tensor(g)
            opt.step()

    run(opt, ps, grads[:10])
    saved = opt.state_dict()
    snapshot = {k: {n: np.copy(_state_value(v)) for n, v in s.items()} for k, s in saved["state"].items()}
    mid = [_np(p).copy() for p in ps]
    run(opt, ps, grads[10:])
    ps2 = [kernels.tensor(m, requires_grad=True) for m in mid]
    opt2 = getattr(optim, name)(ps2, **kw)
    opt2.load_state_dict(saved)
    run(opt2, ps2, grads[10:])
    for a, b, c in zip(ps2, full, ps):
        np.testing.assert_array_equal(_np(a), b)
        np.testing.assert_array_equal(_np(c), b)
    for k, s in saved["state"].items():  # the saved dict holds copies
        for n, v in s.items():
            np.testing.assert_array_equal(_state_value(v), snapshot[k][n])


@pytest.mark.parametrize("name,kw", CASES[1::2], ids=IDS[1::2])
def test_state_dict_layout_and_loading_torch_state(name, kw):
    params, grads = _data(seed=17, shapes=[(3,), (2, 2)], steps=12)
    _, opt = _run_kernels(name, kw, params, grads[:6])
    tps, topt = _run_torch(name, kw, params, grads[:6])
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sorted(sd["state"]) == sorted(tsd["state"])
    for k, ts in tsd["state"].items():
        assert list(sd["state"][k]) == list(ts)  # the same keys in the same order
        for key, tv in ts.items():
            v = sd["state"][k][key]
            if tv.dim() == 0:  # step, mu_product: floats here, 0-d tensors in torch
                assert isinstance(v, float) and v == tv.item(), key
            else:
                np.testing.assert_allclose(_np(v), tv.numpy(), rtol=1e-12, atol=1e-15)
    assert [g["params"] for g in sd["param_groups"]] == [g["params"] for g in tsd["param_groups"]]

    # torch's state, made of kernels tensors, loads and continues exactly as torch does.
    ps = [kernels.tensor(p, requires_grad=True) for p in tps]
    ours = getattr(optim, name)(ps, **kw)
    ours.load_state_dict(_to_kernels(tsd))
    tparams = [torch.tensor(p, requires_grad=True) for p in tps]
    theirs = getattr(torch.optim, name)(tparams, **kw)
    theirs.load_state_dict(tsd)
    for gs in grads[6:]:
        for p, q, g in zip(ps, tparams, gs):
            p.grad, q.grad = kernels.tensor(g), torch.tensor(g)
        ours.step()
        theirs.step()
    for p, q in zip(ps, tparams):
        np.testing.assert_allclose(_np(p), q.detach().numpy(), rtol=1e-12, atol=1e-12)
    for p in ps:
        assert isinstance(ours.state[p]["step"], float)


# ------------------------------------------------------------------------------ bad hyper-parameters

BAD_HYPER = [
    ("Adadelta", dict(lr=-0.5)),
    ("Adadelta", dict(rho=1.5)),
    ("Adadelta", dict(rho=-0.1)),
    ("Adadelta", dict(eps=-1e-6)),
    ("Adadelta", dict(weight_decay=-1)),
    ("Adadelta", dict(lr=float("nan"))),
    ("Adamax", dict(lr=-1.0)),
    ("Adamax", dict(eps=-1.0)),
    ("Adamax", dict(betas=(1.0, 0.999))),
    ("Adamax", dict(betas=(0.9, -0.5))),
    ("Adamax", dict(weight_decay=-0.1)),
    ("NAdam", dict(lr=-1e-3)),
    ("NAdam", dict(betas=(-0.1, 0.999))),
    ("NAdam", dict(betas=(0.9, 1.0))),
    ("NAdam", dict(eps=-1.0)),
    ("NAdam", dict(weight_decay=-1.0)),
    ("NAdam", dict(momentum_decay=-4e-3)),
    ("RAdam", dict(lr=-1e-3)),
    ("RAdam", dict(betas=(1.5, 0.999))),
    ("RAdam", dict(betas=(0.9, 1.0))),
    ("RAdam", dict(eps=-1e-8)),
    ("RAdam", dict(weight_decay=-0.01)),
    ("LBFGS", dict(lr=-1)),
]


@pytest.mark.parametrize("name,kw", BAD_HYPER, ids=[f"{n}-{kw}" for n, kw in BAD_HYPER])
def test_bad_hyperparameters_raise_torchs_message(name, kw):
    with pytest.raises(ValueError) as theirs:
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kw)
    with pytest.raises(ValueError) as ours:
        getattr(optim, name)([kernels.zeros(2, requires_grad=True)], **kw)
    assert str(ours.value) == str(theirs.value)
    assert "Invalid" in str(ours.value)


@pytest.mark.parametrize("name", NAMES)
def test_bad_grad(name):
    p = kernels.zeros(3, 4, dtype=kernels.float64, requires_grad=True)
    opt = getattr(optim, name)([p])
    p.grad = kernels.zeros(3, 4, dtype=kernels.float64)
    p.data = kernels.zeros(3, 4, dtype=kernels.float32)
    with pytest.raises(RuntimeError, match=rf"{name}: .*float32.*float64"):
        opt.step()


# ------------------------------------------------------------------------------ CPU vs CUDA


@requires_cuda
@pytest.mark.parametrize("dtype", [kernels.float32, kernels.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_cuda_matches_cpu(name, kw, dtype):
    params, grads = _data(seed=18)
    cpu, _ = _run_kernels(name, kw, params, grads, dtype=dtype, device="cpu")
    gpu, opt_g = _run_kernels(name, kw, params, grads, dtype=dtype, device="cuda")
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == kernels.float32 else dict(rtol=1e-12, atol=1e-14)
    for a, b in zip(gpu, cpu):
        np.testing.assert_allclose(a, b, **tol)
    for st in opt_g.state.values():
        for v in st.values():
            if isinstance(v, kernels.Tensor):
                assert v.is_cuda


# ------------------------------------------------------------------------------ LBFGS

# Rosenbrock over two parameters (a vector and a matrix, flattened and joined): the minimum is 0
# at all ones; a long curved valley makes the line search work.
X0 = [np.array([-1.2, 1.0, -0.5, 0.8]), np.array([[0.3, -1.0, 1.2], [0.9, 0.1, -0.4]])]


def _rosenbrock(lib, ps):
    x = lib.cat([p.reshape(-1) for p in ps])
    return (100.0 * (x[1:] - x[:-1] * x[:-1]) ** 2 + (1.0 - x[:-1]) ** 2).sum()


def _lbfgs_pair(kw, x0=X0, dtype="float64", device="cpu"):
    """Our LBFGS and torch's on the same Rosenbrock; returns (run, ours, theirs) with
    run(steps) -> per step: (our params, torch's params, our loss, torch's loss)."""
    kp = [kernels.tensor(a, dtype=getattr(kernels, dtype), device=device, requires_grad=True)
          for a in x0]
    tp = [torch.tensor(a, dtype=getattr(torch, dtype), requires_grad=True) for a in x0]
    ours, theirs = optim.LBFGS(kp, **kw), torch.optim.LBFGS(tp, **kw)

    def kclosure():
        ours.zero_grad()
        loss = _rosenbrock(kernels, kp)
        loss.backward()
        return loss

    def tclosure():
        theirs.zero_grad()
        loss = _rosenbrock(torch, tp)
        loss.backward()
        return loss

    def run(steps):
        out = []
        for _ in range(steps):
            kl, tl = ours.step(kclosure), theirs.step(tclosure)
            out.append((np.concatenate([_np(p).ravel() for p in kp]),
                        np.concatenate([p.detach().numpy().ravel() for p in tp]),
                        kl.item(), tl.item()))
        return out

    return run, ours, theirs


def _first_state(opt):
    return opt.state[opt.param_groups[0]["params"][0]]


@pytest.mark.parametrize("kw", [dict(lr=1e-3, max_iter=7, history_size=3),
                                dict(lr=1e-3, max_iter=7),
                                dict(lr=1e-3, max_iter=5, max_eval=4, history_size=2)],
                         ids=["history3", "history100", "max_eval4"])
def test_lbfgs_fixed_step_matches_torch(kw):
    run, ours, theirs = _lbfgs_pair(kw)
    trace = run(12)
    for x, tx, loss, tloss in trace:
        np.testing.assert_allclose(x, tx, rtol=1e-11, atol=1e-11)
        assert loss == pytest.approx(tloss, rel=1e-11)
    assert trace[-1][2] < 0.6 * trace[0][2], "no progress"
    st, tst = _first_state(ours), _first_state(theirs)
    assert st["n_iter"] == tst["n_iter"] and st["func_evals"] == tst["func_evals"]
    assert len(st["old_dirs"]) == len(tst["old_dirs"]) <= kw.get("history_size", 100)


@pytest.mark.parametrize("history_size", [3, 100])
def test_lbfgs_strong_wolfe_matches_torch(history_size):
    run, ours, theirs = _lbfgs_pair(dict(max_iter=7, history_size=history_size,
                                         line_search_fn="strong_wolfe"))
    # The same iterates, step by step. Rosenbrock's valley amplifies the last-bit differences of
    # the two libraries' arithmetic (torch's add with alpha is fused multiply-add), so the
    # comparison is tight for the first steps and then checks that both reach the minimum.
    trace = run(3)
    for x, tx, loss, tloss in trace:
        np.testing.assert_allclose(x, tx, rtol=1e-9, atol=1e-9)
        assert loss == pytest.approx(tloss, rel=1e-9)
    st, tst = _first_state(ours), _first_state(theirs)
    assert st["n_iter"] == tst["n_iter"] and st["func_evals"] == tst["func_evals"]
    trace = run(12)
    x, tx, loss, tloss = trace[-1]
    np.testing.assert_allclose(x, np.ones(10), atol=1e-4)
    np.testing.assert_allclose(x, tx, atol=1e-5)
    assert loss < 1e-6 and tloss < 1e-6


def test_lbfgs_two_dimensional_rosenbrock_strong_wolfe():
    # The classic start (-1.5, 2): one step of up to 100 iterations reaches (1, 1) as torch does.
    run, ours, theirs = _lbfgs_pair(dict(max_iter=100, line_search_fn="strong_wolfe"),
                                    x0=[np.array([-1.5, 2.0])])
    x, tx, _, _ = run(1)[0]
    np.testing.assert_allclose(x, [1.0, 1.0], atol=1e-4)
    np.testing.assert_allclose(x, tx, atol=1e-8)
    st, tst = _first_state(ours), _first_state(theirs)
    assert st["n_iter"] == tst["n_iter"] and st["func_evals"] == tst["func_evals"]


def test_lbfgs_float32_matches_torch():
    run, _, _ = _lbfgs_pair(dict(lr=1e-3, max_iter=5), dtype="float32")
    for x, tx, _, _ in run(3):
        assert x.dtype == np.float32
        np.testing.assert_allclose(x, tx, rtol=1e-4, atol=1e-5)


def test_lbfgs_state_dict_round_trip_and_torch_state():
    kw = dict(max_iter=4, history_size=3, line_search_fn="strong_wolfe")
    run, ours, theirs = _lbfgs_pair(kw)
    run(2)
    # torch's state_dict holds references to the live state (lists included): copy it.
    saved, tsaved = ours.state_dict(), copy.deepcopy(theirs.state_dict())
    assert set(saved["state"]) == set(tsaved["state"]) == {0}
    assert set(saved["state"][0]) == set(tsaved["state"][0])
    for key in ("func_evals", "n_iter"):
        assert saved["state"][0][key] == tsaved["state"][0][key]
    assert saved["param_groups"][0] == {k: v for k, v in tsaved["param_groups"][0].items()}

    def resumed(state):
        run2, ours2, theirs2 = _lbfgs_pair(kw, x0=[_np(p) for p in ours.param_groups[0]["params"]])
        ours2.load_state_dict(state)
        theirs2.load_state_dict(copy.deepcopy(tsaved))  # torch loads same-device tensors as is
        return run2

    # Our own saved state, and torch's (made of kernels tensors), each continue like torch.
    for state in (saved, _to_kernels(tsaved)):
        for x, tx, _, _ in resumed(state)(2):
            np.testing.assert_allclose(x, tx, rtol=1e-9, atol=1e-9)


def test_lbfgs_stops_at_tolerance_grad_and_counts():
    p = kernels.tensor([1.0, 1.0], requires_grad=True)  # the minimum: the gradient is 0
    opt = optim.LBFGS([p], line_search_fn="strong_wolfe")
    calls = []

    def closure():
        calls.append(1)
        opt.zero_grad()
        loss = _rosenbrock(kernels, [p])
        loss.backward()
        return loss

    with kernels.no_grad():  # step turns gradients on for the closure itself
        loss = opt.step(closure)
    assert loss.item() == 0.0 and len(calls) == 1
    assert _first_state(opt) == {"func_evals": 1, "n_iter": 0}
    np.testing.assert_array_equal(_np(p), [1.0, 1.0])


def test_lbfgs_parameter_without_grad():
    # A parameter the loss does not use gets a zero gradient and stays where it is.
    a = kernels.tensor([-1.0, 1.5], requires_grad=True)
    b = kernels.tensor([3.0, 4.0], requires_grad=True)
    opt = optim.LBFGS([a, b], max_iter=50, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = _rosenbrock(kernels, [a])
        loss.backward()
        return loss

    opt.step(closure)
    np.testing.assert_allclose(_np(a), [1.0, 1.0], atol=1e-4)
    np.testing.assert_array_equal(_np(b), [3.0, 4.0])


def test_lbfgs_bad_arguments():
    p = kernels.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
        optim.LBFGS([{"params": [p]}, {"params": [kernels.zeros(2, requires_grad=True)]}])
    with pytest.raises(ValueError, match="LBFGS: line_search_fn must be None or 'strong_wolfe', got 'armijo'"):
        optim.LBFGS([p], line_search_fn="armijo")
    with pytest.raises(ValueError, match="Invalid history_size value: 0"):
        optim.LBFGS([p], history_size=0)
    opt = optim.LBFGS([p])
    with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
        opt.add_param_group({"params": [kernels.zeros(2, requires_grad=True)]})
    with pytest.raises(RuntimeError, match="LBFGS.step needs a closure"):
        opt.step(None)
    assert opt.param_groups[0]["max_eval"] == 25  # max_iter * 5 // 4, as torch


@requires_cuda
def test_lbfgs_cuda_matches_cpu():
    kw = dict(max_iter=6, line_search_fn="strong_wolfe")
    runs = [_lbfgs_pair(kw, device=d)[0](2) for d in ("cpu", "cuda")]
    for (x, _, loss, _), (xg, _, lossg, _) in zip(*runs):
        np.testing.assert_allclose(xg, x, rtol=1e-9, atol=1e-9)
        assert lossg == pytest.approx(loss, rel=1e-9)
