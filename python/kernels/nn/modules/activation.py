"""Activation modules: thin wrappers over ``kernels.functional`` with torch's arguments and
reprs."""
from __future__ import annotations

from ... import functional as F
from .module import Module

__all__ = ["ReLU", "Sigmoid", "Tanh", "LeakyReLU", "ELU", "Softplus", "GELU", "SiLU", "Softmax",
           "LogSoftmax"]


def _inplace_call(fn, input, *args, inplace=False):
    # Pass `inplace` only when asked, so the functional may omit the argument.
    return fn(input, *args, inplace=True) if inplace else fn(input, *args)


class _InplaceActivation(Module):
    """An activation whose only argument is ``inplace``; forward calls F.<_fn_name>."""

    __constants__ = ["inplace"]
    _fn_name = ""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return _inplace_call(getattr(F, self._fn_name), input, inplace=self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class ReLU(_InplaceActivation):
    """max(0, x)."""

    _fn_name = "relu"


class Sigmoid(Module):
    """1 / (1 + exp(-x))."""

    def forward(self, input):
        return F.sigmoid(input)


class Tanh(Module):
    def forward(self, input):
        return F.tanh(input)


class LeakyReLU(Module):
    """x if x >= 0 else negative_slope * x."""

    __constants__ = ["inplace", "negative_slope"]

    def __init__(self, negative_slope=1e-2, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return _inplace_call(F.leaky_relu, input, self.negative_slope, inplace=self.inplace)

    def extra_repr(self):
        inplace_str = ", inplace=True" if self.inplace else ""
        return f"negative_slope={self.negative_slope}{inplace_str}"


class ELU(Module):
    """x if x > 0 else alpha * (exp(x) - 1)."""

    __constants__ = ["alpha", "inplace"]

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return _inplace_call(F.elu, input, self.alpha, inplace=self.inplace)

    def extra_repr(self):
        inplace_str = ", inplace=True" if self.inplace else ""
        return f"alpha={self.alpha}{inplace_str}"


class Softplus(Module):
    """log(1 + exp(beta * x)) / beta, linear above ``threshold``."""

    __constants__ = ["beta", "threshold"]

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class GELU(Module):
    """x * Phi(x); ``approximate='tanh'`` uses the tanh approximation."""

    __constants__ = ["approximate"]

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(_InplaceActivation):
    """x * sigmoid(x)."""

    _fn_name = "silu"


def _implicit_dim(ndim):
    # torch's legacy choice when dim is None: 0 for 0-, 1- and 3-d inputs, else 1.
    return 0 if ndim in (0, 1, 3) else 1


class _DimActivation(Module):
    """Normalised along ``dim`` (None: torch's legacy implicit choice); forward calls F.<_fn_name>."""

    __constants__ = ["dim"]
    _fn_name = ""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        dim = _implicit_dim(input.ndim) if self.dim is None else self.dim
        return getattr(F, self._fn_name)(input, dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(_DimActivation):
    """exp(x_i) / sum_j exp(x_j) along ``dim``."""

    _fn_name = "softmax"


class LogSoftmax(_DimActivation):
    """log(softmax(x)) along ``dim``, computed stably."""

    _fn_name = "log_softmax"
