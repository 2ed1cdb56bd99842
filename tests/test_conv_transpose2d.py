"""conv_transpose2d and conv_transpose1d: forward against a NumPy float64 reference (the scatter
definition) and torch, backward against float64 central finite differences and torch.autograd,
CPU against CUDA, the nn modules against torch's with a copied state_dict, and bad inputs.

The configurations are a seeded random table (odd sizes, non-square kernels, stride 1-3,
padding 0-2, output_padding below stride or dilation, dilation 1-2, groups 1 / 2 / depthwise,
batch 1 and 7, with and without bias) plus a few hand-picked cases.
"""
import numpy as np
import pytest

import kernels
import kernels.functional as F
from kernels import nn
from opcheck import HAS_CUDA, check_cuda_vs_cpu, check_torch, gradcheck, torch_functional


pytestmark = pytest.mark.usefixtures("torch_one_thread")


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def np_conv_transpose2d(x, w, b, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """float64 reference, by scattering: out[n, g*Cog + co, ih*s - p + i*d, ...] +=
    x[n, g*Cig + ci, ih, iw] * w[g*Cig + ci, co, i, j]."""
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    N, Ci, H, W = x.shape
    _, Cog, kH, kW = w.shape
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = map(_pair, (stride, padding, output_padding, dilation))
    Cig = Ci // groups
    full = np.zeros((N, Cog * groups, (H - 1) * sh + dh * (kH - 1) + 1 + oph,
                     (W - 1) * sw + dw * (kW - 1) + 1 + opw))
    for g in range(groups):
        xs = x[:, g * Cig:(g + 1) * Cig]
        for i in range(kH):
            for j in range(kW):
                full[:, g * Cog:(g + 1) * Cog, i * dh:i * dh + sh * (H - 1) + 1:sh, j * dw:j * dw + sw * (W - 1) + 1:sw] += \
                    np.einsum("ncij,co->noij", xs, w[g * Cig:(g + 1) * Cig, :, i, j])
    out = full[:, :, ph:full.shape[2] - ph, pw:full.shape[3] - pw]
    if b is not None:
        out = out + np.asarray(b, np.float64)[None, :, None, None]
    return out


def _out_size(c):
    sizes = []
    for H, k, s, p, op, d in zip((c["H"], c["W"]), c["k"], *map(_pair, (c["stride"], c["padding"], c["output_padding"], c["dilation"]))):
        sizes.append((H - 1) * s - 2 * p + d * (k - 1) + op + 1)
    return sizes


def random_cases(n, seed):
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < n:
        kind = rng.choice(["1", "2", "dw"])
        if kind == "1":
            G, Ci, Co = 1, int(rng.integers(1, 4)), int(rng.integers(1, 4))
        elif kind == "2":
            G, Ci, Co = 2, 2 * int(rng.integers(1, 3)), 2 * int(rng.integers(1, 3))
        else:
            G = Ci = Co = int(rng.integers(2, 5))
        stride = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        dilation = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
        out_pad = tuple(int(rng.integers(0, max(s, d))) for s, d in zip(stride, dilation))
        c = dict(N=int(rng.choice([1, 7])), Ci=Ci, Co=Co, G=G, H=int(rng.choice([1, 2, 3, 5, 7])),
                 W=int(rng.choice([1, 3, 4, 6])), k=(int(rng.integers(1, 5)), int(rng.integers(1, 4))),
                 stride=stride if rng.random() < 0.7 else stride[0],
                 padding=int(rng.integers(0, 3)) if rng.random() < 0.6 else (int(rng.integers(0, 3)), int(rng.integers(0, 2))),
                 output_padding=out_pad, dilation=dilation, bias=bool(rng.random() < 0.6))
        if isinstance(c["stride"], int):
            c["output_padding"] = tuple(min(op, max(c["stride"], d) - 1) for op, d in zip(out_pad, dilation))
        if min(_out_size(c)) > 0:
            cases.append(c)
    return cases


SPECIAL = [
    dict(N=7, Ci=4, Co=3, G=1, H=5, W=5, k=(1, 1), stride=1, padding=0, output_padding=0, dilation=1, bias=True),
    dict(N=7, Ci=16, Co=8, G=1, H=4, W=4, k=(4, 4), stride=2, padding=1, output_padding=0, dilation=1, bias=True),  # DCGAN-like
    dict(N=1, Ci=3, Co=2, G=1, H=3, W=4, k=(3, 3), stride=2, padding=1, output_padding=1, dilation=1, bias=False),
    dict(N=2, Ci=2, Co=2, G=1, H=3, W=3, k=(2, 2), stride=1, padding=0, output_padding=1, dilation=2, bias=True),
    dict(N=16, Ci=32, Co=16, G=2, H=6, W=6, k=(3, 3), stride=2, padding=1, output_padding=1, dilation=1, bias=True),
    # from 1x1 (DCGAN's first layer): a linear layer
    dict(N=3, Ci=8, Co=4, G=2, H=1, W=1, k=(4, 4), stride=1, padding=0, output_padding=0, dilation=1, bias=True),
    # >= 128 input positions per image and >= 16 input channels per group: the fused-col2im path
    dict(N=2, Ci=16, Co=4, G=1, H=12, W=12, k=(3, 3), stride=2, padding=1, output_padding=1, dilation=1, bias=True),
    dict(N=1, Ci=32, Co=6, G=2, H=12, W=11, k=(2, 3), stride=(1, 2), padding=(0, 1), output_padding=(0, 1),
         dilation=(2, 1), bias=False),
]

CASES = random_cases(24, seed=11) + SPECIAL


def _case_id(c):
    return (f"N{c['N']}Ci{c['Ci']}Co{c['Co']}g{c['G']}_{c['H']}x{c['W']}_k{c['k'][0]}x{c['k'][1]}"
            f"_s{c['stride']}_p{c['padding']}_op{c['output_padding']}_d{c['dilation']}"
            f"{'_b' if c['bias'] else ''}").replace(" ", "")


def _kw(c):
    return dict(stride=c["stride"], padding=c["padding"], output_padding=c["output_padding"],
                groups=c["G"], dilation=c["dilation"])


def _args(c, rng):
    x = rng.standard_normal((c["N"], c["Ci"], c["H"], c["W"]))
    w = rng.standard_normal((c["Ci"], c["Co"] // c["G"]) + tuple(c["k"])) * 0.5
    b = rng.standard_normal(c["Co"]) if c["bias"] else None
    return x, w, b


def _arglist(x, w, b):
    return [x, w] if b is None else [x, w, b]


def _fns(c, ours=F.conv_transpose2d, theirs=None):
    theirs = theirs or torch_functional.conv_transpose2d
    kw = _kw(c)
    if c["bias"]:
        return (lambda x, w, b: ours(x, w, b, **kw)), (lambda x, w, b: theirs(x, w, b, **kw))
    return (lambda x, w: ours(x, w, None, **kw)), (lambda x, w: theirs(x, w, None, **kw))


@pytest.mark.parametrize("c", CASES, ids=_case_id)
def test_forward_matches_numpy(c):
    x, w, b = _args(c, np.random.default_rng(0))
    want = np_conv_transpose2d(x, w, b, **_kw(c))
    assert list(want.shape[2:]) == _out_size(c)
    bk = None if b is None else kernels.tensor(b)
    got = F.conv_transpose2d(kernels.tensor(x), kernels.tensor(w), bk, **_kw(c)).numpy()
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    b32 = None if b is None else kernels.tensor(b, dtype=kernels.float32)
    got32 = F.conv_transpose2d(kernels.tensor(x, dtype=kernels.float32),
                               kernels.tensor(w, dtype=kernels.float32), b32, **_kw(c)).numpy()
    np.testing.assert_allclose(got32, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("c", CASES, ids=_case_id)
def test_forward_backward_match_torch(c):
    x, w, b = _args(c, np.random.default_rng(1))
    ours, theirs = _fns(c)
    check_torch(ours, theirs, _arglist(x, w, b))
    check_torch(ours, theirs, _arglist(x, w, b), dtype=kernels.float32, atol=1e-4, rtol=1e-4)


GRAD_CASES = [
    dict(N=2, Ci=2, Co=3, G=1, H=3, W=2, k=(3, 2), stride=2, padding=1, output_padding=1, dilation=1, bias=True),
    dict(N=1, Ci=4, Co=2, G=2, H=3, W=3, k=(2, 3), stride=(1, 2), padding=(0, 1), output_padding=(1, 0), dilation=(2, 1), bias=True),
    dict(N=2, Ci=3, Co=3, G=3, H=2, W=3, k=(2, 2), stride=3, padding=0, output_padding=2, dilation=1, bias=False),
    dict(N=3, Ci=2, Co=2, G=1, H=2, W=2, k=(1, 1), stride=1, padding=0, output_padding=0, dilation=1, bias=True),
]


@pytest.mark.parametrize("c", GRAD_CASES, ids=_case_id)
def test_gradients_match_finite_differences(c):
    x, w, b = _args(c, np.random.default_rng(2))
    ours, _ = _fns(c)
    gradcheck(ours, _arglist(x, w, b))


@pytest.mark.parametrize("c", CASES[::3], ids=_case_id)
def test_cuda_matches_cpu(c):
    x, w, b = _args(c, np.random.default_rng(3))
    ours, _ = _fns(c)
    check_cuda_vs_cpu(ours, _arglist(x, w, b))
    check_cuda_vs_cpu(ours, _arglist(x, w, b), dtype=kernels.float64, atol=1e-10, rtol=1e-10)


def test_is_the_input_gradient_of_conv2d():
    """conv_transpose2d(g, w) == d/dx <conv2d(x, w), g> for the matching stride/padding/dilation."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 4, 9, 8))
    w = rng.standard_normal((6, 2, 3, 2))
    kw = dict(stride=(2, 3), padding=(1, 0), dilation=(1, 2), groups=2)
    kx = kernels.tensor(x, requires_grad=True)
    y = F.conv2d(kx, kernels.tensor(w), None, **kw)
    g = rng.standard_normal(tuple(y.shape))
    y.backward(kernels.tensor(g))
    op = tuple(H - ((o - 1) * s - 2 * p + d * (k - 1) + 1)
               for H, o, s, p, d, k in zip(x.shape[2:], y.shape[2:], kw["stride"], kw["padding"], kw["dilation"], w.shape[2:]))
    t = F.conv_transpose2d(kernels.tensor(g), kernels.tensor(w), None, kw["stride"], kw["padding"], op,
                           kw["groups"], kw["dilation"])
    np.testing.assert_allclose(t.numpy(), kx.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("c", [SPECIAL[4], SPECIAL[6]], ids=_case_id)
def test_thread_count_does_not_change_results(c, threads):
    from opcheck import run

    x, w, b = _args(c, np.random.default_rng(5))
    ours, _ = _fns(c)
    ref_out, ref_grads, _ = run(ours, _arglist(x, w, b))
    prev = kernels.get_num_threads()
    kernels.set_num_threads(threads)
    try:
        out, grads, _ = run(ours, _arglist(x, w, b))
    finally:
        kernels.set_num_threads(prev)
    # the images are cut into chunks that do not depend on the thread count: same bits
    np.testing.assert_array_equal(out, ref_out)
    for g, r in zip(grads, ref_grads):
        np.testing.assert_array_equal(g, r)


# ------------------------------------------------------------------------------ conv_transpose1d


CASES_1D = [
    dict(N=3, Ci=4, Co=6, G=2, L=7, k=3, stride=2, padding=1, output_padding=1, dilation=1, bias=True),
    dict(N=1, Ci=2, Co=3, G=1, L=5, k=4, stride=1, padding=2, output_padding=1, dilation=2, bias=False),
    dict(N=7, Ci=3, Co=3, G=3, L=4, k=2, stride=3, padding=0, output_padding=0, dilation=1, bias=True),
]


@pytest.mark.parametrize("c", CASES_1D, ids=lambda c: f"N{c['N']}Ci{c['Ci']}L{c['L']}k{c['k']}s{c['stride']}")
def test_conv_transpose1d(c):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((c["N"], c["Ci"], c["L"]))
    w = rng.standard_normal((c["Ci"], c["Co"] // c["G"], c["k"]))
    b = rng.standard_normal(c["Co"]) if c["bias"] else None
    kw = dict(stride=c["stride"], padding=c["padding"], output_padding=c["output_padding"], groups=c["G"],
              dilation=c["dilation"])
    want = np_conv_transpose2d(x[:, :, None], w[:, :, None], b, (1, kw["stride"]), (0, kw["padding"]),
                               (0, kw["output_padding"]), kw["groups"], (1, kw["dilation"]))[:, :, 0]
    conv_transpose1d = torch_functional.conv_transpose1d
    if b is None:
        ours = lambda x, w: F.conv_transpose1d(x, w, None, **kw)  # noqa: E731
        theirs = lambda x, w: conv_transpose1d(x, w, None, **kw)  # noqa: E731
    else:
        ours = lambda x, w, b: F.conv_transpose1d(x, w, b, **kw)  # noqa: E731
        theirs = lambda x, w, b: conv_transpose1d(x, w, b, **kw)  # noqa: E731
    args = _arglist(x, w, b)
    got = ours(*[kernels.tensor(a) for a in args]).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    if c["N"] * c["L"] <= 12:
        gradcheck(ours, args)
    if HAS_CUDA:  # CPU vs CUDA on the same inputs (check_cuda_vs_cpu would skip the whole test)
        check_cuda_vs_cpu(ours, args)
    check_torch(ours, theirs, args)  # last: it skips the rest of the test without torch


# ------------------------------------------------------------------------------ modules


def _to_torch_state(torch, sd):
    return {k: torch.from_numpy(np.array(v.detach().numpy(), copy=True)) for k, v in sd.items()}


MODULES = [  # the class name in both libraries, its arguments, the input shape
    ("ConvTranspose2d", (4, 6, 3), dict(stride=2, padding=1, output_padding=1), (3, 4, 5, 4)),
    ("ConvTranspose2d", (4, 4, (2, 3)), dict(groups=2, dilation=(2, 1), bias=False), (2, 4, 3, 5)),
    ("ConvTranspose1d", (3, 2, 4), dict(stride=3, padding=2), (2, 3, 6)),
]


@pytest.mark.parametrize("name, args, kw, shape", MODULES, ids=["t2d-0", "t2d-1", "t1d-0"])
def test_module_matches_torch(name, args, kw, shape, torch):
    kernels.manual_seed(2)
    m, t = getattr(nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(m) == repr(t)
    assert list(m.state_dict()) == list(t.state_dict())
    assert tuple(m.weight.shape) == tuple(t.weight.shape)
    t.load_state_dict(_to_torch_state(torch, m.state_dict()))
    x = np.random.default_rng(7).standard_normal(shape).astype(np.float32)
    kx, tx = kernels.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ky, ty = m(kx), t(tx)
    np.testing.assert_allclose(ky.detach().numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-5)
    gy = np.random.default_rng(8).standard_normal(tuple(ty.shape)).astype(np.float32)
    ky.backward(kernels.tensor(gy))
    ty.backward(torch.tensor(gy))
    np.testing.assert_allclose(kx.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-4)
    for (name, p), (_, tp) in zip(m.named_parameters(), t.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-4, err_msg=name)


def test_module_output_size_and_init():
    kernels.manual_seed(0)
    m = nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1)
    x = np.random.default_rng(9).standard_normal((1, 8, 5, 5)).astype(np.float32)
    with pytest.raises(ValueError, match="valid sizes range from 9 to 10"):
        m(kernels.tensor(x), output_size=(11, 10))
    bound = 1 / np.sqrt(4 * 9)  # fan_in = weight.size(1) * kH * kW
    assert np.abs(m.weight.detach().numpy()).max() <= bound
    assert np.abs(m.bias.detach().numpy()).max() <= bound
    torch = pytest.importorskip("torch")
    t = torch.nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1)
    t.load_state_dict(_to_torch_state(torch, m.state_dict()))
    for size in [(10, 10), (9, 10), (1, 4, 10, 9)]:
        ky = m(kernels.tensor(x), output_size=size)
        ty = t(torch.tensor(x), output_size=size)
        assert tuple(ky.shape) == tuple(ty.shape)
        np.testing.assert_allclose(ky.detach().numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-5)


def test_module_errors():
    with pytest.raises(ValueError, match="only \"zeros\" padding mode"):
        nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="must be non-negative and smaller than either stride"):
        nn.ConvTranspose2d(2, 2, 3, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="padding must be an int"):
        nn.ConvTranspose2d(2, 2, 3, padding="same")


# ------------------------------------------------------------------------------ bad inputs


def _t(*shape, dtype=kernels.float32):
    return kernels.zeros(*shape, dtype=dtype)


BAD = [
    (lambda: F.conv_transpose2d(_t(2, 3, 5, 5), _t(4, 2, 3, 3)), ValueError,
     r"conv_transpose2d: input \(2,3,5,5\) has 3 channels but weight \(4,2,3,3\) expects 4"),
    (lambda: F.conv_transpose2d(_t(2, 3, 5, 5), _t(3, 2, 3, 3), groups=2), ValueError,
     r"conv_transpose2d: groups=2 must divide in_channels=3"),
    (lambda: F.conv_transpose2d(_t(1, 2, 5, 5), _t(2, 2, 3, 3), stride=2, output_padding=2), ValueError,
     r"conv_transpose2d: output_padding \(2,2\) must be smaller than either stride \(2,2\) or dilation \(1,1\)"),
    (lambda: F.conv_transpose2d(_t(1, 2, 5, 5), _t(2, 2, 3, 3), output_padding=1), ValueError,
     r"output_padding \(1,1\) must be smaller than either stride"),
    (lambda: F.conv_transpose2d(_t(1, 2, 1, 1), _t(2, 2, 3, 3), padding=2), ValueError,
     r"conv_transpose2d: the output size would be \(-1,-1\), which is not positive"),
    (lambda: F.conv_transpose2d(_t(1, 2, 5, 5), _t(2, 2, 3, 3), stride=0), ValueError, r"stride must be positive"),
    (lambda: F.conv_transpose2d(_t(1, 2, 5, 5), _t(2, 2, 3, 3), dilation=-1), ValueError, r"dilation must be positive"),
    (lambda: F.conv_transpose2d(_t(1, 2, 5, 5), _t(2, 2, 3, 3), padding=-1), ValueError, r"padding must be non-negative"),
    (lambda: F.conv_transpose2d(_t(1, 2, 5, 5), _t(2, 2, 3, 3), output_padding=-1), ValueError,
     r"output_padding must be non-negative"),
    (lambda: F.conv_transpose2d(_t(2, 5, 5), _t(2, 2, 3, 3)), ValueError,
     r"conv_transpose2d: expected a 4-D input \(N, C, H, W\), got shape \(2,5,5\)"),
    (lambda: F.conv_transpose2d(_t(1, 2, 5, 5), _t(2, 2, 3, 3), _t(3)), ValueError,
     r"conv_transpose2d: bias \(3,\) must be 1-D with out_channels=2"),
    (lambda: F.conv_transpose2d(_t(1, 2, 5, 5), _t(2, 2, 3, 3), padding="same"), ValueError,
     r"string padding is for convolutions only"),
    (lambda: F.conv_transpose2d(_t(1, 2, 5, 5), _t(2, 2, 3, 3, dtype=kernels.float64)), TypeError,
     r"conv_transpose2d: expected tensors of the same dtype"),
    (lambda: F.conv_transpose1d(_t(1, 2, 5), _t(3, 2, 3)), ValueError,
     r"conv_transpose1d: input \(1,2,5\) has 2 channels but weight \(3,2,3\) expects 3"),
    (lambda: F.conv_transpose1d(_t(1, 2, 5), _t(2, 2, 3), groups=0), ValueError, r"groups must be positive"),
]


@pytest.mark.parametrize("call, exc, pattern", BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_bad_inputs(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


def test_bad_backward_grad_shape():
    from kernels import _C

    x, w = _t(1, 2, 5, 5), _t(2, 3, 3, 3)
    with pytest.raises(ValueError, match=r"conv_transpose2d_backward: grad \(1,3,5,5\) does not match the output shape \(1,3,7,7\)"):
        _C.conv_transpose2d_backward(_t(1, 3, 5, 5), x, w, [1, 1], [0, 0], [0, 0], 1, [1, 1], True,
                                     [True, True, True])
