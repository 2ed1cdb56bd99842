"""Run the benchmark suite: every kernel family against its peer, same process, same inputs,
same thread count (float32).

    python -m bench                          # everything, 2 threads -> bench/results/cpu_2threads.*
    python -m bench --op matmul --size 1024  # one family (or a word of a case name), one size
    python -m bench --op conv2d train --threads 1
    python -m bench --sweep                  # GEMM GFLOP/s against size: ours, numpy, torch
    python -m bench --list                   # what would run
    python -m bench --device cuda            # the GPU cases against torch on CUDA -> bench/results/cuda.*

Families are named as the op families and their tests (tests/test_<family>.py): matmul conv2d
activation pool norm loss rnn train, and overhead. Any other word of --op selects the cases whose
name contains it (lstm, lenet, batch_norm, ...).

Peers: numpy (OpenBLAS) for GEMM, torch (CPU: oneDNN / MKL) for the rest. Before any timing,
each case checks that our result matches the peer's. Reported: median time and spread, GFLOP/s
or GB/s, % of this machine's measured FMA peak, and the ratio peer time / our time.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import time

# The families' names before they followed the op families: kept for old scripts and READMEs.
RENAMED = {"gemm": "matmul", "step": "train"}


def parse(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--op", nargs="+", default=None,
                   help="families (matmul conv2d activation pool norm loss rnn train overhead) or "
                        "words of case names (lstm, lenet, batch_norm, ...); default: all")
    p.add_argument("--size", type=int, nargs="+", default=None,
                   help="only cases of these sizes (GEMM n, batch, hidden size)")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                   help="cuda: the GPU cases (bench/gpu) against torch on the same GPU, TF32 off")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=10, help="timed calls per block")
    p.add_argument("--rounds", type=int, default=2, help="alternating blocks of ours and the peer")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--min-time", type=float, default=0.25,
                   help="keep repeating a block (up to 10x the repeats) until it lasts this long")
    p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    p.add_argument("--name", default=None, help="file name of the results (default from threads and filters)")
    p.add_argument("--no-save", action="store_true", help="print the table only")
    p.add_argument("--list", action="store_true", help="list the selected cases and exit")
    p.add_argument("--sweep", action="store_true", help="GEMM sweep over sizes and network shapes, with a plot")
    return p.parse_args(argv)


def set_threads(n):
    """Before numpy, torch or kernels load: each reads its thread count once."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)


def select(all_cases, ops, sizes):
    """The cases of the families named in `ops`, and those whose name contains any other word of
    it (a family's name selects that family only: --op train is not batch_norm's "train")."""
    families = {c.family for c in all_cases}
    ops = [RENAMED.get(op.lower(), op.lower()) for op in ops or []]

    def wanted(c):
        if sizes and c.size not in sizes:
            return False
        if not ops:
            return True
        return any(op == c.family if op in families else op in c.name.lower() for op in ops)

    return [c for c in all_cases if wanted(c)]


def pick(all_cases, args, none_chosen, listed):
    """The cases --op / --size select (exit with `none_chosen` if none). With --list, print them,
    each with listed(case) after its peer and size, and return None."""
    chosen = select(all_cases, args.op, args.size)
    if not chosen:
        sys.exit(none_chosen)
    if args.list:
        width = max(len(c.family) for c in chosen)
        for c in chosen:
            print(f"{c.family:{width}s} {c.name}  (peer {c.peer}, size {c.size}, {listed(c)})")
        return None
    return chosen


def result_name(args):
    if args.name:
        return args.name
    name = "cuda" if getattr(args, "device", "cpu") == "cuda" else f"cpu_{args.threads}threads"
    if args.op or args.size:
        parts = (args.op or []) + [str(s) for s in (args.size or [])]
        name += "_" + re.sub(r"[^A-Za-z0-9]+", "-", "_".join(parts)).strip("-")
    return name


def new_row(case):
    """A result row before anything has run: what the case is."""
    return {"family": case.family, "name": case.name, "peer": case.peer, "target": case.target,
            "flops": case.flops, "nbytes": case.nbytes}


def add_timings(row, case, t_ours, t_peer, peak_gflops):
    """The row's times, ratios and rates; % of peak only where the peak is known."""
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


