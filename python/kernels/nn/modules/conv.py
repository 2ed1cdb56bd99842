"""Convolution layers, as torch.nn: ``Conv1d``, ``Conv2d``, ``ConvTranspose1d``,
``ConvTranspose2d``.

Same constructor arguments, attributes (kernel_size, stride, padding, dilation, output_padding as
tuples; padding may be 'same' / 'valid' for the convolutions), state_dict keys (weight, bias),
weight shapes ((out, in/groups, *k) for a conv, (in, out/groups, *k) for a transposed conv), repr
and initialisation: weight ~ kaiming_uniform_(a=sqrt(5)), bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))
with fan_in = weight.size(1) * prod(kernel_size). Only padding_mode='zeros' is implemented; the
other torch modes raise NotImplementedError.
"""
from __future__ import annotations

from ... import functional as F
from ..._args import expect_tensor, is_int, ntuple
from .linear import _check_like_weight, _reset_weight_and_bias, _weight_and_bias
from .module import Module

__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _int_tuple(cls, name, v, nd):
    return tuple(ntuple(cls, name, v, nd, bad_type=ValueError))  # torch's modules store tuples


class _ConvNd(Module):
    """Shared constructor, checks, initialisation and repr of the four layers."""

    __constants__ = ["stride", "padding", "dilation", "groups", "padding_mode", "output_padding",
                     "in_channels", "out_channels", "kernel_size"]
    _nd = 2
    _transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, transposed,
                 output_padding, groups, bias, padding_mode, device=None, dtype=None):
        super().__init__()
        cls, nd = type(self).__name__, self._nd
        for name, v in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not is_int(v) or v <= 0:
                raise ValueError(f"{cls}: {name} must be a positive int, got {v!r}")
        if not is_int(groups) or groups <= 0:
            raise ValueError(f"{cls}: groups must be a positive integer, got {groups!r}")
        if in_channels % groups != 0:
            raise ValueError(f"{cls}: in_channels={in_channels} must be divisible by groups={groups}")
        if out_channels % groups != 0:
            raise ValueError(f"{cls}: out_channels={out_channels} must be divisible by groups={groups}")
        kernel_size = _int_tuple(cls, "kernel_size", kernel_size, nd)
        stride = _int_tuple(cls, "stride", stride, nd)
        dilation = _int_tuple(cls, "dilation", dilation, nd)
        if any(k <= 0 for k in kernel_size):
            raise ValueError(f"{cls}: kernel_size must be positive, got {kernel_size}")
        if any(s <= 0 for s in stride):
            raise ValueError(f"{cls}: stride must be positive, got {stride}")
        if any(d <= 0 for d in dilation):
            raise ValueError(f"{cls}: dilation must be positive, got {dilation}")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(
                    f"{cls}: invalid padding string {padding!r}, should be one of 'valid', 'same'")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError(
                    f"{cls}: padding='same' is not supported for strided convolutions (stride {stride})")
        else:
            padding = _int_tuple(cls, "padding", padding, nd)
            if any(p < 0 for p in padding):
                raise ValueError(f"{cls}: padding must be non-negative, got {padding}")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{cls}: padding_mode must be one of {_PADDING_MODES}, got {padding_mode!r}")
        if padding_mode != "zeros":
            if transposed:
                raise ValueError(f'{cls}: only "zeros" padding mode is supported, got {padding_mode!r}')
            raise NotImplementedError(
                f"{cls}: padding_mode={padding_mode!r} is not implemented; only 'zeros' is")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = transposed
        self.output_padding = output_padding
        self.groups = groups
        self.padding_mode = padding_mode
        if transposed:
            shape = (in_channels, out_channels // groups) + kernel_size
        else:
            shape = (out_channels, in_channels // groups) + kernel_size
        _weight_and_bias(self, shape, out_channels, bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_weight_and_bias(self)

    def _check_input(self, input):
        cls = type(self).__name__
        expect_tensor(cls, input)
        _check_like_weight(cls, input, self.weight)

    def extra_repr(self):
        s = "{in_channels}, {out_channels}, kernel_size={kernel_size}, stride={stride}"
        if self.padding != (0,) * len(self.padding):
            s += ", padding={padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += ", dilation={dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += ", output_padding={output_padding}"
        if self.groups != 1:
            s += ", groups={groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += ", padding_mode={padding_mode}"
        return s.format(**self.__dict__)


class Conv2d(_ConvNd):
    """2-D convolution: input (N, C_in, H, W) -> (N, C_out, OH, OW); weight
    (C_out, C_in/groups, kH, kW), bias (C_out)."""

    _nd = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, False,
                         (0, 0), groups, bias, padding_mode, device, dtype)

    def forward(self, input):
        self._check_input(input)
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)


class Conv1d(_ConvNd):
    """1-D convolution: input (N, C_in, L) -> (N, C_out, OL); weight (C_out, C_in/groups, k)."""

    _nd = 1

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, False,
                         (0,), groups, bias, padding_mode, device, dtype)

    def forward(self, input):
        self._check_input(input)
        return F.conv1d(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)


class _ConvTransposeNd(_ConvNd):
    """The transposed convolutions' constructor (torch's argument order) and forward; a subclass
    names its dimension ``_nd`` and its functional ``_conv_transpose``."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        cls, nd = type(self).__name__, self._nd
        if isinstance(padding, str):
            raise ValueError(f"{cls}: padding must be an int or a tuple of {nd} ints, got {padding!r}")
        output_padding = _int_tuple(cls, "output_padding", output_padding, nd)
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, True,
                         output_padding, groups, bias, padding_mode, device, dtype)
        for op, s, d in zip(self.output_padding, self.stride, self.dilation):
            if op < 0 or (op >= s and op >= d):
                raise ValueError(
                    f"{cls}: output_padding {self.output_padding} must be non-negative and smaller "
                    f"than either stride {self.stride} or dilation {self.dilation}")

    def forward(self, input, output_size=None):
        self._check_input(input)
        return self._conv_transpose(input, self.weight, self.bias, self.stride, self.padding,
                                    self._output_padding(input, output_size), self.groups,
                                    self.dilation)

    def _output_padding(self, input, output_size):
        """output_padding for a requested output_size (torch's rule), else the layer's own."""
        if output_size is None:
            return self.output_padding
        cls, nd = type(self).__name__, self._nd
        output_size = [int(s) for s in output_size]
        if len(output_size) == nd + 2:
            output_size = output_size[2:]
        if len(output_size) != nd:
            raise ValueError(
                f"{cls}: output_size must have {nd} or {nd + 2} elements (got {len(output_size)})")
        if input.ndim != nd + 2:
            return self.output_padding  # conv_transpose reports the bad input rank
        res = []
        for d in range(nd):
            smallest = ((input.shape[d + 2] - 1) * self.stride[d] - 2 * self.padding[d]
                        + self.dilation[d] * (self.kernel_size[d] - 1) + 1)
            largest = smallest + self.stride[d] - 1
            if not smallest <= output_size[d] <= largest:
                raise ValueError(
                    f"{cls}: requested an output size of {output_size}, but valid sizes range from "
                    f"{smallest} to {largest} in dim {d} (for an input of {tuple(input.shape)[2:]})")
            res.append(output_size[d] - smallest)
        return tuple(res)


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution (the gradient of conv2d with respect to its input):
    input (N, C_in, H, W) -> (N, C_out, OH, OW), OH = (H-1)*stride - 2*padding
    + dilation*(kH-1) + output_padding + 1; weight (C_in, C_out/groups, kH, kW), bias (C_out)."""

    _nd = 2
    _conv_transpose = staticmethod(F.conv_transpose2d)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution: input (N, C_in, L) -> (N, C_out, OL); weight
    (C_in, C_out/groups, k), bias (C_out)."""

    _nd = 1
    _conv_transpose = staticmethod(F.conv_transpose1d)
