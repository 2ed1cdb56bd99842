"""pad with torch.nn.functional's signature and defaults.

``pad`` is (before, after) pairs starting from the last dim, e.g. (left, right, top, bottom);
negative values crop. 'constant' pads any number of trailing dims with ``value`` (default 0);
'reflect', 'replicate' and 'circular' pad the last 1, 2 or 3 dims of an input with 1 or 2 more
dims and take no value. The backward of 'constant' is a crop; the other modes add each output's
gradient into the input element it was copied from (edges receive several).
"""
from __future__ import annotations

from .. import _C
from .._args import as_number, check_tensor, is_int
from ..autograd import Function

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
    check_tensor(op, input)
    if not isinstance(pad, (tuple, list)) or not all(is_int(p) for p in pad):
        raise TypeError(f"{op}: pad must be a tuple of ints, got {pad!r}")
    if not isinstance(mode, str):
        raise TypeError(f"{op}: mode must be a string, got {type(mode).__name__} {mode!r}")
    if value is not None:
        value = as_number(op, "value", value)
    return Pad.apply(input, [int(p) for p in pad], mode, value)
