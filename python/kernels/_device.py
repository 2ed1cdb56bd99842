"""dtype and device objects, and the argument parsing shared by every creation function."""
from __future__ import annotations

import builtins

import numpy as np

from . import _C

float32 = _C.dtype.float32
float64 = _C.dtype.float64
int64 = _C.dtype.int64
bool_ = _C.dtype.bool
uint8 = _C.dtype.uint8
int8 = _C.dtype.int8
int16 = _C.dtype.int16
int32 = _C.dtype.int32
float = float32  # torch.float
double = float64  # torch.double
long = int64  # torch.long
int_ = int32  # torch.int (kernels.int; `int` here would hide the builtin)
short = int16  # torch.short
# The integer dtypes narrower than int64: stored, converted, compared, indexed and moved by the
# shape ops; arithmetic refuses them by name (convert with .float() or .long()).
SMALL_INTS = (uint8, int8, int16, int32)

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
    np.dtype(np.uint8): uint8,
    np.dtype(np.int8): int8,
    np.dtype(np.int16): int16,
    np.dtype(np.int32): int32,
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
            f"dtype: {d!r} is not supported (kernels.float32, float64, int64, int32, int16, int8, "
            "uint8 or bool)"
        ) from None


def numpy_dtype(d) -> np.dtype:
    return _DTYPE_TO_NUMPY[d]


class iinfo:
    """torch.iinfo: the range of an integer dtype (bits, min, max, dtype)."""

    def __init__(self, type):  # noqa: A002 - torch's argument name
        d = as_dtype(type)
        if d.is_floating_point or d == bool_:
            raise TypeError(f"iinfo: {d!r} is not an integer dtype; use kernels.finfo for floating "
                            "point dtypes")
        info = np.iinfo(numpy_dtype(d))
        self.bits, self.min, self.max, self.dtype = info.bits, builtins.int(info.min), builtins.int(info.max), d.name

    def __repr__(self):
        return f"iinfo(min={builtins.float(self.min):g}, max={builtins.float(self.max):g}, dtype={self.dtype})"


class finfo:
    """torch.finfo: the limits of a floating point dtype (float32 when none is given)."""

    def __init__(self, type=None):  # noqa: A002 - torch's argument name
        d = as_dtype(type, float32)
        if not d.is_floating_point:
            raise TypeError(f"finfo: {d!r} is not a floating point dtype; use kernels.iinfo for "
                            "integer dtypes")
        info = np.finfo(numpy_dtype(d))
        self.bits, self.dtype = info.bits, d.name
        self.eps, self.max, self.min = builtins.float(info.eps), builtins.float(info.max), builtins.float(info.min)
        self.tiny = self.smallest_normal = builtins.float(info.tiny)
        self.resolution = builtins.float(info.resolution)

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.tiny:g}, tiny={self.tiny:g}, dtype={self.dtype})")


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


def check_int_range(arr: np.ndarray, np_dtype: np.dtype, op: str) -> None:
    """torch's overflow check for numbers going into a uint8/int8/int16/int32 tensor (RuntimeError,
    as ``torch.tensor([300], dtype=torch.uint8)``): floats must lie in [min, max] (255.5 and -0.5
    do not fit uint8); integers may also be negative down to -max in an unsigned dtype, where they
    wrap (-1 becomes 255). Call it on finite data."""
    if arr.size == 0:
        return
    info = np.iinfo(np_dtype)
    lo, hi = builtins.int(info.min), builtins.int(info.max)
    if arr.dtype.kind in "iu" and lo == 0:
        lo = -hi
    bad = (arr < lo) | (arr > hi)
    if bad.any():
        v = arr[bad].flat[0].item()
        raise RuntimeError(f"{op}: value {v!r} cannot be converted to {np_dtype} without overflow")


_SMALL_INT_NUMPY = tuple(np.dtype(numpy_dtype(d)) for d in SMALL_INTS)


def _infer_numpy(data, want=None):
    """NumPy arrays keep their dtype as torch does (float64 stays float64 in either byte order,
    uint8/int8/int16/int32/int64 stay, uint16/32/64 become int64, float16 becomes float32);
    Python floats give float32, ints int64, bools bool. With ``want`` (a NumPy dtype), Python
    numbers convert straight to it, so that ``tensor([1e-300], dtype=float64)`` never passes
    through float32; into uint8/int8/int16/int32 they truncate toward zero, and values outside
    the range raise as torch's do (negatives wrap into an unsigned dtype: -1 is 255)."""
    if isinstance(data, np.ndarray) or isinstance(data, np.generic):
        arr = np.asarray(data)
        kind = arr.dtype.kind
        if kind == "f":
            wide = arr.dtype.itemsize == 8
            return arr.astype(np.float64 if wide else np.float32, copy=False)
        if kind == "u" and want is not None and want.kind == "f":
            return arr.astype(want)  # straight to the float asked for, not through int64
        if kind in "iu":
            native = arr.dtype.newbyteorder("=")
            if native in _SMALL_INT_NUMPY:
                return arr.astype(native, copy=False)
            check_int64_values(arr, "tensor")
            return arr.astype(np.int64, copy=False)
        if kind == "b":
            return arr
        raise TypeError(f"tensor: NumPy dtype {arr.dtype} is not supported")
    try:
        arr = np.asarray(data)
    except ValueError as e:
        raise ValueError(f"tensor: could not build a tensor from the given data ({e})") from None
    kind = arr.dtype.kind
    if kind in "fiub" and want is not None:
        if kind == "f" and want.kind in "iub" and not np.isfinite(arr).all():
            raise ValueError(f"tensor: cannot convert non-finite values to {want}")
        if want == np.int64:
            check_int64_values(arr, "tensor")
        if want in _SMALL_INT_NUMPY and kind in "fiu":
            check_int_range(arr, want, "tensor")
            # truncate (floats) and wrap (negatives into an unsigned dtype) exactly, through int64
            return arr.astype(np.int64).astype(want)
        return arr.astype(want)
    if kind == "f":
        return arr.astype(np.float32)
    if kind in "iu":
        check_int64_values(arr, "tensor")  # [2**63] comes back from NumPy as uint64
        return arr.astype(np.int64)
    if kind == "b":
        return arr
    if arr.dtype == object and arr.size == 0:
        return arr.astype(np.float32 if want is None else want)
    raise TypeError(
        f"tensor: could not infer a dtype from data of type {type(data).__name__} "
        f"(NumPy saw {arr.dtype}); expected numbers or nested lists of numbers"
    )
