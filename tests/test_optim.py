"""Optimizers: 20 steps from the same parameters with the same NumPy gradients in kernels and in
torch.optim (float64 to 1e-6 relative, float32 looser), multiple param groups, state_dict round
trips, zero_grad, closures, the fused _C kernels' argument checks, CPU against CUDA, bad
hyper-parameters and bad gradients, and the L1/L2 penalties."""
import numpy as np
import pytest

import kernels
from kernels import _C, optim
from opcheck import requires_cuda

STEPS = 20

# (kernels class name, kwargs); torch.optim has a class of the same name and the same kwargs.
CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, weight_decay=0.05)),
    ("SGD", dict(lr=0.1, momentum=0.5, weight_decay=0.05, maximize=True)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01, maximize=True)),
    ("SGD", dict()),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1, initial_accumulator_value=0.5)),
    ("Adagrad", dict(lr=0.1, eps=1e-3, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.5)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.9, alpha=0.9)),
    ("RMSprop", dict(lr=0.01, weight_decay=0.1, maximize=True, eps=1e-4)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True, maximize=True)),
    ("Adam", dict(lr=0.02, betas=(0.8, 0.9), eps=1e-6)),
    ("Adam", dict()),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.01, betas=(0.5, 0.99), maximize=True)),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}" for name, kw in CASES]

# Shapes of the parameters: a matrix, a vector, a scalar, an empty one and one large enough to be
# split over threads and over several SIMD tiles.
SHAPES = [(4, 3), (7,), (), (0, 3), (200, 201)]


def _np(t):
    return np.asarray(t.detach().cpu().numpy())


pytestmark = pytest.mark.usefixtures("torch_one_thread")


def _data(seed=0, shapes=SHAPES, steps=STEPS):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(s) for s in shapes]
    grads = [[rng.standard_normal(s) for s in shapes] for _ in range(steps)]
    return params, grads


def _run_kernels(name, kw, params, grads, dtype=kernels.float64, device="cpu", groups=None):
    ps = [kernels.tensor(p, dtype=dtype, device=device, requires_grad=True) for p in params]
    spec = ps if groups is None else [dict(g, params=[ps[i] for i in g["params"]]) for g in groups]
    opt = getattr(optim, name)(spec, **kw)
    for gs in grads:
        for p, g in zip(ps, gs):
            p.grad = None if g is None else kernels.tensor(g, dtype=dtype, device=device)
        opt.step()
    return [_np(p) for p in ps], opt


def _run_torch(name, kw, params, grads, dtype="float64", groups=None):
    torch = pytest.importorskip("torch")
    dt = getattr(torch, dtype)
    ps = [torch.tensor(p, dtype=dt, requires_grad=True) for p in params]
    spec = ps if groups is None else [dict(g, params=[ps[i] for i in g["params"]]) for g in groups]
    opt = getattr(torch.optim, name)(spec, **kw)
    for gs in grads:
        for p, g in zip(ps, gs):
            p.grad = None if g is None else torch.tensor(g, dtype=dt)
        opt.step()
    return [p.detach().numpy() for p in ps], opt


# ------------------------------------------------------------------------------ against torch


@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_matches_torch_float64(name, kw):
    params, grads = _data()
    # The second parameter gets no gradient on some steps; the optimizer must skip it there.
    for k in range(0, STEPS, 3):
        grads[k][1] = None
    ours, _ = _run_kernels(name, kw, params, grads)
    ref, _ = _run_torch(name, kw, params, grads)
    for a, b, p0 in zip(ours, ref, params):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-12)
        if a.size:
            assert not np.allclose(a, p0), "the parameter did not move"


@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_matches_torch_float32(name, kw):
    params, grads = _data(seed=1, shapes=[(4, 3), (300,)])
    ours, _ = _run_kernels(name, kw, params, grads, dtype=kernels.float32)
    ref, _ = _run_torch(name, kw, params, grads, dtype="float32")
    for a, b in zip(ours, ref):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)


