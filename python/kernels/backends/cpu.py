"""The CPU instruction-set level the kernels use (csrc/cpu/isa.h), as torch.backends.cpu.

    AVX512   AVX2, plus the GEMM's AVX-512F micro-kernels (the default where the CPU has AVX-512F)
    AVX2     the AVX2+FMA micro-kernels and row loops (the default where the CPU has both)
    DEFAULT  the portable code, compiled for the x86-64 baseline (what a CPU without AVX2 runs)
    SCALAR   DEFAULT, plus one-output-at-a-time loops where a family has them (max pooling)

The environment variable KERNELS_CPU_CAPABILITY=avx512|avx2|default|scalar sets the level at import;
set_cpu_capability changes it for every later call (tests run each path in one process).
"""
from contextlib import contextmanager

from .. import _C

__all__ = ["get_cpu_capability", "supported_cpu_capability", "set_cpu_capability", "cpu_capability"]


def get_cpu_capability() -> str:
    """The level in use now: "AVX2", "DEFAULT" or "SCALAR"."""
    return _C.get_cpu_capability().upper()


def supported_cpu_capability() -> str:
    """The best level this CPU runs."""
    return _C.supported_cpu_capability().upper()


def set_cpu_capability(name: str) -> str:
    """Use level `name` (case-insensitive) from now on; returns the previous level. ValueError for
    an unknown name or a level this CPU does not run."""
    if not isinstance(name, str):
        raise TypeError(f"set_cpu_capability: expected a str, got {type(name).__name__}")
    return _C.set_cpu_capability(name.lower()).upper()


@contextmanager
def cpu_capability(name: str):
    """Run the block at level `name`, then restore the previous one."""
    previous = set_cpu_capability(name)
    try:
        yield
    finally:
        set_cpu_capability(previous)
