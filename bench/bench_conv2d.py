"""conv2d forward and forward+backward: kernels against torch (CPU, oneDNN / MKL), same inputs and
threads, LeNet-5 layer shapes and a ResNet 3x3 layer.

    PYTHONPATH=python python bench/bench_conv2d.py --repeats 20 --threads 2 [--json out.json]

Shapes (batch 64 by default): LeNet-5 c1 1->6 5x5 on 32x32, c3 6->16 5x5 on 14x14, c5 16->120 5x5
on 5x5, and ResNet's 64->64 3x3 pad 1 on 32x32. Both libraries run through their Python API:
fwd is the forward under no_grad; fwd+bwd is the forward recording the graph plus backward with a
fixed upstream gradient, computing the gradients of weight, bias and input (not of the input for
c1, the network's first layer, as in training). Gradients are reset between repeats.

The thread count is set in the environment before either library loads (OMP_NUM_THREADS) and
with torch.set_num_threads. Each library is timed in its own block (warm-up, then the repeats)
with a pause between blocks, so that the two OpenMP pools do not spin against each other; run it
twice on a shared machine: medians move with background load (a thread that loses its core for
a 4 ms time slice shows up whole in a 1 ms convolution), so the ratio of the fastest repeats is
printed too. Ratios are torch time / our time (> 1: ours is faster).
"""
import argparse
import json
import os
import platform
import subprocess
import time

SHAPES = [
    # name, batch, C_in, H, W, C_out, k, padding, input needs grad
    ("lenet.c1", 64, 1, 32, 32, 6, 5, 0, False),
    ("lenet.c3", 64, 6, 14, 14, 16, 5, 0, True),
    ("lenet.c5", 64, 16, 5, 5, 120, 5, 0, True),
    ("resnet.3x3", 64, 64, 32, 32, 64, 3, 1, True),
]


def parse():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    p.add_argument("--only", nargs="*", help="shape names to run (default: all)")
    p.add_argument("--json", help="also write the results to this JSON file")
    return p.parse_args()


def time_it(fn, repeats):
    """(median, min) wall time of fn over `repeats` calls, after one warm-up call."""
    fn()  # warm-up: workspaces, thread pool
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2], times[0]


