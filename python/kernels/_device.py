"""dtype and device objects, and the argument parsing shared by every creation function."""
from __future__ import annotations

import numpy as np

from . import _C

float32 = _C.dtype.float32
float64 = _C.dtype.float64
int64 = _C.dtype.int64
bool_ = _C.dtype.bool
float = float32  # torch.float
double = float64  # torch.double
long = int64  # torch.long

dtype = _C.dtype
device = _C.device
# pybind11's enum installs its own __repr__ after the class is built; show dtypes as torch does.
dtype.__repr__ = lambda self: "kernels." + self.name

_CPU = _C.device("cpu")

_NUMPY_TO_DTYPE = {
    np.dtype(np.float32): float32,
    np.dtype(np.float64): float64,
    np.dtype(np.int64): int64,
    np.dtype(np.bool_): bool_,
}
_DTYPE_TO_NUMPY = {v: k for k, v in _NUMPY_TO_DTYPE.items()}


def as_device(d) -> _C.device:
    """Accept a device, a string ('cpu', 'cuda', 'cuda:1'), an int (CUDA ordinal) or None."""
    if d is None:
        return _CPU
    if isinstance(d, _C.device):
        return d
    if isinstance(d, str):
        return _C.device(d)
    if isinstance(d, int) and not isinstance(d, bool):
        return _C.device("cuda", d)
    raise TypeError(f"device: expected a kernels.device, a string or an int, got {type(d).__name__}")


def as_dtype(d, default=None):
    if d is None:
        return default
    if isinstance(d, _C.dtype):
        return d
    try:
        return _NUMPY_TO_DTYPE[np.dtype(d)]
    except (TypeError, KeyError):
        raise TypeError(
            f"dtype: {d!r} is not supported (kernels.float32, float64, int64 or bool)"
        ) from None


def numpy_dtype(d) -> np.dtype:
    return _DTYPE_TO_NUMPY[d]


def as_shape(args, op: str) -> list:
    """Accept f(2, 3), f((2, 3)) or f([2, 3]) as torch does."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    shape = []
    for s in args:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            raise TypeError(f"{op}: size must be a sequence of ints, got {args!r}")
        if s < 0:
            raise ValueError(f"{op}: negative dimension {int(s)} in size {tuple(int(x) for x in args)}")
        shape.append(int(s))
    return shape


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def check_int64_values(arr: np.ndarray, op: str) -> None:
    """Refuse NumPy data that cannot become int64 exactly or by truncation: NaN, infinities,
    floats outside [-2**63, 2**63) and unsigned integers above 2**63 - 1 (astype would wrap them
    or give -2**63)."""
    if arr.size == 0:
        return
    kind = arr.dtype.kind
    if kind == "u" and arr.dtype.itemsize == 8:
        top = int(arr.max())
        if top > _INT64_MAX:
            raise ValueError(f"{op}: value {top} is out of range for int64 "
                             f"[{_INT64_MIN}, {_INT64_MAX}]")
    elif kind == "f":
        finite = np.isfinite(arr)
        if not finite.all():
            bad = arr[~finite].flat[0]
            raise ValueError(f"{op}: cannot convert {bad.item()!r} to int64")
        out = (arr >= 2.0**63) | (arr < -(2.0**63))
        if out.any():
            raise ValueError(f"{op}: value {arr[out].flat[0].item()!r} is out of range for int64 "
                             f"[{_INT64_MIN}, {_INT64_MAX}]")
