"""layer_norm's CPU row paths at their edges: the AVX2 float32 rows (one-pass statistics in blocks
of 512, the mean split into float hi + lo, the backward centred on the exact row mean with its
dweight / dbias sums per thread flushed every 64 rows) and the portable rows, each against a
float64 NumPy reference; row lengths 1..17 and around the 8-lane vectors and 512-value blocks,
1..3 rows and more than a flush of rows, large-mean inputs, every affine variant and gradient
mask, 1 and 2 threads; backward against torch.autograd and float64 finite differences."""
import numpy as np
import pytest

import kernels
import kernels.functional as F
from kernels import _C
from kernels.backends import cpu
from opcheck import gradcheck, on_fast_and_portable, torch_functional

RNG = np.random.default_rng(2024)
EPS = 1e-5
FAST = "avx2" if cpu.supported_cpu_capability() in ("AVX2", "AVX512") else "default"
LEVELS = sorted({FAST, "default"})

# 1..17 (every tail of the 8-lane vectors, with and without a full vector), around a 32-value
# unrolled step and the 512-value blocks, and the benchmarks' rows (6*28*28 and 256).
ROW_LENGTHS = list(range(1, 18)) + [31, 32, 33, 255, 256, 511, 512, 513, 1031, 4704]
ROW_COUNTS = [1, 2, 3, 130]  # 130: two 64-row flushes and a remainder (one part or two)


def reference(x, w, b, g, eps=EPS):
    """float64 layer_norm over the last dim of x (R, D): y, dx, dweight, dbias."""
    x, g = x.astype(np.float64), g.astype(np.float64)
    w = np.ones(x.shape[1]) if w is None else w.astype(np.float64)
    b = np.zeros(x.shape[1]) if b is None else b.astype(np.float64)
    m = x.mean(1, keepdims=True)
    rs = 1 / np.sqrt(((x - m) ** 2).mean(1, keepdims=True) + eps)
    xh = (x - m) * rs
    dxh = g * w
    dx = rs * (dxh - dxh.mean(1, keepdims=True) - xh * (dxh * xh).mean(1, keepdims=True))
    return xh * w + b, dx, (g * xh).sum(0), g.sum(0), rs


def inputs(R, D, mean=0.0, affine="wb"):
    x = (RNG.standard_normal((R, D)) + mean).astype(np.float32)
    w = RNG.uniform(0.5, 1.5, D).astype(np.float32) if "w" in affine else None
    b = RNG.standard_normal(D).astype(np.float32) if "b" in affine else None
    g = RNG.standard_normal((R, D)).astype(np.float32)
    return x, w, b, g


def T(a):
    return None if a is None else kernels.tensor(a)


def run(x, w, b, g, mask=(True, True, True)):
    """Forward and backward through _C at the current capability level: y, mean, rstd, dx, dw, db
    as NumPy arrays (None where not asked for)."""
    kx, kw = T(x), T(w)
    y, mean, rstd = _C.layer_norm_forward(kx, [x.shape[1]], kw, T(b), EPS)
    mask = [mask[0], mask[1] and w is not None, mask[2] and b is not None]
    grads = _C.layer_norm_backward(T(g), kx, [x.shape[1]], kw, mean, rstd, mask)
    return [y.numpy(), mean.numpy(), rstd.numpy()] + [None if t is None else t.numpy() for t in grads]


def rel(got, want, floor=1.0):
    return float(np.abs(got - want).max() / max(np.abs(want).max(), floor))


