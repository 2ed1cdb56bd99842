"""norm(input, p, dim, keepdim): the vector p-norm over `dim` (all elements when None), as
torch.norm / torch.linalg.vector_norm:

    p = 2 / 'fro':  sqrt(sum x^2)          p = 1:  sum |x|
    p = inf:        max |x|                p = -inf:  min |x|
    p = 0:          count of x != 0        other p:  (sum |x|^p)^(1/p)

Composed of kernels' elementwise ops and reductions. The gradient (d norm / dx, with the norm
kept over `dim` so it broadcasts) is

    sign(x) |x|^(p-1) / norm^(p-1)      (x / norm for p = 2, sign(x) for p = 1)
    sign(x) [|x| = norm] / ties          for p = +-inf: shared evenly among the extreme elements

and 0 where the norm is 0 (torch's subgradient there), so a zero vector never gives NaN."""
from __future__ import annotations

import math

from .._args import check_tensor
from ..autograd import Function, no_grad
from . import reduce as R
from .elementwise import abs as _abs, sign, where

__all__ = ["norm"]


def _parse_p(p):
    if p is None or p == "fro":
        return 2.0
    if isinstance(p, str):
        if p == "nuc":
            raise NotImplementedError("norm: p='nuc' (the nuclear norm) is not supported yet")
        raise ValueError(f"norm: p must be a number, 'fro' or 'nuc', got {p!r}")
    if isinstance(p, bool) or not isinstance(p, (int, float)):
        raise TypeError(f"norm: p must be a number, 'fro' or 'nuc', got {type(p).__name__}")
    return float(p)


def _dims(dim, ndim):
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    return dims


def _reduce(x, p, dims):
    """The norm over dims with keepdim=True (x: the input, not requiring grad)."""
    a = _abs(x)
    if p == math.inf:
        return R.amax(a, dims, keepdim=True)
    if p == -math.inf:
        return R.amin(a, dims, keepdim=True)
    if p == 0:
        return R.sum((x != 0).to(x.dtype), dims, keepdim=True)
    if p == 1:
        return R.sum(a, dims, keepdim=True)
    if p == 2:
        return R.sum(x * x, dims, keepdim=True).sqrt()
    return R.sum(a ** p, dims, keepdim=True) ** (1.0 / p)


class VectorNorm(Function):
    @staticmethod
    def forward(ctx, x, p, dims, keepdim):
        with no_grad():
            n = _reduce(x, p, dims)
        ctx.save_for_backward(x, n)
        ctx.p, ctx.dims, ctx.keepdim = p, dims, keepdim
        return n if keepdim else n.reshape([s for d, s in enumerate(x.shape) if d not in dims])

    @staticmethod
    def backward(ctx, grad):
        x, n = ctx.saved_tensors
        p, dims = ctx.p, ctx.dims
        with no_grad():
            if not ctx.keepdim:
                grad = grad.reshape(n.shape)
            if p == 0:
                return x * 0, None, None, None
            nonzero = n != 0
            safe_n = where(nonzero, n, 1.0)
            if p == 1:
                local = sign(x)
            elif p == 2:
                local = x / safe_n
            elif math.isinf(p):
                hit = (_abs(x) == n).to(x.dtype)
                local = sign(x) * hit / R.sum(hit, dims, keepdim=True)
            else:
                a = _abs(x)
                local = sign(x) * a ** (p - 1) / safe_n ** (p - 1)
            return where(nonzero, grad * local, 0.0), None, None, None


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    check_tensor("norm", input, "input")
    if dtype is not None:
        input = input.to(dtype)
    if not input.dtype.is_floating_point:
        raise TypeError(f"norm: expected a floating-point tensor as input, got {input.dtype}; "
                        "convert with .float()")
    pv = _parse_p(p)
    if p == "fro" and dim is not None and not isinstance(dim, int) and len(tuple(dim)) > 2:
        raise ValueError(f"norm: p='fro' takes at most 2 dims, got dim={tuple(dim)}")
    dims = _dims(dim, input.dim())
    nd = max(input.dim(), 1)
    wrapped = []
    for d in dims:
        if not -nd <= d < nd:
            raise IndexError(f"norm: dim {d} is out of range for a tensor of shape {tuple(input.shape)}")
        wrapped.append(d % nd)
    if len(set(wrapped)) != len(wrapped):
        raise ValueError(f"norm: dim {tuple(dims)} names a dim more than once")
    if input.dim() == 0:
        wrapped = []
    if input.numel() == 0 and pv < 0 or input.numel() == 0 and math.isinf(pv):
        raise RuntimeError(f"norm: the {p}-norm of an empty tensor {tuple(input.shape)} is not defined")
    return VectorNorm.apply(input, pv, tuple(wrapped), bool(keepdim))


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """torch.nn.functional.normalize: input / max(||input||_p over dim, eps), differentiable
    through norm (not in __all__: torch has it in nn.functional only)."""
    if out is not None:
        raise NotImplementedError("normalize: out= is not supported; use the returned tensor")
    check_tensor("normalize", input, "input")
    denom = norm(input, p, dim, keepdim=True).clamp_min(eps)
    return input / denom.expand_as(input)
