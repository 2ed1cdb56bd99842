"""batch_norm (training) and layer_norm, forward + backward, against torch CPU in one process.

    PYTHONPATH=python python bench/bench_norm.py --repeats 30 --threads 2

Both libraries run through their public autograd API (F.batch_norm / F.layer_norm on an input
that requires grad, then backward with a fixed upstream gradient; batch_norm with affine
parameters and running statistics, layer_norm over all dims after the first), float32, the same
inputs and thread count (OMP_NUM_THREADS set before either library loads, torch.set_num_threads).
"ours kernel" times the two C++ calls alone (_C.<op>_forward + _C.<op>_backward), without the
autograd bookkeeping. Each library is timed in its own block (warm-up, then all repeats) with a
pause between blocks, so the two OpenMP pools do not spin against each other. Medians; ratio =
torch time / our time (above 1: ours is faster). Results go to bench/results/norm.{json,md},
with the load average at the end of the run: on a shared machine the medians move with it.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess

SHAPES = [(64, 6, 28, 28), (64, 64, 32, 32), (64, 256)]


def parse():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=30)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--no-save", action="store_true", help="print only; do not write bench/results")
    return p.parse_args()


def median_time(fn, repeats, time, np):
    time.sleep(0.3)  # let the other library's worker threads go idle
    fn()
    fn()  # warm up (allocator caches, thread pool)
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


def commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=os.path.dirname(os.path.abspath(__file__)), check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main():
    args = parse()
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import time

    import numpy as np
    import torch
    import torch.nn.functional as TF

    import kernels
    import kernels.functional as F
    from kernels import _C

    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    rows = []
    for op in ("batch_norm", "layer_norm"):
        for shape in SHAPES:
            x = rng.standard_normal(shape).astype(np.float32) * 2 + 1
            g = rng.standard_normal(shape).astype(np.float32)
            C = shape[1]
            w = rng.uniform(0.5, 1.5, C if op == "batch_norm" else shape[1:]).astype(np.float32)
            b = rng.standard_normal(w.shape).astype(np.float32)
            kx = kernels.tensor(x, requires_grad=True)
            kg, kw, kb = kernels.tensor(g), kernels.tensor(w, requires_grad=True), kernels.tensor(b, requires_grad=True)
            tx = torch.tensor(x, requires_grad=True)
            tg, tw, tb = torch.tensor(g), torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)
            if op == "batch_norm":
                krm, krv = kernels.zeros(C), kernels.ones(C)
                trm, trv = torch.zeros(C), torch.ones(C)

                def ours():
                    F.batch_norm(kx, krm, krv, kw, kb, training=True).backward(kg)

                def ours_kernel():
                    _, m, s = _C.batch_norm_forward(kx, kw, kb, krm, krv, True, 0.1, 1e-5)
                    _C.batch_norm_backward(kg, kx, kw, m, s, True, [True, True, True])

                def theirs():
                    TF.batch_norm(tx, trm, trv, tw, tb, training=True).backward(tg)

                yk = F.batch_norm(kx, kernels.zeros(C), kernels.ones(C), kw, kb, training=True)
                yt = TF.batch_norm(tx, torch.zeros(C), torch.ones(C), tw, tb, training=True)
            else:
                ns = list(shape[1:])

                def ours():
                    F.layer_norm(kx, ns, kw, kb).backward(kg)

                def ours_kernel():
                    _, m, s = _C.layer_norm_forward(kx, ns, kw, kb, 1e-5)
                    _C.layer_norm_backward(kg, kx, ns, kw, m, s, [True, True, True])

                def theirs():
                    TF.layer_norm(tx, ns, tw, tb).backward(tg)

                yk, yt = F.layer_norm(kx, ns, kw, kb), TF.layer_norm(tx, ns, tw, tb)
            err = float(np.abs(yk.detach().numpy() - yt.detach().numpy()).max())
            assert err < 1e-4, f"{op} {shape}: outputs differ by {err}"
            t_ours = median_time(ours, args.repeats, time, np)
            t_kernel = median_time(ours_kernel, args.repeats, time, np)
            t_torch = median_time(theirs, args.repeats, time, np)
            rows.append({"op": op, "shape": list(shape), "ours_ms": t_ours * 1e3, "ours_kernel_ms": t_kernel * 1e3,
                         "torch_ms": t_torch * 1e3, "ratio": t_torch / t_ours})
            r = rows[-1]
            print(f"{op:<11} {str(shape):<18} ours {r['ours_ms']:8.3f} ms  (kernels {r['ours_kernel_ms']:8.3f} ms)  "
                  f"torch {r['torch_ms']:8.3f} ms  torch/ours {r['ratio']:5.2f}x", flush=True)
    if args.no_save:
        return
    meta = {"machine": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
            "threads": args.threads, "commit": commit(), "date": datetime.date.today().isoformat(),
            "torch": torch.__version__, "repeats": args.repeats, "dtype": "float32",
            "load_average": [round(v, 2) for v in os.getloadavg()]}
    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "norm.json"), "w") as f:
        json.dump({"meta": meta, "rows": rows}, f, indent=1)
    lines = [f"float32 fwd+bwd, {args.threads} threads, median of {args.repeats}, commit {meta['commit']}, "
             f"{meta['date']}, torch {meta['torch']}, load average {meta['load_average']} on "
             f"{meta['cpus']} CPUs (a shared machine: timings move with the load)", "",
             "| op | shape | ours ms | ours kernels ms | torch ms | torch/ours |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['op']} | {tuple(r['shape'])} | {r['ours_ms']:.3f} | {r['ours_kernel_ms']:.3f} | "
                     f"{r['torch_ms']:.3f} | {r['ratio']:.2f} |")
    with open(os.path.join(out_dir, "norm.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