def check(out, x, w, b, g, tol):
    y, mean, rstd, dx, dw, db = out
    ry, rdx, rdw, rdb, rs = reference(x, w, b, g)
    assert rel(y, ry) < tol, "y"
    np.testing.assert_allclose(mean, x.astype(np.float64).mean(1), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(rstd, rs[:, 0], rtol=1e-5)
    if dx is not None:
        # For D = 1 the reference dx is 0 and ours the rounding of terms of size rstd |g w|.
        gw = np.abs(g) * (1 if w is None else np.abs(w))
        assert rel(dx, rdx, floor=max(1.0, 0.1 * float((rs * gw).max()))) < tol, "dx"
    if dw is not None:
        assert rel(dw, rdw) < tol, "dweight"
    if db is not None:
        assert rel(db, rdb) < tol, "dbias"


@pytest.mark.parametrize("R", ROW_COUNTS)
@pytest.mark.parametrize("D", ROW_LENGTHS)
def test_fast_rows_match_float64(D, R, threads):
    """The AVX2 rows keep close to float64 precision: their sums are exact about a float shift."""
    x, w, b, g = inputs(R, D)
    with cpu.cpu_capability(FAST):
        check(run(x, w, b, g), x, w, b, g, tol=1e-5)


@pytest.mark.parametrize("D", [1, 2, 3, 7, 8, 9, 17, 256, 513, 4704])
@pytest.mark.parametrize("R", [1, 3, 130])
def test_fast_rows_large_mean(D, R, threads):
    """1e4 + N(0, 1): float's ulp there is 1e-3, yet the AVX2 rows stay within 1e-5 of float64
    (the mean is carried as hi + lo in the forward and re-centred exactly in the backward)."""
    x, w, b, g = inputs(R, D, mean=1e4)
    with cpu.cpu_capability(FAST):
        check(run(x, w, b, g), x, w, b, g, tol=1e-5)


@pytest.mark.parametrize("mean", [0.0, 1e4])
@pytest.mark.parametrize("R", [1, 2, 3, 5])
@pytest.mark.parametrize("D", [16384, 16392, 20001])
def test_fast_long_rows(D, R, mean, threads):
    """Rows longer than 16384 values take the backward one row at a time (each row's mean
    correction summed in the second pass over the row before); shorter ones go in pairs, an odd
    last row on its own."""
    x, w, b, g = inputs(R, D, mean=mean)
    with cpu.cpu_capability(FAST):
        check(run(x, w, b, g), x, w, b, g, tol=1e-5)
        for mask in [(True, False, False), (False, True, True)]:
            part = run(x, w, b, g, mask)
            ref = reference(x, w, b, g)
            if mask[0]:
                assert rel(part[3], ref[1]) < 1e-5
            else:
                assert rel(part[4], ref[2]) < 1e-5 and rel(part[5], ref[3]) < 1e-5


@pytest.mark.parametrize("D", [3, 256, 4704])
def test_portable_rows_large_mean_forward(D):
    """The portable rows centre the forward on the float mean: float-level error at 1e4."""
    x, w, b, g = inputs(16, D, mean=1e4)
    with cpu.cpu_capability("default"):
        y = run(x, w, b, g)[0]
    assert rel(y, reference(x, w, b, g)[0]) < 5e-3


@pytest.mark.parametrize("affine", ["wb", "w", "b", "none"])
@pytest.mark.parametrize("D", [1, 5, 8, 20, 600])
@pytest.mark.parametrize("level", LEVELS)
def test_affine_variants_both_levels(level, D, affine, threads):
    x, w, b, g = inputs(70, D, mean=0.5, affine=affine)
    with cpu.cpu_capability(level):
        check(run(x, w, b, g), x, w, b, g, tol=1e-5 if level == FAST else 2e-4)


@pytest.mark.parametrize("mask", [(True, False, False), (False, True, True), (False, True, False),
                                  (False, False, True), (True, True, False)], ids=str)
@pytest.mark.parametrize("D", [3, 64, 1031])
@pytest.mark.parametrize("level", LEVELS)
def test_gradient_masks(level, D, mask, threads):
    """Only the gradients asked for; each equal to the one computed with all three."""
    x, w, b, g = inputs(67, D, mean=3.0)
    with cpu.cpu_capability(level):
        full = run(x, w, b, g)
        part = run(x, w, b, g, mask)
    for k, want in enumerate(mask):
        if want:
            np.testing.assert_allclose(part[3 + k], full[3 + k], rtol=1e-6, atol=1e-6)
        else:
            assert part[3 + k] is None


@pytest.mark.parametrize("D", [4, 13, 300])
def test_fast_and_portable_agree(D):
    x, w, b, g = inputs(5, D)
    fast, portable = on_fast_and_portable(lambda: run(x, w, b, g))
    for f, p in zip(fast, portable):
        np.testing.assert_allclose(f, p, rtol=2e-4, atol=2e-4)


def test_float64_is_the_same_at_both_levels():
    """float64 always runs the portable rows: bit for bit the same at either capability level."""
    x = RNG.standard_normal((9, 37))
    w, b, g = RNG.standard_normal(37), RNG.standard_normal(37), RNG.standard_normal((9, 37))

    def go():
        kx, kw = kernels.tensor(x), kernels.tensor(w)
        y, m, r = _C.layer_norm_forward(kx, [37], kw, kernels.tensor(b), EPS)
        return [y.numpy()] + [t.numpy() for t in _C.layer_norm_backward(kernels.tensor(g), kx, [37], kw, m, r,
                                                                         [True, True, True])]

    for f, p in zip(*on_fast_and_portable(go)):
        np.testing.assert_array_equal(f, p)


@pytest.mark.parametrize("shape,ns", [((2, 3, 5), (5,)), ((3, 2, 9), (2, 9)), ((4, 17), (17,))], ids=str)
@pytest.mark.parametrize("level", LEVELS)
def test_backward_matches_torch_and_finite_differences(level, shape, ns):
    """Through the autograd Function: float32 against torch.autograd at each level, and float64
    against central finite differences."""
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal(shape) * 2 + 1
    w, b = RNG.uniform(0.5, 1.5, ns), RNG.standard_normal(ns)
    up = RNG.standard_normal(shape)
    with cpu.cpu_capability(level):
        ks = [kernels.tensor(a, dtype=kernels.float32, requires_grad=True) for a in (x, w, b)]
        F.layer_norm(ks[0], ns, ks[1], ks[2]).backward(kernels.tensor(up, dtype=kernels.float32))
        gradcheck(lambda x, w, b: F.layer_norm(x, ns, w, b), [x, w, b], atol=1e-6, rtol=1e-5)
    ts = [torch.tensor(a, dtype=torch.float32, requires_grad=True) for a in (x, w, b)]
    torch_functional.layer_norm(ts[0], ns, ts[1], ts[2]).backward(torch.tensor(up, dtype=torch.float32))
    for k, t in zip(ks, ts):
        np.testing.assert_allclose(k.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("level", LEVELS)
def test_strided_input_and_empty_batch(level):
    """A transposed (non-contiguous) input normalises as its contiguous copy; an empty batch gives
    zero weight and bias gradients."""
    a = RNG.standard_normal((12, 9)).astype(np.float32)
    w, b = RNG.uniform(0.5, 1.5, 12).astype(np.float32), RNG.standard_normal(12).astype(np.float32)
    with cpu.cpu_capability(level):
        y = F.layer_norm(kernels.tensor(a).t(), (12,), T(w), T(b))
        want = F.layer_norm(kernels.tensor(np.ascontiguousarray(a.T)), (12,), T(w), T(b))
        np.testing.assert_array_equal(y.numpy(), want.numpy())
        x0 = kernels.zeros((0, 12), requires_grad=True)
        kw, kb = kernels.tensor(w, requires_grad=True), kernels.tensor(b, requires_grad=True)
        F.layer_norm(x0, (12,), kw, kb).sum().backward()
    np.testing.assert_array_equal(kw.grad.numpy(), np.zeros(12, np.float32))
    np.testing.assert_array_equal(kb.grad.numpy(), np.zeros(12, np.float32))
