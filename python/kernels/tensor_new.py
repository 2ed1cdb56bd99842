"""The Tensor methods that make tensors like another one, and the type queries, as torch's:
``new_zeros / new_ones / new_empty / new_full / new_tensor`` (self's dtype and device unless
given), ``type()`` (torch's type names), ``__index__`` (one-element integer tensors), and the
device flags kernels never sets (``is_mps``, ``is_xpu``)."""
from __future__ import annotations

import builtins

from ._device import SMALL_INTS, as_device, as_dtype, bool_, float32, float64, int8, int16, int32, int64, uint8
from .tensor import full, ones, tensor, zeros

_TYPE_NAMES = {float32: "FloatTensor", float64: "DoubleTensor", int64: "LongTensor", bool_: "BoolTensor",
               uint8: "ByteTensor", int8: "CharTensor", int16: "ShortTensor", int32: "IntTensor"}


def _dtype_device(self, dtype, device):
    return as_dtype(dtype, self.dtype), (as_device(device) if device is not None else self.device)


def _sizes(size):
    """new_zeros(2, 3) and new_zeros((2, 3)) alike."""
    return size[0] if len(size) == 1 and isinstance(size[0], (tuple, list)) else size


def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
    dt, dev = _dtype_device(self, dtype, device)
    return zeros(*_sizes(size), dtype=dt, device=dev, requires_grad=requires_grad)


def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
    dt, dev = _dtype_device(self, dtype, device)
    return ones(*_sizes(size), dtype=dt, device=dev, requires_grad=requires_grad)


def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
    return new_zeros(self, *size, dtype=dtype, device=device, requires_grad=requires_grad)


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    dt, dev = _dtype_device(self, dtype, device)
    return full(size, fill_value, dtype=dt, device=dev, requires_grad=requires_grad)


def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    dt, dev = _dtype_device(self, dtype, device)
    return tensor(data, dtype=dt, device=dev, requires_grad=requires_grad)


def _type_name(dtype, device):
    return ("torch.cuda." if device.type == "cuda" else "torch.") + _TYPE_NAMES[dtype]


def type_(self, dtype=None, non_blocking=False):
    """No argument: torch's name of this tensor's type ("torch.FloatTensor", ...). A dtype or one
    of those names: the tensor converted to it (self when it already is)."""
    if dtype is None:
        return _type_name(self.dtype, self.device)
    if isinstance(dtype, str):
        names = {_type_name(d, self.device): d for d in _TYPE_NAMES}
        if dtype not in names:
            raise ValueError(f"type: invalid type {dtype!r} (kernels has {sorted(names)})")
        dtype = names[dtype]
    dtype = as_dtype(dtype)
    return self if dtype == self.dtype else self.to(dtype)


def index_(self):
    """operator.index(t): one-element integer (or bool) tensors only, as torch."""
    if (self.dtype not in (int64, bool_) and self.dtype not in SMALL_INTS) or self.numel() != 1:
        raise TypeError("only integer tensors of a single element can be converted to an index")
    return builtins.int(self.item())


METHODS = {
    "new_zeros": new_zeros, "new_ones": new_ones, "new_empty": new_empty, "new_full": new_full,
    "new_tensor": new_tensor, "type": type_, "__index__": index_,
    "is_mps": property(lambda self: False), "is_xpu": property(lambda self: False),
}
