"""Activations: sigmoid, tanh, relu, leaky_relu, elu, softplus, gelu, silu, softmax, log_softmax
and dropout, with torch.nn.functional's names, signatures and defaults.

Each is one autograd Function calling ``_C.<op>_forward`` / ``_C.<op>_backward``. sigmoid and tanh
save their output (dx = g y (1 - y), g (1 - y^2)); the relu family, softplus, gelu and silu save the
input. softmax / log_softmax save the output and work along any dim. dropout draws its mask from
the shared Philox stream (one call per dropout, so a seed gives the same mask on the CPU and CUDA),
keeps it as a bool tensor and scales kept elements by 1 / (1 - p).

``inplace=True`` (relu, leaky_relu, elu, silu, dropout) writes the result into the input and
returns it, as torch does; under autograd the input takes the result's place in the graph
(ops/inplace.py: rebind_in_place).
"""
from __future__ import annotations

import warnings

from .. import _C
from .._args import as_flag, as_int, as_number, check_tensor
from ..autograd import Function
from ..tensor import ToDtype
from .elementwise import _function, _saving_unary
from .inplace import apply_inplace
from .shape import Identity

__all__ = [
    "sigmoid", "tanh", "relu", "relu_", "leaky_relu", "elu", "softplus", "gelu", "silu",
    "softmax", "log_softmax", "dropout",
]


# ---------------------------------------------------------------- Functions


def _input_saving(name):
    """A Function whose forward takes (x, *params) and whose backward needs x and the params."""
    fwd = getattr(_C, name + "_forward")
    bwd = getattr(_C, name + "_backward")

    def forward(ctx, x, *params):
        ctx.save_for_backward(x)
        ctx.params = params
        return fwd(x, *params)

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return (bwd(grad, x, *ctx.params),) + (None,) * len(ctx.params)

    cls_name = "".join(p.capitalize() for p in name.split("_"))
    return _function(cls_name, forward, backward, f"{name}(x, *params); backward from the input x.")


def _softmax_like(cls_name, name):
    """A Function for _C.<name>_forward(x, dim), whose backward needs the output y and dim."""
    fwd = getattr(_C, name + "_forward")
    bwd = getattr(_C, name + "_backward")

    def forward(ctx, x, dim):
        y = fwd(x, dim)
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return bwd(grad, y, ctx.dim), None

    return _function(cls_name, forward, backward, f"{name}(x, dim); backward from the output y.")


Sigmoid = _saving_unary("sigmoid", saves="output")
Tanh = _saving_unary("tanh", saves="output")
Relu = _saving_unary("relu", saves="input")
Silu = _saving_unary("silu", saves="input")
LeakyRelu = _input_saving("leaky_relu")
Elu = _input_saving("elu")
Softplus = _input_saving("softplus")
Gelu = _input_saving("gelu")
Softmax = _softmax_like("Softmax", "softmax")
LogSoftmax = _softmax_like("LogSoftmax", "log_softmax")


class Dropout(Function):
    @staticmethod
    def forward(ctx, x, p):
        out, mask = _C.dropout_forward(x, p)
        ctx.save_for_backward(mask)
        ctx.p = p
        return out

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        return _C.dropout_backward(grad, mask, ctx.p), None


# ---------------------------------------------------------------- public functions


def sigmoid(input):
    """torch.sigmoid: 1 / (1 + exp(-x))."""
    check_tensor("sigmoid", input)
    return Sigmoid.apply(input)


def tanh(input):
    """torch.tanh."""
    check_tensor("tanh", input)
    return Tanh.apply(input)


def relu(input, inplace=False):
    """torch.nn.functional.relu: max(x, 0) (NaN stays NaN)."""
    check_tensor("relu", input)
    if inplace:
        return apply_inplace("relu", input, Relu.apply, _C.relu_)
    return Relu.apply(input)


def relu_(input):
    """In-place relu, as torch's (recorded by autograd when it is involved)."""
    check_tensor("relu_", input)
    return apply_inplace("relu_", input, Relu.apply, _C.relu_)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """torch.nn.functional.leaky_relu: x if x > 0 else negative_slope * x."""
    check_tensor("leaky_relu", input)
    slope = as_number("leaky_relu", "negative_slope", negative_slope)
    if inplace:
        return apply_inplace("leaky_relu", input, lambda x: LeakyRelu.apply(x, slope))
    return LeakyRelu.apply(input, slope)


def elu(input, alpha=1.0, inplace=False):
    """torch.nn.functional.elu: x if x > 0 else alpha * (exp(x) - 1)."""
    check_tensor("elu", input)
    a = as_number("elu", "alpha", alpha)
    if inplace:
        return apply_inplace("elu", input, lambda x: Elu.apply(x, a))
    return Elu.apply(input, a)


def softplus(input, beta=1.0, threshold=20.0):
    """torch.nn.functional.softplus: log(1 + exp(beta x)) / beta, x where beta x > threshold."""
    check_tensor("softplus", input)
    return Softplus.apply(input, as_number("softplus", "beta", beta),
                          as_number("softplus", "threshold", threshold))


def gelu(input, approximate="none"):
    """torch.nn.functional.gelu: x Phi(x), or the tanh approximation with approximate='tanh'."""
    check_tensor("gelu", input)
    if not isinstance(approximate, str):
        raise TypeError(f"gelu: approximate must be a string, got {type(approximate).__name__}")
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return Gelu.apply(input, approximate)


def silu(input, inplace=False):
    """torch.nn.functional.silu: x sigmoid(x)."""
    check_tensor("silu", input)
    if inplace:
        return apply_inplace("silu", input, Silu.apply)
    return Silu.apply(input)


def _softmax_dim(op, input, dim, stacklevel):
    if dim is None:  # torch's legacy implicit choice
        warnings.warn(
            f"{op}: implicit dimension choice is deprecated; pass dim= explicitly",
            stacklevel=stacklevel,
        )
        return 0 if input.ndim in (0, 1, 3) else 1
    return as_int(op, "dim", dim)


def _softmax_input(op, input, dtype):
    check_tensor(op, input)
    if dtype is not None and input.dtype != dtype:
        return ToDtype.apply(input, dtype)
    return input


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """torch.nn.functional.softmax along `dim` (any dim, negative allowed), max-subtracted."""
    x = _softmax_input("softmax", input, dtype)
    return Softmax.apply(x, _softmax_dim("softmax", input, dim, _stacklevel))


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """torch.nn.functional.log_softmax along `dim`: x - max - log(sum(exp(x - max)))."""
    x = _softmax_input("log_softmax", input, dtype)
    return LogSoftmax.apply(x, _softmax_dim("log_softmax", input, dim, _stacklevel))


def dropout(input, p=0.5, training=True, inplace=False):
    """torch.nn.functional.dropout: zero each element with probability p (one mask per call, from
    the shared Philox stream) and scale the rest by 1 / (1 - p); the identity when not training."""
    check_tensor("dropout", input)
    p = as_number("dropout", "p", p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: dropout probability has to be between 0 and 1, but got {p}")
    if not as_flag("dropout", "training", training):
        return input if inplace else Identity.apply(input)
    if inplace:
        return apply_inplace("dropout", input, lambda x: Dropout.apply(x, p))
    return Dropout.apply(input, p)


def _softmax_method(self, dim=None, dtype=None):
    return softmax(self, dim, dtype=dtype)


def _log_softmax_method(self, dim=None, dtype=None):
    return log_softmax(self, dim, dtype=dtype)
