"""matmul / linear: forward and backward against NumPy, finite differences and torch; the
portable GEMM path; CPU against CUDA; bad inputs."""
import math

import numpy as np
import pytest

import kernels
from kernels.backends import cpu as cpu_backend
import opcheck
from kernels import _C, nn
from kernels.autograd import Context, no_grad
from kernels.ops import matmul as mmops
from nn_models import to_torch, torch_or_skip

RNG = np.random.default_rng(1234)
HAS_CUDA = _C.cuda_device_count() > 0


def T(x):
    return _C.from_numpy(np.array(x, order="C"))  # a copy; keeps 0-d arrays 0-d


def randn(shape, dtype=np.float64):
    return np.asarray(RNG.standard_normal(shape)).astype(dtype)


def inner_k(sa, sb):
    return sa[-1]


def tol(dtype, k):
    # Error of a length-k sum of O(1) products grows ~ eps * k at worst.
    if dtype == np.float32:
        return dict(rtol=1e-5, atol=2e-6 * (k + 1))
    return dict(rtol=1e-12, atol=1e-13 * (k + 1))


# (a shape, b shape): vectors, plain, tile edges, folding, broadcasting, empty and size-1 dims.
MATMUL_CASES = [
    ((5,), (5,)),
    ((3, 4), (4, 5)),
    ((4,), (4, 6)),
    ((3, 4), (4,)),
    ((2, 3, 4), (4,)),
    ((4,), (2, 4, 3)),
    ((2, 3, 4), (4, 5)),
    ((4, 5), (2, 5, 3)),
    ((2, 3, 4), (2, 4, 5)),
    ((2, 1, 5, 3), (4, 3, 2)),
    ((3, 1, 2, 3), (1, 4, 3, 2)),
    ((1, 1), (1, 1)),
    ((7, 1, 13, 33), (5, 33, 17)),
    ((1, 3, 4), (1, 4, 2)),
    ((0, 3), (3, 4)),
    ((3, 0), (0, 4)),
    ((3, 4), (4, 0)),
    ((0,), (0,)),
    ((2, 0, 3), (3, 4)),
    ((0, 2, 3), (1, 3, 4)),
    ((2, 3, 0), (1, 0, 4)),
    ((1023, 257), (257, 513)),
    ((2, 70, 40), (40, 50)),
    ((3, 2, 19, 45), (2, 45, 37)),
    ((1, 300), (300, 700)),
    ((700, 300), (300,)),
    ((300,), (300, 700)),
    ((3, 1, 300), (300, 2)),
    ((10, 500), (500, 1000)),
    ((20, 30), (30, 4200)),
]
SMALL = [c for c in MATMUL_CASES if np.prod(c[0]) * np.prod(c[1]) < 5000]
IDS = [f"{a}@{b}" for a, b in MATMUL_CASES]
SMALL_IDS = [f"{a}@{b}" for a, b in SMALL]


def ref_matmul(a, b):
    return np.matmul(a.astype(np.float64), b.astype(np.float64))