def test_parameter_without_grad_is_untouched():
    params, grads = _data(shapes=[(3,), (2, 2)])
    for gs in grads:
        gs[1] = None
    for name in ("SGD", "Adam", "RMSprop", "Adagrad"):
        ours, opt = _run_kernels(name, dict(lr=0.1), params, grads)
        np.testing.assert_array_equal(ours[1], params[1])
        # Adagrad creates its state up front, like torch; the others on a parameter's first step
        # (and SGD without momentum keeps none).
        assert len(opt.state) == {"Adagrad": 2, "SGD": 0}.get(name, 1)


GROUP_CASES = [
    ("SGD", dict(lr=0.1, momentum=0.9), [dict(params=[0, 1]), dict(params=[2], lr=0.01, momentum=0.0)]),
    ("SGD", dict(lr=0.1), [dict(params=[0], nesterov=True, momentum=0.8), dict(params=[1, 2], weight_decay=0.1)]),
    ("Adam", dict(lr=0.01), [dict(params=[0]), dict(params=[1, 2], lr=0.05, amsgrad=True, betas=(0.7, 0.9))]),
    ("AdamW", dict(lr=0.01), [dict(params=[2, 0], weight_decay=0.0), dict(params=[1], lr=0.001)]),
    ("RMSprop", dict(lr=0.01), [dict(params=[0, 1], centered=True), dict(params=[2], momentum=0.9, lr=0.001)]),
    ("Adagrad", dict(lr=0.1), [dict(params=[0]), dict(params=[1, 2], lr=0.5, lr_decay=0.1)]),
]


@pytest.mark.parametrize("name,kw,groups", GROUP_CASES, ids=[c[0] for c in GROUP_CASES])
def test_param_groups_match_torch(name, kw, groups):
    params, grads = _data(shapes=[(4, 3), (5,), (2, 2, 2)])
    ours, opt = _run_kernels(name, kw, params, grads, groups=groups)
    ref, topt = _run_torch(name, kw, params, grads, groups=groups)
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-12)
    assert len(opt.param_groups) == len(groups)
    for g, tg in zip(opt.param_groups, topt.param_groups):
        for key, value in g.items():
            if key != "params":
                assert tg[key] == value, key


def test_add_param_group_matches_torch():
    torch = pytest.importorskip("torch")
    params, grads = _data(shapes=[(3,), (4,)])
    kp = [kernels.tensor(p, requires_grad=True) for p in params]
    tp = [torch.tensor(p, requires_grad=True) for p in params]
    ko = optim.SGD([kp[0]], lr=0.1, momentum=0.9)
    to = torch.optim.SGD([tp[0]], lr=0.1, momentum=0.9)
    for k, gs in enumerate(grads):
        if k == 5:
            ko.add_param_group({"params": kp[1], "lr": 0.01})
            to.add_param_group({"params": tp[1], "lr": 0.01})
        for p, q, g in zip(kp, tp, gs):
            p.grad, q.grad = kernels.tensor(g), torch.tensor(g)
        ko.step()
        to.step()
    for p, q in zip(kp, tp):
        np.testing.assert_allclose(_np(p), q.detach().numpy(), rtol=1e-6, atol=1e-12)


# ------------------------------------------------------------------------------ state dict


def _assert_state_is(saved, snapshot):
    """Every entry of the optimizer state dict `saved` equals its copy in `snapshot`."""
    for k, s in saved["state"].items():
        for n, v in s.items():
            if isinstance(v, kernels.Tensor):
                np.testing.assert_array_equal(_np(v), snapshot[k][n])
            else:
                assert v == snapshot[k][n]


