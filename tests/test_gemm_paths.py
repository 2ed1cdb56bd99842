"""The CPU GEMM's blocked paths at their edges: row slices sharing one packed B panel (several
K blocks, so both halves of the double buffer are reused), column slices, the AVX2 transpose
packers (k not a multiple of 8, partial slivers and tiles), 1 and 2 threads, float32 and float64,
the portable micro-kernel, the LSTM's packed step GEMM on batches with full row tiles, and the
networks' products the benchmarks time."""
import numpy as np
import pytest

import kernels
from kernels.backends import cpu as cpu_backend
from kernels import _C
from kernels.testing.cases import MATMUL_NETWORK, matmul_operands

RNG = np.random.default_rng(4321)


def T(x):
    return _C.from_numpy(np.ascontiguousarray(x))


def randn(shape, dtype):
    return RNG.standard_normal(shape).astype(dtype)


def tol(dtype, k):
    return dict(rtol=0, atol=(2e-6 if dtype == np.float32 else 1e-13) * max(k, 8))


def products(M, N, K, dtype):
    """(ours, reference) for the three forms the layers use: NN (matmul, linear dx),
    NT (linear forward x W^T), TN (linear dW = dY^T X)."""
    a, b = randn((M, K), dtype), randn((K, N), dtype)
    w = randn((N, K), dtype)
    g = randn((K, M), dtype)
    return [product("nn", a, b), product("nt", a, w), product("tn", g, b)]


def product(form, a, b):
    """(ours, float64 reference) of one product in the form a layer calls it (see
    kernels.testing.cases.matmul_operands): "nn" a @ b, "nt" a @ b^T, "tn" a^T @ b."""
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    if form == "nn":
        return _C.matmul_forward(T(a), T(b)).numpy(), a64 @ b64
    if form == "nt":
        return _C.linear_forward(T(a), T(b), None).numpy(), a64 @ b64.T
    dw = T(np.zeros((a.shape[1], b.shape[1]), a.dtype))
    return _C.linear_backward(T(a), T(b), dw, False, [False, True, False])[1].numpy(), a64.T @ b64


