"""`python -m bench --device cuda`: every GPU case, ours against torch on the same device.

Same filters and outputs as the CPU suite (bench/run.py): --op / --size select, --list prints
without touching the GPU, results go to bench/results/<name>.{json,md,png}. A case whose result
differs from torch's is reported as an error and not timed.
"""
from __future__ import annotations

import sys
import time


def run_case(torch, case, args, flush, peak_gflops):
    from bench.gpu.harness import compare, synchronize

    row = {"family": case.family, "name": case.name, "peer": case.peer, "target": case.target,
           "flops": case.flops, "nbytes": case.nbytes}
    try:
        ours, peer, check = case.setup()
        if check is not None:
            err = check()
            synchronize()
            row["max_rel_err"] = err
            if not err <= case.tol:
                raise AssertionError(f"our result differs from the peer's: max relative error {err:.3g} > {case.tol}")
        t_ours, t_peer = compare(torch, ours, peer, args.repeats, args.warmup, args.rounds, flush)
    except Exception as e:  # report the case and go on with the others
        row["error"] = f"{type(e).__name__}: {e}"
        return row
    row["ours"] = vars(t_ours) | {"spread": t_ours.spread}
    row["peer_t"] = vars(t_peer) | {"spread": t_peer.spread}
    row["ratio"] = t_peer.median / t_ours.median
    row["min_ratio"] = t_peer.best / t_ours.best
    if case.flops:
        row["ours_gflops"] = case.flops / t_ours.median / 1e9
        row["peer_gflops"] = case.flops / t_peer.median / 1e9
        if peak_gflops:
            row["pct_peak"] = 100.0 * row["ours_gflops"] / peak_gflops
    if case.nbytes:
        row["ours_gbs"] = case.nbytes / t_ours.median / 1e9
        row["peer_gbs"] = case.nbytes / t_peer.median / 1e9
    return row


def _save_partial(meta, rows, args):
    """The rows so far, after every case: a run stopped by a time limit keeps what it measured
    (report.save rewrites the file, complete, at the end)."""
    import json
    import os

    from bench.run import result_name

    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, result_name(args) + ".json")
    with open(path + ".tmp", "w") as f:
        json.dump({"machine": meta, "results": rows, "complete": False}, f, indent=1)
    os.replace(path + ".tmp", path)


def main(args):
    from bench import report
    from bench.gpu import cases as gpu_cases
    from bench.run import result_name, select

    chosen = select(gpu_cases.cases(args), args.op, args.size)
    if not chosen:
        sys.exit(f"no GPU case matches --op {args.op} --size {args.size}; try --device cuda --list")
    if args.list:
        for c in chosen:
            print(f"{c.family:7s} {c.name}  (peer {c.peer}, size {c.size}, device cuda)")
        return

    import kernels
    from bench.gpu.harness import L2Flush, machine_info, peer_torch

    if not kernels.cuda.is_available():
        sys.exit(f"--device cuda: kernels has no CUDA device (build_info: {kernels.build_info()})")
    try:
        torch = peer_torch()
    except (ImportError, RuntimeError) as e:
        sys.exit(f"--device cuda needs torch with CUDA as the peer: {e}")
    flush = L2Flush(torch)
    meta = machine_info(torch, flush)
    print(f"{meta['gpu']} (sm_{meta['capability'].replace('.', '')}, {meta['multiprocessors']} SMs, "
          f"FP32 peak {meta['fp32_peak_gflops']} GFLOP/s), torch {meta['torch']} CUDA {meta['torch_cuda']}, "
          f"TF32 off; commit {meta['commit']}; {len(chosen)} cases; ratio = peer time / ours (> 1: ours faster)")
    print(f"{'':4}{'case':58s} {'ours ms':>9s} {'peer ms':>9s} {'rate':>15s} {'%peak':>6s} {'ratio':>6s}")
    rows = []
    start = time.perf_counter()
    for i, case in enumerate(chosen, 1):
        row = run_case(torch, case, args, flush, meta["fp32_peak_gflops"])
        rows.append(row)
        if not args.no_save:
            _save_partial(meta, rows, args)
        label = f"{case.family}: {case.name}"[:58]
        if row.get("error"):
            print(f"{i:3d} {label:58s} ERROR {row['error']}", flush=True)
            continue
        pct = f"{row['pct_peak']:.0f}%" if row.get("pct_peak") is not None else ""
        print(f"{i:3d} {label:58s} {row['ours']['median'] * 1e3:9.3f} {row['peer_t']['median'] * 1e3:9.3f} "
              f"{report._rate(row):>15s} {pct:>6s} {row['ratio']:6.2f}", flush=True)
    print(f"{len(rows)} cases in {time.perf_counter() - start:.0f} s")
    if not args.no_save:
        for path in report.save(meta, rows, args.out, result_name(args)):
            print("wrote", path)
    if any(r.get("error") for r in rows):
        sys.exit(1)
