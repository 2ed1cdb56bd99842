"""`python -m bench --device cuda`: every GPU case, ours against torch on the same device.

Same filters and outputs as the CPU suite (bench/run.py): --op / --size select, --list prints
without touching the GPU, results go to bench/results/<name>.{json,md,png}. A case whose result
differs from torch's is reported as an error and not timed.
"""
from __future__ import annotations

import sys


def run_case(torch, case, args, flush, peak_gflops):
    from bench.gpu.harness import compare, synchronize
    from bench.run import add_timings, new_row

    row = new_row(case)
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
    return add_timings(row, case, t_ours, t_peer, peak_gflops)


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
    from bench.gpu import cases as gpu_cases
    from bench.run import pick, run_all

    chosen = pick(gpu_cases.cases(args), args,
                  f"no GPU case matches --op {args.op} --size {args.size}; try --device cuda --list",
                  lambda c: "device cuda")
    if chosen is None:
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
    save = None if args.no_save else (lambda rows: _save_partial(meta, rows, args))
    run_all(chosen, lambda case: run_case(torch, case, args, flush, meta["fp32_peak_gflops"]), meta, args,
            targets=False, after_each=save)
