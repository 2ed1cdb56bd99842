"""``Linear`` (y = x W^T + b) and ``Identity``."""
from __future__ import annotations

import math

from ... import _C
from ... import functional as F
from ..._args import expect_tensor
from ..._device import as_device, as_dtype
from ...tensor import empty
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Identity", "Linear"]


def _weight_and_bias(module, weight_shape, bias_features, bias, device, dtype):
    """Give ``module`` an uninitialised ``weight`` Parameter of ``weight_shape`` and, when ``bias``,
    a ``bias`` of ``bias_features`` (else a registered ``bias = None``), of ``dtype`` (default
    float32) on ``device``."""
    kw = dict(dtype=as_dtype(dtype, _C.dtype.float32), device=as_device(device))
    module.weight = Parameter(empty(weight_shape, **kw))
    if bias:
        module.bias = Parameter(empty(bias_features, **kw))
    else:
        module.register_parameter("bias", None)


def _reset_weight_and_bias(module):
    """torch's initialisation of Linear and the convolutions: weight ~ kaiming_uniform_(a=sqrt(5)),
    bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (0 when fan_in is 0)."""
    init.kaiming_uniform_(module.weight, a=math.sqrt(5))
    if module.bias is not None:
        fan_in, _ = init._calculate_fan_in_and_fan_out(module.weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        init.uniform_(module.bias, -bound, bound)


def _check_like_weight(name, input, w):
    """TypeError / RuntimeError "<name>: ..." unless ``input`` has the dtype and device of the
    layer's weight ``w``."""
    if input.dtype != w.dtype:
        raise TypeError(
            f"{name}: input is {input.dtype} but the layer's weight is {w.dtype}; convert the "
            "input (.to(dtype)) or the model (.double() / .float())"
        )
    if input.device != w.device:
        raise RuntimeError(
            f"{name}: input is on {input.device} but the layer's weight is on {w.device}; "
            "move one of them (.to(device))"
        )


class Identity(Module):
    """Returns its input unchanged (arguments are accepted and ignored, as torch)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """y = x W^T + b: input (..., in_features) -> (..., out_features).

    weight is (out_features, in_features), bias (out_features). Initialised as torch does:
    weight ~ kaiming_uniform_(a=sqrt(5)), i.e. U(-1/sqrt(in), 1/sqrt(in)), and bias ~
    U(-1/sqrt(in), 1/sqrt(in)).
    """

    __constants__ = ["in_features", "out_features"]

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        for name, v in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError(f"Linear: {name} must be a non-negative int, got {v!r}")
        self.in_features = in_features
        self.out_features = out_features
        _weight_and_bias(self, (out_features, in_features), out_features, bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_weight_and_bias(self)

    def forward(self, input):
        name = f"Linear(in_features={self.in_features}, out_features={self.out_features})"
        expect_tensor(name, input)
        if input.ndim == 0 or input.shape[-1] != self.in_features:
            raise ValueError(
                f"{name}: expected input with last dim {self.in_features}, got shape "
                f"{tuple(input.shape)}"
            )
        _check_like_weight(name, input, self.weight)
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
