"""Writes chosen by a condition, as torch's: ``masked_fill(mask, value)`` and ``masked_fill_``,
and the in-place clamps ``clamp_`` / ``clip_`` / ``clamp_min_`` / ``clamp_max_``.

``masked_fill`` is ``where(mask, value, input)`` with value cast to input's dtype first (torch
keeps input's dtype: an int64 tensor filled with 1.7 holds 1), so autograd comes from ``where``:
the gradient reaches input where the mask is False and a 0-d value tensor gets the sum of the
rest. The in-place forms compute the same result out of place and copy it in with
``write_through`` (views reach their base); under autograd they are recorded as torch records
them, through ``rebind_in_place`` (a leaf that requires grad is refused).
"""
from __future__ import annotations

import math

from .. import _C
from .._args import check_tensor
from . import elementwise as E
from .inplace import _CATEGORY, rebind_in_place, records, write_through

Tensor = _C.Tensor

__all__ = ["masked_fill"]

_INT_RANGE = {_C.dtype.uint8: (0, 255), _C.dtype.int8: (-128, 127), _C.dtype.int16: (-2**15, 2**15 - 1),
              _C.dtype.int32: (-2**31, 2**31 - 1), _C.dtype.int64: (-2**63, 2**63 - 1)}


def _check_mask(op, mask):
    check_tensor(op, mask, "mask")
    if mask.dtype != _C.dtype.bool:
        raise RuntimeError(f"{op}: {op} only supports boolean masks, but got mask with dtype {mask.dtype}")


def _value_tensor(op, input, value):
    """value as a 0-d tensor of input's dtype and device (differentiable when it is a tensor)."""
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise RuntimeError(f"{op}: {op} only supports a 0-dimensional value tensor, but got tensor "
                               f"with {value.dim()} dimension(s).")
        if value.device != input.device:
            raise RuntimeError(f"{op}: value is on {value.device} but input is on {input.device}")
        return E._cast(value, input.dtype)
    if not E._is_scalar(value):
        raise TypeError(f"{op}: value must be a number or a 0-d tensor, got {type(value).__name__}")
    if input.dtype in _INT_RANGE and not isinstance(value, bool):
        lo, hi = _INT_RANGE[input.dtype]
        # torch's checked conversion: NaN, inf and out-of-range values raise (uint8 takes -1 as 255)
        if not math.isfinite(value) or not (min(lo, -hi) <= value <= hi):
            raise RuntimeError(f"{op}: value {value!r} cannot be converted to type {input.dtype} without overflow")
    if input.dtype.is_floating_point or isinstance(value, bool) or input.dtype == _C.dtype.bool:
        v = float(value)
    else:
        v = int(value)  # float -> int truncates toward zero, as torch
        if v < 0 and input.dtype == _C.dtype.uint8:
            v += 256
    return _C.full([], v, input.dtype, input.device)


def masked_fill(input, mask, value):
    """input with value where mask (bool, broadcast with input) is True."""
    return _masked_fill("masked_fill", input, mask, value)


def _masked_fill(op, input, mask, value):
    check_tensor(op, input)
    _check_mask(op, mask)
    if mask.device != input.device:
        raise RuntimeError(f"{op}: mask is on {mask.device} but input is on {input.device}")
    return E.where(mask, _value_tensor(op, input, value), input)


def _check_shape(op, self, other):
    """An in-place result keeps self's shape: `other` must broadcast to it (torch's message)."""
    shape = list(self.shape)
    try:
        ok = _C.broadcast_shapes(list(other.shape), shape) == shape
    except ValueError:
        ok = False
    if not ok:
        raise RuntimeError(f"{op}: output with shape {shape} doesn't match the broadcast shape "
                           f"{_broadcast_or(list(other.shape), shape)}")


def _broadcast_or(a, b):
    try:
        return _C.broadcast_shapes(a, b)
    except ValueError:
        return f"of {a} and {b} (not broadcastable)"


def masked_fill_(self, mask, value):
    _check_mask("masked_fill_", mask)
    _check_shape("masked_fill_", self, mask)
    if records(self, value):  # torch's in-place op under autograd (see ops/inplace.py)
        return rebind_in_place("masked_fill_", self, lambda s, v: _masked_fill("masked_fill_", s, mask, v), value)
    out = _masked_fill("masked_fill_", self, mask, value)
    write_through("masked_fill_", self, lambda t: _C.copy_(t, out))
    return self


def _make_clamp_(op, fn):
    def method(self, *args, **kwargs):
        def compute(s, _):
            out = fn(s, *args, **kwargs)
            if _CATEGORY[out.dtype] > _CATEGORY[self.dtype]:
                raise RuntimeError(f"{op}: result type {out.dtype} can't be cast to the desired output type "
                                   f"{self.dtype}")
            _check_shape(op, self, out)
            return out

        bound = next((b for b in list(args) + list(kwargs.values()) if isinstance(b, Tensor) and b.requires_grad), None)
        if records(self, bound):  # torch's in-place op under autograd (see ops/inplace.py)
            return rebind_in_place(op, self, compute, bound)
        out = compute(self, None)
        write_through(op, self, lambda t: _C.copy_(t, out))
        return self

    method.__name__ = op
    return method


def _clamp(input, min=None, max=None):
    if min is None and max is None:  # torch's wording
        raise RuntimeError("clamp_: torch.clamp: At least one of 'min' or 'max' must not be None")
    return E.clamp(input, min, max)


clamp_ = _make_clamp_("clamp_", _clamp)
clamp_min_ = _make_clamp_("clamp_min_", E.clamp_min)
clamp_max_ = _make_clamp_("clamp_max_", E.clamp_max)
