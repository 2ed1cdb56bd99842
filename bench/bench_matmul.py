"""Square float32 GEMM: kernels.matmul against numpy (OpenBLAS) and torch, same inputs and threads.

    PYTHONPATH=python python bench/bench_matmul.py --sizes 256 512 1024 --repeats 10 --threads 2

The thread count is set through the environment before any library loads (OMP_NUM_THREADS for
us and torch's OpenMP, OPENBLAS_NUM_THREADS for numpy) and with torch.set_num_threads.
Each library is timed in its own block (warm-up, then all repeats), with a pause between blocks:
interleaving single calls makes the three thread pools (our OpenMP, OpenBLAS's, torch's) spin
against each other on a small machine and measures that contention instead of the GEMMs. Run it
twice if the machine is shared; medians move with background load.
"""
import argparse
import os
import sys


def parse():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024])
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    p.add_argument("--no-torch", action="store_true")
    return p.parse_args()


def main():
    args = parse()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import time

    import numpy as np

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
    from kernels import _C

    torch = None
    if not args.no_torch:
        try:
            import torch

            torch.set_num_threads(args.threads)
        except ImportError:
            torch = None

    rng = np.random.default_rng(0)
    dtype = getattr(np, args.dtype)
    print(f"{args.dtype} C = A @ B (n x n), threads={args.threads}, repeats={args.repeats}, "
          f"median time")
    header = f"{'n':>6} {'ours ms':>9} {'GFLOP/s':>8} {'numpy ms':>9} {'GFLOP/s':>8} {'ours/np':>8}"
    if torch is not None:
        header += f" {'torch ms':>9} {'GFLOP/s':>8} {'ours/torch':>10}"
    print(header)
    for n in args.sizes:
        a = rng.standard_normal((n, n)).astype(dtype)
        b = rng.standard_normal((n, n)).astype(dtype)
        ta, tb = _C.from_numpy(a), _C.from_numpy(b)
        fns = {"ours": lambda: _C.matmul_forward(ta, tb), "numpy": lambda: a @ b}
        if torch is not None:
            xa, xb = torch.from_numpy(a), torch.from_numpy(b)
            fns["torch"] = lambda: torch.matmul(xa, xb)
        ref = a.astype(np.float64) @ b.astype(np.float64)
        err = np.abs(fns["ours"]().numpy() - ref).max()
        assert err < 1e-3 * n, f"wrong result at n={n}: max error {err}"
        times = {k: [] for k in fns}
        for k, f in fns.items():
            time.sleep(0.3)  # let the previous library's worker threads go idle
            f()  # warm up (packing buffers, thread pool)
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                f()
                times[k].append(time.perf_counter() - t0)
        flops = 2.0 * n ** 3
        med = {k: float(np.median(v)) for k, v in times.items()}
        line = (f"{n:>6} {med['ours'] * 1e3:>9.3f} {flops / med['ours'] / 1e9:>8.1f} "
                f"{med['numpy'] * 1e3:>9.3f} {flops / med['numpy'] / 1e9:>8.1f} "
                f"{med['numpy'] / med['ours']:>8.2f}")
        if torch is not None:
            line += (f" {med['torch'] * 1e3:>9.3f} {flops / med['torch'] / 1e9:>8.1f} "
                     f"{med['torch'] / med['ours']:>10.2f}")
        print(line)
    print("ours/np and ours/torch are speed ratios (>1: ours is faster).")


if __name__ == "__main__":
    main()
