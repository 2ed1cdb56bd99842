"""conv2d's direct float32 kernels for few output channels (csrc/cpu/conv2d_small_avx2.cpp: stride 1,
no dilation, one group, O a multiple of 8 up to 32): forward, weight and input gradients against
torch and a float64 reference at their edges (channels not a multiple of the 6-row dx tile, 8 or
16 output lanes, rows shorter than, equal to and longer than a tile, odd sizes, asymmetric
padding, padding wider than the kernel, batch 1), the same bits with 1 and 2 threads, and the
portable path (KERNELS_GEMM_PORTABLE=1, in a child process) giving the same numbers.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import kernels
import kernels.functional as F

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")


@pytest.fixture(autouse=True, scope="module")
def _torch_one_thread():
    prev = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(prev)


# N, C, H, W, O, (kH, kW), padding
CASES = [
    (16, 6, 14, 14, 16, (5, 5), 0),  # LeNet c3, threaded
    (1, 6, 14, 14, 16, (5, 5), 0),  # batch 1
    (3, 1, 9, 7, 8, (3, 3), 1),  # one input channel, 8 lanes, W < 8
    (2, 7, 13, 17, 24, (3, 3), 2),  # 16 + 8 lanes, W > 16, padding 2
    (2, 13, 8, 19, 32, (1, 4), (0, 3)),  # two 16-lane blocks, 1-row kernel, C % 6 == 1
    (4, 3, 6, 20, 8, (4, 4), 3),  # padding as wide as the kernel allows
    (3, 5, 5, 5, 16, (5, 5), (4, 4)),  # padding wider than the output's reach: zero dx rows
    (2, 2, 1, 1, 8, (1, 1), 0),  # 1x1 on 1x1
    (5, 12, 11, 9, 16, (2, 3), "same"),  # even kernel: asymmetric 'same'
    (9, 4, 16, 16, 8, (3, 3), 1),  # 3x3 'ResNet-like', threaded
    (2, 6, 31, 33, 16, (7, 7), 3),  # long rows, several dx column blocks
]


def _ids(c):
    return "N{}C{}_{}x{}_O{}_k{}x{}_p{}".format(c[0], c[1], c[2], c[3], c[4], *c[5], c[6]).replace(" ", "")


def _data(c, seed=0):
    N, C, H, W, O, k, _ = c
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W)).astype(np.float32)
    w = (rng.standard_normal((O, C) + k) / np.sqrt(C * k[0] * k[1])).astype(np.float32)
    b = rng.standard_normal(O).astype(np.float32)
    return x, w, b


def _ours(c, x, w, b, gy=None, need_x=True):
    kx = kernels.tensor(x, requires_grad=need_x)
    kw = kernels.tensor(w, requires_grad=True)
    kb = kernels.tensor(b, requires_grad=True)
    y = F.conv2d(kx, kw, kb, padding=c[6])
    if gy is None:
        return y.detach().numpy(), None
    y.backward(kernels.tensor(gy))
    grads = [kx.grad.numpy() if need_x else None, kw.grad.numpy(), kb.grad.numpy()]
    return y.detach().numpy(), grads


@pytest.mark.parametrize("c", CASES, ids=_ids)
def test_small_conv_matches_torch(c):
    x, w, b = _data(c)
    tx, tw, tb = (torch.tensor(a.astype(np.float64), requires_grad=True) for a in (x, w, b))
    ty = torch.nn.functional.conv2d(tx, tw, tb, padding=c[6])
    gy = np.random.default_rng(1).standard_normal(tuple(ty.shape)).astype(np.float32)
    ty.backward(torch.tensor(gy.astype(np.float64)))
    y, (dx, dw, db) = _ours(c, x, w, b, gy)
    for got, want in ((y, ty), (dx, tx.grad), (dw, tw.grad), (db, tb.grad)):
        want = want.detach().numpy()
        scale = max(1.0, float(np.abs(want).max()))
        np.testing.assert_allclose(got, want, rtol=0, atol=2e-5 * scale)


@pytest.mark.parametrize("c", [CASES[0], CASES[3], CASES[9]], ids=_ids)
def test_small_conv_weight_grad_only_and_input_grad_only(c):
    """The first layer of a network needs no dx; a frozen layer no dW."""
    x, w, b = _data(c)
    tx, tw, tb = (torch.tensor(a.astype(np.float64)) for a in (x, w, b))
    gy = np.random.default_rng(2).standard_normal(
        tuple(torch.nn.functional.conv2d(tx, tw, tb, padding=c[6]).shape)).astype(np.float32)
    _, (dx0, dw0, db0) = _ours(c, x, w, b, gy, need_x=True)
    _, (_, dw1, db1) = _ours(c, x, w, b, gy, need_x=False)
    np.testing.assert_array_equal(dw1, dw0)
    np.testing.assert_array_equal(db1, db0)
    kx = kernels.tensor(x, requires_grad=True)
    F.conv2d(kx, kernels.tensor(w), kernels.tensor(b), padding=c[6]).backward(kernels.tensor(gy))
    np.testing.assert_array_equal(kx.grad.numpy(), dx0)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("c", [CASES[0], CASES[9], CASES[10]], ids=_ids)
def test_small_conv_same_bits_for_any_thread_count(c, threads):
    x, w, b = _data(c)
    gy = None
    ref = None
    prev = kernels.get_num_threads()
    try:
        kernels.set_num_threads(3)
        y, _ = _ours(c, x, w, b)
        gy = np.random.default_rng(3).standard_normal(y.shape).astype(np.float32)
        ref = _ours(c, x, w, b, gy)
        kernels.set_num_threads(threads)
        got = _ours(c, x, w, b, gy)
    finally:
        kernels.set_num_threads(prev)
    np.testing.assert_array_equal(got[0], ref[0])
    for g, r in zip(got[1], ref[1]):
        np.testing.assert_array_equal(g, r)


_PORTABLE_SCRIPT = """
import json, sys
import numpy as np
import kernels, kernels.functional as F
c = json.loads(sys.argv[1])
rng = np.random.default_rng(0)
x = rng.standard_normal((c[0], c[1], c[2], c[3])).astype(np.float32)
w = rng.standard_normal((c[4], c[1], c[5][0], c[5][1])).astype(np.float32)
b = rng.standard_normal(c[4]).astype(np.float32)
kx, kw, kb = (kernels.tensor(a, requires_grad=True) for a in (x, w, b))
y = F.conv2d(kx, kw, kb, padding=c[6])
y.backward(kernels.tensor(np.ones(y.shape, np.float32)))
np.save(sys.argv[2], np.concatenate([a.ravel() for a in (y.detach().numpy(), kx.grad.numpy(),
                                                       kw.grad.numpy(), kb.grad.numpy())]))
"""


def test_small_conv_matches_the_portable_path(tmp_path):
    """KERNELS_GEMM_PORTABLE=1 is read once per process: run both in children."""
    c = list(CASES[3])
    out = {}
    for name, portable in (("avx2", False), ("portable", True)):
        env = dict(os.environ)
        env.pop("KERNELS_GEMM_PORTABLE", None)
        if portable:
            env["KERNELS_GEMM_PORTABLE"] = "1"
        path = tmp_path / f"{name}.npy"
        r = subprocess.run([sys.executable, "-c", _PORTABLE_SCRIPT, json.dumps(c), str(path)], env=env,
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        out[name] = np.load(path)
    scale = max(1.0, float(np.abs(out["portable"]).max()))
    np.testing.assert_allclose(out["avx2"], out["portable"], rtol=0, atol=1e-5 * scale)
