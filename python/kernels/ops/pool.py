"""Pooling with torch.nn.functional's names, signatures and defaults: max_pool1d/2d,
avg_pool1d/2d, adaptive_avg_pool1d/2d and adaptive_max_pool1d/2d (plus the ``*_with_indices``
spellings).

Input is (N, C, H, W) or unbatched (C, H, W) for the 2-d ops, (N, C, L) or (C, L) for the 1-d ops,
which run the 2-d kernels on an (N, C, 1, L) view. Max pooling saves int64 indices (flat h*W + w
within each plane, as torch's ``return_indices``) and its backward adds each output's gradient at
its index; ties go to the first max in scan order and NaN propagates, as in torch. The window
arguments are checked in C++ (ValueError naming the op and the values); this layer only turns
ints and tuples into lists.
"""
from __future__ import annotations

from .. import _C
from .._args import as_int, check_tensor
from ..autograd import Function

__all__ = [
    "max_pool1d", "max_pool2d", "max_pool1d_with_indices", "max_pool2d_with_indices",
    "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
    "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices",
]

_INTS = "an int or a tuple of ints"


def _ints(op, name, v):
    """An int or a sequence of ints, as a list (the C++ side checks the length and values)."""
    if isinstance(v, (tuple, list)):
        return [as_int(op, name, e, _INTS) for e in v]
    return [as_int(op, name, v, _INTS)]


def _stride(op, stride):
    # torch: stride None (or an empty list) means stride = kernel_size.
    if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
        return []
    return _ints(op, "stride", stride)


def _output_size(op, input, output_size, sd):
    """torch's adaptive output_size: an int, or a tuple whose None entries keep the input's size."""
    if isinstance(output_size, (tuple, list)):
        sizes = list(output_size)
        if len(sizes) != sd:
            raise ValueError(f"{op}: output_size must be an int or a tuple of {sd} ints, got {output_size!r}")
    else:
        sizes = [output_size] * sd
    shape = tuple(input.shape)
    out = []
    for i, s in enumerate(sizes):
        if s is None:
            if len(shape) < sd:
                raise ValueError(f"{op}: input of shape {shape} has no spatial dim for a None output size")
            out.append(shape[len(shape) - sd + i])
        else:
            out.append(as_int(op, "output_size", s, _INTS))
    return out


def _bool(op, name, v):
    if not isinstance(v, (bool, int)):
        raise TypeError(f"{op}: {name} must be a bool, got {type(v).__name__} {v!r}")
    return bool(v)


# ---------------------------------------------------------------- Functions


class MaxPool(Function):
    """max_pool{1,2}d: returns (output, indices); backward scatters at the indices."""

    @staticmethod
    def forward(ctx, x, sd, kernel_size, stride, padding, dilation, ceil_mode):
        fwd = _C.max_pool2d_forward if sd == 2 else _C.max_pool1d_forward
        out, idx = fwd(x, kernel_size, stride, padding, dilation, ceil_mode)
        ctx.save_for_backward(idx)
        ctx.sd = sd
        ctx.args = (list(x.shape), kernel_size, stride, padding, dilation, ceil_mode)
        return out, idx

    @staticmethod
    def backward(ctx, grad, _grad_indices=None):
        (idx,) = ctx.saved_tensors
        bwd = _C.max_pool2d_backward if ctx.sd == 2 else _C.max_pool1d_backward
        return (bwd(grad, idx, *ctx.args),) + (None,) * 6


class AvgPool(Function):
    @staticmethod
    def forward(ctx, x, sd, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor):
        ctx.sd = sd
        if sd == 2:
            ctx.args = (list(x.shape), kernel_size, stride, padding, ceil_mode, count_include_pad, divisor)
            return _C.avg_pool2d_forward(x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                                         divisor)
        ctx.args = (list(x.shape), kernel_size, stride, padding, ceil_mode, count_include_pad)
        return _C.avg_pool1d_forward(x, kernel_size, stride, padding, ceil_mode, count_include_pad)

    @staticmethod
    def backward(ctx, grad):
        bwd = _C.avg_pool2d_backward if ctx.sd == 2 else _C.avg_pool1d_backward
        return (bwd(grad, *ctx.args),) + (None,) * 7


