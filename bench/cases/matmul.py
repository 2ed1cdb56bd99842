"""matmul (GEMM) against numpy (OpenBLAS): square sizes, and the products the networks actually
run (kernels.testing.cases.MATMUL_NETWORK, which says where each comes from).

Forms (how the layers call it): "nn" C = A @ B (matmul), "nt" C = X @ W^T (a linear layer's
forward, an LSTM's gate projections), "tn" C = dY^T @ X (a linear layer's weight gradient).
numpy gets the same transposed views, which OpenBLAS takes without copying.
"""
from __future__ import annotations

import numpy as np

from bench.harness import Case, rel_err
from kernels.testing.cases import MATMUL_NETWORK as NETWORK, MATMUL_SQUARE as SQUARE
from kernels.testing.runner import to_numpy


def _case(name, form, M, N, K, target, size=None, device="cpu", peer="numpy"):
    """peer "numpy" (on the host) or "torch" (on `device`, the peer where numpy cannot go)."""

    def setup():
        import kernels
        from kernels import _C

        rng = np.random.default_rng(0)
        if peer == "torch":
            import torch

        def both(shape):
            """One random matrix as our operand and the peer's."""
            a = rng.standard_normal(shape, dtype=np.float32)
            ours_a = _C.from_numpy(a) if device == "cpu" else kernels.tensor(a, device=device)
            return ours_a, (a if peer == "numpy" else torch.from_numpy(a).to(device))

        # The peer's products are written as for numpy; torch reads them the same way.
        if form == "nn":
            (ta, a), (tb, b) = both((M, K)), both((K, N))
            ours = lambda: _C.matmul_forward(ta, tb)  # noqa: E731
            peer_fn = lambda: a @ b  # noqa: E731
        elif form == "nt":
            (tx, x), (tw, w) = both((M, K)), both((N, K))
            ours = lambda: _C.linear_forward(tx, tw, None)  # noqa: E731
            peer_fn = lambda: x @ w.T  # noqa: E731
        else:  # "tn": dW (M,N) = dY^T @ X with dY (K,M), X (K,N); linear_backward's weight part
            (tdy, dy), (tx, x) = both((K, M)), both((K, N))
            tw = (_C.from_numpy(np.zeros((M, N), np.float32)) if device == "cpu"
                  else kernels.zeros(M, N, device=device))
            ours = lambda: _C.linear_backward(tdy, tx, tw, False, [False, True, False])[1]  # noqa: E731
            peer_fn = lambda: dy.T @ x  # noqa: E731
        check = lambda: rel_err(to_numpy(ours()), to_numpy(peer_fn()))  # noqa: E731
        return ours, peer_fn, check

    return Case("matmul", name, peer, setup, flops=2.0 * M * N * K, target=target,
                size=size, tol=1e-4)


def cases(opts, device="cpu", peer="numpy", square=SQUARE):
    out = [_case(f"{n}^3", "nn", n, n, n, 0.95 if n >= 1024 else None, n, device, peer) for n in square]
    for name, form, M, N, K in NETWORK:
        # The issue's targets: >= 1.0x at the networks' shapes with M <= 256.
        out.append(_case(f"{name} ({form} {M}x{N}x{K})", form, M, N, K, 1.0 if M <= 256 else None, 0,
                         device, peer))
    return out