# M >= N: row slices sharing B; M < N: column slices. K > 256 spans several K blocks.
SHAPES = [
    (301, 257, 389),   # row slices, 2 K blocks, edges in M and N
    (397, 131, 777),   # row slices, 4 K blocks (double buffer reused twice)
    (61, 301, 530),    # column slices
    (2000, 400, 3),    # tiny K, many row tiles
    (130, 70, 2100),   # huge K against small M, N
    (1024, 1024, 64),  # square-ish, whole slivers and tiles
    (96, 48, 1100),    # both multiples of the tile
    (1200, 1100, 1000),  # B over 4 MB: one shared panel per K block, double-buffered
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("M,N,K", SHAPES, ids=[f"{m}x{n}x{k}" for m, n, k in SHAPES])
def test_blocked_paths_match_numpy(M, N, K, dtype, threads):
    for got, ref in products(M, N, K, dtype):
        np.testing.assert_allclose(got, ref, **tol(dtype, K))


# The networks' products (kernels.testing.cases.MATMUL_NETWORK) under 1 GFLOP: all but the LSTM's
# T=100 input projections and weight gradients, which only bench/ runs.
NETWORK = [c for c in MATMUL_NETWORK if 2.0 * c[2] * c[3] * c[4] < 1e9]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,form,M,N,K", NETWORK, ids=[c[0] for c in NETWORK])
def test_network_products_match_numpy(name, form, M, N, K, dtype, threads):
    a_shape, b_shape = matmul_operands(form, M, N, K)
    got, ref = product(form, randn(a_shape, dtype), randn(b_shape, dtype))
    assert got.shape == (M, N)
    np.testing.assert_allclose(got, ref, **tol(dtype, K))


# The transpose packers: k steps of 8 plus a remainder, full and partial slivers / row tiles.
@pytest.mark.parametrize("K", [1, 7, 8, 9, 20, 255, 256, 257, 515])
@pytest.mark.parametrize("M,N", [(6, 16), (7, 17), (13, 33), (64, 120), (250, 84)])
def test_transpose_packing_edges(M, N, K, threads):
    for got, ref in products(M, N, K, np.float32):
        np.testing.assert_allclose(got, ref, **tol(np.float32, K))


@pytest.mark.parametrize("ld_k", [512, 1024])
def test_transpose_packing_power_of_two_rows(ld_k):
    """Rows 2 KB / 4 KB apart (the strides that alias in L1) through the register transposes."""
    x, w = randn((70, ld_k), np.float32), randn((200, ld_k), np.float32)
    got = _C.linear_forward(T(x), T(w), None).numpy()
    np.testing.assert_allclose(got, x.astype(np.float64) @ w.T, **tol(np.float32, ld_k))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("M,N,K", [(301, 257, 389), (61, 301, 530)])
def test_portable_kernel_on_shared_panel(M, N, K, dtype, threads):
    prev = cpu_backend.set_cpu_capability("default")
    try:
        res = products(M, N, K, dtype)
    finally:
        cpu_backend.set_cpu_capability(prev)
    for got, ref in res:
        np.testing.assert_allclose(got, ref, **tol(dtype, K))


@pytest.mark.parametrize("H", [20, 36])
def test_lstm_step_gemm_full_tiles_match_torch(H, threads):
    """Batch 26 gives each of 2 threads 13 rows (two full 6-row tiles and one partial); 4H = 80 /
    144 gives full and (for 20) k-remainder slivers in the packed W_hh."""
    torch = pytest.importorskip("torch")
    from kernels import nn as knn

    torch.manual_seed(0)
    I, B, Tn = 11, 26, 4
    tm = torch.nn.LSTM(I, H).float()
    km = knn.LSTM(I, H).float()
    km.load_state_dict(tm.state_dict())
    x = RNG.standard_normal((Tn, B, I)).astype(np.float32)
    kx = kernels.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    ko, (kh, kc) = km(kx)
    to, (th, tc) = tm(tx)
    np.testing.assert_allclose(ko.detach().numpy(), to.detach().numpy(), atol=2e-6)
    np.testing.assert_allclose(kc.detach().numpy(), tc.detach().numpy(), atol=2e-6)
    (ko.sum() + kh.sum()).backward()
    (to.sum() + th.sum()).backward()
    np.testing.assert_allclose(kx.grad.numpy(), tx.grad.numpy(), atol=2e-5, rtol=1e-4)
    np.testing.assert_allclose(km.weight_hh_l0.grad.numpy(), tm.weight_hh_l0.grad.numpy(), atol=2e-5,
                               rtol=1e-4)


# Every micro-kernel this CPU runs, at its capability level: AVX512 (6x32 float / 6x16 double
# tiles, masked edge stores), AVX2 (6x16 / 6x8, edge tiles through a buffer), DEFAULT (portable).
FAST_LEVELS = {"AVX512": ["avx512", "avx2", "default"], "AVX2": ["avx2", "default"]}.get(
    cpu_backend.supported_cpu_capability(), ["default"])


@pytest.fixture(params=FAST_LEVELS)
def level(request):
    prev = cpu_backend.set_cpu_capability(request.param)
    yield request.param
    cpu_backend.set_cpu_capability(prev)


@pytest.fixture(params=[1, 2, 3], ids=["1thread", "2threads", "3threads"])
def threads3(request):
    prev = kernels.get_num_threads()
    kernels.set_num_threads(request.param)
    yield request.param
    kernels.set_num_threads(prev)


# Tile remainders of each kernel: rows 1-5 past a 6-row tile, columns 1..NR-1 past a 16- or
# 32-wide sliver (15, 17, 31, 33, 47), K 1, a k-remainder of the 8-wide transposes, and 2 K blocks.
# At AVX512, products of <= 96 rows with B within 512 KB run unpacked (K in blocks of <= 160, one
# or two registers of columns, columns over threads above 0.5 MFLOP); (97, 40, 50) and
# (64, 784, 256) sit just past those limits, (50, 600, 200) just inside.
EDGE_SHAPES = [(7, 33, 9), (13, 47, 257), (2, 31, 40), (5, 17, 300), (64, 10, 128), (6, 784, 25),
               (16, 100, 150), (26, 65, 1), (190, 95, 33), (33, 190, 520), (3, 16, 7), (4, 15, 2),
               (96, 200, 161), (97, 40, 50), (40, 2100, 130), (64, 784, 256), (50, 600, 200),
               (64, 120, 84)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("M,N,K", EDGE_SHAPES, ids=[f"{m}x{n}x{k}" for m, n, k in EDGE_SHAPES])
def test_each_kernel_at_tile_edges(M, N, K, dtype, level, threads3):
    for got, ref in products(M, N, K, dtype):
        np.testing.assert_allclose(got, ref, **tol(dtype, K))


@pytest.mark.parametrize("M,N,K", [(301, 257, 389), (61, 301, 530), (1200, 1100, 1000)])
def test_each_kernel_on_blocked_paths(M, N, K, level, threads):
    for got, ref in products(M, N, K, np.float32):
        np.testing.assert_allclose(got, ref, **tol(np.float32, K))


def test_each_kernel_with_beta_and_views(level):
    """linear with a bias (the GEMM accumulates onto C, beta = 1) and matmul of transposed views."""
    import kernels.functional as F

    x, w, b = randn((37, 70), np.float32), randn((45, 70), np.float32), randn((45,), np.float32)
    got = F.linear(kernels.tensor(x), kernels.tensor(w), kernels.tensor(b)).numpy()
    np.testing.assert_allclose(got, x.astype(np.float64) @ w.T + b, **tol(np.float32, 70))
    a, c = randn((70, 37), np.float32), randn((45, 70), np.float32)
    got = (kernels.tensor(a).T @ kernels.tensor(c).T).numpy()
    np.testing.assert_allclose(got, a.T.astype(np.float64) @ c.T, **tol(np.float32, 70))
