"""One LSTM (and GRU) layer, forward + backward over a whole sequence, in kernels and in torch's
nn.LSTM / nn.GRU on the CPU: same process, same inputs and weights, same thread count, float32.
Default shapes: T=100, B=64, input_size = hidden_size = 256 and 512. Reports the median time of
a step (forward, a sum of the output as the loss, backward; the two libraries take turns), the
throughput in GFLOP/s of the GEMM work (2 products in the forward, 4 of the same size in the
backward) and torch/ours (> 1: we are faster).

    python bench/bench_rnn.py [--hidden 256 512] [--modes lstm gru] [--T 100] [--B 64]
                              [--repeats 5] [--threads 2] [--json bench/results/rnn.json]
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import time

GATES = {"lstm": 4, "gru": 3}


def step_flops(mode, T, B, H):
    """GEMM flops of forward + backward: forward 2 products (input, hidden) of 2*T*B*G*H*H, the
    backward 4 (dX, dW_ih, dW_hh, dh) of the same size."""
    return 6 * 2 * T * B * GATES[mode] * H * H


def median_times(fns, repeats, warmup=1):
    """Median seconds of each function; the functions take turns, so that a machine shared with
    other work slows them alike."""
    for fn in fns:
        for _ in range(warmup):
            fn()
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, ts in zip(fns, times):
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
    return [statistics.median(ts) for ts in times]


def commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--hidden", type=int, nargs="+", default=[256, 512])
    p.add_argument("--modes", nargs="+", default=["lstm", "gru"], choices=sorted(GATES))
    p.add_argument("--T", type=int, default=100)
    p.add_argument("--B", type=int, default=64)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--json", default=None, help="write the results here as JSON")
    args = p.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))

    import numpy as np
    import torch

    import kernels

    kernels.set_num_threads(args.threads)
    torch.set_num_threads(args.threads)

    print(f"RNN layer fwd+bwd, T={args.T}, B={args.B}, input_size = hidden_size, float32, "
          f"{args.threads} threads, median of {args.repeats}")
    print(f"{'layer':>6s} {'H':>5s} {'ours ms':>9s} {'torch ms':>9s} {'ours GF/s':>10s} "
          f"{'torch GF/s':>11s} {'torch/ours':>11s}")
    rows = []
    for mode in args.modes:
        for H in args.hidden:
            rng = np.random.default_rng(0)
            x = rng.standard_normal((args.T, args.B, H)).astype(np.float32)
            tcls = torch.nn.LSTM if mode == "lstm" else torch.nn.GRU
            kcls = kernels.nn.LSTM if mode == "lstm" else kernels.nn.GRU
            tm = tcls(H, H)
            km = kcls(H, H)
            km.load_state_dict(tm.state_dict())
            tx = torch.from_numpy(x).requires_grad_(True)
            kx = kernels.tensor(x, requires_grad=True)

            def ours():
                out, _ = km(kx)
                out.sum().backward()

            def theirs():
                out, _ = tm(tx)
                out.sum().backward()

            t_ours, t_torch = median_times([ours, theirs], args.repeats)
            gf = step_flops(mode, args.T, args.B, H) / 1e9
            row = dict(layer=mode, T=args.T, B=args.B, H=H, ours_ms=t_ours * 1e3, torch_ms=t_torch * 1e3,
                       ours_gflops=gf / t_ours, torch_gflops=gf / t_torch, torch_over_ours=t_torch / t_ours)
            rows.append(row)
            print(f"{mode:>6s} {H:5d} {t_ours * 1e3:9.1f} {t_torch * 1e3:9.1f} {gf / t_ours:10.1f} "
                  f"{gf / t_torch:11.1f} {t_torch / t_ours:11.2f}")
    if args.json:
        meta = dict(machine=platform.processor() or platform.machine(), cpu_count=os.cpu_count(),
                    threads=args.threads, commit=commit(), torch=torch.__version__,
                    date=datetime.datetime.now().isoformat(timespec="seconds"))
        os.makedirs(os.path.dirname(args.json) or ".", exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(dict(meta=meta, rows=rows), f, indent=2)
    return rows


if __name__ == "__main__":
    main()