@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_state_dict_round_trip(name, kw):
    params, grads = _data(seed=3, shapes=[(4, 3), (6,)])
    full, opt_full = _run_kernels(name, kw, params, grads)

    # 10 steps, save, then continue the same optimizer for 10 more steps.
    ps = [kernels.tensor(p, requires_grad=True) for p in params]
    opt = getattr(optim, name)(ps, **kw)

    def run(opt, ps, gs_list):
        for gs in gs_list:
            for p, g in zip(ps, gs):
                p.grad = kernels.tensor(g)
            opt.step()

    run(opt, ps, grads[:10])
    saved = opt.state_dict()
    snapshot = {k: {n: (_np(v).copy() if isinstance(v, kernels.Tensor) else v) for n, v in s.items()}
                for k, s in saved["state"].items()}
    mid = [_np(p).copy() for p in ps]
    run(opt, ps, grads[10:])
    for a, b in zip(ps, full):
        np.testing.assert_array_equal(_np(a), b)
    # The saved state holds copies: training on did not change it.
    _assert_state_is(saved, snapshot)

    # A fresh optimizer on the mid-way parameters, loaded with the saved state, ends identically.
    ps2 = [kernels.tensor(m, requires_grad=True) for m in mid]
    opt2 = getattr(optim, name)(ps2, **kw)
    opt2.load_state_dict(saved)
    run(opt2, ps2, grads[10:])
    for a, b in zip(ps2, full):
        np.testing.assert_array_equal(_np(a), b)
    # Loading copied the tensors: the loaded optimizer does not share memory with the dict.
    _assert_state_is(saved, snapshot)


@pytest.mark.parametrize("name,kw", [c for c in CASES if c[0] in ("SGD", "Adam", "RMSprop", "Adagrad")][::2])
def test_state_dict_layout_matches_torch(name, kw):
    params, grads = _data(seed=4, shapes=[(3,), (2, 2)], steps=3)
    _, opt = _run_kernels(name, kw, params, grads)
    _, topt = _run_torch(name, kw, params, grads)
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert sorted(sd["state"]) == sorted(tsd["state"])
    for k in tsd["state"]:
        assert set(sd["state"][k]) == set(tsd["state"][k])
        for key, tv in tsd["state"][k].items():
            v = sd["state"][k][key]
            if key == "step":
                assert float(v) == float(tv)
            elif tv is None:
                assert v is None
            else:
                np.testing.assert_allclose(_np(v), tv.numpy(), rtol=1e-10, atol=1e-14)
    assert [g["params"] for g in sd["param_groups"]] == [g["params"] for g in tsd["param_groups"]]
    for g, tg in zip(sd["param_groups"], tsd["param_groups"]):
        for key, value in g.items():
            assert tg[key] == value, key


def test_load_state_dict_checks_groups():
    a, b = kernels.zeros(3, requires_grad=True), kernels.zeros(2, requires_grad=True)
    sd = optim.SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size"):
        optim.SGD([a], lr=0.1).load_state_dict(sd)


def test_load_state_dict_restores_hyperparameters():
    p = kernels.zeros(3, requires_grad=True)
    opt = optim.Adam([p], lr=0.01)
    opt.param_groups[0]["lr"] = 0.123
    opt2 = optim.Adam([kernels.zeros(3, requires_grad=True)], lr=0.5)
    opt2.load_state_dict(opt.state_dict())
    assert opt2.param_groups[0]["lr"] == 0.123


def test_load_state_dict_casts_state_to_param_dtype():
    params, grads = _data(seed=5, shapes=[(3,)], steps=2)
    _, opt = _run_kernels("Adam", dict(lr=0.1), params, grads)
    p32 = kernels.zeros(3, dtype=kernels.float32, requires_grad=True)
    opt32 = optim.Adam([p32], lr=0.1)
    opt32.load_state_dict(opt.state_dict())
    st = opt32.state[p32]
    assert st["exp_avg"].dtype == kernels.float32 and st["exp_avg_sq"].dtype == kernels.float32
    assert st["step"] == 2
    p32.grad = kernels.ones(3, dtype=kernels.float32)
    opt32.step()
    assert opt32.state[p32]["step"] == 3


