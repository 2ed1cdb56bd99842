"""What this build of kernels was compiled with, and what it finds at run time."""
from __future__ import annotations

from . import _C

__version__ = "0.1.0"


def build_info() -> dict:
    """Version, compiler, SIMD level and the CPU capability level in use (kernels.backends.cpu),
    OpenMP threads, CUDA compiled or not, and CUDA devices found."""
    cfg = dict(_C.build_config())
    devices = _C.cuda_devices() if cfg["cuda_compiled"] else []
    return {
        "version": __version__,
        "compiler": cfg["compiler"],
        "simd": cfg["simd"],
        "cpu_capability": cfg["cpu_capability"],
        "openmp": cfg["openmp"],
        "num_threads": cfg["num_threads"],
        "cuda_compiled": cfg["cuda_compiled"],
        "cuda_archs": cfg["cuda_archs"],
        "cuda_runtime": cfg["cuda_runtime"],
        "cuda_unavailable": cfg["cuda_unavailable"],
        "cuda_devices": [
            {"index": d["index"], "name": d["name"], "capability": tuple(d["capability"]),
             "total_memory": d["total_memory"]}
            for d in devices
        ],
    }
