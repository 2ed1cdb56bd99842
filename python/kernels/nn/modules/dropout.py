"""``Dropout``: zeroes each element with probability p while training, scales the rest by
1/(1-p); the identity in eval mode."""
from __future__ import annotations

import numbers

from ... import functional as F
from .module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    __constants__ = ["p", "inplace"]

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input):
        if self.inplace:
            return F.dropout(input, self.p, self.training, self.inplace)
        return F.dropout(input, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"
