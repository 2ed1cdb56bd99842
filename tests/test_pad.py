"""pad (constant with any value and cropping, reflect, replicate, circular; 1-3 padded dims):
forward against NumPy float64 (np.pad) and torch, backward against float64 finite differences
and torch.autograd (reflect/replicate/circular gradients accumulate at the edges), CPU against
CUDA, the padding modules against torch's, and bad inputs."""
import numpy as np
import pytest

import kernels
import kernels.functional as F
import kernels.nn as nn
from opcheck import check_cuda_vs_cpu, check_gradients, check_torch, raises_with, torch_functional

torch_pad = torch_functional.pad

_NP_MODE = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _np(t):
    return np.asarray(t.detach().cpu().numpy())


def np_pad(x, pad, mode, value=0.0):
    """np.pad for non-negative pads; negative 'constant' pads crop first (as torch)."""
    widths = [(0, 0)] * x.ndim
    for j in range(len(pad) // 2):
        widths[x.ndim - 1 - j] = (pad[2 * j], pad[2 * j + 1])
    crop = tuple(slice(max(-a, 0), x.shape[d] - max(-b, 0)) for d, (a, b) in enumerate(widths))
    x = x[crop]
    widths = [(max(a, 0), max(b, 0)) for a, b in widths]
    kw = {"constant_values": value} if mode == "constant" else {}
    return np.pad(x, widths, mode=_NP_MODE[mode], **kw)


def _table(seed, n):
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < n:
        mode = ["constant", "reflect", "replicate", "circular"][len(cases) % 4]
        k = int(rng.integers(1, 4))  # padded dims
        extra = int(rng.integers(1, 3))  # 1: unbatched, 2: batched
        lead = [(3,), (1, 2), (7, 2)][rng.integers(3)][-extra:]
        spatial = tuple(int(rng.choice([1, 2, 3, 5, 7])) for _ in range(k))
        shape = lead + spatial
        pad = []
        for j in range(k):
            n_ = spatial[k - 1 - j]
            lo = {"constant": -(n_ // 2), "reflect": 0, "replicate": 0, "circular": 0}[mode]
            hi = {"constant": 4, "reflect": n_ - 1, "replicate": 4, "circular": n_}[mode]
            pad += [int(rng.integers(lo, hi + 1)), int(rng.integers(lo, hi + 1))]
        kw = {"mode": mode}
        if mode == "constant" and rng.integers(2):
            kw["value"] = float(rng.choice([1.5, -2.0, 0.0]))
        cases.append((shape, tuple(pad), kw))
    return cases


CASES = _table(1, 36) + [
    ((2, 3, 5, 7), (1, 2, 3, 0), {"mode": "reflect"}),
    ((2, 3, 5, 7), (4, 6, 4, 4), {"mode": "reflect"}),  # the largest reflect pads
    ((2, 3, 5, 7), (7, 2, 5, 1), {"mode": "circular"}),  # circular pad == size
    ((2, 3, 4, 4), (9, 1, 0, 8), {"mode": "replicate"}),
    ((2, 3, 4, 5), (1, 1), {"mode": "constant", "value": 7.0}),
    ((5,), (2, 3), {"mode": "constant"}),
    ((2, 3, 4, 5), (1, 1, 1, 1, 1, 1, 1, 1), {"mode": "constant", "value": -1.0}),  # all four dims
    ((2, 3, 4, 5), (-2, -3, 1, -1), {"mode": "constant"}),  # crop
    ((2, 3, 4, 5), (-5, 0), {"mode": "constant"}),  # crop to an empty last dim
    ((1, 2, 3, 3), (0, 0, 0, 0), {"mode": "reflect"}),
]
# Negative pads of the other modes (torch crops, then pads); compared with torch only.
NEG_CASES = [
    ((2, 3, 6), (-1, 2), {"mode": "reflect"}), ((2, 3, 6), (3, -2), {"mode": "reflect"}),
    ((2, 3, 6), (-6, 2), {"mode": "reflect"}), ((2, 3, 5, 6), (-2, 1, 2, -3), {"mode": "replicate"}),
    ((2, 3, 6), (-1, 2), {"mode": "circular"}), ((2, 3, 6), (4, -2), {"mode": "circular"}),
    ((1, 2, 4, 6), (-2, 3, 2, -1), {"mode": "circular"}),
]


def _ids(cases):
    return [f"{s}-{p}-" + ",".join(f"{k}={v}" for k, v in kw.items()) for s, p, kw in cases]


@pytest.mark.parametrize("shape,pad,kw", CASES, ids=_ids(CASES))
def test_pad_forward(shape, pad, kw):
    x = np.random.default_rng(2).standard_normal(shape)
    want = np_pad(x, pad, kw["mode"], kw.get("value", 0.0))
    out = F.pad(kernels.tensor(x), pad, **kw)
    np.testing.assert_array_equal(_np(out), want)
    out32 = F.pad(kernels.tensor(x, dtype=kernels.float32), pad, **kw)
    np.testing.assert_array_equal(_np(out32), want.astype(np.float32))
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(torch.nn.functional.pad(torch.tensor(x), pad, **kw).numpy(), want)


@pytest.mark.parametrize("shape,pad,kw", CASES + NEG_CASES, ids=_ids(CASES + NEG_CASES))
def test_pad_backward(shape, pad, kw):
    x = np.random.default_rng(3).standard_normal(shape)
    check_gradients(lambda t: F.pad(t, pad, **kw), lambda t: torch_pad(t, pad, **kw), [x], fd_max=120,
                    tol32=(1e-6, 1e-6))


@pytest.mark.parametrize("shape,pad,kw", CASES[::3] + NEG_CASES[::2], ids=_ids(CASES[::3] + NEG_CASES[::2]))
def test_pad_cuda_vs_cpu(shape, pad, kw):
    check_cuda_vs_cpu(lambda t: F.pad(t, pad, **kw), [np.random.default_rng(4).standard_normal(shape)])


def test_reflect_and_replicate_gradients_accumulate_at_the_edges():
    x = kernels.tensor(np.zeros((1, 1, 3)), requires_grad=True)
    F.pad(x, (2, 2), mode="replicate").sum().backward()
    np.testing.assert_array_equal(_np(x.grad), [[[3.0, 1.0, 3.0]]])
    x.grad = None
    F.pad(x, (2, 2), mode="reflect").sum().backward()  # [2 1 | 0 1 2 | 1 0]
    np.testing.assert_array_equal(_np(x.grad), [[[2.0, 3.0, 2.0]]])


def test_nan_and_inf_values(torch):
    x = np.random.default_rng(5).standard_normal((2, 3, 4))
    for v in (np.nan, np.inf, -np.inf):
        out = _np(F.pad(kernels.tensor(x), (1, 2), value=v))
        np.testing.assert_array_equal(out, torch.nn.functional.pad(torch.tensor(x), (1, 2), value=v).numpy())


def test_zero_batch_and_empty_input():
    x = kernels.tensor(np.zeros((0, 2, 4)), requires_grad=True)
    out = F.pad(x, (1, 1), mode="reflect")
    assert tuple(out.shape) == (0, 2, 6)
    out.sum().backward()
    assert tuple(x.grad.shape) == (0, 2, 4)
    # constant padding of an empty dim gives a constant tensor
    out = _np(F.pad(kernels.tensor(np.zeros((2, 0))), (1, 2), value=3.0))
    np.testing.assert_array_equal(out, np.full((2, 3), 3.0))


# ------------------------------------------------------------------------------ modules

MODULES = [
    ("ZeroPad1d", (2,)), ("ZeroPad2d", ((1, 2, 0, 3),)), ("ZeroPad3d", (1,)), ("ConstantPad1d", ((1, 3), 2.5)),
    ("ConstantPad2d", (2, -1.0)), ("ConstantPad3d", ((1, 0, 0, 1, 2, 0), 0.5)), ("ReflectionPad1d", (2,)),
    ("ReflectionPad2d", ((1, 2, 3, 0),)), ("ReflectionPad3d", (1,)), ("ReplicationPad1d", ((3, 1),)),
    ("ReplicationPad2d", (2,)), ("ReplicationPad3d", ((1, 0, 2, 1, 0, 1),)), ("CircularPad1d", (2,)),
    ("CircularPad2d", ((1, 2, 2, 1),)), ("CircularPad3d", (1,)),
]


@pytest.mark.parametrize("name,args", MODULES, ids=[m[0] for m in MODULES])
def test_modules_match_torch(name, args, torch):
    ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs)
    assert ours.padding == theirs.padding
    dims = int(name[-2])
    shape = (2, 3) + (4, 5, 6)[:dims]
    check_torch(lambda t: ours(t), lambda t: theirs(t), [np.random.default_rng(6).standard_normal(shape)])


# ------------------------------------------------------------------------------ bad inputs

X3 = kernels.tensor(np.zeros((2, 3, 5)))
X4 = kernels.tensor(np.zeros((2, 3, 4, 5)))

BAD = [
    ("odd length", lambda: F.pad(X4, (1, 2, 3)), ValueError, "pad: padding length must be even"),
    ("too long", lambda: F.pad(X4, (1,) * 10), ValueError, "padding length 10 is too long for input (2,3,4,5)"),
    ("crop too far", lambda: F.pad(X4, (-6, 0)), ValueError, "padding (-6, 0) of dim 3 crops 6 elements from a dim of size 5"),
    ("reflect too big", lambda: F.pad(X3, (5, 0), mode="reflect"), ValueError,
     "reflect padding (5, 0) of dim 2 must be smaller than that dim's size 5"),
    ("reflect too big H", lambda: F.pad(X4, (1, 1, 0, 4), mode="reflect"), ValueError,
     "reflect padding (0, 4) of dim 2 must be smaller than that dim's size 4"),
    ("reflect wrong rank", lambda: F.pad(X4, (1, 1), mode="reflect"), ValueError,
     "mode 'reflect' pads the last 1, 2 or 3 dims"),
    ("replicate 1-D input", lambda: F.pad(kernels.tensor(np.zeros(5)), (1, 1), mode="replicate"), ValueError,
     "got padding length 2 for input (5,)"),
    ("replicate 8 pads", lambda: F.pad(X4, (1,) * 8, mode="replicate"), ValueError, "mode 'replicate' pads the last"),
    ("circular wraps twice", lambda: F.pad(X3, (6, 2), mode="circular"), ValueError, "wraps around more than once"),
    ("replicate nothing left", lambda: F.pad(X3, (-4, -1), mode="replicate"), ValueError, "leaves no elements"),
    ("zero-sized dim", lambda: F.pad(kernels.tensor(np.zeros((1, 0, 4))), (1, 1), mode="reflect"), ValueError,
     "needs non-zero sizes"),
    ("bad mode", lambda: F.pad(X4, (1, 1), mode="foo"), ValueError,
     "pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', got 'foo'"),
    ("value with reflect", lambda: F.pad(X3, (1, 1), mode="reflect", value=1.0), ValueError,
     "mode 'reflect' does not take a value"),
    ("float pad", lambda: F.pad(X4, (1.0, 1)), TypeError, "pad must be a tuple of ints"),
    ("int input", lambda: F.pad(kernels.tensor(np.zeros((2, 2), dtype=np.int64)), (1, 1)), TypeError,
     "pad: expected a float32 or float64 tensor"),
    ("grad shape", lambda: kernels._C.pad_backward(X4, [2, 3, 4, 5], [1, 1], "constant"), ValueError,
     "pad_backward: grad must have the output's shape (2,3,4,7), got (2,3,4,5)"),
]


@pytest.mark.parametrize("name,call,exc,msg", BAD, ids=[b[0] for b in BAD])
def test_bad_inputs(name, call, exc, msg):
    raises_with(exc, msg, call)