# ------------------------------------------------------------------------------ zero_grad, closure


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    a = kernels.tensor([1.0, 2.0], requires_grad=True)
    b = kernels.tensor([[3.0]], requires_grad=True)
    c = kernels.tensor([4.0], requires_grad=True)  # never gets a gradient
    opt = optim.SGD([a, b, c], lr=0.1)
    (a * a).sum().backward()
    (b * 3.0).sum().backward()
    ga, gb = a.grad, b.grad
    opt.zero_grad(set_to_none=set_to_none)
    assert c.grad is None
    if set_to_none:
        assert a.grad is None and b.grad is None
    else:
        assert a.grad is ga and b.grad is gb  # zeroed in place
        np.testing.assert_array_equal(_np(a.grad), [0.0, 0.0])
        np.testing.assert_array_equal(_np(b.grad), [[0.0]])
    # The default is set_to_none=True.
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_step_with_closure_matches_torch():
    torch = pytest.importorskip("torch")
    x0 = np.array([1.5, -2.0, 0.5])
    kp = kernels.tensor(x0, requires_grad=True)
    tp = torch.tensor(x0, requires_grad=True)
    ko, to = optim.Adam([kp], lr=0.1), torch.optim.Adam([tp], lr=0.1)

    def kclosure():
        ko.zero_grad()
        loss = ((kp - 1.0) * (kp - 1.0)).sum()
        loss.backward()
        return loss

    def tclosure():
        to.zero_grad()
        loss = ((tp - 1.0) * (tp - 1.0)).sum()
        loss.backward()
        return loss

    for _ in range(15):
        with kernels.no_grad():  # the closure turns gradients back on itself
            kl = ko.step(kclosure)
        tl = to.step(tclosure)
        assert kl.item() == pytest.approx(tl.item(), rel=1e-9)
    np.testing.assert_allclose(_np(kp), tp.detach().numpy(), rtol=1e-9)
    assert ko.step() is None


def test_tensor_subclass_parameters():
    class Param(kernels.Tensor):
        pass

    p = Param(kernels.tensor([1.0, 2.0, 3.0], dtype=kernels.float64))
    p.requires_grad_(True)
    opt = optim.SGD([p], lr=0.5, momentum=0.9)
    for _ in range(2):
        p.grad = kernels.tensor([1.0, 1.0, 1.0], dtype=kernels.float64)
        opt.step()
    # step 1: buf = 1, p -= 0.5; step 2: buf = 1.9, p -= 0.95
    np.testing.assert_allclose(_np(p), [1 - 1.45, 2 - 1.45, 3 - 1.45])
    assert isinstance(next(iter(opt.state)), Param)


def test_params_accepts_generators_and_dicts():
    ps = [kernels.zeros(2, requires_grad=True) for _ in range(3)]
    opt = optim.Adam(p for p in ps)
    assert len(opt.param_groups) == 1 and len(opt.param_groups[0]["params"]) == 3
    opt = optim.Adam([{"params": ps[:2]}, {"params": ps[2], "lr": 0.5}])
    assert opt.param_groups[1]["params"] == [ps[2]] and opt.param_groups[1]["lr"] == 0.5
    assert opt.param_groups[0]["lr"] == 1e-3 and opt.param_groups[0]["betas"] == (0.9, 0.999)
    assert optim.AdamW(ps).param_groups[0]["weight_decay"] == 1e-2
    assert optim.Adam(ps).param_groups[0]["weight_decay"] == 0


# ------------------------------------------------------------------------------ bad input

