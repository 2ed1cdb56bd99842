"""One training step of the same MLP in kernels and in torch: forward, cross-entropy, backward,
SGD-with-momentum update. At batch 1 the kernels do almost no work, so the time is the Python
layer's overhead (module calls, autograd recording, the backward walk, the optimizer loop); at
larger batches the kernels dominate.

    python bench/bench_mlp_step.py [--batches 1 64 256] [--steps 200] [--threads 2]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time


def build_ours(kernels, sizes):
    nn = kernels.nn
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    model = nn.Sequential(*layers[:-1])
    opt = kernels.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return model, opt, nn.CrossEntropyLoss()


def build_torch(torch, sizes):
    nn = torch.nn
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    model = nn.Sequential(*layers[:-1])
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return model, opt, nn.CrossEntropyLoss()


def time_steps(step, steps):
    for _ in range(10):
        step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e6


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--batches", type=int, nargs="+", default=[1, 64, 256])
    p.add_argument("--sizes", type=int, nargs="+", default=[784, 256, 128, 10])
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))

    import numpy as np

    import kernels

    kernels.set_num_threads(args.threads)
    try:
        import torch

        torch.set_num_threads(args.threads)
    except ImportError:
        torch = None

    print(f"MLP {'-'.join(map(str, args.sizes))}, SGD momentum, {args.threads} threads, median of {args.steps} steps")
    print(f"{'batch':>6s} {'ours us/step':>13s} {'torch us/step':>14s} {'torch/ours':>11s}")
    rows = []
    for batch in args.batches:
        rng = np.random.default_rng(0)
        x = rng.standard_normal((batch, args.sizes[0])).astype(np.float32)
        y = rng.integers(0, args.sizes[-1], batch)

        model, opt, loss_fn = build_ours(kernels, args.sizes)
        kx, ky = kernels.tensor(x), kernels.tensor(y)

        def ours():
            opt.zero_grad()
            loss_fn(model(kx), ky).backward()
            opt.step()

        t_ours = time_steps(ours, args.steps)
        t_torch = float("nan")
        if torch is not None:
            tmodel, topt, tloss = build_torch(torch, args.sizes)
            tx, ty = torch.from_numpy(x), torch.from_numpy(y)

            def theirs():
                topt.zero_grad()
                tloss(tmodel(tx), ty).backward()
                topt.step()

            t_torch = time_steps(theirs, args.steps)
        rows.append((batch, t_ours, t_torch))
        print(f"{batch:6d} {t_ours:13.1f} {t_torch:14.1f} {t_torch / t_ours:11.2f}")
    return rows


if __name__ == "__main__":
    main()
