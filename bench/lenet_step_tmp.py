"""One LeNet-5 training step (forward, cross-entropy, backward, SGD with momentum) in kernels and
in torch, same layer shapes and the same starting weights; plus softmax+cross-entropy fwd+bwd.

    python bench/lenet_step_tmp.py [--batches 64 256] [--repeats 40] [--threads 2] [--no-ce]

Each library runs in its own block (warm-up, then ``repeats`` timed steps; median and min),
with a short pause between blocks. Ratio = torch / ours (> 1: ours is faster).
"""
from __future__ import annotations

import argparse
import os
import statistics
import time


def timeit(fn, repeats, warmup=5):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts) * 1e3, min(ts) * 1e3


def torch_lenet(torch):
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Conv2d(16, 120, 5), nn.Tanh(), nn.Flatten(),
        nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10))


# kernels' LeNet5 submodule names -> index in the torch Sequential above
_NAMES = {"c1": "0", "c3": "3", "c5": "6", "f6": "9", "output": "11"}


def load_same_weights(torch, ours, theirs):
    sd = {}
    for k, v in ours.state_dict().items():
        mod, leaf = k.split(".", 1)
        sd[f"{_NAMES[mod]}.{leaf}"] = torch.from_numpy(v.numpy().copy())
    theirs.load_state_dict(sd)


def bench_step(kernels, torch, batch, repeats, pause):
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 1, 32, 32)).astype(np.float32)
    y = rng.integers(0, 10, batch).astype(np.int64)

    kernels.manual_seed(0)
    model = kernels.models.LeNet5()
    opt = kernels.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = kernels.nn.CrossEntropyLoss()
    kx, ky = kernels.tensor(x), kernels.tensor(y)
    tmodel = torch_lenet(torch)
    load_same_weights(torch, model, tmodel)
    topt = torch.optim.SGD(tmodel.parameters(), lr=0.01, momentum=0.9)
    tloss = torch.nn.CrossEntropyLoss()
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)

    # Same weights, same first loss (a check that the two models really are the same).
    l0 = loss_fn(model(kx), ky).item()
    t0 = tloss(tmodel(tx), ty).item()
    assert abs(l0 - t0) < 1e-4 * max(1.0, abs(t0)), (l0, t0)

    def ours():
        opt.zero_grad()
        loss_fn(model(kx), ky).backward()
        opt.step()

    def theirs():
        topt.zero_grad()
        tloss(tmodel(tx), ty).backward()
        topt.step()

    o = timeit(ours, repeats)
    time.sleep(pause)
    t = timeit(theirs, repeats)
    time.sleep(pause)
    return o, t


def bench_ce(kernels, torch, shape, repeats, pause):
    import numpy as np

    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype(np.float32)
    y = rng.integers(0, shape[1], shape[0]).astype(np.int64)
    kx = kernels.tensor(x, requires_grad=True)
    ky = kernels.tensor(y)
    tx = torch.from_numpy(x.copy()).requires_grad_(True)
    ty = torch.from_numpy(y)
    F = torch.nn.functional

    def ours():
        kx.grad = None
        kernels.functional.cross_entropy(kx, ky).backward()

    def theirs():
        tx.grad = None
        F.cross_entropy(tx, ty).backward()

    o = timeit(ours, repeats * 5)
    time.sleep(pause)
    t = timeit(theirs, repeats * 5)
    time.sleep(pause)
    return o, t


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--batches", type=int, nargs="+", default=[64, 256])
    p.add_argument("--repeats", type=int, default=40)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--pause", type=float, default=0.3)
    p.add_argument("--no-ce", action="store_true")
    args = p.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))

    import kernels
    import kernels.models
    import torch

    kernels.set_num_threads(args.threads)
    torch.set_num_threads(args.threads)
    print(f"kernels from {os.path.dirname(kernels.__file__)}; torch {torch.__version__}; "
          f"{args.threads} threads; {args.repeats} repeats")
    print(f"{'LeNet-5 step':24s} {'ours med/min ms':>18s} {'torch med/min ms':>18s} {'torch/ours':>10s}")
    for b in args.batches:
        (om, on), (tm, tn) = bench_step(kernels, torch, b, args.repeats, args.pause)
        print(f"{'batch ' + str(b):24s} {om:8.3f} /{on:8.3f} {tm:8.3f} /{tn:8.3f} {tm / om:10.2f}")
    if not args.no_ce:
        print(f"{'softmax+CE fwd+bwd':24s} {'ours med/min ms':>18s} {'torch med/min ms':>18s} {'torch/ours':>10s}")
        for shape in [(64, 10), (256, 10), (64, 1000)]:
            (om, on), (tm, tn) = bench_ce(kernels, torch, shape, args.repeats, args.pause)
            print(f"{str(shape):24s} {om:8.4f} /{on:8.4f} {tm:8.4f} /{tn:8.4f} {tm / om:10.2f}")


if __name__ == "__main__":
    main()
