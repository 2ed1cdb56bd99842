"""Timing, machine description and the Case record shared by every family in bench/cases/.

A Case is one comparison: our kernel and its peer on the same inputs. Each is timed in its own
block (warm-up, then the repeats) with a short pause between blocks, because the thread pools of
the libraries (our OpenMP, OpenBLAS's, torch's) spin for a while after a call and would steal
cores from each other if single calls alternated. With --rounds R the two blocks alternate R
times and all repeats are pooled, so slow drift of the machine's load hits both alike.
"""
from __future__ import annotations

import dataclasses
import datetime
import os
import platform
import statistics
import subprocess
import time
from typing import Any, Callable, Optional

PAUSE_S = 0.2  # between blocks: let the previous library's worker threads fall asleep


@dataclasses.dataclass
class Case:
    """One comparison. ``setup()`` builds the inputs and returns (ours, peer, check): two
    zero-argument callables doing the same work, and one returning the largest relative error
    of our result against the peer's (asserted below ``tol`` before anything is timed)."""

    family: str
    name: str
    peer: str
    setup: Callable[[], tuple[Callable[[], Any], Callable[[], Any], Optional[Callable[[], float]]]]
    flops: Optional[float] = None  # per call; gives GFLOP/s and % of peak
    nbytes: Optional[float] = None  # per call, read + written once; gives GB/s
    target: Optional[float] = None  # the ratio peer/ours the project aims at
    size: Optional[int] = None  # what --size matches
    tol: float = 1e-3
    # What our side runs for this case (e.g. conv2d's CPU plan), asked after setup(), reported
    # next to the timing.
    describe: Optional[Callable[[], str]] = None


@dataclasses.dataclass
class Timing:
    median: float
    best: float
    q1: float
    q3: float
    n: int

    @staticmethod
    def of(times: list[float]) -> "Timing":
        ts = sorted(times)
        q = statistics.quantiles(ts, n=4) if len(ts) > 1 else [ts[0]] * 3
        return Timing(statistics.median(ts), ts[0], q[0], q[2], len(ts))

    @property
    def spread(self) -> float:
        """Interquartile range relative to the median."""
        return (self.q3 - self.q1) / self.median if self.median > 0 else 0.0


def time_block(fn: Callable[[], Any], repeats: int, warmup: int, min_time: float) -> list[float]:
    """Wall times of ``repeats`` calls after ``warmup`` calls; more repeats (up to 10x) while the
    block is shorter than ``min_time`` seconds, so that microsecond kernels get enough samples."""
    for _ in range(warmup):
        fn()
    times: list[float] = []
    limit = repeats * 10
    start = time.perf_counter()
    while len(times) < repeats or (time.perf_counter() - start < min_time and len(times) < limit):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def compare(ours: Callable, peer: Callable, repeats: int, warmup: int, rounds: int,
            min_time: float) -> tuple[Timing, Timing]:
    """Time both in alternating blocks (ours first in even rounds, the peer first in odd ones)."""
    t_ours: list[float] = []
    t_peer: list[float] = []
    for r in range(rounds):
        order = [(ours, t_ours), (peer, t_peer)]
        if r % 2:
            order.reverse()
        for fn, acc in order:
            time.sleep(PAUSE_S)
            acc += time_block(fn, repeats, warmup, min_time)
    return Timing.of(t_ours), Timing.of(t_peer)


def rel_err(a, b) -> float:
    """max |a - b| / max(|b|, tiny): the error of a relative to the peer's result b."""
    import numpy as np

    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise AssertionError(f"result shapes differ: ours {a.shape}, peer {b.shape}")
    scale = max(float(np.abs(b).max()) if b.size else 0.0, 1e-30)
    return float(np.abs(a - b).max() / scale) if a.size else 0.0


def git_commit() -> str:
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        out = subprocess.run(["git", "-C", here, "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", here, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
        return out + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def cpu_model_and_flags() -> tuple[str, list[str]]:
    model, flags = platform.processor() or platform.machine(), []
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and model in ("", platform.machine(), platform.processor()):
                    model = value.strip()
                elif key == "flags" and not flags:
                    flags = value.split()
    except OSError:
        pass
    wanted = ("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx_vnni")
    return model, [f for f in wanted if f in flags]


def measure_peak(threads: int, tries: int = 3) -> dict:
    """The machine's float32 FMA peak at `threads` threads: the best of a few probes, so that a
    moment when another process holds a core does not halve the denominator of "% of peak"."""
    import kernels

    best = None
    for _ in range(tries):
        p = kernels._C.fma_peak(threads, 0.2)
        if best is None or p["gflops"] > best["gflops"]:
            best = p
        time.sleep(0.05)
    return best


def clock_check(threads: int, peak_gflops: float, lanes: int = 8) -> dict:
    """The check of the measured peak: one core's clock from a chain of dependent integer adds (one
    cycle per add), and the FMA latency at that clock (it should read as the core's documented 4 or
    5 cycles if the clock is right). The measured peak divided by clock x threads x 2 x lanes
    flops (one vector FMA) is how many vector FMAs a core finishes per cycle: a whole number of FMA
    pipes (2 on most cores) if the probe is right."""
    import kernels

    c = kernels._C.core_clock(0.2)
    if not c["ghz"]:
        return {"clock_ghz": None, "fma_latency_cycles": None, "fma_per_cycle": None}
    return {"clock_ghz": round(c["ghz"], 3),
            "fma_latency_cycles": round(c["fma_latency_cycles"], 2) or None,
            "fma_per_cycle": round(peak_gflops / (c["ghz"] * threads * 2 * lanes), 2)}


def peak_line(meta) -> str:
    """"FMA peak 272.1 GFLOP/s measured (AVX2+FMA: 2.88 8-lane FMAs per cycle per core at 2.95 GHz
    ..., FMA latency 4.1 cycles)"."""
    line = f"FMA peak {meta['fma_peak_gflops']} GFLOP/s measured"
    if meta.get("clock_ghz"):
        line += (f" ({meta.get('fma_peak_isa', '')}: {meta['fma_per_cycle']} {meta.get('fma_peak_lanes', 8)}-lane "
                 f"FMAs per cycle per core at {meta['clock_ghz']} GHz "
                 f"from a dependent-add chain; FMA latency {meta['fma_latency_cycles']} cycles)")
    return line


def machine_info(threads: int, peak: dict) -> dict:
    import numpy as np

    import kernels

    model, flags = cpu_model_and_flags()
    info = {
        "cpu": model,
        "cpu_flags": flags,
        "logical_cpus": os.cpu_count(),
        "threads": threads,
        "fma_peak_gflops": round(peak["gflops"], 1),
        "fma_peak_isa": peak["isa"],
        "fma_peak_lanes": peak.get("lanes", 8),
        **clock_check(threads, peak["gflops"], peak.get("lanes", 8)),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "kernels": kernels.__version__,
        "kernels_simd": kernels.build_info().get("simd") if hasattr(kernels, "build_info") else None,
        "commit": git_commit(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    try:
        import torch

        info["torch"] = torch.__version__
    except ImportError:
        info["torch"] = None
    return info
