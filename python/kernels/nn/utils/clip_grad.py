"""Gradient clipping, as ``torch.nn.utils``: ``clip_grad_norm_`` and ``clip_grad_value_``
(plus ``get_total_norm`` and ``clip_grads_with_norm_``, the two halves of clip_grad_norm_).

    total_norm = || (||g_1||_p, ..., ||g_k||_p) ||_p        (p = norm_type; inf: max |g|)
    clip_coef  = min(1, max_norm / (total_norm + 1e-6))
    g_i       *= clip_coef                                  (in place, on each .grad)
"""
from __future__ import annotations

import math

from ... import _C
from ...autograd import no_grad
from ...ops.shape import stack
from ...tensor import tensor as _tensor

Tensor = _C.Tensor

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm",
           "clip_grads_with_norm_"]


def _as_list(tensors):
    if isinstance(tensors, Tensor):
        return [tensors]
    return list(tensors)


def _vector_norm(x, p):
    """||x||_p over all elements, as a 0-d tensor of x's dtype."""
    if p == math.inf:
        return x.abs().amax()
    if p == -math.inf:
        return x.abs().amin()
    if p == 0:
        return x.ne(0).to(x.dtype).sum()
    if p == 1:
        return x.abs().sum()
    if p == 2:
        return (x * x).sum().sqrt()
    return (x.abs() ** p).sum() ** (1.0 / p)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The p-norm of the norms of ``tensors`` (i.e. of all their elements together)."""
    tensors = [t for t in _as_list(tensors) if t is not None]
    norm_type = float(norm_type)
    if not tensors:
        return _tensor(0.0)
    with no_grad():
        first = tensors[0]
        dtype = _C.dtype.float64 if any(t.dtype == _C.dtype.float64 for t in tensors) else first.dtype
        norms = [_vector_norm(t, norm_type).to(device=first.device, dtype=dtype) for t in tensors]
        total_norm = _vector_norm(stack(norms), norm_type)
    if error_if_nonfinite:
        v = total_norm.item()
        if math.isnan(v) or math.isinf(v):
            raise RuntimeError(
                f"The total norm of order {norm_type} for gradients from `parameters` is "
                "non-finite, so it cannot be clipped. To disable this error and scale the "
                "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
            )
    return total_norm


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale every ``.grad`` in place by min(1, max_norm / (total_norm + 1e-6))."""
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return
    with no_grad():
        clip_coef = float(max_norm) / (total_norm + 1e-6)
        clip_coef = clip_coef.clamp(max=1.0)
        for g in grads:
            g.mul_(clip_coef.to(device=g.device, dtype=g.dtype))


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Clip the gradients of ``parameters`` (a Tensor or an iterable of Tensors) so that their
    total ``norm_type``-norm is at most ``max_norm``; returns the total norm before clipping
    (a 0-d tensor). ``norm_type`` may be ``inf``."""
    parameters = _as_list(parameters)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated alias of ``clip_grad_norm_``."""
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every ``.grad`` in place to [-clip_value, clip_value]."""
    clip_value = float(clip_value)
    with no_grad():
        for p in _as_list(parameters):
            if p.grad is not None:
                p.grad.copy_(p.grad.clamp(-clip_value, clip_value))
