"""``kernels.linspace`` and ``kernels.logspace`` with torch's values.

torch computes point i of linspace in the output's type (doubles for integer outputs) from both
ends, so the two halves are symmetric and the last point is exactly ``end``:
    step = (end - start) / (steps - 1)
    x[i] = start + i * step                 for i <  steps // 2
    x[i] = end - (steps - 1 - i) * step     for i >= steps // 2
This is that formula over ``arange`` with elementwise kernels in the same type; logspace is
``base ** linspace(start, end, steps)`` in that type. torch's compiled loop fuses each
multiply-add (one rounding, not two) and builds a SIMD vector from its first point, so a point
may differ from torch's by an ulp of max(|start|, |end|) (an integer output then by 1 where the
exact value is an integer that torch's rounding lands just below); the ends are exact.
"""
from __future__ import annotations

import builtins

from . import _C
from ._args import as_int, as_number
from ._device import as_device, as_dtype, float32, float64
from .ops import elementwise as E
from .tensor import _with_grad, arange, full

__all__ = ["linspace", "logspace"]


def _check_steps(op, steps):
    steps = as_int(op, "steps", steps)
    if steps < 0:
        raise RuntimeError(f"{op}: number of steps must be non-negative, got {steps}")
    return steps


def _points(op, start, end, steps, dtype, device):
    """The linspace points in `dtype` (float64 for integer dtypes, cast by the caller)."""
    for name, v in (("start", start), ("end", end)):
        if isinstance(v, _C.Tensor):
            if v.dim() != 0:
                raise RuntimeError(f"{op}: {name} must be a 0-dimensional tensor, got shape {tuple(v.shape)}")
    start = as_number(op, "start", start.item() if isinstance(start, _C.Tensor) else start)
    end = as_number(op, "end", end.item() if isinstance(end, _C.Tensor) else end)
    work = dtype if dtype.is_floating_point else float64
    if not dtype.is_floating_point:  # torch casts start and end to the integer type first
        start, end = builtins.float(int(start)), builtins.float(int(end))
    if steps == 0:
        return _C.full([0], 0.0, work, device)
    if steps == 1:
        return full((1,), start, dtype=work, device=device)
    # start, end and step rounded to the work type first, as torch's kernel holds them
    s, e = (_C.full([], v, work, device) for v in (start, end))
    # a tensor divisor: the scalar form of div multiplies by the reciprocal, an ulp away from torch
    step = E.div(E.sub(e, s), _C.full([], float(steps - 1), work, device))
    i = arange(steps, dtype=work, device=device)
    half = steps // 2
    low = E.add(s, E.mul(i, step))
    high = E.sub(e, E.mul(E.sub(float(steps - 1), i), step))
    return E.where(E.lt(i, float(half)), low, high)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    """`steps` points evenly spaced from start to end inclusive (float32 unless dtype)."""
    steps = _check_steps("linspace", steps)
    dt, dev = as_dtype(dtype, float32), as_device(device)
    out = _points("linspace", start, end, steps, dt, dev)
    if out.dtype != dt:  # integer outputs truncate toward zero, as torch's cast
        out = _C.to_dtype(out, dt)
    return _with_grad(out.detach(), requires_grad, "linspace")


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    """base ** linspace(start, end, steps)."""
    steps = _check_steps("logspace", steps)
    base = as_number("logspace", "base", base)
    dt, dev = as_dtype(dtype, float32), as_device(device)
    exps = _points("logspace", start, end, steps, dt, dev)
    out = E.pow(_C.full([], builtins.float(base), exps.dtype, dev), exps)
    if out.dtype != dt:
        out = _C.to_dtype(out, dt)
    return _with_grad(out.detach(), requires_grad, "logspace")
