"""GEMM sweep: GFLOP/s of ours, numpy (OpenBLAS) and torch against size (square 64..2048), and at
the networks' shapes (kernels.testing.cases.MATMUL_NETWORK), with a plot.

    python -m bench --sweep [--threads 2] [--repeats 10]
"""
from __future__ import annotations

import os
import time

import numpy as np

from kernels.testing.cases import MATMUL_NETWORK as NETWORK
from bench.harness import PAUSE_S, Timing, machine_info, measure_peak, time_block
from bench.report import pyplot, save_figure

SQUARE = [64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048]


def _fns(form, M, N, K):
    """ours, numpy, torch computing the same product (see bench/cases/matmul.py for the forms)."""
    import torch

    from kernels import _C

    rng = np.random.default_rng(0)
    if form == "nn":
        a, b = rng.standard_normal((M, K), dtype=np.float32), rng.standard_normal((K, N), dtype=np.float32)
        ka, kb, ta, tb = _C.from_numpy(a), _C.from_numpy(b), torch.from_numpy(a), torch.from_numpy(b)
        return (lambda: _C.matmul_forward(ka, kb)), (lambda: a @ b), (lambda: ta @ tb)
    if form == "nt":
        x, w = rng.standard_normal((M, K), dtype=np.float32), rng.standard_normal((N, K), dtype=np.float32)
        kx, kw, tx, tw = _C.from_numpy(x), _C.from_numpy(w), torch.from_numpy(x), torch.from_numpy(w)
        return (lambda: _C.linear_forward(kx, kw, None)), (lambda: x @ w.T), (lambda: tx @ tw.T)
    dy, x = rng.standard_normal((K, M), dtype=np.float32), rng.standard_normal((K, N), dtype=np.float32)
    kdy, kx = _C.from_numpy(dy), _C.from_numpy(x)
    kw = _C.from_numpy(np.zeros((M, N), np.float32))
    tdy, tx = torch.from_numpy(dy), torch.from_numpy(x)
    return ((lambda: _C.linear_backward(kdy, kx, kw, False, [False, True, False])[1]),
            (lambda: dy.T @ x), (lambda: tdy.T @ tx))


def _measure(form, M, N, K, args):
    flops = 2.0 * M * N * K
    out = {}
    for lib, fn in zip(("ours", "numpy", "torch"), _fns(form, M, N, K)):
        time.sleep(PAUSE_S)
        t = Timing.of(time_block(fn, args.repeats, args.warmup, args.min_time))
        out[lib] = flops / t.median / 1e9
    return out


def _plot(meta, square, network, path):
    plt = pyplot()
    if plt is None:
        return False
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 4.8), gridspec_kw={"width_ratios": [1, 1.3]})
    for lib, style in (("ours", "o-"), ("numpy", "s--"), ("torch", "^:")):
        ax1.plot([r["n"] for r in square], [r[lib] for r in square], style, label=lib)
    ax1.axhline(meta["fma_peak_gflops"], color="grey", lw=1)
    ax1.text(square[0]["n"], meta["fma_peak_gflops"], " measured FMA peak", va="bottom", fontsize=8)
    ax1.set_xscale("log", base=2)
    ax1.set_xlabel("n (C = A @ B, all n x n)")
    ax1.set_ylabel("GFLOP/s")
    ax1.set_title("square float32 GEMM")
    ax1.legend()
    xs = np.arange(len(network))
    for i, lib in enumerate(("ours", "numpy", "torch")):
        ax2.bar(xs + (i - 1) * 0.27, [r[lib] for r in network], 0.27, label=lib)
    ax2.set_xticks(xs)
    ax2.set_xticklabels([r["name"] for r in network], rotation=60, ha="right", fontsize=7)
    ax2.set_ylabel("GFLOP/s")
    ax2.set_title("the networks' GEMM shapes")
    ax2.legend(fontsize=8)
    fig.suptitle(f"{meta['cpu']}, {meta['threads']} threads, commit {meta['commit']}, {meta['date']}",
                 fontsize=9)
    return save_figure(plt, fig, path)


def main(args):
    import json

    meta = machine_info(args.threads, measure_peak(args.threads))
    print(f"GEMM sweep, float32, {args.threads} threads; FMA peak {meta['fma_peak_gflops']} GFLOP/s")
    print(f"{'shape':42s} {'ours':>8s} {'numpy':>8s} {'torch':>8s}  GFLOP/s")
    square, network = [], []
    for n in SQUARE:
        r = {"n": n, **_measure("nn", n, n, n, args)}
        square.append(r)
        print(f"{f'{n}^3':42s} {r['ours']:8.1f} {r['numpy']:8.1f} {r['torch']:8.1f}", flush=True)
    for name, form, M, N, K in NETWORK:
        r = {"name": name, "form": form, "M": M, "N": N, "K": K, **_measure(form, M, N, K, args)}
        network.append(r)
        print(f"{f'{name} ({form} {M}x{N}x{K})':42s} {r['ours']:8.1f} {r['numpy']:8.1f} {r['torch']:8.1f}",
              flush=True)
    if args.no_save:
        return
    base = os.path.join(args.out, args.name or f"gemm_sweep_{args.threads}threads")
    os.makedirs(args.out, exist_ok=True)
    with open(base + ".json", "w") as f:
        json.dump({"machine": meta, "square": square, "network": network}, f, indent=1)
    print("wrote", base + ".json")
    if _plot(meta, square, network, base + ".png"):
        print("wrote", base + ".png")