BAD_HYPER = [
    ("SGD", dict(lr=-0.1), "Invalid learning rate: -0.1"),
    ("SGD", dict(lr=0.1, momentum=-0.5), "Invalid momentum value"),
    ("SGD", dict(lr=0.1, weight_decay=-1), "Invalid weight_decay value"),
    ("SGD", dict(lr=0.1, nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
    ("SGD", dict(lr=0.1, nesterov=True, momentum=0.9, dampening=0.1), "Nesterov momentum requires"),
    ("Adam", dict(lr=-1.0), "Invalid learning rate: -1.0"),
    ("Adam", dict(betas=(1.0, 0.999)), "Invalid beta parameter at index 0"),
    ("Adam", dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1"),
    ("Adam", dict(eps=-1e-8), "Invalid epsilon value"),
    ("Adam", dict(weight_decay=-0.1), "Invalid weight_decay value"),
    ("AdamW", dict(betas=(0.9, 1.5)), "Invalid beta parameter at index 1"),
    ("RMSprop", dict(alpha=-0.1), "Invalid alpha value"),
    ("RMSprop", dict(momentum=-0.1), "Invalid momentum value"),
    ("RMSprop", dict(eps=-1.0), "Invalid epsilon value"),
    ("Adagrad", dict(lr_decay=-0.1), "Invalid lr_decay value"),
    ("Adagrad", dict(initial_accumulator_value=-1), "Invalid initial_accumulator_value"),
    ("Adagrad", dict(eps=-1.0), "Invalid epsilon value"),
]


@pytest.mark.parametrize("name,kw,match", BAD_HYPER)
def test_bad_hyperparameters(name, kw, match):
    p = kernels.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match=match):
        getattr(optim, name)([p], **kw)


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW"])
def test_bad_grad_shape_or_dtype(name):
    # Assigning such a grad is refused (Tensor.grad checks it); swapping the parameter's data
    # afterwards still leaves a stale grad for the optimizer to catch.
    p = kernels.zeros(3, 4, dtype=kernels.float64, requires_grad=True)
    opt = getattr(optim, name)([p], lr=0.1)
    with pytest.raises(RuntimeError, match=r"grad: assigned grad has shape \(4, 3\)"):
        p.grad = kernels.zeros(4, 3, dtype=kernels.float64)
    p.grad = kernels.zeros(4, 3, dtype=kernels.float64).t()
    p.data = kernels.zeros(4, 3, dtype=kernels.float64)
    with pytest.raises(RuntimeError, match=rf"{name}: .*\(4, 3\).*\(3, 4\)"):
        opt.step()
    p.data = kernels.zeros(3, 4, dtype=kernels.float32)
    with pytest.raises(RuntimeError, match=rf"{name}: .*float32.*float64"):
        opt.step()
    np.testing.assert_array_equal(_np(p), np.zeros((3, 4)))


@requires_cuda
def test_grad_on_other_device():
    p = kernels.zeros(3, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    with pytest.raises(RuntimeError, match=r"grad: assigned grad is on cuda:0 but the tensor is on cpu"):
        p.grad = kernels.zeros(3, device="cuda")
    p.grad = kernels.zeros(3)
    p.data = kernels.zeros(3, device="cuda")  # a stale grad, left on the CPU
    with pytest.raises(RuntimeError, match=r"SGD: .*\(3,\)"):
        opt.step()


def test_bad_params():
    with pytest.raises(TypeError, match="iterable of Tensors"):
        optim.SGD(kernels.zeros(2, requires_grad=True))
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([])
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        optim.SGD([np.zeros(2)])
    x = kernels.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([x * 2.0])
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [x]}, {"params": [x]}])
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {x}}])


# ------------------------------------------------------------------------------ the _C kernels


def _t(shape, dtype=kernels.float64, value=0.5):
    return _C.full(list(shape), value, dtype, _C.device("cpu"))


def test_kernel_sgd_first_step_and_in_place():
    p, g, buf = _t((3,), value=1.0), _t((3,), value=2.0), _t((3,), value=123.0)
    ptr = p.data_ptr()
    _C.sgd_step(p, g, buf, 0.1, 0.9, 0.0, False, 0.0, False, True)
    assert p.data_ptr() == ptr
    np.testing.assert_allclose(_np(buf), [2.0] * 3)  # the first step copies the direction
    np.testing.assert_allclose(_np(p), [0.8] * 3)
    _C.sgd_step(p, g, buf, 0.1, 0.9, 0.0, False, 0.0, False, False)
    np.testing.assert_allclose(_np(buf), [3.8] * 3)
    np.testing.assert_allclose(_np(p), [0.42] * 3)
    _C.sgd_step(p, g, None, 0.1, 0.0, 0.0, False, 0.0, True, False)  # maximize, no momentum
    np.testing.assert_allclose(_np(p), [0.62] * 3)


def test_kernel_adam_reference():
    # One Adam step by hand: m = (1-b1) g, v = (1-b2) g^2, p -= lr * mhat / (sqrt(vhat) + eps).
    rng = np.random.default_rng(0)
    p0, g0 = rng.standard_normal(10), rng.standard_normal(10)
    p, g = kernels.tensor(p0), kernels.tensor(g0)
    m, v = _t((10,), value=0.0), _t((10,), value=0.0)
    _C.adam_step(p, g, m, v, None, 1, 0.1, 0.9, 0.999, 1e-8, 0.0, False, False, False)
    mh, vh = 0.1 * g0 / 0.1, 0.001 * g0**2 / 0.001
    np.testing.assert_allclose(_np(p), p0 - 0.1 * mh / (np.sqrt(vh) + 1e-8), rtol=1e-12)


