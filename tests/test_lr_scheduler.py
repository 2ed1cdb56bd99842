"""Learning-rate schedulers: the lr (and, for OneCycleLR, momentum/beta1) sequence over 40+ steps
equals torch's for the same optimizer settings; ReduceLROnPlateau on fixed metric sequences;
state_dict round trips; initial_lr; warnings and bad arguments."""
import math
import warnings

import numpy as np
import pytest

import kernels
from kernels import optim
from kernels.optim import lr_scheduler as ls

STEPS = 45


def _pair(opt_name="SGD", opt_kw=None, lrs=(0.1, 0.05)):
    """The same optimizer (two param groups) in kernels and in torch."""
    torch = pytest.importorskip("torch")
    opt_kw = dict(lr=0.1, momentum=0.9) if opt_kw is None else opt_kw
    kg = [{"params": [kernels.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    tg = [{"params": [torch.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    return getattr(optim, opt_name)(kg, **opt_kw), getattr(torch.optim, opt_name)(tg, **opt_kw), torch


# (scheduler name, kwargs, optimizer name, optimizer kwargs)
SCHEDULERS = [
    ("StepLR", dict(step_size=7), "SGD", None),
    ("StepLR", dict(step_size=3, gamma=0.5), "Adam", dict(lr=0.01)),
    ("MultiStepLR", dict(milestones=[5, 12, 12, 30], gamma=0.3), "SGD", None),
    ("ExponentialLR", dict(gamma=0.93), "SGD", None),
    ("CosineAnnealingLR", dict(T_max=10), "SGD", None),
    ("CosineAnnealingLR", dict(T_max=17, eta_min=0.001), "Adam", dict(lr=0.01)),
    ("LinearLR", dict(start_factor=0.1, total_iters=8), "SGD", None),
    ("LinearLR", dict(start_factor=1.0, end_factor=0.2, total_iters=20), "AdamW", dict(lr=0.01)),
    ("LinearLR", dict(), "SGD", None),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=STEPS), "SGD", None),
    ("OneCycleLR", dict(max_lr=[0.5, 0.2], epochs=5, steps_per_epoch=9, pct_start=0.25,
                        anneal_strategy="linear"), "SGD", None),
    ("OneCycleLR", dict(max_lr=0.01, total_steps=STEPS, three_phase=True, div_factor=10.0,
                        final_div_factor=100.0), "Adam", dict(lr=0.01)),
    ("OneCycleLR", dict(max_lr=0.05, total_steps=STEPS, cycle_momentum=False), "RMSprop", dict(lr=0.01)),
    ("OneCycleLR", dict(max_lr=0.05, total_steps=STEPS, base_momentum=0.8, max_momentum=0.9),
     "RMSprop", dict(lr=0.01, momentum=0.5)),
]
IDS = [f"{s}-{i}" for i, (s, *_rest) in enumerate(SCHEDULERS)]


def _momenta(opt):
    out = []
    for g in opt.param_groups:
        out.append(g["betas"][0] if "betas" in g else g.get("momentum"))
    return out


@pytest.mark.parametrize("name,kw,opt_name,opt_kw", SCHEDULERS, ids=IDS)
def test_lr_sequence_matches_torch(name, kw, opt_name, opt_kw):
    ko, to, torch = _pair(opt_name, opt_kw)
    ks = getattr(ls, name)(ko, **kw)
    ts = getattr(torch.optim.lr_scheduler, name)(to, **kw)
    assert ks.get_last_lr() == pytest.approx(ts.get_last_lr(), rel=1e-12, abs=0)
    assert [g["initial_lr"] for g in ko.param_groups] == pytest.approx(
        [g["initial_lr"] for g in to.param_groups], rel=1e-15)
    assert ks.base_lrs == pytest.approx(ts.base_lrs, rel=1e-15)
    assert ks.last_epoch == ts.last_epoch == 0
    steps = ts.total_steps if name == "OneCycleLR" else STEPS
    for _ in range(steps - 1 if name == "OneCycleLR" else steps):
        ko.step()
        to.step()
        ks.step()
        ts.step()
        assert ks.get_last_lr() == pytest.approx(ts.get_last_lr(), rel=1e-12, abs=1e-18)
        assert [g["lr"] for g in ko.param_groups] == ks.get_last_lr()
        assert _momenta(ko) == pytest.approx(_momenta(to), rel=1e-12)
    assert ks.last_epoch == ts.last_epoch


def test_cosine_annealing_follows_the_closed_form():
    # Over the first T_max steps the recursive form equals eta_min + (base - eta_min)(1 + cos)/2.
    p = kernels.zeros(1, requires_grad=True)
    opt = optim.SGD([p], lr=0.2)
    s = ls.CosineAnnealingLR(opt, T_max=12, eta_min=0.01)
    for t in range(1, 13):
        opt.step()
        s.step()
        want = 0.01 + (0.2 - 0.01) * (1 + math.cos(math.pi * t / 12)) / 2
        assert s.get_last_lr()[0] == pytest.approx(want, rel=1e-9, abs=1e-15)


def test_one_cycle_rejects_stepping_past_the_end():
    p = kernels.zeros(1, requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    s = ls.OneCycleLR(opt, max_lr=1.0, total_steps=5)
    for _ in range(4):
        opt.step()
        s.step()
    opt.step()
    s.step()  # step 5 == total_steps is still allowed, as in torch
    with pytest.raises(ValueError, match="Tried to step 6 times"):
        s.step()


@pytest.mark.parametrize("name,kw,opt_name,opt_kw",
                         [c for c in SCHEDULERS if c[0] != "OneCycleLR"] + [SCHEDULERS[9]],
                         ids=[i for i, c in zip(IDS, SCHEDULERS) if c[0] != "OneCycleLR"] + [IDS[9]])
def test_state_dict_round_trip(name, kw, opt_name, opt_kw):
    def build():
        p = kernels.zeros(2, requires_grad=True)
        opt = getattr(optim, opt_name)([{"params": [p], "lr": 0.1}], **(opt_kw or dict(lr=0.1, momentum=0.9)))
        return opt, getattr(ls, name)(opt, **kw)

    opt, s = build()
    ref = []
    for k in range(30):
        opt.step()
        s.step()
        ref.append(s.get_last_lr()[0])
        if k == 14:
            osd, ssd = opt.state_dict(), s.state_dict()
    assert "optimizer" not in ssd
    opt2, s2 = build()
    opt2.load_state_dict(osd)
    s2.load_state_dict(ssd)
    got = []
    for _ in range(15):
        opt2.step()
        s2.step()
        got.append(s2.get_last_lr()[0])
    assert got == ref[15:]


PLATEAU = [
    dict(),
    dict(patience=2),
    dict(patience=1, factor=0.5, cooldown=2),
    dict(mode="max", patience=1, factor=0.5),
    dict(patience=0, threshold=0.1, threshold_mode="abs"),
    dict(mode="max", patience=1, threshold=0.05, threshold_mode="abs", min_lr=0.02),
    dict(patience=0, factor=0.2, min_lr=[0.01, 0.003]),
    dict(patience=0, factor=0.85, eps=0.01),  # group 2 (lr 0.05) changes by less than eps
]


@pytest.mark.parametrize("kw", PLATEAU, ids=[str(k) for k in PLATEAU])
def test_reduce_lr_on_plateau_matches_torch(kw):
    ko, to, torch = _pair()
    ks = ls.ReduceLROnPlateau(ko, **kw)
    ts = torch.optim.lr_scheduler.ReduceLROnPlateau(to, **kw)
    # Improves, stalls, improves a little, oscillates, worsens.
    metrics = [1.0, 0.9, 0.85, 0.85, 0.86, 0.849, 0.84, 0.84, 0.84, 0.84, 0.7, 0.71, 0.69, 0.72,
               0.72, 0.72, 0.72, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 0.45, 0.45, 0.45, 0.45, 0.45,
               0.44] + [0.3] * 14
    changes = 0
    for m in metrics:
        before = ks.get_last_lr()
        ko.step()
        to.step()
        ks.step(m)
        ts.step(m)
        assert ks.get_last_lr() == pytest.approx(ts.get_last_lr(), rel=1e-14)
        assert ks.num_bad_epochs == ts.num_bad_epochs and ks.best == ts.best
        changes += ks.get_last_lr() != before
    assert ks.last_epoch == len(metrics)
    assert changes > 0
    # A 0-d tensor works as the metric.
    ks.step(kernels.tensor(0.1))
    ts.step(torch.tensor(0.1))
    assert ks.get_last_lr() == pytest.approx(ts.get_last_lr(), rel=1e-14)


def test_reduce_lr_on_plateau_state_dict():
    p = kernels.zeros(1, requires_grad=True)
    opt = optim.SGD([p], lr=1.0)
    s = ls.ReduceLROnPlateau(opt, patience=1, mode="max")
    for m in [1, 2, 2, 2]:
        s.step(m)
    sd = s.state_dict()
    s2 = ls.ReduceLROnPlateau(optim.SGD([kernels.zeros(1, requires_grad=True)], lr=1.0))
    s2.load_state_dict(sd)
    assert s2.mode == "max" and s2.best == 2 and s2.num_bad_epochs == s.num_bad_epochs
    assert s2._is_better(3, 2)


def test_initial_lr_and_resuming():
    p = kernels.zeros(1, requires_grad=True)
    opt = optim.SGD([p], lr=0.3)
    ls.StepLR(opt, step_size=2)
    assert opt.param_groups[0]["initial_lr"] == 0.3
    opt2 = optim.SGD([kernels.zeros(1, requires_grad=True)], lr=0.3)
    with pytest.raises(KeyError, match="initial_lr"):
        ls.StepLR(opt2, step_size=2, last_epoch=3)


def test_warns_when_scheduler_steps_before_optimizer():
    p = kernels.zeros(1, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    s = ls.ExponentialLR(opt, gamma=0.5)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        s.step()
    opt2 = optim.SGD([kernels.zeros(1, requires_grad=True)], lr=0.1)
    s2 = ls.ExponentialLR(opt2, gamma=0.5)
    opt2.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s2.step()
    assert s2.get_last_lr() == [0.05]


def test_get_lr_outside_step_warns():
    opt = optim.SGD([kernels.zeros(1, requires_grad=True)], lr=0.1)
    s = ls.StepLR(opt, step_size=1)
    with pytest.warns(UserWarning, match="get_last_lr"):
        s.get_lr()


BAD = [
    (lambda o: ls.StepLR(object(), step_size=1), TypeError, "is not an Optimizer"),
    (lambda o: ls.LinearLR(o, start_factor=0.0), ValueError, "Starting multiplicative factor"),
    (lambda o: ls.LinearLR(o, end_factor=1.5), ValueError, "Ending multiplicative factor"),
    (lambda o: ls.OneCycleLR(o, max_lr=0.1), ValueError, "total_steps OR"),
    (lambda o: ls.OneCycleLR(o, max_lr=0.1, total_steps=0), ValueError, "positive integer total_steps"),
    (lambda o: ls.OneCycleLR(o, max_lr=0.1, epochs=2, steps_per_epoch=-1), ValueError, "steps_per_epoch"),
    (lambda o: ls.OneCycleLR(o, max_lr=0.1, total_steps=10, pct_start=1.5), ValueError, "pct_start"),
    (lambda o: ls.OneCycleLR(o, max_lr=0.1, total_steps=10, anneal_strategy="exp"), ValueError, "anneal_strategy"),
    (lambda o: ls.OneCycleLR(o, max_lr=[0.1, 0.2], total_steps=10), ValueError, "max_lr must have the same length"),
    (lambda o: ls.OneCycleLR(optim.Adagrad([kernels.zeros(1, requires_grad=True)]), max_lr=0.1, total_steps=10),
     ValueError, "optimizer must support momentum"),
    (lambda o: ls.ReduceLROnPlateau(o, factor=1.0), ValueError, "Factor should be < 1.0"),
    (lambda o: ls.ReduceLROnPlateau(o, mode="avg"), ValueError, "mode avg is unknown"),
    (lambda o: ls.ReduceLROnPlateau(o, threshold_mode="x"), ValueError, "threshold mode x is unknown"),
    (lambda o: ls.ReduceLROnPlateau(o, min_lr=[0.1, 0.2]), ValueError, "expected 1 min_lrs, got 2"),
]


@pytest.mark.parametrize("make,exc,match", BAD, ids=[b[2] for b in BAD])
def test_bad_arguments(make, exc, match):
    opt = optim.SGD([kernels.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    with pytest.raises(exc, match=match):
        make(opt)


def test_scheduler_drives_training():
    # A scheduled SGD run matches torch's parameters too (lr changes feed the fused kernel).
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal(5)
    grads = [rng.standard_normal(5) for _ in range(25)]
    kp, tp = kernels.tensor(x0, requires_grad=True), torch.tensor(x0, requires_grad=True)
    ko, to = optim.SGD([kp], lr=0.1, momentum=0.9), torch.optim.SGD([tp], lr=0.1, momentum=0.9)
    ks = ls.OneCycleLR(ko, max_lr=0.3, total_steps=25)
    ts = torch.optim.lr_scheduler.OneCycleLR(to, max_lr=0.3, total_steps=25)
    for g in grads[:24]:
        kp.grad, tp.grad = kernels.tensor(g), torch.tensor(g)
        ko.step()
        to.step()
        ks.step()
        ts.step()
    np.testing.assert_allclose(kp.detach().numpy(), tp.detach().numpy(), rtol=1e-10, atol=1e-14)
