"""NaN, infinities and boundary values follow torch (users compare against it): the expected
values below are torch 2.13's, and are also checked against torch itself when it is installed."""
import math

import pytest

import kernels
import kernels.nn.functional as F

NAN, INF = float("nan"), float("inf")


def same(a, b):
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


def value_and_grad(fn, values, device, dtype=kernels.float64):
    x = kernels.tensor(values, dtype=dtype, device=device, requires_grad=True)
    y = fn(x)
    y.sum().backward()
    return y.cpu().tolist(), x.grad.cpu().tolist()


# (name, ours, torch's, input, torch's value, torch's gradient)
POINTWISE = [
    ("sign", kernels.sign, "sign", NAN, 0.0, 0.0),
    ("relu", F.relu, "relu", NAN, NAN, 1.0),
    ("elu", F.elu, "elu", NAN, NAN, 1.0),
    ("pow 0.5 at -inf", lambda x: x ** 0.5, lambda t, x: x ** 0.5, -INF, NAN, NAN),
    ("pow 0.5 at -0", lambda x: x ** 0.5, lambda t, x: x ** 0.5, -0.0, -0.0, -INF),
    ("pow -1 at 0", lambda x: x ** -1, lambda t, x: x ** -1, 0.0, INF, -INF),
    ("pow 2 at -inf", lambda x: x ** 2, lambda t, x: x ** 2, -INF, INF, -INF),
]


@pytest.mark.parametrize("name, ours, _, x, want, dwant", POINTWISE, ids=[p[0] for p in POINTWISE])
def test_pointwise_at_special_values(name, ours, _, x, want, dwant, device):
    y, dx = value_and_grad(ours, [x], device)
    assert same(y[0], want) and same(dx[0], dwant), (y, dx)
    if name == "pow 0.5 at -0":
        assert math.copysign(1, y[0]) == -1


@pytest.mark.parametrize("name, ours, theirs, x, _w, _d", POINTWISE, ids=[p[0] for p in POINTWISE])
def test_pointwise_special_values_match_torch(name, ours, theirs, x, _w, _d):
    torch = pytest.importorskip("torch")
    t = torch.tensor([x], dtype=torch.float64, requires_grad=True)
    if isinstance(theirs, str):
        ty = getattr(torch.nn.functional, theirs, None) or getattr(torch, theirs)
        ty = ty(t)
    else:
        ty = theirs(torch, t)
    ty.sum().backward()
    y, dx = value_and_grad(ours, [x], "cpu")
    assert same(y[0], ty.item()) and same(dx[0], t.grad.item())


@pytest.mark.parametrize("values, amax_grad, max_grad", [
    ([1.0, NAN, 3.0], [NAN, NAN, NAN], [0.0, 1.0, 0.0]),
    ([NAN, NAN], [NAN, NAN], [0.5, 0.5]),
    ([2.0, 2.0, 1.0], [0.5, 0.5, 0.0], [0.5, 0.5, 0.0]),
])
@pytest.mark.parametrize("which", ["max", "min"])
def test_extremum_gradients_with_nan(values, amax_grad, max_grad, which, device):
    if which == "min":
        values = [-v for v in values]
    _, da = value_and_grad(lambda x: getattr(x, "a" + which)(), values, device)
    _, dm = value_and_grad(lambda x: getattr(x, which)(), values, device)
    assert all(same(a, b) for a, b in zip(da, amax_grad)), da
    assert all(same(a, b) for a, b in zip(dm, max_grad)), dm
    _, dd = value_and_grad(lambda x: getattr(x, "a" + which)(dim=0), values, device)   # per-dim too
    assert all(same(a, b) for a, b in zip(dd, amax_grad)), dd


def loss_grads(fn, inp, tgt, device):
    x = kernels.tensor(inp, dtype=kernels.float64, device=device, requires_grad=True)
    y = kernels.tensor(tgt, dtype=kernels.float64, device=device, requires_grad=True)
    loss = fn(x, y)
    loss.backward()
    return loss.item(), x.grad.cpu().tolist(), y.grad.cpu().tolist()


LOSSES = [
    ("bce at 0 and 1", F.binary_cross_entropy, "binary_cross_entropy", [0.0, 1.0], [1.0, 0.0],
     (100.0, [-500000001997.9014, 500000001997.9014], [INF, -INF])),
    ("bce_with_logits at inf", F.binary_cross_entropy_with_logits, "binary_cross_entropy_with_logits",
     [INF, -INF], [1.0, 0.0], (NAN, [0.0, 0.0], [-INF, INF])),
    ("kl_div target 0", lambda a, b: F.kl_div(a, b, reduction="sum"), None, [0.0, -INF], [0.0, 0.0],
     (NAN, [-0.0, -0.0], [NAN, NAN])),
    ("kl_div tiny target", lambda a, b: F.kl_div(a, b, reduction="sum"), None, [-1.0], [1e-300],
     (-6.8977552789821364e-298, [-1e-300], [-688.7755278982137])),
]


@pytest.mark.parametrize("name, fn, _, inp, tgt, want", LOSSES, ids=[c[0] for c in LOSSES])
def test_losses_at_the_boundary(name, fn, _, inp, tgt, want, device):
    loss, dx, dy = loss_grads(fn, inp, tgt, device)
    assert same(loss, want[0]) or loss == pytest.approx(want[0], rel=1e-12)
    for got, exp in ((dx, want[1]), (dy, want[2])):
        assert all(same(a, b) or a == pytest.approx(b, rel=1e-9) for a, b in zip(got, exp)), (name, got, exp)


def test_float64_data_never_passes_through_float32():
    assert kernels.tensor([0.3], dtype=kernels.float64).tolist() == [0.3]
    assert kernels.tensor([1e-300], dtype=kernels.float64).tolist() == [1e-300]
    import numpy as np
    big_endian = np.array([1e-300, 0.1], dtype=">f8")
    t = kernels.tensor(big_endian)
    assert t.dtype == kernels.float64 and t.tolist() == [1e-300, 0.1]
