"""``Dropout``: zeroes each element with probability p while training, scales the rest by
1/(1-p); the identity in eval mode. ``Dropout1d`` / ``Dropout2d`` / ``Dropout3d`` zero whole
channels instead."""
from __future__ import annotations

from ... import functional as F
from ..._args import is_number
from .module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d"]


class _DropoutBase(Module):
    """The dropouts' constructor (p checked to lie in [0, 1]) and repr."""

    __constants__ = ["p", "inplace"]

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not is_number(p) or not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutBase):
    def forward(self, input):
        if self.inplace:
            return F.dropout(input, self.p, self.training, self.inplace)
        return F.dropout(input, self.p, self.training)


class _DropoutNd(_DropoutBase):
    """Channel dropout: zeroes whole feature maps with probability p while training, scales the
    rest by 1/(1-p); the identity in eval mode."""

    _fn = None

    def forward(self, input):
        return type(self)._fn(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Zeroes channels of (N, C, L) or (C, L) input."""

    _fn = staticmethod(F.dropout1d)


class Dropout2d(_DropoutNd):
    """Zeroes channels of (N, C, H, W) input (a 3-D input is read as (N, C, L), as torch)."""

    _fn = staticmethod(F.dropout2d)


class Dropout3d(_DropoutNd):
    """Zeroes channels of (N, C, D, H, W) or (C, D, H, W) input."""

    _fn = staticmethod(F.dropout3d)
