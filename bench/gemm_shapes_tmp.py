"""float32 GEMM at the shapes the networks use (M <= 256 and the LSTM's tall products), ours vs
numpy (OpenBLAS), same inputs, same threads, median time.

    PYTHONPATH=python python bench/gemm_shapes_tmp.py --repeats 30 --threads 2

Forms (as the layers call them): NT = x @ W^T (linear forward, LSTM gates), NN = dY @ W (linear
dx), TN = dY^T @ X (linear dW). Each library is timed in its own block with a warm-up and a pause.
"""
import argparse
import os
import sys

SHAPES = [  # (name, form, M, N, K)
    ("mlp fc1", "NT", 64, 256, 784), ("mlp fc2", "NT", 64, 128, 256), ("mlp fc3", "NT", 64, 10, 128),
    ("mlp dx1", "NN", 64, 784, 256), ("mlp dx2", "NN", 64, 256, 128), ("mlp dx3", "NN", 64, 128, 10),
    ("mlp dW1", "TN", 256, 784, 64), ("mlp dW2", "TN", 128, 256, 64), ("mlp dW3", "TN", 10, 128, 64),
    ("lenet c5", "NT", 64, 120, 400), ("lenet f6", "NT", 64, 84, 120), ("lenet f7", "NT", 64, 10, 84),
    ("lenet dx5", "NN", 64, 400, 120), ("lenet dx6", "NN", 64, 120, 84),
    ("lenet dW5", "TN", 120, 400, 64), ("lenet dW6", "TN", 84, 120, 64),
    ("lstm256 gates", "NT", 64, 1024, 512), ("lstm512 gates", "NT", 64, 2048, 1024),
    ("lstm256 step", "NT", 64, 1024, 256), ("lstm512 step", "NT", 64, 2048, 512),
    ("lstm256 Gx", "NT", 6400, 1024, 256), ("lstm512 Gx", "NT", 6400, 2048, 512),
    ("lstm256 dX", "NN", 6400, 256, 1024), ("lstm512 dX", "NN", 6400, 512, 2048),
    ("lstm256 dW^T", "TN", 256, 1024, 6400), ("lstm512 dW^T", "TN", 512, 2048, 6400),
    ("square 64", "NN", 64, 64, 64), ("square 128", "NN", 128, 128, 128),
    ("square 256", "NN", 256, 256, 256),
]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=30)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--only", nargs="*", default=None, help="substrings of shape names to run")
    args = p.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import time

    import numpy as np

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
    from kernels import _C

    rng = np.random.default_rng(0)
    print(f"float32, threads={args.threads}, repeats={args.repeats}, median")
    print(f"{'shape':<14} {'form':<4} {'M':>5} {'N':>5} {'K':>5} {'ours us':>9} {'GF/s':>6} "
          f"{'np us':>9} {'GF/s':>6} {'ours/np':>7}")
    ratios = []
    for name, form, M, N, K in SHAPES:
        if args.only and not any(s in name for s in args.only):
            continue
        if form == "NT":
            a = rng.standard_normal((M, K), dtype=np.float32)
            b = rng.standard_normal((N, K), dtype=np.float32)
            ta, tb = _C.from_numpy(a), _C.from_numpy(b)
            ours = lambda: _C.linear_forward(ta, tb, None)
            peer = lambda: a @ b.T
        elif form == "NN":
            a = rng.standard_normal((M, K), dtype=np.float32)
            b = rng.standard_normal((K, N), dtype=np.float32)
            ta, tb = _C.from_numpy(a), _C.from_numpy(b)
            ours = lambda: _C.matmul_forward(ta, tb)
            peer = lambda: a @ b
        else:  # TN: C (M,N) = g^T x with g (K,M), x (K,N): linear dW with out=M, in=N, rows=K
            a = rng.standard_normal((K, M), dtype=np.float32)
            b = rng.standard_normal((K, N), dtype=np.float32)
            w = np.zeros((M, N), dtype=np.float32)
            ta, tb, tw = _C.from_numpy(a), _C.from_numpy(b), _C.from_numpy(w)
            ours = lambda: _C.linear_backward(ta, tb, tw, False, [False, True, False])[1]
            peer = lambda: a.T @ b
        ref = peer().astype(np.float64)
        got = ours().numpy()
        err = np.abs(got - ref).max() / max(1.0, np.abs(ref).max())
        assert err < 1e-4, f"{name}: wrong result, rel error {err}"
        flops = 2.0 * M * N * K
        reps = max(3, min(args.repeats, int(args.repeats * 2e8 / flops) + 3))
        med = {}
        for key, f in (("ours", ours), ("np", peer)):
            time.sleep(0.2)
            for _ in range(3):
                f()
            ts = []
            for _ in range(reps):
                t0 = time.perf_counter()
                f()
                ts.append(time.perf_counter() - t0)
            med[key] = float(np.median(ts))
        r = med["np"] / med["ours"]
        ratios.append(r)
        print(f"{name:<14} {form:<4} {M:>5} {N:>5} {K:>5} {med['ours'] * 1e6:>9.1f} "
              f"{flops / med['ours'] / 1e9:>6.1f} {med['np'] * 1e6:>9.1f} {flops / med['np'] / 1e9:>6.1f} "
              f"{r:>7.2f}")
    if ratios:
        print(f"geomean ours/np {float(np.exp(np.mean(np.log(ratios)))):.3f}, min {min(ratios):.2f}")


if __name__ == "__main__":
    main()
