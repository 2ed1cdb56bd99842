"""Penalties to add to a loss: ``loss = loss + lam * l2_penalty(model.parameters())``.

Both are built from differentiable ops, so their gradients flow into the parameters' ``.grad``
through the usual backward pass."""
from __future__ import annotations

from .. import _C

Tensor = _C.Tensor

__all__ = ["l1_penalty", "l2_penalty"]


def _params(parameters, op):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    params = list(parameters)
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"{op}: expected Tensors, got {type(p).__name__}")
    return params


def _total(terms, params, op):
    if not terms:
        return _C.full([], 0.0, _C.dtype.float32, _C.device("cpu"))
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def l1_penalty(parameters):
    """sum over the parameters of sum |w|, as a differentiable 0-d tensor."""
    params = _params(parameters, "l1_penalty")
    return _total([p.abs().sum() for p in params], params, "l1_penalty")


def l2_penalty(parameters):
    """sum over the parameters of sum w^2, as a differentiable 0-d tensor."""
    params = _params(parameters, "l2_penalty")
    return _total([(p * p).sum() for p in params], params, "l2_penalty")