def ref_matmul_grads(g, a, b):
    """da, db by the textbook formulas, broadcast dims summed back (float64)."""
    a64, b64, g64 = (x.astype(np.float64) for x in (a, b, g))
    A = a64[None, :] if a.ndim == 1 else a64
    B = b64[:, None] if b.ndim == 1 else b64
    G = g64
    if b.ndim == 1:
        G = G[..., None]
    if a.ndim == 1:
        G = np.expand_dims(G, -2)
    dA = G @ np.swapaxes(B, -1, -2)
    dB = np.swapaxes(A, -1, -2) @ G

    def reduce_to(x, shape):
        while x.ndim > len(shape):
            x = x.sum(0)
        for d, s in enumerate(shape):
            if s == 1 and x.shape[d] != 1:
                x = x.sum(d, keepdims=True)
        return x

    dA = reduce_to(dA, A.shape).reshape(a.shape)
    dB = reduce_to(dB, B.shape).reshape(b.shape)
    return dA, dB


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sa,sb", MATMUL_CASES, ids=IDS)
def test_matmul_forward_numpy(sa, sb, dtype):
    a, b = randn(sa, dtype), randn(sb, dtype)
    out = _C.matmul_forward(T(a), T(b)).numpy()
    ref = ref_matmul(a, b)
    assert out.shape == ref.shape
    assert out.dtype == dtype
    np.testing.assert_allclose(out, ref, **tol(dtype, inner_k(sa, sb)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sa,sb", MATMUL_CASES, ids=IDS)
def test_matmul_backward_numpy(sa, sb, dtype):
    a, b = randn(sa, dtype), randn(sb, dtype)
    out_shape = ref_matmul(a, b).shape
    g = randn(out_shape, dtype)
    da, db = _C.matmul_backward(T(g), T(a), T(b))
    rda, rdb = ref_matmul_grads(g, a, b)
    assert da.shape == a.shape and db.shape == b.shape
    # terms summed per gradient element: N times the broadcast batches for da, M times them for db
    n_out, k = int(np.prod(out_shape)), sa[-1]
    n_sum = n_out * k // max(1, a.size)
    m_sum = n_out * k // max(1, b.size)
    np.testing.assert_allclose(da.numpy(), rda, **tol(dtype, n_sum))
    np.testing.assert_allclose(db.numpy(), rdb, **tol(dtype, m_sum))


def numeric_grad(f, x, eps=1e-6):
    g = np.zeros_like(x)
    flat, gf = x.reshape(-1), g.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        hi = f()
        flat[i] = old - eps
        lo = f()
        flat[i] = old
        gf[i] = (hi - lo) / (2 * eps)
    return g


@pytest.mark.parametrize("sa,sb", SMALL, ids=SMALL_IDS)
def test_matmul_gradcheck_float64(sa, sb):
    a, b = randn(sa), randn(sb)
    g = randn(ref_matmul(a, b).shape)

    def loss():
        return float((_C.matmul_forward(T(a), T(b)).numpy() * g).sum())

    da, db = _C.matmul_backward(T(g), T(a), T(b))
    np.testing.assert_allclose(da.numpy(), numeric_grad(loss, a), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(db.numpy(), numeric_grad(loss, b), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("sa,sb", MATMUL_CASES, ids=IDS)
def test_matmul_vs_torch(sa, sb, dtype):
    torch = pytest.importorskip("torch")
    npdt = getattr(np, dtype)
    a, b = randn(sa, npdt), randn(sb, npdt)
    ta = torch.from_numpy(a.copy()).requires_grad_()
    tb = torch.from_numpy(b.copy()).requires_grad_()
    tout = torch.matmul(ta, tb)
    g = randn(tuple(tout.shape), npdt)
    tout.backward(torch.from_numpy(g.copy()))
    out = _C.matmul_forward(T(a), T(b))
    da, db = _C.matmul_backward(T(g), T(a), T(b))
    k = sa[-1]
    t = tol(npdt, max(k, 64))
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), **t)
    big = tol(npdt, max(int(np.prod(tout.shape)), 64))
    np.testing.assert_allclose(da.numpy(), ta.grad.numpy(), **big)
    np.testing.assert_allclose(db.numpy(), tb.grad.numpy(), **big)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "sa,sb", [((1023, 257), (257, 513)), ((2, 1, 5, 3), (4, 3, 2)), ((3, 70, 40), (40, 50)), ((5, 9), (9, 200))]
)
def test_portable_gemm_path(sa, sb, dtype):
    """The baseline (non-AVX2) micro-kernel gives the same numbers."""
    a, b = randn(sa, dtype), randn(sb, dtype)
    g = randn(ref_matmul(a, b).shape, dtype)
    fast = _C.matmul_forward(T(a), T(b)).numpy()
    fda, fdb = _C.matmul_backward(T(g), T(a), T(b))
    prev = cpu_backend.set_cpu_capability("default")
    try:
        slow = _C.matmul_forward(T(a), T(b)).numpy()
        sda, sdb = _C.matmul_backward(T(g), T(a), T(b))
    finally:
        cpu_backend.set_cpu_capability(prev)
    np.testing.assert_allclose(slow, ref_matmul(a, b), **tol(dtype, sa[-1]))
    np.testing.assert_allclose(slow, fast, **tol(dtype, sa[-1]))
    t = tol(dtype, max(sa[-2], sb[-1]) * 8)
    np.testing.assert_allclose(sda.numpy(), fda.numpy(), **t)
    np.testing.assert_allclose(sdb.numpy(), fdb.numpy(), **t)


def test_k_zero_gives_zeros():
    out = _C.matmul_forward(T(np.zeros((3, 0))), T(np.zeros((0, 4)))).numpy()
    assert out.shape == (3, 4) and not out.any()
    # b broadcast over an empty batch: db sums nothing
    da, db = _C.matmul_backward(T(np.zeros((0, 2, 4))), T(randn((0, 2, 3))), T(randn((1, 3, 4))))
    assert da.shape == (0, 2, 3) and db.shape == (1, 3, 4) and not db.numpy().any()


def test_matmul_output_mask():
    a, b = randn((3, 4)), randn((4, 5))
    g = randn((3, 5))
    da, db = _C.matmul_backward(T(g), T(a), T(b), [False, True])
    assert da is None
    np.testing.assert_allclose(db.numpy(), a.T @ g, rtol=1e-12)
    da, db = _C.matmul_backward(T(g), T(a), T(b), [True, False])
    assert db is None
    np.testing.assert_allclose(da.numpy(), g @ b.T, rtol=1e-12)


def test_dot_is_zero_dim():
    a, b = randn((7,)), randn((7,))
    out = _C.matmul_forward(T(a), T(b))
    assert out.shape == ()
    assert abs(out.item() - a @ b) < 1e-12


# ---- linear ----

# (input shape, (out_features, in_features), bias)
LINEAR_CASES = [
    ((5,), (3, 5), True),
    ((4, 3), (2, 3), True),
    ((4, 3), (2, 3), False),
    ((2, 3, 4), (5, 4), True),
    ((2, 1, 3, 4), (6, 4), False),
    ((1000, 33), (130, 33), True),
    ((0, 3), (2, 3), True),
    ((4, 0), (5, 0), True),
    ((4, 0), (5, 0), False),
    ((4, 3), (0, 3), True),
    ((1, 1), (1, 1), True),
]
LIN_IDS = [f"{x}x{w}{'+b' if b else ''}" for x, w, b in LINEAR_CASES]


def ref_linear(x, w, b):
    out = x.astype(np.float64) @ w.astype(np.float64).T
    return out + b if b is not None else out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sx,sw,has_bias", LINEAR_CASES, ids=LIN_IDS)
def test_linear_forward_backward_numpy(sx, sw, has_bias, dtype):
    x, w = randn(sx, dtype), randn(sw, dtype)
    b = randn((sw[0],), dtype) if has_bias else None
    out = _C.linear_forward(T(x), T(w), T(b) if has_bias else None)
    ref = ref_linear(x, w, b)
    assert out.shape == ref.shape and out.numpy().dtype == dtype
    np.testing.assert_allclose(out.numpy(), ref, **tol(dtype, sw[1]))
    g = randn(ref.shape, dtype)
    dx, dw, db = _C.linear_backward(T(g), T(x), T(w), has_bias)
    rows = int(np.prod(sx[:-1]))
    g2 = g.reshape(rows, sw[0]).astype(np.float64)
    x2 = x.reshape(rows, sw[1]).astype(np.float64)
    np.testing.assert_allclose(dx.numpy(), (g2 @ w).reshape(sx), **tol(dtype, sw[0]))
    np.testing.assert_allclose(dw.numpy(), g2.T @ x2, **tol(dtype, rows))
    if has_bias:
        np.testing.assert_allclose(db.numpy(), g2.sum(0), **tol(dtype, rows))
    else:
        assert db is None


@pytest.mark.parametrize("sx,sw,has_bias", [c for c in LINEAR_CASES if np.prod(c[0]) < 100],
                         ids=[i for c, i in zip(LINEAR_CASES, LIN_IDS) if np.prod(c[0]) < 100])
def test_linear_gradcheck_float64(sx, sw, has_bias):
    x, w = randn(sx), randn(sw)
    b = randn((sw[0],)) if has_bias else None
    g = randn(ref_linear(x, w, b).shape)

    def loss():
        return float((_C.linear_forward(T(x), T(w), T(b) if has_bias else None).numpy() * g).sum())

    dx, dw, db = _C.linear_backward(T(g), T(x), T(w), has_bias)
    np.testing.assert_allclose(dx.numpy(), numeric_grad(loss, x), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(dw.numpy(), numeric_grad(loss, w), rtol=1e-6, atol=1e-7)
    if has_bias:
        np.testing.assert_allclose(db.numpy(), numeric_grad(loss, b), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("sx,sw,has_bias", LINEAR_CASES, ids=LIN_IDS)
def test_linear_vs_torch(sx, sw, has_bias):
    torch = pytest.importorskip("torch")
    x, w = randn(sx, np.float32), randn(sw, np.float32)
    b = randn((sw[0],), np.float32) if has_bias else None
    tx = torch.from_numpy(x.copy()).requires_grad_()
    tw = torch.from_numpy(w.copy()).requires_grad_()
    tb = torch.from_numpy(b.copy()).requires_grad_() if has_bias else None
    tout = torch.nn.functional.linear(tx, tw, tb)
    g = randn(tuple(tout.shape), np.float32)
    tout.backward(torch.from_numpy(g.copy()))
    out = _C.linear_forward(T(x), T(w), T(b) if has_bias else None)
    dx, dw, db = _C.linear_backward(T(g), T(x), T(w), has_bias)
    t = tol(np.float32, 2000)
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), **t)
    np.testing.assert_allclose(dx.numpy(), tx.grad.numpy(), **t)
    np.testing.assert_allclose(dw.numpy(), tw.grad.numpy(), **t)
    if has_bias:
        np.testing.assert_allclose(db.numpy(), tb.grad.numpy(), **t)


def test_linear_output_mask():
    x, w, b = randn((4, 3)), randn((2, 3)), randn((2,))
    g = randn((4, 2))
    dx, dw, db = _C.linear_backward(T(g), T(x), T(w), True, [False, True, False])
    assert dx is None and db is None
    np.testing.assert_allclose(dw.numpy(), g.T @ x, rtol=1e-12)


# ---- the Python layer ----


def run_function(fn, args, grad, needs):
    ctx = Context()
    out = fn.forward(ctx, *args)
    ctx.needs_input_grad = needs
    return out, fn.backward(ctx, grad)


def test_matmul_function_forward_backward():
    a, b = randn((2, 1, 5, 3)), randn((4, 3, 2))
    g = randn((2, 4, 5, 2))
    out, (da, db) = run_function(mmops.Matmul, (T(a), T(b)), T(g), (True, False))
    np.testing.assert_allclose(out.numpy(), a @ b, rtol=1e-12)
    rda, _ = ref_matmul_grads(g, a, b)
    np.testing.assert_allclose(da.numpy(), rda, rtol=1e-10, atol=1e-12)
    assert db is None


def test_linear_function_forward_backward():
    x, w, b = randn((3, 4)), randn((5, 4)), randn((5,))
    g = randn((3, 5))
    out, (dx, dw, db) = run_function(mmops.Linear, (T(x), T(w), T(b)), T(g), (True, True, True))
    np.testing.assert_allclose(out.numpy(), x @ w.T + b, rtol=1e-12)
    np.testing.assert_allclose(dx.numpy(), g @ w, rtol=1e-12)
    np.testing.assert_allclose(dw.numpy(), g.T @ x, rtol=1e-12)
    np.testing.assert_allclose(db.numpy(), g.sum(0), rtol=1e-12)
    out, (dx, dw, db) = run_function(mmops.Linear, (T(x), T(w), None), T(g), (False, True, False))
    np.testing.assert_allclose(out.numpy(), x @ w.T, rtol=1e-12)
    assert dx is None and db is None


def test_public_functions_forward():
    a, b = randn((3, 4)), randn((4, 5))
    c = randn((2, 3, 4))
    d = randn((2, 4, 5))
    v, u = randn((4,)), randn((4,))
    with no_grad():
        np.testing.assert_allclose(mmops.matmul(T(a), T(b)).numpy(), a @ b, rtol=1e-12)
        np.testing.assert_allclose(mmops.mm(T(a), T(b)).numpy(), a @ b, rtol=1e-12)
        np.testing.assert_allclose(mmops.bmm(T(c), T(d)).numpy(), c @ d, rtol=1e-12)
        assert abs(mmops.dot(T(v), T(u)).item() - v @ u) < 1e-12
        w = randn((6, 4))
        np.testing.assert_allclose(mmops.linear(T(c), T(w)).numpy(), c @ w.T, rtol=1e-12)
        # the operator methods the Tensor table installs
        np.testing.assert_allclose(kernels.Tensor.__matmul__(T(a), T(b)).numpy(), a @ b, rtol=1e-12)
        np.testing.assert_allclose(kernels.Tensor.__rmatmul__(T(b), T(a)).numpy(), a @ b, rtol=1e-12)
        assert kernels.Tensor.__matmul__(T(a), 3) is NotImplemented


def test_autograd_end_to_end():
    a = kernels.tensor(randn((2, 3, 4)), requires_grad=True)
    b = kernels.tensor(randn((4, 5)), requires_grad=True)
    out = a @ b
    g = randn((2, 3, 5))
    out.backward(kernels.tensor(g))
    an, bn = a.detach().numpy(), b.detach().numpy()
    np.testing.assert_allclose(a.grad.numpy(), g @ bn.T, rtol=1e-10)
    np.testing.assert_allclose(b.grad.numpy(), np.einsum("bmk,bmn->kn", an, g), rtol=1e-10)


# Through the public API and the autograd engine, with the shared checkers.
API_CASES = [((5,), (5,)), ((3, 4), (4,)), ((4,), (2, 4, 3)), ((2, 1, 5, 3), (4, 3, 2)), ((2, 3, 4), (4, 5)),
             ((70, 40), (40, 33))]


@pytest.mark.parametrize("sa,sb", API_CASES, ids=[f"{a}@{b}" for a, b in API_CASES])
def test_api_matmul_gradcheck_and_torch(sa, sb):
    a, b = randn(sa), randn(sb)
    if a.size * b.size < 5000:
        opcheck.gradcheck(kernels.matmul, [a, b])
    opcheck.check_torch(lambda x, y: x @ y, lambda x, y: x @ y, [a, b])
    opcheck.check_cuda_vs_cpu(kernels.matmul, [a, b], atol=1e-4)


@pytest.mark.parametrize("has_bias", [True, False])
def test_api_linear_gradcheck_and_torch(has_bias):
    torch = pytest.importorskip("torch")
    args = [randn((2, 3, 4)), randn((5, 4))] + ([randn((5,))] if has_bias else [])
    opcheck.gradcheck(mmops.linear, args)
    opcheck.check_torch(mmops.linear, torch.nn.functional.linear, args)
    opcheck.check_cuda_vs_cpu(mmops.linear, args, atol=1e-4)


def test_api_methods_and_strict_variants():
    torch = pytest.importorskip("torch")
    a, b, c, d = randn((3, 4)), randn((4, 5)), randn((2, 3, 4)), randn((2, 4, 5))
    opcheck.check_torch(lambda x, y: x.mm(y), torch.mm, [a, b])
    opcheck.check_torch(lambda x, y: x.bmm(y), torch.bmm, [c, d])
    opcheck.check_torch(lambda x, y: x.matmul(y), torch.matmul, [c, b])
    opcheck.check_torch(lambda x, y: x.dot(y), torch.dot, [randn((6,)), randn((6,))])


# ---- CPU against CUDA ----


@pytest.mark.skipif(not HAS_CUDA, reason="no CUDA device")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sa,sb", MATMUL_CASES, ids=IDS)
def test_matmul_cpu_vs_cuda(sa, sb, dtype):
    dev = _C.device("cuda")
    a, b = randn(sa, dtype), randn(sb, dtype)
    g = randn(ref_matmul(a, b).shape, dtype)
    ca, cb, cg = (_C.to_device(T(x), dev) for x in (a, b, g))
    out = _C.to_device(_C.matmul_forward(ca, cb), _C.device("cpu")).numpy()
    da, db = (_C.to_device(x, _C.device("cpu")).numpy() for x in _C.matmul_backward(cg, ca, cb))
    np.testing.assert_allclose(out, _C.matmul_forward(T(a), T(b)).numpy(), **tol(dtype, sa[-1]))
    rda, rdb = _C.matmul_backward(T(g), T(a), T(b))
    big = tol(dtype, max(int(np.prod(g.shape)), 64))
    np.testing.assert_allclose(da, rda.numpy(), **big)
    np.testing.assert_allclose(db, rdb.numpy(), **big)


@pytest.mark.skipif(not HAS_CUDA, reason="no CUDA device")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sx,sw,has_bias", LINEAR_CASES, ids=LIN_IDS)
def test_linear_cpu_vs_cuda(sx, sw, has_bias, dtype):
    dev, cpu = _C.device("cuda"), _C.device("cpu")
    x, w = randn(sx, dtype), randn(sw, dtype)
    b = randn((sw[0],), dtype) if has_bias else None
    g = randn(ref_linear(x, w, b).shape, dtype)
    cx, cw, cg = (_C.to_device(T(v), dev) for v in (x, w, g))
    cbias = _C.to_device(T(b), dev) if has_bias else None
    out = _C.to_device(_C.linear_forward(cx, cw, cbias), cpu).numpy()
    t = tol(dtype, 2000)
    np.testing.assert_allclose(out, _C.linear_forward(T(x), T(w), T(b) if has_bias else None).numpy(), **t)
    got = _C.linear_backward(cg, cx, cw, has_bias)
    want = _C.linear_backward(T(g), T(x), T(w), has_bias)
    for gv, wv in zip(got, want):
        if wv is None:
            assert gv is None
        else:
            np.testing.assert_allclose(_C.to_device(gv, cpu).numpy(), wv.numpy(), **t)


@pytest.mark.skipif(not HAS_CUDA, reason="no CUDA device")
def test_device_mismatch():
    a = T(randn((2, 3)))
    b = _C.to_device(T(randn((3, 4))), _C.device("cuda"))
    with pytest.raises(RuntimeError, match="matmul"):
        _C.matmul_forward(a, b)
    with pytest.raises(RuntimeError, match="linear"):
        _C.linear_forward(a, _C.to_device(T(randn((4, 3))), _C.device("cuda")), None)


# ---- bad inputs ----


def test_bad_inputs_matmul():
    with pytest.raises(ValueError, match=r"matmul: .*\(2,3\) @ \(4,5\)"):
        _C.matmul_forward(T(randn((2, 3))), T(randn((4, 5))))
    with pytest.raises(ValueError, match="matmul"):
        _C.matmul_forward(T(np.array(1.0)), T(randn((3,))))
    with pytest.raises(ValueError, match="matmul"):
        _C.matmul_forward(T(randn((3,))), T(np.array(1.0)))
    with pytest.raises(ValueError, match=r"matmul: batch .*\(2,3,4\) @ \(3,4,5\)"):
        _C.matmul_forward(T(randn((2, 3, 4))), T(randn((3, 4, 5))))
    with pytest.raises(TypeError, match="matmul"):
        _C.matmul_forward(T(randn((2, 3), np.float32)), T(randn((3, 4))))
    with pytest.raises(TypeError, match="matmul"):
        _C.matmul_forward(T(np.ones((2, 3), np.int64)), T(np.ones((3, 4), np.int64)))
    with pytest.raises(ValueError, match=r"matmul_backward: grad \(3,4\)"):
        _C.matmul_backward(T(randn((3, 4))), T(randn((2, 3))), T(randn((3, 4))))
    with pytest.raises(TypeError, match="matmul_backward"):
        _C.matmul_backward(T(randn((2, 4), np.float32)), T(randn((2, 3))), T(randn((3, 4))))
    with pytest.raises(TypeError, match="matmul"):
        mmops.matmul(randn((2, 3)), T(randn((3, 4))))


def test_bad_inputs_mm_bmm_dot():
    with pytest.raises(ValueError, match="mm"):
        mmops.mm(T(randn((2, 3, 4))), T(randn((4, 5))))
    with pytest.raises(ValueError, match=r"matmul: .*\(2,3\) @ \(4,5\)"):
        with no_grad():
            mmops.mm(T(randn((2, 3))), T(randn((4, 5))))
    with pytest.raises(ValueError, match="bmm"):
        mmops.bmm(T(randn((3, 4))), T(randn((2, 4, 5))))
    with pytest.raises(ValueError, match="bmm"):
        mmops.bmm(T(randn((2, 3, 4))), T(randn((1, 4, 5))))
    with pytest.raises(ValueError, match="dot"):
        mmops.dot(T(randn((3,))), T(randn((4,))))
    with pytest.raises(ValueError, match="dot"):
        mmops.dot(T(randn((3, 1))), T(randn((3,))))


def test_bad_inputs_linear():
    x = T(randn((4, 3)))
    with pytest.raises(ValueError, match=r"linear: input \(4,3\) .* weight \(2,5\)"):
        _C.linear_forward(x, T(randn((2, 5))), None)
    with pytest.raises(ValueError, match="linear: weight"):
        _C.linear_forward(x, T(randn((3,))), None)
    with pytest.raises(ValueError, match=r"linear: bias \(3,\)"):
        _C.linear_forward(x, T(randn((2, 3))), T(randn((3,))))
    with pytest.raises(ValueError, match="linear"):
        _C.linear_forward(T(np.array(1.0)), T(randn((2, 3))), None)
    with pytest.raises(TypeError, match="linear"):
        _C.linear_forward(x, T(randn((2, 3), np.float32)), None)
    with pytest.raises(TypeError, match="linear"):
        _C.linear_forward(x, T(randn((2, 3))), T(randn((2,), np.float32)))
    with pytest.raises(ValueError, match=r"linear_backward: grad \(4,3\)"):
        _C.linear_backward(T(randn((4, 3))), x, T(randn((2, 3))), True)
    with pytest.raises(TypeError, match="linear"):
        mmops.linear(x, randn((2, 3)))


# ------------------------------------------------------------------ nn.Linear: against torch, default init, bad inputs


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(5, 4), (4,), (2, 3, 4), (0, 4)])
def test_linear_forward_backward_vs_torch(bias, shape):
    torch = torch_or_skip()
    k = nn.Linear(4, 3, bias=bias).double()
    t = torch.nn.Linear(4, 3, bias=bias).double()
    t.load_state_dict({n: to_torch(v) for n, v in k.state_dict().items()})
    x = RNG.standard_normal(shape)
    xk = T(x).requires_grad_()
    xt = torch.tensor(x, requires_grad=True)
    yk, yt = k(xk), t(xt)
    np.testing.assert_allclose(yk.detach().numpy(), yt.detach().numpy(), rtol=1e-12, atol=1e-14)
    g = RNG.standard_normal(tuple(yt.shape))
    yk.backward(T(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(xk.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(k.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-12, atol=1e-14)
    if bias:
        np.testing.assert_allclose(k.bias.grad.numpy(), t.bias.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_linear_default_init_distribution():
    kernels.manual_seed(3)
    m = nn.Linear(256, 300)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    bound = 1 / math.sqrt(256)  # kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(fan_in), ...)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.mean()) < 0.02 * bound and abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound
    assert np.abs(b).max() <= bound and abs(b.std() - bound / math.sqrt(3)) < 0.1 * bound
    m2 = nn.Linear(3, 2, dtype=kernels.float64)
    assert m2.weight.dtype == kernels.float64 and m2.bias.dtype == kernels.float64
    with pytest.warns(UserWarning, match="zero-element"):  # as torch
        assert nn.Linear(0, 2).weight.shape == (2, 0)


def test_linear_bad_inputs_name_the_layer():
    m = nn.Linear(64, 10)
    with pytest.raises(ValueError, match=r"Linear\(in_features=64, out_features=10\): expected "
                                         r"input with last dim 64, got shape \(32, 63\)"):
        m(kernels.zeros(32, 63))
    with pytest.raises(ValueError, match=r"Linear\(in_features=64.*got shape \(\)"):
        m(kernels.zeros(()))
    with pytest.raises(TypeError, match="Linear"):
        m(np.zeros((2, 64)))
    with pytest.raises(TypeError, match=r"Linear\(in_features=64, out_features=10\): input is "
                                        r"kernels.float64 but the layer's weight is kernels.float32"):
        m(kernels.zeros(2, 64, dtype=kernels.float64))
    with pytest.raises(TypeError, match="Linear.*int64"):
        m(kernels.zeros(2, 64, dtype=kernels.int64))
    with pytest.raises(ValueError, match="Linear"):
        nn.Linear(-1, 3)
