"""Pooling forward and forward+backward: kernels against torch CPU, same inputs, same threads.

    PYTHONPATH=python python bench/bench_pool.py --threads 2 --repeats 30

Shapes: LeNet (B 64, C 6, 28x28, 2x2 max/avg pooling) and ResNet (B 64, C 64, 32x32: 2x2, and the
stem's 3x3 stride 2 padding 1; global average pooling). Both libraries run through their autograd
(fwd+bwd = x.grad = None; y = op(x); y.backward(g)), float32. The thread count is set through the environment
before either library loads, and with torch.set_num_threads. Each library is timed in its own
block (warm-up, then all repeats) with a pause in between, so the two OpenMP pools do not spin
against each other. Each case runs --rounds alternating blocks; reports the
median over all timed calls and the ratio torch/ours (> 1: ours is faster), and writes JSON
(machine, commit, date; medians and minima) to bench/results/bench_pool.json. On a shared
machine the medians move with background load: look at the minima too.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess


def parse():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=30, help="timed calls per function and round")
    p.add_argument("--rounds", type=int, default=3, help="alternating ours/torch blocks per case")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results",
                                                 "bench_pool.json"))
    return p.parse_args()


# (name, input shape, kernels call, torch call); calls take (F, x).
CASES = [
    ("max_pool2d k2 LeNet", (64, 6, 28, 28), lambda F, x: F.max_pool2d(x, 2)),
    ("avg_pool2d k2 LeNet", (64, 6, 28, 28), lambda F, x: F.avg_pool2d(x, 2)),
    ("max_pool2d k2 ResNet", (64, 64, 32, 32), lambda F, x: F.max_pool2d(x, 2)),
    ("max_pool2d k3s2p1 ResNet", (64, 64, 32, 32), lambda F, x: F.max_pool2d(x, 3, 2, 1)),
    ("avg_pool2d k2 ResNet", (64, 64, 32, 32), lambda F, x: F.avg_pool2d(x, 2)),
    ("avg_pool2d k3s2p1 ResNet", (64, 64, 32, 32), lambda F, x: F.avg_pool2d(x, 3, 2, 1)),
    ("adaptive_avg_pool2d 1 ResNet", (64, 64, 32, 32), lambda F, x: F.adaptive_avg_pool2d(x, 1)),
    ("adaptive_avg_pool2d 7 ResNet", (64, 64, 32, 32), lambda F, x: F.adaptive_avg_pool2d(x, 7)),
]


def commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=os.path.dirname(os.path.abspath(__file__))).stdout.strip()
    except OSError:
        return ""


def main():
    args = parse()
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import time

    import numpy as np
    import torch
    import torch.nn.functional as TF

    import kernels
    import kernels.functional as KF

    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)

    def timed(f):
        f()  # warm up
        ts = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            f()
            ts.append(time.perf_counter() - t0)
        return ts

    rows = []
    print(f"float32, threads={args.threads}, repeats={args.repeats}, median ms; ratio = torch / ours (>1: ours faster)")
    print(f"| {'op':<30} | {'shape':<16} | {'ours fwd':>8} | {'torch fwd':>9} | {'ratio':>5} "
          f"| {'ours f+b':>8} | {'torch f+b':>9} | {'ratio':>5} |")
    print("|" + "|".join("-" * w for w in (32, 18, 10, 11, 7, 10, 11, 7)) + "|")
    for name, shape, call in CASES:
        x_np = rng.standard_normal(shape).astype(np.float32)
        xk = kernels.tensor(x_np, requires_grad=True)
        xt = torch.tensor(x_np, requires_grad=True)
        yk, yt = call(KF, xk), call(TF, xt)
        g_np = rng.standard_normal(tuple(yk.shape)).astype(np.float32)
        gk, gt = kernels.tensor(g_np), torch.tensor(g_np)
        # same answers before timing
        np.testing.assert_allclose(yk.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
        yk.backward(gk)
        yt.backward(gt)
        np.testing.assert_allclose(xk.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-5)

        def k_fwd():
            with kernels.no_grad():
                call(KF, xk)

        def t_fwd():
            with torch.no_grad():
                call(TF, xt)

        # .grad reset each time (zero_grad(set_to_none=True)): times the op, not gradient accumulation
        def k_fb():
            xk.grad = None
            call(KF, xk).backward(gk)

        def t_fb():
            xt.grad = None
            call(TF, xt).backward(gt)

        fns = {"ours_fwd": k_fwd, "ours_fwd_bwd": k_fb, "torch_fwd": t_fwd, "torch_fwd_bwd": t_fb}
        samples = {k: [] for k in fns}
        for r in range(args.rounds):  # alternate which library goes first
            order = list(fns) if r % 2 == 0 else list(fns)[2:] + list(fns)[:2]
            for key in order:
                time.sleep(0.1)  # let the other library's worker threads go idle
                samples[key] += timed(fns[key])
        med = {k: float(np.median(v)) for k, v in samples.items()}
        best = {k: float(np.min(v)) for k, v in samples.items()}
        r_f = med["torch_fwd"] / med["ours_fwd"]
        r_fb = med["torch_fwd_bwd"] / med["ours_fwd_bwd"]
        print(f"| {name:<30} | {'x'.join(map(str, shape)):<16} | {med['ours_fwd'] * 1e3:>8.3f} | "
              f"{med['torch_fwd'] * 1e3:>9.3f} | {r_f:>5.2f} | {med['ours_fwd_bwd'] * 1e3:>8.3f} | "
              f"{med['torch_fwd_bwd'] * 1e3:>9.3f} | {r_fb:>5.2f} |")
        rows.append({"op": name, "shape": list(shape), **{k + "_median": v * 1e3 for k, v in med.items()},
                     **{k + "_min": v * 1e3 for k, v in best.items()},
                     "ratio_fwd": r_f, "ratio_fwd_bwd": r_fb,
                     "ratio_fwd_bwd_min": best["torch_fwd_bwd"] / best["ours_fwd_bwd"]})

    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"machine": {"platform": platform.platform(), "processor": platform.processor(),
                               "cpus": os.cpu_count(), "threads": args.threads},
                   "torch": torch.__version__, "commit": commit(),
                   "date": datetime.datetime.now().isoformat(timespec="seconds"),
                   "repeats": args.repeats, "rounds": args.rounds, "unit": "ms", "rows": rows}, f, indent=1)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
