"""Convolutions with torch.nn.functional's names, signatures and defaults: conv1d, conv2d,
conv_transpose1d and conv_transpose2d (NCHW / NCL input, OIHW weight; a transposed conv's weight
is (in_channels, out_channels/groups, kH, kW)).

Each is one autograd Function calling ``_C.<op>_forward`` / ``_C.<op>_backward``; the backward
returns the gradients of input, weight and bias that are needed. Here the Python side only turns
torch's argument forms into lists of ints: an int or a tuple for stride / padding / dilation /
output_padding, and padding='valid' (no padding) or 'same' (stride 1 only; the total padding
dilation*(k-1) split as torch does, the odd element going to the bottom / right). Every other
check (shapes, channels, groups, sizes, dtypes, devices) is made once, in C++
(csrc/ops/conv2d.cpp), and raises ValueError / TypeError / RuntimeError naming the op and shapes.
Input must be batched ((N, C, H, W) for the 2-D ops, (N, C, L) for the 1-D ones).
"""
from __future__ import annotations

from .. import _C
from .._args import as_int, check_tensor, ntuple
from ..autograd import Function

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]


def _conv_padding(op, nd, padding, weight, stride, dilation):
    """padding as a list: nd symmetric entries, or 2*nd (begin, end per dim) for an odd 'same'."""
    if not isinstance(padding, str):
        return ntuple(op, "padding", padding, nd)
    if padding == "valid":
        return [0] * nd
    if padding != "same":
        raise ValueError(f"{op}: invalid padding string {padding!r}, should be one of 'valid', 'same'")
    if any(s != 1 for s in stride):
        raise ValueError(
            f"{op}: padding='same' is not supported for strided convolutions (stride {tuple(stride)})")
    if weight.ndim != nd + 2 or any(d <= 0 for d in dilation):
        return [0] * nd  # the C++ checks report the bad weight / dilation
    lo, hi = [], []
    for d, k in zip(dilation, weight.shape[2:]):
        total = d * (k - 1)
        lo.append(total // 2)
        hi.append(total - total // 2)
    if lo == hi:
        return lo
    return [p for pair in zip(lo, hi) for p in pair]


# ---------------------------------------------------------------- Functions


def _conv_function(name, cls_name):
    """A Function over (input, weight, bias, *params) calling _C.<name>_forward / _backward."""
    fwd = getattr(_C, name + "_forward")
    bwd = getattr(_C, name + "_backward")

    def forward(ctx, input, weight, bias, *params):
        ctx.save_for_backward(input, weight)
        ctx.params = params
        ctx.has_bias = bias is not None
        return fwd(input, weight, bias, *params)

    def backward(ctx, grad):
        input, weight = ctx.saved_tensors
        need = ctx.needs_input_grad
        mask = [bool(need[0]), bool(need[1]), bool(ctx.has_bias and need[2])]
        dx, dw, db = bwd(grad, input, weight, *ctx.params, ctx.has_bias, mask)
        return (dx, dw, db) + (None,) * len(ctx.params)

    return type(cls_name, (Function,), {
        "forward": staticmethod(forward), "backward": staticmethod(backward),
        "__doc__": f"{name}: forward _C.{name}_forward, backward _C.{name}_backward.",
    })


Conv1d = _conv_function("conv1d", "Conv1d")
Conv2d = _conv_function("conv2d", "Conv2d")
ConvTranspose1d = _conv_function("conv_transpose1d", "ConvTranspose1d")
ConvTranspose2d = _conv_function("conv_transpose2d", "ConvTranspose2d")


# ---------------------------------------------------------------- public functions


def _check_args(op, input, weight, bias):
    check_tensor(op, input, "input")
    check_tensor(op, weight, "weight")
    if bias is not None:
        check_tensor(op, bias, "bias")


def _conv(op, nd, fn, input, weight, bias, stride, padding, dilation, groups):
    _check_args(op, input, weight, bias)
    stride = ntuple(op, "stride", stride, nd)
    dilation = ntuple(op, "dilation", dilation, nd)
    padding = _conv_padding(op, nd, padding, weight, stride, dilation)
    return fn.apply(input, weight, bias, stride, padding, dilation, as_int(op, "groups", groups))


def _conv_transpose(op, nd, fn, input, weight, bias, stride, padding, output_padding, groups,
                    dilation):
    _check_args(op, input, weight, bias)
    if isinstance(padding, str):
        raise ValueError(f"{op}: padding must be an int or a tuple of {nd} ints, got {padding!r} "
                         "(string padding is for convolutions only)")
    return fn.apply(input, weight, bias, ntuple(op, "stride", stride, nd),
                    ntuple(op, "padding", padding, nd),
                    ntuple(op, "output_padding", output_padding, nd), as_int(op, "groups", groups),
                    ntuple(op, "dilation", dilation, nd))


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """torch.nn.functional.conv2d: input (N, C, H, W), weight (O, C/groups, kH, kW), bias (O)
    -> (N, O, OH, OW), OH = (H + 2*padding - dilation*(kH-1) - 1) // stride + 1."""
    return _conv("conv2d", 2, Conv2d, input, weight, bias, stride, padding, dilation, groups)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """torch.nn.functional.conv1d: input (N, C, L), weight (O, C/groups, k), bias (O) -> (N, O, OL)."""
    return _conv("conv1d", 1, Conv1d, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """torch.nn.functional.conv_transpose2d: input (N, C_in, H, W), weight
    (C_in, C_out/groups, kH, kW), bias (C_out) -> (N, C_out, OH, OW),
    OH = (H-1)*stride - 2*padding + dilation*(kH-1) + output_padding + 1."""
    return _conv_transpose("conv_transpose2d", 2, ConvTranspose2d, input, weight, bias, stride,
                           padding, output_padding, groups, dilation)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """torch.nn.functional.conv_transpose1d: input (N, C_in, L), weight (C_in, C_out/groups, k),
    bias (C_out) -> (N, C_out, OL)."""
    return _conv_transpose("conv_transpose1d", 1, ConvTranspose1d, input, weight, bias, stride,
                           padding, output_padding, groups, dilation)
