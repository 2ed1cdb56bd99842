"""pad with torch.nn.functional's signature and defaults.

``pad`` is (before, after) pairs starting from the last dim, e.g. (left, right, top, bottom);
negative values crop. 'constant' pads any number of trailing dims with ``value`` (default 0);
'reflect', 'replicate' and 'circular' pad the last 1, 2 or 3 dims of an input with 1 or 2 more
dims and take no value. The backward of 'constant' is a crop; the other modes add each output's
gradient into the input element it was copied from (edges receive several).
"""
from __future__ import annotations

import numbers

from .. import _C
from ..autograd import Function

Tensor = _C.Tensor

__all__ = ["pad"]


class Pad(Function):
    @staticmethod
    def forward(ctx, x, pad, mode, value):
        ctx.args = (list(x.shape), pad, mode)
        return _C.pad_forward(x, pad, mode, value)

    @staticmethod
    def backward(ctx, grad):
        return _C.pad_backward(grad, *ctx.args), None, None, None


def pad(input, pad, mode="constant", value=None):
    """torch.nn.functional.pad."""
    op = "pad"
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if not isinstance(pad, (tuple, list)) or not all(
            isinstance(p, numbers.Integral) and not isinstance(p, bool) for p in pad):
        raise TypeError(f"{op}: pad must be a tuple of ints, got {pad!r}")
    if not isinstance(mode, str):
        raise TypeError(f"{op}: mode must be a string, got {type(mode).__name__} {mode!r}")
    if value is not None:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{op}: value must be a number, got {type(value).__name__} {value!r}")
        value = float(value)
    return Pad.apply(input, [int(p) for p in pad], mode, value)