def main():
    args = parse()
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    os.environ["MKL_NUM_THREADS"] = str(args.threads)
    import numpy as np
    import torch

    import kernels
    import kernels.functional as F

    torch.set_num_threads(args.threads)
    kernels.set_num_threads(args.threads)
    kdt = getattr(kernels, args.dtype)
    tdt = getattr(torch, args.dtype)
    rng = np.random.default_rng(0)
    print(f"conv2d {args.dtype}, threads={args.threads}, repeats={args.repeats}, median ms "
          f"(ratio = torch / ours, > 1: ours faster; min-ratio: the same from the fastest repeats)")
    print(f"{'shape':>11} {'GFLOP':>6} | {'fwd ours':>9} {'torch':>8} {'ratio':>6} {'min-ratio':>9} | "
          f"{'fwd+bwd ours':>12} {'torch':>8} {'ratio':>6} {'min-ratio':>9} {'GFLOP/s':>8}")
    rows = []
    for name, B, C, H, W, O, k, pad, x_grad in SHAPES:
        if args.only and name not in args.only:
            continue
        B = args.batch
        OH, OW = H + 2 * pad - k + 1, W + 2 * pad - k + 1
        fwd_flops = 2.0 * B * O * OH * OW * C * k * k
        bwd_flops = fwd_flops * (2 if x_grad else 1)
        x = rng.standard_normal((B, C, H, W)).astype(args.dtype)
        w = (rng.standard_normal((O, C, k, k)) / np.sqrt(C * k * k)).astype(args.dtype)
        b = rng.standard_normal(O).astype(args.dtype)
        gy = rng.standard_normal((B, O, OH, OW)).astype(args.dtype)

        kx = kernels.tensor(x, requires_grad=x_grad)
        kw_ = kernels.tensor(w, requires_grad=True)
        kb = kernels.tensor(b, requires_grad=True)
        kgy = kernels.tensor(gy)
        tx = torch.tensor(x, requires_grad=x_grad)
        tw = torch.tensor(w, requires_grad=True)
        tb = torch.tensor(b, requires_grad=True)
        tgy = torch.tensor(gy)

        def ours_fwd():
            with kernels.no_grad():
                return F.conv2d(kx, kw_, kb, padding=pad)

        def torch_fwd():
            with torch.no_grad():
                return torch.nn.functional.conv2d(tx, tw, tb, padding=pad)

        def ours_step():
            kx.grad = kw_.grad = kb.grad = None
            F.conv2d(kx, kw_, kb, padding=pad).backward(kgy)

        def torch_step():
            tx.grad = tw.grad = tb.grad = None
            torch.nn.functional.conv2d(tx, tw, tb, padding=pad).backward(tgy)

        # Same numbers first (float32: relative to the output's scale).
        tol = 1e-3 if args.dtype == "float32" else 1e-9
        yo, yt = ours_fwd().numpy(), torch_fwd().numpy()
        assert np.abs(yo - yt).max() <= tol * max(1.0, np.abs(yt).max()), f"{name}: outputs differ"
        ours_step()
        torch_step()
        for a, t_ in ((kw_, tw), (kb, tb)) + (((kx, tx),) if x_grad else ()):
            g, tg = a.grad.numpy(), t_.grad.numpy()
            assert np.abs(g - tg).max() <= tol * max(1.0, np.abs(tg).max()), f"{name}: gradients differ"

        res, best = {}, {}
        for key, fn in (("ours_fwd", ours_fwd), ("ours_step", ours_step), ("torch_fwd", torch_fwd),
                        ("torch_step", torch_step)):
            time.sleep(0.3)  # let the other library's worker threads go idle
            res[key], best[key] = time_it(fn, args.repeats)
        r_fwd = res["torch_fwd"] / res["ours_fwd"]
        r_step = res["torch_step"] / res["ours_step"]
        m_fwd = best["torch_fwd"] / best["ours_fwd"]
        m_step = best["torch_step"] / best["ours_step"]
        gflops = (fwd_flops + bwd_flops) / res["ours_step"] / 1e9
        print(f"{name:>11} {fwd_flops / 1e9:>6.3f} | {res['ours_fwd'] * 1e3:>9.3f} {res['torch_fwd'] * 1e3:>8.3f} "
              f"{r_fwd:>6.2f} {m_fwd:>9.2f} | {res['ours_step'] * 1e3:>12.3f} {res['torch_step'] * 1e3:>8.3f} "
              f"{r_step:>6.2f} {m_step:>9.2f} {gflops:>8.1f}")
        rows.append(dict(shape=name, batch=B, c_in=C, h=H, w=W, c_out=O, k=k, padding=pad,
                         fwd_gflop=fwd_flops / 1e9, median_ms={k_: v * 1e3 for k_, v in res.items()},
                         min_ms={k_: v * 1e3 for k_, v in best.items()},
                         ratio_fwd=r_fwd, ratio_fwd_bwd=r_step, min_ratio_fwd=m_fwd,
                         min_ratio_fwd_bwd=m_step))
    if args.json:
        try:
            commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                    text=True, check=False).stdout.strip()
        except OSError:
            commit = ""
        meta = dict(machine=platform.machine(), processor=platform.processor(), cpus=os.cpu_count(),
                    threads=args.threads, dtype=args.dtype, repeats=args.repeats, commit=commit,
                    date=time.strftime("%Y-%m-%d %H:%M:%S"), torch=torch.__version__,
                    load_average=os.getloadavg())
        with open(args.json, "w") as f:
            json.dump(dict(meta=meta, results=rows), f, indent=1)


if __name__ == "__main__":
    main()