KERNEL_BAD = [
    # (call, exception, match)
    (lambda: _C.sgd_step(_t((3, 4)), _t((4, 3)), None, 0.1, 0, 0, False, 0, False, False),
     ValueError, r"sgd_step: grad has shape \(4,3\) but param has shape \(3,4\)"),
    (lambda: _C.sgd_step(_t((3,)), _t((3,), kernels.float32), None, 0.1, 0, 0, False, 0, False, False),
     TypeError, r"sgd_step: grad is float32 but param \(3,\) is float64"),
    (lambda: _C.sgd_step(_t((3,), kernels.int64), _t((3,), kernels.int64), None, 0.1, 0, 0, False, 0, False, False),
     TypeError, "sgd_step: param must be a float32 or float64"),
    (lambda: _C.sgd_step(_t((3,)), _t((3,)), None, 0.1, 0.9, 0, False, 0, False, False),
     ValueError, r"sgd_step: momentum != 0 needs a momentum_buffer for param \(3,\)"),
    (lambda: _C.sgd_step(_t((3,)), _t((3,)), _t((2,)), 0.1, 0.9, 0, False, 0, False, False),
     ValueError, r"sgd_step: momentum_buffer has shape \(2,\)"),
    (lambda: _C.sgd_step(_t((3,)), _t((3,)), _t((3,)), 0.1, 0.9, 0.5, True, 0, False, False),
     ValueError, "sgd_step: Nesterov"),
    (lambda: _C.sgd_step(_t((3,)), _t((3,)), None, -0.1, 0, 0, False, 0, False, False),
     ValueError, "sgd_step: lr must be"),
    (lambda: _C.adagrad_step(_t((2,)), _t((2,)), _t((3,)), 1, 0.1, 0, 0, 1e-10, False),
     ValueError, r"adagrad_step: state_sum has shape \(3,\)"),
    (lambda: _C.adagrad_step(_t((2,)), _t((2,)), _t((2,)), 0, 0.1, 0, 0, 1e-10, False),
     ValueError, "adagrad_step: step must be >= 1"),
    (lambda: _C.rmsprop_step(_t((2,)), _t((2,)), _t((2,)), None, None, 0.1, 0.99, 1e-8, 0, 0, True, False),
     ValueError, r"rmsprop_step: centered=True needs a grad_avg for param \(2,\)"),
    (lambda: _C.rmsprop_step(_t((2,)), _t((2,)), _t((2,)), None, None, 0.1, 0.99, 1e-8, 0, 0.5, False, False),
     ValueError, "rmsprop_step: momentum > 0 needs a momentum_buffer"),
    (lambda: _C.rmsprop_step(_t((2,)), _t((2,)), _t((2,), kernels.float32), None, None, 0.1, 0.99, 1e-8, 0, 0, False, False),
     TypeError, "rmsprop_step: square_avg is float32"),
    (lambda: _C.adam_step(_t((2,)), _t((2,)), _t((2,)), _t((1, 2)), None, 1, 0.1, 0.9, 0.999, 1e-8, 0, False, False, False),
     ValueError, r"adam_step: exp_avg_sq has shape \(1,2\) but param has shape \(2,\)"),
    (lambda: _C.adam_step(_t((2,)), _t((2,)), _t((2,)), _t((2,)), None, 1, 0.1, 0.9, 0.999, 1e-8, 0, True, False, False),
     ValueError, "adam_step: amsgrad=True needs a max_exp_avg_sq"),
    (lambda: (lambda m: _C.adam_step(_t((2,)), _t((2,)), m, m, None, 1, 0.1, 0.9, 0.999, 1e-8, 0,
                                     False, False, False))(_t((2,))),
     ValueError, r"adam_step: exp_avg and exp_avg_sq share memory \(param \(2,\)\)"),
    (lambda: (lambda p: _C.sgd_step(p, _t((2,)), p, 0.1, 0.9, 0, False, 0, False, False))(_t((2,))),
     ValueError, "sgd_step: param and momentum_buffer share memory"),
    (lambda: _C.adam_step(_t((2,)), _t((2,)), _t((2,)), _t((2,)), None, 0, 0.1, 0.9, 0.999, 1e-8, 0, False, False, False),
     ValueError, "adam_step: step must be >= 1"),
    (lambda: _C.adam_step(_t((2,)), _t((2,)), _t((2,)), _t((2,)), None, 1, 0.1, 1.0, 0.999, 1e-8, 0, False, False, False),
     ValueError, r"adam_step: beta1 must be in \[0, 1\)"),
]


