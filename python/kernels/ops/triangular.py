"""tril / triu as torch's: the lower / upper triangle of the last two dims (diagonal k: 0 the main
diagonal, > 0 above it, < 0 below it), the rest 0 (also where the input is inf or NaN). Composed
of where() over an index mask, so the gradient is the upstream gradient on the kept triangle."""
from __future__ import annotations

from .._args import as_int, check_tensor
from ..tensor import arange
from .elementwise import where

__all__ = ["tril", "triu"]


def _keep(op, input, diagonal, lower):
    check_tensor(op, input, "input")
    if input.dim() < 2:
        raise ValueError(f"{op}: input tensor must have at least 2 dimensions, got shape {tuple(input.shape)}")
    k = as_int(op, "diagonal", diagonal)
    rows, cols = input.shape[-2], input.shape[-1]
    offset = arange(cols, device=input.device).reshape(1, cols) - arange(rows, device=input.device).reshape(rows, 1)
    return offset <= k if lower else offset >= k


def tril(input, diagonal=0):
    return where(_keep("tril", input, diagonal, True), input, 0)


def triu(input, diagonal=0):
    return where(_keep("triu", input, diagonal, False), input, 0)
