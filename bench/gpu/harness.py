"""Timing on one GPU: CUDA events around every call, L2 flushed before it.

Our kernels and torch's both run on the legacy default stream, so a torch.cuda.Event recorded
before and after one of our calls brackets exactly its kernels. Before each timed call a buffer
larger than L2 is written, so neither library finds its inputs in cache from the previous repeat
(a training step's layer rarely does). As on the CPU (bench/harness.compare), ours and the peer
run in alternating blocks and the repeats are pooled.
"""
from __future__ import annotations

import datetime
import os
import platform
import subprocess

from bench.harness import Timing, git_commit

FLUSH_BYTES = 256 << 20  # at least 4x the L2 of any current GPU (H100/H200: 50-60 MB)

# FP32 lanes per multiprocessor by compute capability (the CUDA C programming guide's table).
FP32_LANES = {(7, 0): 64, (7, 5): 64, (8, 0): 64}
FP32_LANES_DEFAULT = 128  # sm_86 and later


def peer_torch():
    """torch as the peer: a CUDA device present, TF32 off for matmul and cuDNN (we compute in
    plain float32), cuDNN allowed to pick its fastest algorithm during the warm-up."""
    import torch

    if not torch.cuda.is_available():
        raise RuntimeError("torch sees no CUDA device (torch.cuda.is_available() is False)")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    torch.backends.cudnn.benchmark = True
    return torch


def synchronize():
    """Wait for both libraries' queued work (the same stream today; both calls keep that true
    if either ever moves to its own stream)."""
    import torch

    import kernels

    kernels.cuda.synchronize()
    torch.cuda.synchronize()


class L2Flush:
    """Writes FLUSH_BYTES (or 4x L2 if larger) on the device: every cached line is evicted."""

    def __init__(self, torch, nbytes=None):
        l2 = getattr(torch.cuda.get_device_properties(0), "L2_cache_size", 0) or 0
        self.nbytes = max(nbytes or FLUSH_BYTES, 4 * l2)
        self.buf = torch.empty(self.nbytes // 4, dtype=torch.float32, device="cuda")

    def __call__(self):
        self.buf.fill_(1.0)


def time_block(torch, fn, repeats, warmup, flush):
    """Seconds per call of ``repeats`` calls after ``warmup`` untimed ones, each call bracketed by
    its own pair of events with the flush outside the bracket."""
    for _ in range(warmup):
        fn()
    synchronize()
    events = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True))
              for _ in range(repeats)]
    for start, end in events:
        flush()
        start.record()
        fn()
        end.record()
    synchronize()
    return [start.elapsed_time(end) / 1e3 for start, end in events]


def compare(torch, ours, peer, repeats, warmup, rounds, flush):
    """Time both in alternating blocks (ours first in even rounds, the peer first in odd ones)."""
    t_ours, t_peer = [], []
    for r in range(rounds):
        order = [(ours, t_ours), (peer, t_peer)]
        if r % 2:
            order.reverse()
        for fn, acc in order:
            acc += time_block(torch, fn, repeats, warmup, flush)
    return Timing.of(t_ours), Timing.of(t_peer)


def _nvidia_smi(*fields):
    try:
        out = subprocess.run(["nvidia-smi", f"--query-gpu={','.join(fields)}", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    first = out.strip().splitlines()[0] if out.strip() else ""
    return dict(zip(fields, (v.strip() for v in first.split(","))))


def fp32_peak_gflops(props, max_sm_mhz):
    """Non-tensor-core FP32 FMA peak: SMs x lanes x 2 flops x boost clock."""
    if not max_sm_mhz:
        return None
    lanes = FP32_LANES.get((props.major, props.minor), FP32_LANES_DEFAULT)
    return props.multi_processor_count * lanes * 2 * max_sm_mhz / 1e3


def machine_info(torch, flush) -> dict:
    import numpy as np

    import kernels

    props = torch.cuda.get_device_properties(0)
    smi = _nvidia_smi("driver_version", "clocks.max.sm", "clocks.sm", "clocks.mem")
    try:
        max_mhz = float(smi.get("clocks.max.sm", ""))
    except ValueError:
        max_mhz = None
    peak = fp32_peak_gflops(props, max_mhz)
    return {
        "gpu": props.name,
        "capability": f"{props.major}.{props.minor}",
        "multiprocessors": props.multi_processor_count,
        "gpu_memory_gib": round(props.total_memory / 2**30, 1),
        "l2_bytes": getattr(props, "L2_cache_size", None),
        "max_sm_mhz": max_mhz,
        "sm_mhz_at_start": smi.get("clocks.sm"),
        "fp32_peak_gflops": round(peak, 1) if peak else None,
        "driver": smi.get("driver_version"),
        "torch": torch.__version__,
        "torch_cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version(),
        "tf32": {"matmul": torch.backends.cuda.matmul.allow_tf32, "cudnn": torch.backends.cudnn.allow_tf32},
        "cudnn_benchmark": torch.backends.cudnn.benchmark,
        "l2_flush_bytes": flush.nbytes,
        "timing": "CUDA events per call, L2 flushed before each",
        "kernels": kernels.__version__,
        "kernels_build": {k: v for k, v in kernels.build_info().items() if k.startswith("cuda")},
        "cpu_threads": int(os.environ.get("OMP_NUM_THREADS", "0") or 0) or None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "commit": git_commit(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }
