"""conv2d and conv1d: forward against a NumPy float64 reference and torch, backward against float64
central finite differences and torch.autograd, CPU against CUDA, thread-count independence, the
nn modules against torch's with a copied state_dict, and bad inputs.

The configurations are a seeded random table (odd sizes, non-square kernels and inputs, stride
1-3, padding 0-2 / 'same' / 'valid', dilation 1-2, groups 1 / 2 / depthwise, batch 1 and 7, with
and without bias) plus hand-picked cases for the kernel's special paths: 1x1 convolutions (no
im2col), small outputs (several images per GEMM) and LeNet / ResNet-like layers, and the networks'
layers the benchmarks time (kernels.testing.cases.CONV2D) at batch 2.
"""
import numpy as np
import pytest

import kernels
import kernels.functional as F
from kernels import nn
from kernels.testing.cases import CONV2D, conv2d
from opcheck import check_cuda_vs_cpu, check_torch, gradcheck, torch_functional

# torch notes that its own 'same' with an even kernel copies the input; nothing to act on here.
pytestmark = [pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning"),
              pytest.mark.usefixtures("torch_one_thread")]


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def resolve_padding(padding, kernel, dilation):
    """(top, bottom, left, right), with torch's split of an odd 'same' (the extra at the end)."""
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding == "same":
        out = []
        for k, d in zip(kernel, dilation):
            total = d * (k - 1)
            out += [total // 2, total - total // 2]
        return tuple(out)
    ph, pw = _pair(padding)
    return (ph, ph, pw, pw)


def np_conv2d(x, w, b, stride=1, padding=0, dilation=1, groups=1):
    """float64 reference: y[n, o] = sum_{c, i, j} w[o, c, i, j] x_pad[n, g*Cg + c, oh*s + i*d, ...]."""
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    N, C, H, W = x.shape
    O, Cg, kH, kW = w.shape
    (sh, sw), (dh, dw) = _pair(stride), _pair(dilation)
    pt, pb, pl, pr = resolve_padding(padding, (kH, kW), (dh, dw))
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    OH = (H + pt + pb - dh * (kH - 1) - 1) // sh + 1
    OW = (W + pl + pr - dw * (kW - 1) - 1) // sw + 1
    Og = O // groups
    y = np.zeros((N, O, OH, OW))
    for g in range(groups):
        xs = xp[:, g * Cg:(g + 1) * Cg]
        for i in range(kH):
            for j in range(kW):
                patch = xs[:, :, i * dh:i * dh + sh * (OH - 1) + 1:sh, j * dw:j * dw + sw * (OW - 1) + 1:sw]
                y[:, g * Og:(g + 1) * Og] += np.einsum("ncij,oc->noij", patch, w[g * Og:(g + 1) * Og, :, i, j])
    if b is not None:
        y += np.asarray(b, np.float64)[None, :, None, None]
    return y


def _valid(c):
    """The kernel fits the padded input in both dims."""
    pads = resolve_padding(c["padding"], c["k"], _pair(c["dilation"]))
    for s, (H, k, d) in enumerate(zip((c["H"], c["W"]), c["k"], _pair(c["dilation"]))):
        if H + pads[2 * s] + pads[2 * s + 1] < d * (k - 1) + 1:
            return False
    return True


def random_cases(n, seed):
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < n:
        kind = rng.choice(["1", "2", "dw"])
        base = int(rng.integers(1, 4))
        if kind == "1":
            G, C, O = 1, base, int(rng.integers(1, 5))
        elif kind == "2":
            G, C, O = 2, 2 * base, 2 * int(rng.integers(1, 3))
        else:
            G = C = base + 1
            O = C * int(rng.integers(1, 3))
        stride = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        pad_kind = rng.choice(["int", "pair", "same", "valid"])
        padding = {"int": int(rng.integers(0, 3)), "pair": (int(rng.integers(0, 3)), int(rng.integers(0, 3))),
                   "same": "same", "valid": "valid"}[pad_kind]
        if padding == "same":
            stride = (1, 1)
        c = dict(N=int(rng.choice([1, 7])), C=C, O=O, G=G, H=int(rng.choice([1, 3, 5, 7, 9, 11])),
                 W=int(rng.choice([2, 3, 5, 8, 13])), k=(int(rng.integers(1, 5)), int(rng.integers(1, 4))),
                 stride=stride if stride[0] != stride[1] else stride[0], padding=padding,
                 dilation=int(rng.integers(1, 3)) if rng.random() < 0.7 else (1, 2),
                 bias=bool(rng.random() < 0.6))
        if _valid(c):
            cases.append(c)
    return cases


def network_case(layer, batch):
    """A layer of the networks' table (kernels.testing.cases.CONV2D, what bench/ times) as a case
    of this file, at a test batch."""
    k = (layer.kernel_size, layer.kernel_size)
    return dict(N=batch, C=layer.in_channels, O=layer.out_channels, G=1, H=layer.height, W=layer.width, k=k,
                stride=1, padding=layer.padding, dilation=1, bias=True)


SPECIAL = [
    dict(N=7, C=3, O=5, G=1, H=6, W=5, k=(1, 1), stride=1, padding=0, dilation=1, bias=True),  # 1x1: no im2col
    dict(N=1, C=4, O=2, G=2, H=4, W=4, k=(1, 1), stride=1, padding=0, dilation=1, bias=False),
    dict(N=7, C=2, O=3, G=1, H=4, W=5, k=(3, 3), stride=1, padding=0, dilation=1, bias=True),  # tiny outputs
    dict(N=7, C=16, O=12, G=1, H=5, W=5, k=(5, 5), stride=1, padding=0, dilation=1, bias=True),  # 5x5 -> 1x1
    dict(N=5, C=6, O=4, G=2, H=3, W=4, k=(3, 4), stride=2, padding=0, dilation=1, bias=False),  # dense, groups
    dict(N=3, C=2, O=3, G=1, H=5, W=3, k=(3, 2), stride=1, padding=0, dilation=(2, 2), bias=True),  # 1x1 out, dilated
    network_case(conv2d("lenet.c1"), batch=7),
    dict(N=2, C=8, O=8, G=1, H=12, W=12, k=(3, 3), stride=1, padding=1, dilation=1, bias=False),  # ResNet-like
    dict(N=3, C=4, O=4, G=4, H=9, W=7, k=(3, 3), stride=2, padding=1, dilation=1, bias=True),
    dict(N=1, C=3, O=2, G=1, H=7, W=6, k=(4, 2), stride=1, padding="same", dilation=2, bias=True),  # odd 'same'
    dict(N=2, C=2, O=2, G=1, H=3, W=3, k=(3, 3), stride=3, padding=0, dilation=1, bias=True),  # 1x1 output
    # implicit-GEMM paths (>= 128 outputs per image): groups, strides, dilation, odd 'same',
    # several k blocks (Kg > 256), several position blocks with a partial sliver, Og % 6 != 0
    dict(N=3, C=4, O=16, G=2, H=17, W=19, k=(3, 4), stride=(2, 1), padding=(2, 1), dilation=(1, 2), bias=True),
    dict(N=2, C=3, O=14, G=1, H=12, W=13, k=(4, 3), stride=1, padding="same", dilation=1, bias=False),
    dict(N=2, C=32, O=8, G=1, H=12, W=12, k=(3, 3), stride=1, padding=1, dilation=1, bias=True),
    dict(N=1, C=2, O=7, G=1, H=20, W=20, k=(3, 3), stride=1, padding=0, dilation=1, bias=True),
    dict(N=2, C=3, O=16, G=1, H=23, W=21, k=(3, 3), stride=(2, 1), padding=(1, 0), dilation=(1, 2), bias=True),
    dict(N=1, C=4, O=32, G=2, H=13, W=12, k=(2, 3), stride=1, padding="same", dilation=(2, 1), bias=False),
    # threaded, implicit-GEMM dW with the im2col dx (Og < 16) and an odd Kg*P (workspace alignment)
    dict(N=16, C=3, O=12, G=1, H=23, W=23, k=(3, 3), stride=1, padding=0, dilation=1, bias=True),
    # large enough (> 2 MFLOP) for the threaded paths: one image per GEMM, and 8 images per GEMM
    dict(N=7, C=8, O=16, G=1, H=16, W=16, k=(3, 3), stride=1, padding=1, dilation=1, bias=True),
    dict(N=16, C=32, O=64, G=2, H=5, W=5, k=(3, 3), stride=1, padding=0, dilation=1, bias=True),
    dict(N=9, C=32, O=32, G=1, H=12, W=12, k=(1, 1), stride=1, padding=0, dilation=1, bias=False),
]

CASES = random_cases(36, seed=7) + SPECIAL
NETWORK = [network_case(layer, batch=2) for layer in CONV2D]  # LeNet-5's c1, c3, c5, ResNet's 3x3


def _case_id(c):
    return (f"N{c['N']}C{c['C']}O{c['O']}g{c['G']}_{c['H']}x{c['W']}_k{c['k'][0]}x{c['k'][1]}"
            f"_s{c['stride']}_p{c['padding']}_d{c['dilation']}{'_b' if c['bias'] else ''}").replace(" ", "")


def _args(c, rng):
    x = rng.standard_normal((c["N"], c["C"], c["H"], c["W"]))
    w = rng.standard_normal((c["O"], c["C"] // c["G"]) + tuple(c["k"])) * 0.5
    b = rng.standard_normal(c["O"]) if c["bias"] else None
    return x, w, b


def _kw(c):
    return dict(stride=c["stride"], padding=c["padding"], dilation=c["dilation"], groups=c["G"])


def _fns(c, ours=F.conv2d, theirs=None):
    """(our fn, torch fn, whether the arguments include a bias)."""
    theirs = theirs or torch_functional.conv2d
    kw = _kw(c)
    if c["bias"]:
        return (lambda x, w, b: ours(x, w, b, **kw)), (lambda x, w, b: theirs(x, w, b, **kw))
    return (lambda x, w: ours(x, w, None, **kw)), (lambda x, w: theirs(x, w, None, **kw))


def _arglist(x, w, b):
    return [x, w] if b is None else [x, w, b]


@pytest.mark.parametrize("c", CASES + NETWORK, ids=_case_id)
def test_forward_matches_numpy(c):
    rng = np.random.default_rng(0)
    x, w, b = _args(c, rng)
    want = np_conv2d(x, w, b, **_kw(c))
    kw = _kw(c)
    bk = None if b is None else kernels.tensor(b)
    got = F.conv2d(kernels.tensor(x), kernels.tensor(w), bk, **kw).numpy()
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    # float32 against the same float64 reference
    b32 = None if b is None else kernels.tensor(b, dtype=kernels.float32)
    got32 = F.conv2d(kernels.tensor(x, dtype=kernels.float32), kernels.tensor(w, dtype=kernels.float32),
                     b32, **kw).numpy()
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("c", CASES + NETWORK, ids=_case_id)
def test_forward_backward_match_torch(c):
    rng = np.random.default_rng(1)
    x, w, b = _args(c, rng)
    ours, theirs = _fns(c)
    check_torch(ours, theirs, _arglist(x, w, b))
    check_torch(ours, theirs, _arglist(x, w, b), dtype=kernels.float32, atol=1e-4, rtol=1e-4)


def test_partial_gradients_match_torch(torch):
    """Only the requested gradients are computed, and they equal torch's."""
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal((3, 4, 7, 6)), rng.standard_normal((6, 2, 3, 2)), rng.standard_normal(6)
    kw = dict(stride=(2, 1), padding=1, dilation=(1, 2), groups=2)
    tx, tw, tb = (torch.tensor(a, requires_grad=r) for a, r in ((x, False), (w, True), (b, False)))
    ty = torch.nn.functional.conv2d(tx, tw, tb, **kw)
    gy = rng.standard_normal(tuple(ty.shape))
    ty.backward(torch.tensor(gy))
    kx = kernels.tensor(x)
    kwt = kernels.tensor(w, requires_grad=True)
    kb = kernels.tensor(b)
    ky = F.conv2d(kx, kwt, kb, **kw)
    ky.backward(kernels.tensor(gy))
    assert kx.grad is None and kb.grad is None
    np.testing.assert_allclose(kwt.grad.numpy(), tw.grad.numpy(), rtol=1e-10, atol=1e-10)
    # bias and input only
    for need in ((True, False, True), (False, False, True), (True, False, False)):
        ts = [kernels.tensor(a, requires_grad=r) for a, r in zip((x, w, b), need)]
        F.conv2d(*ts, **kw).backward(kernels.tensor(gy))
        tt = [torch.tensor(a, requires_grad=r) for a, r in zip((x, w, b), need)]
        torch.nn.functional.conv2d(*tt, **kw).backward(torch.tensor(gy))
        for k, t, r in zip(ts, tt, need):
            if r:
                np.testing.assert_allclose(k.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-10)
            else:
                assert k.grad is None


GRAD_CASES = [
    dict(N=2, C=2, O=3, G=1, H=5, W=4, k=(3, 2), stride=1, padding=1, dilation=1, bias=True),
    dict(N=1, C=4, O=2, G=2, H=6, W=5, k=(2, 3), stride=(2, 1), padding=(1, 0), dilation=(1, 2), bias=True),
    dict(N=2, C=3, O=3, G=3, H=5, W=5, k=(3, 3), stride=2, padding=2, dilation=2, bias=False),
    dict(N=1, C=2, O=2, G=1, H=4, W=5, k=(2, 2), stride=1, padding="same", dilation=1, bias=True),
    dict(N=3, C=2, O=2, G=1, H=3, W=3, k=(1, 1), stride=1, padding=0, dilation=1, bias=True),
    dict(N=3, C=2, O=3, G=1, H=3, W=3, k=(3, 3), stride=1, padding=0, dilation=1, bias=True),  # batched images
]


@pytest.mark.parametrize("c", GRAD_CASES, ids=_case_id)
def test_gradients_match_finite_differences(c):
    rng = np.random.default_rng(3)
    x, w, b = _args(c, rng)
    ours, _ = _fns(c)
    gradcheck(ours, _arglist(x, w, b))


@pytest.mark.parametrize("c", CASES[::3], ids=_case_id)
def test_cuda_matches_cpu(c):
    rng = np.random.default_rng(4)
    x, w, b = _args(c, rng)
    ours, _ = _fns(c)
    check_cuda_vs_cpu(ours, _arglist(x, w, b))
    check_cuda_vs_cpu(ours, _arglist(x, w, b), dtype=kernels.float64, atol=1e-10, rtol=1e-10)


@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("c", [SPECIAL[0], SPECIAL[3], CASES[0]] + SPECIAL[-3:], ids=_case_id)
def test_thread_count_does_not_change_results(c, threads):
    """Per-image threading, sequential images with threaded GEMMs, and the batched-images path."""
    rng = np.random.default_rng(5)
    x, w, b = _args(c, rng)
    ours, _ = _fns(c)
    args = _arglist(x, w, b)
    from opcheck import run

    ref_out, ref_grads, _ = run(ours, args)
    prev = kernels.get_num_threads()
    kernels.set_num_threads(threads)
    try:
        out, grads, _ = run(ours, args)
    finally:
        kernels.set_num_threads(prev)
    # the images are cut into chunks that do not depend on the thread count: same bits
    np.testing.assert_array_equal(out, ref_out)
    for g, r in zip(grads, ref_grads):
        np.testing.assert_array_equal(g, r)


def test_batch_zero_gives_empty_output_and_zero_weight_grad():
    x = kernels.zeros(0, 3, 5, 5, requires_grad=True)
    w = kernels.tensor(np.ones((4, 3, 3, 3)), dtype=kernels.float32, requires_grad=True)
    b = kernels.zeros(4, requires_grad=True)
    y = F.conv2d(x, w, b, padding=1)
    assert tuple(y.shape) == (0, 4, 5, 5)
    y.sum().backward()
    assert tuple(x.grad.shape) == (0, 3, 5, 5)
    np.testing.assert_array_equal(w.grad.numpy(), np.zeros((4, 3, 3, 3), np.float32))
    np.testing.assert_array_equal(b.grad.numpy(), np.zeros(4, np.float32))


def test_output_values_for_a_hand_computed_case():
    x = kernels.tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    w = kernels.tensor(np.array([[[[1.0, 0.0], [0.0, -1.0]]]]))
    y = F.conv2d(x, w, kernels.tensor([0.5], dtype=kernels.float64), stride=2)
    np.testing.assert_array_equal(y.numpy(), np.full((1, 1, 2, 2), -5.0 + 0.5))


# ------------------------------------------------------------------------------ conv1d


def np_conv1d(x, w, b, stride=1, padding=0, dilation=1, groups=1):
    pad = padding if isinstance(padding, str) else (0, padding if isinstance(padding, int) else padding[0])
    y = np_conv2d(x[:, :, None], w[:, :, None], b, (1, stride if isinstance(stride, int) else stride[0]),
                  pad, (1, dilation if isinstance(dilation, int) else dilation[0]), groups)
    return y[:, :, 0]


CASES_1D = [
    dict(N=3, C=4, O=6, G=2, L=17, k=3, stride=2, padding=1, dilation=2, bias=False),
    dict(N=1, C=2, O=3, G=1, L=8, k=4, stride=1, padding="same", dilation=1, bias=True),
    dict(N=7, C=3, O=3, G=3, L=9, k=2, stride=3, padding=0, dilation=1, bias=True),
    dict(N=2, C=2, O=4, G=1, L=6, k=1, stride=1, padding="valid", dilation=1, bias=True),
    dict(N=7, C=5, O=2, G=1, L=5, k=5, stride=1, padding=(0,), dilation=(1,), bias=True),
]


def _id1(c):
    return f"N{c['N']}C{c['C']}O{c['O']}g{c['G']}L{c['L']}k{c['k']}s{c['stride']}p{c['padding']}d{c['dilation']}"


def _fns1(c):
    kw = dict(stride=c["stride"], padding=c["padding"], dilation=c["dilation"], groups=c["G"])
    conv1d = torch_functional.conv1d
    if c["bias"]:
        return (lambda x, w, b: F.conv1d(x, w, b, **kw)), (lambda x, w, b: conv1d(x, w, b, **kw)), kw
    return (lambda x, w: F.conv1d(x, w, None, **kw)), (lambda x, w: conv1d(x, w, None, **kw)), kw


def _args1(c, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((c["N"], c["C"], c["L"]))
    w = rng.standard_normal((c["O"], c["C"] // c["G"], c["k"]))
    b = rng.standard_normal(c["O"]) if c["bias"] else None
    return x, w, b


@pytest.mark.parametrize("c", CASES_1D, ids=_id1)
def test_conv1d(c):
    x, w, b = _args1(c, 6)
    ours, theirs, kw = _fns1(c)
    got = ours(*[kernels.tensor(a) for a in _arglist(x, w, b)]).numpy()
    np.testing.assert_allclose(got, np_conv1d(x, w, b, **kw), rtol=1e-12, atol=1e-12)
    if c["N"] * c["L"] <= 20:
        gradcheck(ours, _arglist(x, w, b))
    check_torch(ours, theirs, _arglist(x, w, b))


@pytest.mark.parametrize("c", CASES_1D[:3], ids=_id1)
def test_conv1d_cuda_matches_cpu(c):
    x, w, b = _args1(c, 7)
    ours, _, _ = _fns1(c)
    check_cuda_vs_cpu(ours, _arglist(x, w, b))


# ------------------------------------------------------------------------------ modules


def _to_torch_state(torch, sd):
    return {k: torch.from_numpy(np.array(v.detach().numpy(), copy=True)) for k, v in sd.items()}


MODULES = [  # the class name in both libraries, its arguments, the input shape
    ("Conv2d", (3, 8, 3), dict(padding=1), (7, 3, 9, 8)),
    ("Conv2d", (4, 6, (3, 2)), dict(stride=(2, 1), dilation=(1, 2), groups=2, bias=False), (2, 4, 9, 8)),
    ("Conv2d", (4, 4, 3), dict(padding="same", groups=4), (1, 4, 6, 5)),
    ("Conv2d", (2, 3, 2), dict(padding="valid"), (3, 2, 5, 5)),
    ("Conv1d", (3, 5, 3), dict(stride=2, padding=2), (4, 3, 11)),
    ("Conv1d", (4, 4, 4), dict(padding="same", dilation=2, groups=2, bias=False), (2, 4, 9)),
]


@pytest.mark.parametrize("name, args, kw, shape", MODULES, ids=[f"{m[0]}-{i}" for i, m in enumerate(MODULES)])
def test_module_matches_torch(name, args, kw, shape, torch):
    kernels.manual_seed(1)
    m = getattr(nn, name)(*args, **kw)
    t = getattr(torch.nn, name)(*args, **kw)
    assert repr(m) == repr(t)
    assert list(m.state_dict()) == list(t.state_dict())
    for name, p in m.state_dict().items():
        assert tuple(p.shape) == tuple(t.state_dict()[name].shape)
    t.load_state_dict(_to_torch_state(torch, m.state_dict()))
    x = np.random.default_rng(8).standard_normal(shape).astype(np.float32)
    kx = kernels.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    ky, ty = m(kx), t(tx)
    np.testing.assert_allclose(ky.detach().numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-5)
    gy = np.random.default_rng(9).standard_normal(tuple(ty.shape)).astype(np.float32)
    ky.backward(kernels.tensor(gy))
    ty.backward(torch.tensor(gy))
    np.testing.assert_allclose(kx.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-4)
    for (name, p), (tname, tp) in zip(m.named_parameters(), t.named_parameters()):
        assert name == tname
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-4, err_msg=name)


def test_module_init_bounds_and_float64():
    kernels.manual_seed(0)
    m = nn.Conv2d(6, 16, 5)
    bound = 1 / np.sqrt(6 * 25)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert w.shape == (16, 6, 5, 5) and b.shape == (16,)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert w.std() > 0.4 * bound  # uniform on [-bound, bound] has std bound / sqrt(3)
    m64 = nn.Conv2d(2, 3, 3, dtype=kernels.float64, bias=False)
    assert m64.weight.dtype == kernels.float64 and m64.bias is None
    y = m64(kernels.tensor(np.ones((1, 2, 4, 4))))
    assert y.dtype == kernels.float64 and tuple(y.shape) == (1, 3, 2, 2)
    assert "weight" in dict(m64.named_parameters()) and list(m64.state_dict()) == ["weight"]


def test_module_repr_matches_torch_for_many_options(torch):
    for args, kw in [((1, 6, 5), {}), ((6, 16, (5, 3)), dict(stride=2, padding=(1, 2), dilation=3)),
                     ((4, 8, 3), dict(groups=2, bias=False, padding="same"))]:
        assert repr(nn.Conv2d(*args, **kw)) == repr(torch.nn.Conv2d(*args, **kw))
    assert repr(nn.Conv1d(2, 4, 3, stride=2)) == repr(torch.nn.Conv1d(2, 4, 3, stride=2))


def test_module_errors():
    with pytest.raises(ValueError, match="in_channels=3 must be divisible by groups=2"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="out_channels=5 must be divisible by groups=2"):
        nn.Conv2d(4, 5, 3, groups=2)
    with pytest.raises(ValueError, match="not supported for strided"):
        nn.Conv2d(2, 2, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="invalid padding string"):
        nn.Conv2d(2, 2, 3, padding="full")
    with pytest.raises(NotImplementedError, match="padding_mode='reflect'"):
        nn.Conv2d(2, 2, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(2, 2, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="groups must be a positive"):
        nn.Conv1d(2, 2, 3, groups=0)
    m = nn.Conv2d(2, 3, 3)
    with pytest.raises(TypeError, match="input is kernels.float64 but the layer's weight is kernels.float32"):
        m(kernels.tensor(np.ones((1, 2, 5, 5))))
    with pytest.raises(ValueError, match=r"conv2d: input \(1,3,5,5\) has 3 channels but weight \(3,2,3,3\) expects 2"):
        m(kernels.ones(1, 3, 5, 5))


# ------------------------------------------------------------------------------ bad inputs


def _t(*shape, dtype=kernels.float32):
    return kernels.zeros(*shape, dtype=dtype)


BAD = [
    # (call, exception, message pattern)
    (lambda: F.conv2d(_t(8, 3, 32, 32), _t(16, 4, 3, 3)), ValueError,
     r"conv2d: input \(8,3,32,32\) has 3 channels but weight \(16,4,3,3\) expects 4 \(groups=1\)"),
    (lambda: F.conv2d(_t(2, 4, 8, 8), _t(6, 1, 3, 3), groups=2), ValueError,
     r"conv2d: input \(2,4,8,8\) has 4 channels but weight \(6,1,3,3\) expects 2 \(groups=2\)"),
    (lambda: F.conv2d(_t(2, 4, 8, 8), _t(6, 2, 3, 3), groups=3), ValueError,
     r"groups=3 must divide in_channels=4"),
    (lambda: F.conv2d(_t(2, 6, 8, 8), _t(4, 2, 3, 3), groups=3), ValueError,
     r"groups=3 must divide out_channels=4"),
    (lambda: F.conv2d(_t(2, 3, 4, 4), _t(2, 3, 5, 5)), ValueError,
     r"conv2d: the kernel \(5,5\) with dilation \(1,1\) is larger than the padded input \(input \(2,3,4,4\)"),
    (lambda: F.conv2d(_t(2, 3, 4, 4), _t(2, 3, 3, 3), dilation=2), ValueError, r"larger than the padded input"),
    (lambda: F.conv2d(_t(2, 3, 4, 4), _t(2, 3, 3, 3), stride=0), ValueError, r"conv2d: stride must be positive, got \(0,0\)"),
    (lambda: F.conv2d(_t(2, 3, 4, 4), _t(2, 3, 3, 3), stride=(1, -1)), ValueError, r"stride must be positive"),
    (lambda: F.conv2d(_t(2, 3, 4, 4), _t(2, 3, 3, 3), dilation=0), ValueError, r"conv2d: dilation must be positive"),
    (lambda: F.conv2d(_t(2, 3, 4, 4), _t(2, 3, 3, 3), padding=-1), ValueError, r"conv2d: padding must be non-negative, got \(-1,-1\)"),
    (lambda: F.conv2d(_t(2, 3, 4, 4), _t(2, 3, 3, 3), groups=0), ValueError, r"conv2d: groups must be positive"),
    (lambda: F.conv2d(_t(3, 32, 32), _t(16, 3, 3, 3)), ValueError,
     r"conv2d: expected a 4-D input \(N, C, H, W\), got shape \(3,32,32\)"),
    (lambda: F.conv2d(_t(1, 3, 8, 8), _t(16, 3, 3)), ValueError, r"conv2d: expected a 4-D weight"),
    (lambda: F.conv1d(_t(1, 3, 8, 8), _t(16, 3, 3)), ValueError, r"conv1d: expected a 3-D input \(N, C, L\), got shape \(1,3,8,8\)"),
    (lambda: F.conv2d(_t(1, 3, 8, 8), _t(4, 3, 3, 3), _t(5)), ValueError,
     r"conv2d: bias \(5,\) must be 1-D with out_channels=4"),
    (lambda: F.conv2d(_t(1, 3, 8, 8), _t(4, 3, 3, 3), stride=2, padding="same"), ValueError,
     r"conv2d: padding='same' is not supported for strided convolutions"),
    (lambda: F.conv2d(_t(1, 3, 8, 8), _t(4, 3, 3, 3), padding="full"), ValueError, r"invalid padding string"),
    (lambda: F.conv2d(_t(1, 3, 8, 8), _t(4, 3, 3, 3), stride=(1, 2, 3)), ValueError,
     r"stride must be an int or a tuple of 2 ints"),
    (lambda: F.conv2d(_t(1, 3, 8, 8), _t(4, 3, 3, 3), padding=1.5), TypeError, r"padding must be an int"),
    (lambda: F.conv2d(_t(1, 3, 8, 8), _t(4, 3, 3, 3), groups=1.0), TypeError, r"groups must be an int"),
    (lambda: F.conv2d(_t(1, 3, 8, 8), _t(4, 3, 3, 3, dtype=kernels.float64)), TypeError,
     r"conv2d: expected tensors of the same dtype"),
    (lambda: F.conv2d(_t(1, 3, 8, 8), _t(4, 3, 3, 3), _t(4, dtype=kernels.float64)), TypeError,
     r"conv2d: expected tensors of the same dtype"),
    (lambda: F.conv2d(kernels.zeros(1, 3, 8, 8, dtype=kernels.int64), kernels.zeros(4, 3, 3, 3, dtype=kernels.int64)),
     TypeError, r"conv2d: expected a float32 or float64 tensor"),
    (lambda: F.conv2d(np.zeros((1, 3, 8, 8)), _t(4, 3, 3, 3)), TypeError, r"conv2d: input must be a Tensor"),
    (lambda: F.conv2d(_t(1, 0, 8, 8), _t(4, 0, 3, 3)), ValueError, r"non-zero channel and spatial sizes"),
    (lambda: F.conv2d(_t(1, 3, 8, 8), _t(4, 3, 0, 3)), ValueError, r"non-zero kernel size"),
    (lambda: F.conv1d(_t(1, 4, 3), _t(2, 4, 5)), ValueError, r"conv1d: the kernel \(5,\) .* larger than the padded input"),
    (lambda: F.conv1d(_t(1, 4, 9), _t(2, 3, 3)), ValueError, r"conv1d: input \(1,4,9\) has 4 channels but weight \(2,3,3\) expects 3"),
]


@pytest.mark.parametrize("call, exc, pattern", BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_bad_inputs(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


def test_bad_backward_arguments():
    from kernels import _C

    x, w = _t(1, 3, 8, 8), _t(4, 3, 3, 3)
    with pytest.raises(ValueError, match=r"conv2d_backward: grad \(1,4,5,5\) does not match the output shape \(1,4,6,6\)"):
        _C.conv2d_backward(_t(1, 4, 5, 5), x, w, [1, 1], [0, 0], [1, 1], 1, True, [True, True, True])
    with pytest.raises(ValueError, match="output_mask must have 3 entries"):
        _C.conv2d_backward(_t(1, 4, 6, 6), x, w, [1, 1], [0, 0], [1, 1], 1, True, [True])
    with pytest.raises(ValueError, match=r"padding must have 2 entries \(or 4"):
        _C.conv2d_forward(x, w, None, [1, 1], [0, 0, 0], [1, 1], 1)


@pytest.mark.skipif(not kernels.cuda.is_available(), reason="no CUDA device, or kernels built without CUDA")
def test_device_mismatch_raises():
    x = kernels.zeros(1, 3, 8, 8, device="cuda")
    with pytest.raises(RuntimeError, match="conv2d: expected all tensors on the same device"):
        F.conv2d(x, _t(4, 3, 3, 3))
