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


def randint(*args, size=None, low=None, high=None, dtype=None, device=None, generator=None,
            requires_grad=False):
    """Integers uniform on [low, high), in every form torch accepts: ``randint(high, size)``,
    ``randint(low, high, size)``, and any of low / high / size as keywords (low defaults to 0)."""
    if len(args) > 3:
        raise TypeError(f"randint: expected at most 3 positional arguments (low, high, size), got {len(args)}")
    # Positional arguments fill (low, high, size) from the right, as torch's overloads do:
    # randint(high, size), randint(low, high, size); a keyword takes its slot out of the order.
    slots = [n for n, v in (("low", low), ("high", high), ("size", size)) if v is None]
    if len(args) > len(slots):
        raise TypeError("randint: a value was given both as a positional and a keyword argument")
    if len(args) == 1 and slots == ["low", "high", "size"]:
        slots = ["high"]
    given = dict(zip(slots[len(slots) - len(args):] if "low" in slots and len(args) < len(slots) else slots, args))
    given.update({n: v for n, v in (("low", low), ("high", high), ("size", size)) if v is not None})
    if "high" not in given or "size" not in given:
        raise TypeError("randint: expected randint(low, high, size) or randint(high, size) "
                        f"(high and size are required), got {sorted(given)}")
    if generator is not None:
        raise NotImplementedError("randint: generator= is not supported; seed with kernels.manual_seed")
    out = _C.randint(as_int("randint", "low", given.get("low", 0)), as_int("randint", "high", given["high"]),
                     as_shape((given["size"],), "randint"), as_device(device))
    if dtype is not None and as_dtype(dtype) != out.dtype:
        out = out.to(as_dtype(dtype))
    if requires_grad:
        out.requires_grad_(True)
    return out


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
