"""Closeness tests, as torch's: ``isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False)``
(elementwise, a bool tensor) and ``allclose`` (one Python bool).

input and other are close where input == other (which covers equal infinities) or where
|input - other| is finite and <= atol + |rtol * other|; equal_nan also makes
two NaNs close. Composed from the elementwise kernels, so it runs on every device.
"""
from __future__ import annotations

import math

from .. import _C
from .._args import as_number, check_tensor
from . import elementwise as E
from .reduce import sum as _sum

Tensor = _C.Tensor

__all__ = ["isclose", "allclose"]


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    check_tensor("isclose", input)
    check_tensor("isclose", other, "other")
    if input.dtype != other.dtype:  # torch refuses mixed dtypes here instead of promoting
        raise RuntimeError(f"isclose: {input.dtype} did not match {other.dtype}")
    rtol, atol = as_number("isclose", "rtol", rtol), as_number("isclose", "atol", atol)
    for name, v in (("rtol", rtol), ("atol", atol)):
        if not v >= 0:
            raise RuntimeError(f"isclose: {name} must be greater than or equal to zero, but got {v:g}")
    a, b = input.detach(), other.detach()
    same = E.eq(a, b)
    if a.dtype == _C.dtype.bool:
        return same
    if not a.dtype.is_floating_point:  # exact integer differences, compared in float64 as torch
        a, b = a.to(_C.dtype.float64), b.to(_C.dtype.float64)
    error = E.abs(E.sub(a, b))
    # torch's formula: the error must also be finite (inf - -inf is not close even with atol=inf)
    near = E.logical_and(E.lt(error, math.inf), E.le(error, E.add(E.abs(E.mul(b, rtol)), atol)))
    close = E.logical_or(same, near)
    if equal_nan:
        close = E.logical_or(close, E.logical_and(E.ne(a, a), E.ne(b, b)))
    return close


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    """Whether every element of isclose(input, other, ...) is True (broadcasting as isclose)."""
    close = isclose(input, other, rtol=rtol, atol=atol, equal_nan=equal_nan)
    return bool(_sum(E.logical_not(close).to(_C.dtype.float64)).item() == 0)