@pytest.mark.parametrize("call,exc,match", KERNEL_BAD)
def test_kernel_bad_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@requires_cuda
def test_kernel_mixed_devices():
    p = _C.full([3], 0.0, kernels.float32, _C.device("cpu"))
    g = _C.full([3], 0.0, kernels.float32, _C.device("cuda"))
    with pytest.raises(RuntimeError, match=r"sgd_step: grad is on cuda:0 but param \(3,\) is on cpu"):
        _C.sgd_step(p, g, None, 0.1, 0, 0, False, 0, False, False)


# ------------------------------------------------------------------------------ CPU vs CUDA


@requires_cuda
@pytest.mark.parametrize("dtype", [kernels.float32, kernels.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_cuda_matches_cpu(name, kw, dtype):
    params, grads = _data(seed=6)
    cpu, opt_c = _run_kernels(name, kw, params, grads, dtype=dtype, device="cpu")
    gpu, opt_g = _run_kernels(name, kw, params, grads, dtype=dtype, device="cuda")
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == kernels.float32 else dict(rtol=1e-12, atol=1e-14)
    for a, b in zip(gpu, cpu):
        np.testing.assert_allclose(a, b, **tol)
    # The state lives on the parameter's device.
    for p, st in opt_g.state.items():
        for v in st.values():
            if isinstance(v, kernels.Tensor):
                assert v.is_cuda


# ------------------------------------------------------------------------------ penalties


def test_penalties_values_and_gradients():
    rng = np.random.default_rng(8)
    w0, b0 = rng.standard_normal((3, 4)) + 0.05, rng.standard_normal(5) + 0.05
    w, b = kernels.tensor(w0, requires_grad=True), kernels.tensor(b0, requires_grad=True)
    l1 = optim.l1_penalty([w, b])
    assert l1.shape == ()
    assert l1.item() == pytest.approx(np.abs(w0).sum() + np.abs(b0).sum(), rel=1e-12)
    l1.backward()
    np.testing.assert_allclose(_np(w.grad), np.sign(w0))
    np.testing.assert_allclose(_np(b.grad), np.sign(b0))
    w.grad = b.grad = None
    l2 = optim.regularization.l2_penalty(p for p in [w, b])
    assert l2.item() == pytest.approx((w0**2).sum() + (b0**2).sum(), rel=1e-12)
    (0.5 * l2).backward()
    np.testing.assert_allclose(_np(w.grad), w0, rtol=1e-12)
    np.testing.assert_allclose(_np(b.grad), b0, rtol=1e-12)


def test_penalty_in_a_loss_matches_weight_decay():
    # SGD on loss + (wd/2) * l2_penalty equals SGD with weight_decay=wd.
    rng = np.random.default_rng(9)
    w0, x = rng.standard_normal(4), rng.standard_normal(4)
    wa = kernels.tensor(w0, requires_grad=True)
    wb = kernels.tensor(w0, requires_grad=True)
    oa, ob = optim.SGD([wa], lr=0.1), optim.SGD([wb], lr=0.1, weight_decay=0.2)
    xt = kernels.tensor(x)
    for _ in range(5):
        oa.zero_grad()
        ob.zero_grad()
        ((wa * xt).sum() + 0.1 * optim.l2_penalty([wa])).backward()
        (wb * xt).sum().backward()
        oa.step()
        ob.step()
    np.testing.assert_allclose(_np(wa), _np(wb), rtol=1e-12)


def test_penalty_bad_input():
    with pytest.raises(TypeError, match="l1_penalty"):
        optim.l1_penalty([np.zeros(3)])
    assert optim.l2_penalty([]).item() == 0.0
