"""conv2d's direct float32 kernels: for few output channels (csrc/cpu/conv2d_small_avx2.cpp: stride 1,
no dilation, one group, 6 to 32 output channels) and for many channels (conv2d_direct_avx2.cpp:
forward and dx, >= 16 channels each way). Forward, weight and input gradients against torch in
float64 at their edges (channels not a multiple of the 6-row tiles, 6 to 31 output lanes, rows
shorter than, equal to and longer than a tile, odd sizes, asymmetric padding, padding wider than
the kernel, several tap blocks, batch 1), conv_transpose2d through them, the same bits with 1 and
2 threads, and the portable path (the DEFAULT capability level) giving the same numbers.
"""
import numpy as np
import pytest

import kernels
import kernels.functional as F
from kernels.testing.cases import conv2d
from opcheck import on_fast_and_portable

pytestmark = [pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning"),
              pytest.mark.usefixtures("torch_one_thread")]


def _layer(name, batch):
    """A layer of the networks' table (kernels.testing.cases.CONV2D) as a case, at `batch`."""
    c = conv2d(name)
    return (batch, c.in_channels, c.height, c.width, c.out_channels, (c.kernel_size,) * 2, c.padding)


# N, C, H, W, O, (kH, kW), padding
CASES = [
    _layer("lenet.c3", 16),  # threaded
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
    _layer("lenet.c1", 16),  # 6 channels in 8 lanes
    (3, 2, 7, 12, 13, (3, 2), 1),  # 13 channels in 16 lanes
    (2, 3, 5, 9, 31, (2, 2), 0),  # 16 + 15 lanes
    # the direct kernel (conv2d_direct_avx2.cpp: >= 16 channels each way, more than 32 out or a
    # long reduction): forward and dx
    _layer("resnet.3x3", 4),  # threaded
    (1, 16, 9, 13, 41, (3, 3), 1),  # batch 1, 6-row tiles with a partial one, 16-lane partial
    (3, 20, 11, 12, 36, (2, 3), (0, 2)),  # 12 -> 14 columns, asymmetric padding
    (2, 17, 12, 24, 40, (5, 5), 4),  # K > 128 (several tap blocks), padding 4, partial lanes
    (2, 32, 12, 12, 33, (1, 1), 0),  # 1x1, O % 8 != 0 (dW on the packed path)
    (2, 16, 10, 30, 48, (3, 1), (1, 0)),  # 3x1 kernel, two column tiles
    (2, 24, 9, 13, 40, (4, 4), "same"),  # even kernel: asymmetric 'same'
    _layer("lenet.c5", 16),  # 5x5 on 5x5: one output position, 120 channels
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
def test_small_conv_matches_torch(c, torch):
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


@pytest.mark.parametrize("c", [CASES[0], CASES[3], CASES[9], CASES[14], CASES[17]], ids=_ids)
def test_small_conv_weight_grad_only_and_input_grad_only(c):
    """The first layer of a network needs no dx; a frozen layer no dW."""
    x, w, b = _data(c)
    gy = np.random.default_rng(2).standard_normal(_ours(c, x, w, b)[0].shape).astype(np.float32)
    _, (dx0, dw0, db0) = _ours(c, x, w, b, gy, need_x=True)
    _, (_, dw1, db1) = _ours(c, x, w, b, gy, need_x=False)
    np.testing.assert_array_equal(dw1, dw0)
    np.testing.assert_array_equal(db1, db0)
    kx = kernels.tensor(x, requires_grad=True)
    F.conv2d(kx, kernels.tensor(w), kernels.tensor(b), padding=c[6]).backward(kernels.tensor(gy))
    np.testing.assert_array_equal(kx.grad.numpy(), dx0)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("c", [CASES[0], CASES[9], CASES[10], CASES[11], CASES[14]], ids=_ids)
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


@pytest.mark.parametrize("c", [CASES[14], CASES[15], CASES[17]], ids=_ids)
def test_conv_transpose2d_through_the_direct_kernels(c, torch):
    """conv_transpose2d's forward is conv2d's dx and its input-gradient a conv2d forward."""
    N, C, H, W, O, k, pad = c
    x, w, _ = _data(c)
    rng = np.random.default_rng(4)
    inp = rng.standard_normal((N, O, H + 2 * pad - k[0] + 1, W + 2 * pad - k[1] + 1)).astype(np.float32)
    ti, tw = torch.tensor(inp.astype(np.float64), requires_grad=True), torch.tensor(w.astype(np.float64), requires_grad=True)
    # conv_transpose2d weight is (C_in, C_out, kH, kW) = conv's (O, C, kH, kW)
    ty = torch.nn.functional.conv_transpose2d(ti, tw, padding=pad)
    gy = rng.standard_normal(tuple(ty.shape)).astype(np.float32)
    ty.backward(torch.tensor(gy.astype(np.float64)))
    ki, kw = kernels.tensor(inp, requires_grad=True), kernels.tensor(w, requires_grad=True)
    ky = F.conv_transpose2d(ki, kw, padding=pad)
    ky.backward(kernels.tensor(gy))
    for got, want in ((ky.detach().numpy(), ty), (ki.grad.numpy(), ti.grad), (kw.grad.numpy(), tw.grad)):
        want = want.detach().numpy()
        np.testing.assert_allclose(got, want, rtol=0, atol=2e-5 * max(1.0, float(np.abs(want).max())))


def _conv_outputs_and_grads(c):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((c[0], c[1], c[2], c[3])).astype(np.float32)
    w = rng.standard_normal((c[4], c[1], c[5][0], c[5][1])).astype(np.float32)
    b = rng.standard_normal(c[4]).astype(np.float32)
    kx, kw, kb = (kernels.tensor(a, requires_grad=True) for a in (x, w, b))
    y = F.conv2d(kx, kw, kb, padding=c[6])
    y.backward(kernels.tensor(np.ones(y.shape, np.float32)))
    return np.concatenate([a.ravel() for a in (y.detach().numpy(), kx.grad.numpy(),
                                               kw.grad.numpy(), kb.grad.numpy())])


@pytest.mark.parametrize("c", [CASES[3], CASES[17]], ids=_ids)
def test_small_conv_matches_the_portable_path(c):
    """The DEFAULT capability level runs the GEMM paths instead of the direct AVX2 kernels."""
    fast, portable = on_fast_and_portable(lambda: _conv_outputs_and_grads(c))
    out = {"avx2": fast, "portable": portable}
    scale = max(1.0, float(np.abs(out["portable"]).max()))
    np.testing.assert_allclose(out["avx2"], out["portable"], rtol=0, atol=1e-5 * scale)