def run_case(case, args, peak_gflops):
    from bench.harness import compare

    row = new_row(case)
    try:
        ours, peer, check = case.setup()
        if case.describe is not None:
            row["kernel"] = case.describe()
        if check is not None:
            err = check()
            row["max_rel_err"] = err
            if not err <= case.tol:
                raise AssertionError(f"our result differs from the peer's: max relative error {err:.3g} > {case.tol}")
    except Exception as e:  # report the case and go on with the others
        row["error"] = f"{type(e).__name__}: {e}"
        return row
    t_ours, t_peer = compare(ours, peer, args.repeats, args.warmup, args.rounds, args.min_time)
    return add_timings(row, case, t_ours, t_peer, peak_gflops)


def run_all(chosen, run_one, meta, args, targets=True, after_each=None):
    """Run the chosen cases one by one (run_one(case) -> row), printing a table row for each, then
    save the results; exit 1 if any case failed. after_each(rows), if given, follows every case;
    targets: a column for the case's target ratio."""
    from bench import report

    print(f"{'':4}{'case':58s} {'ours ms':>9s} {'peer ms':>9s} {'rate':>15s} {'%peak':>6s} {'ratio':>6s}"
          + (f" {'target':>7s}" if targets else ""))
    rows = []
    start = time.perf_counter()
    for i, case in enumerate(chosen, 1):
        row = run_one(case)
        rows.append(row)
        if after_each is not None:
            after_each(rows)
        label = f"{case.family}: {case.name}"[:58]
        if row.get("error"):
            print(f"{i:3d} {label:58s} ERROR {row['error']}", flush=True)
            continue
        pct = f"{row['pct_peak']:.0f}%" if row.get("pct_peak") is not None else ""
        target = f" {case.target:>7.2f}" if case.target else f" {'':>7s}"
        print(f"{i:3d} {label:58s} {row['ours']['median'] * 1e3:9.3f} {row['peer_t']['median'] * 1e3:9.3f} "
              f"{report._rate(row):>15s} {pct:>6s} {row['ratio']:6.2f}" + (target if targets else ""), flush=True)
        if row.get("kernel"):
            print(f"{'':4}  runs {row['kernel']}", flush=True)
    print(f"{len(rows)} cases in {time.perf_counter() - start:.0f} s")
    if not args.no_save:
        for path in report.save(meta, rows, args.out, result_name(args)):
            print("wrote", path)
    if any(r.get("error") for r in rows):
        sys.exit(1)


def main(argv=None):
    args = parse(argv)
    set_threads(args.threads)
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if args.device == "cuda":
        if args.sweep:
            sys.exit("--sweep runs on the CPU only")
        from bench.gpu.run import main as gpu_main

        gpu_main(args)
        return
    import importlib

    import kernels
    from bench.cases import FAMILIES
    from bench.harness import machine_info, measure_peak, peak_line

    kernels.set_num_threads(args.threads)
    if not args.sweep:  # listed before torch is needed: --list runs without it
        all_cases = [c for fam in FAMILIES for c in importlib.import_module(f"bench.cases.{fam}").cases(args)]
        chosen = pick(all_cases, args, f"no case matches --op {args.op} --size {args.size}; try --list",
                      lambda c: f"target {c.target}")
        if chosen is None:
            return
    try:
        import torch

        torch.set_num_threads(args.threads)
    except ImportError:
        sys.exit("python -m bench needs torch as the peer for most families: "
                 "pip install 'dlkernels[bench]' (torch==2.13.0 for the CPU build)")

    if args.sweep:
        from bench import sweep

        sweep.main(args)
        return

    peak = measure_peak(args.threads)
    meta = machine_info(args.threads, peak)
    print(f"{meta['cpu']} ({', '.join(meta['cpu_flags'])}), {args.threads} threads, {peak_line(meta)}; "
          f"commit {meta['commit']}; "
          f"{len(chosen)} cases; ratio = peer time / ours (> 1: ours faster)")
    run_all(chosen, lambda case: run_case(case, args, peak["gflops"]), meta, args)


if __name__ == "__main__":
    main()
