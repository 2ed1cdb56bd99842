"""Random tensors from the one Philox generator (same seed, same numbers on CPU and CUDA)."""
from __future__ import annotations

from . import _C
from ._args import as_flag, as_int
from ._device import as_device, as_dtype, as_shape, float32


def manual_seed(seed: int) -> None:
    """Seed the generator used by every random op on every device."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"manual_seed: expected an int, got {type(seed).__name__}")
    if not -(2**63) <= seed < 2**64:  # torch's range; a negative seed wraps to seed + 2**64
        raise ValueError(f"manual_seed: seed must be in [-2**63, 2**64), got {seed}")
    _C.manual_seed(seed & 0xFFFFFFFFFFFFFFFF)


def initial_seed() -> int:
    return _C.initial_seed()


def get_rng_state() -> tuple:
    """(seed, number of random calls so far): enough to continue the exact same stream."""
    return tuple(_C.get_rng_state())


def set_rng_state(state) -> None:
    """Restore a state from ``get_rng_state`` (a pair of non-negative ints, or an array of two)."""
    try:
        seed, call = (int(v) for v in state)
    except (TypeError, ValueError):
        raise ValueError(f"set_rng_state: expected (seed, call) as two ints, got {state!r}") from None
    if not (0 <= seed < 2**64 and 0 <= call < 2**64):
        raise ValueError(f"set_rng_state: seed and call must be in [0, 2**64), got {state!r}")
    _C.set_rng_state(seed, call)


def _grad(t, requires_grad, op):
    if as_flag(op, "requires_grad", requires_grad):
        t.requires_grad_(True)
    return t


def rand(*size, dtype=None, device=None, requires_grad=False):
    """Uniform on [0, 1)."""
    shape = as_shape(size, "rand")
    return _grad(_C.rand(shape, 0.0, 1.0, as_dtype(dtype, float32), as_device(device)), requires_grad,
                 "rand")


def randn(*size, dtype=None, device=None, requires_grad=False):
    """Standard normal."""
    shape = as_shape(size, "randn")
    return _grad(_C.randn(shape, 0.0, 1.0, as_dtype(dtype, float32), as_device(device)), requires_grad,
                 "randn")


def randint(low, high=None, size=None, device=None):
    """Integers uniform on [low, high) (``randint(high, size)`` as torch)."""
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint: expected randint(low, high, size) or randint(high, size)")
        low, high, size = 0, low, high
    elif high is None:
        raise TypeError("randint: expected randint(low, high, size) or randint(high, size)")
    return _C.randint(as_int("randint", "low", low), as_int("randint", "high", high),
                      as_shape((size,), "randint"), as_device(device))


def randperm(n, device=None):
    """A random permutation of 0..n-1 (int64)."""
    return _C.randperm(as_int("randperm", "n", n), as_device(device))


def rand_like(t, dtype=None, device=None):
    return rand(t.shape, dtype=dtype or t.dtype, device=device or t.device)


def randn_like(t, dtype=None, device=None):
    return randn(t.shape, dtype=dtype or t.dtype, device=device or t.device)


def normal(mean, std, size, dtype=None, device=None):
    """Normal(mean, std) with scalar mean and std."""
    return _C.randn(as_shape((size,), "normal"), float(mean), float(std), as_dtype(dtype, float32),
                    as_device(device))


def uniform(low, high, size, dtype=None, device=None):
    """Uniform on [low, high) with scalar bounds."""
    return _C.rand(as_shape((size,), "uniform"), float(low), float(high), as_dtype(dtype, float32),
                   as_device(device))