class AdaptiveAvgPool(Function):
    @staticmethod
    def forward(ctx, x, sd, output_size):
        ctx.sd = sd
        ctx.shape = list(x.shape)
        fwd = _C.adaptive_avg_pool2d_forward if sd == 2 else _C.adaptive_avg_pool1d_forward
        return fwd(x, output_size)

    @staticmethod
    def backward(ctx, grad):
        bwd = _C.adaptive_avg_pool2d_backward if ctx.sd == 2 else _C.adaptive_avg_pool1d_backward
        return bwd(grad, ctx.shape), None, None


class AdaptiveMaxPool(Function):
    @staticmethod
    def forward(ctx, x, sd, output_size):
        fwd = _C.adaptive_max_pool2d_forward if sd == 2 else _C.adaptive_max_pool1d_forward
        out, idx = fwd(x, output_size)
        ctx.save_for_backward(idx)
        ctx.sd = sd
        ctx.shape = list(x.shape)
        return out, idx

    @staticmethod
    def backward(ctx, grad, _grad_indices=None):
        (idx,) = ctx.saved_tensors
        bwd = _C.adaptive_max_pool2d_backward if ctx.sd == 2 else _C.adaptive_max_pool1d_backward
        return bwd(grad, idx, ctx.shape), None, None


# ---------------------------------------------------------------- public functions


def _max_pool(op, sd, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    check_tensor(op, input)
    out, idx = MaxPool.apply(input, sd, _ints(op, "kernel_size", kernel_size), _stride(op, stride),
                             _ints(op, "padding", padding), _ints(op, "dilation", dilation),
                             _bool(op, "ceil_mode", ceil_mode))
    return (out, idx) if return_indices else out


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """torch.nn.functional.max_pool2d: (N, C, H, W) or (C, H, W) -> (..., OH, OW), with
    OH = floor((H + 2 padding - dilation (kernel - 1) - 1) / stride) + 1 (ceil in ceil_mode, the
    last window starting inside the input or left padding)."""
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """torch.nn.functional.max_pool1d: (N, C, L) or (C, L) -> (..., OL)."""
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """torch.nn.functional.avg_pool2d. Each window's sum is divided by divisor_override if given,
    else by its size clipped to the padded input (count_include_pad=True) or by its number of
    input positions (False)."""
    op = "avg_pool2d"
    check_tensor(op, input)
    divisor = None if divisor_override is None else as_int(op, "divisor_override", divisor_override)
    return AvgPool.apply(input, 2, _ints(op, "kernel_size", kernel_size), _stride(op, stride),
                         _ints(op, "padding", padding), _bool(op, "ceil_mode", ceil_mode),
                         _bool(op, "count_include_pad", count_include_pad), divisor)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """torch.nn.functional.avg_pool1d: (N, C, L) or (C, L)."""
    op = "avg_pool1d"
    check_tensor(op, input)
    return AvgPool.apply(input, 1, _ints(op, "kernel_size", kernel_size), _stride(op, stride),
                         _ints(op, "padding", padding), _bool(op, "ceil_mode", ceil_mode),
                         _bool(op, "count_include_pad", count_include_pad), None)


def adaptive_avg_pool2d(input, output_size):
    """torch.nn.functional.adaptive_avg_pool2d: window oh covers rows [floor(oh H / OH),
    ceil((oh + 1) H / OH)); columns alike. adaptive_avg_pool2d(x, 1) is global average pooling."""
    op = "adaptive_avg_pool2d"
    check_tensor(op, input)
    return AdaptiveAvgPool.apply(input, 2, _output_size(op, input, output_size, 2))


def adaptive_avg_pool1d(input, output_size):
    op = "adaptive_avg_pool1d"
    check_tensor(op, input)
    return AdaptiveAvgPool.apply(input, 1, _output_size(op, input, output_size, 1))


def _adaptive_max(op, sd, input, output_size, return_indices):
    check_tensor(op, input)
    out, idx = AdaptiveMaxPool.apply(input, sd, _output_size(op, input, output_size, sd))
    return (out, idx) if return_indices else out


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """torch.nn.functional.adaptive_max_pool2d (adaptive_avg_pool2d's windows, max_pool2d's rules)."""
    return _adaptive_max("adaptive_max_pool2d", 2, input, output_size, return_indices)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    return _adaptive_max("adaptive_max_pool1d", 1, input, output_size, return_indices)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool1d(input, output_size, True)
