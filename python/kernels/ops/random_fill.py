"""In-place random fills as Tensor methods, as torch's: ``normal_(mean=0, std=1)``,
``uniform_(a=0, b=1)`` and ``bernoulli_(p=0.5)``; and ``kernels.bernoulli(input, p=None)``.

Every draw comes from the one Philox generator (``kernels.manual_seed``): a fill draws a fresh
tensor of self's shape with ``_C.randn`` / ``_C.rand`` / ``_C.bernoulli`` and copies it in with
``write_through``, so ``w.data.normal_(0, 0.02)`` and ``x[:, ::2].uniform_()`` reach the base, and
a fill of self.shape consumes the same numbers as ``kernels.randn(self.shape)`` would.

Fills are not recorded by autograd: ``_check_inplace`` refuses, as torch does, a leaf that
requires grad while grad mode is on (init code runs under ``no_grad`` or writes to ``w.data``).
"""
from __future__ import annotations


from .. import _C
from .._args import as_number, check_tensor
from .inplace import _check_inplace, write_through

Tensor = _C.Tensor

__all__ = ["bernoulli"]

_BERNOULLI_DTYPES = (_C.dtype.float32, _C.dtype.float64, _C.dtype.int64, _C.dtype.bool)


def _floating(op, self):
    # torch has no integer kernel for these fills (NotImplementedError, a RuntimeError)
    if not self.dtype.is_floating_point:
        raise NotImplementedError(f"{op}: expected a floating point tensor, got {self.dtype} of shape "
                                  f"{tuple(self.shape)}")


def normal_(self, mean=0.0, std=1.0):
    """Fill with samples of Normal(mean, std)."""
    mean, std = as_number("normal_", "mean", mean), as_number("normal_", "std", std)
    if not std >= 0.0:  # NaN too
        raise RuntimeError(f"normal_: normal expects std >= 0.0, but found std {std:g}")
    _check_inplace("normal_", self)
    _floating("normal_", self)
    shape = list(self.shape)
    write_through("normal_", self, lambda t: _C.copy_(t, _C.randn(shape, mean, std, t.dtype, t.device)))
    return self


def uniform_(self, a=0.0, b=1.0):
    """Fill with samples of Uniform[a, b); a == b fills with a."""
    a, b = as_number("uniform_", "a", a), as_number("uniform_", "b", b)
    if not a <= b:
        raise RuntimeError(f"uniform_: uniform_ expects to return a [from, to) range, but found "
                           f"from={a:g} > to={b:g}")
    _check_inplace("uniform_", self)
    _floating("uniform_", self)
    shape = list(self.shape)
    write_through("uniform_", self, lambda t: _C.copy_(t, _C.rand(shape, a, b, t.dtype, t.device)))
    return self


def _any(mask):
    """Whether a bool tensor has a True (one reduction, one host read)."""
    from .reduce import sum as _sum
    return _sum(_C.to_dtype(mask, _C.dtype.float64)).item() > 0


def _check_probabilities(op, p):
    from .elementwise import logical_or  # elementwise imports tensor, which imports this lazily
    bad = logical_or(logical_or(_C.lt_scalar_forward(p, 0.0), _C.gt_scalar_forward(p, 1.0)), _C.ne_forward(p, p))
    if _any(bad):
        raise RuntimeError(f"{op}: every probability p must be in [0, 1], got a tensor p of shape "
                           f"{tuple(p.shape)} with values outside it")


def _draw(op, shape, p, dtype, device):
    """A tensor of `shape` and `dtype`: 1 with probability p (a number or a tensor broadcast to
    shape), else 0."""
    if isinstance(p, Tensor):
        if not p.dtype.is_floating_point:
            raise TypeError(f"{op}: p must be a floating point tensor, got {p.dtype}")
        _check_probabilities(op, p)
        p = _C.contiguous(p._raw().expand(shape)) if tuple(p.shape) != tuple(shape) else p._raw()
        u = _C.rand(list(shape), 0.0, 1.0, p.dtype, p.device)
        return _C.to_dtype(_C.lt_forward(u, p), dtype)
    p = as_number(op, "p", p)
    if not 0.0 <= p <= 1.0:
        raise RuntimeError(f"{op}: {op} expects p to be in [0, 1], but got p={p:g}")
    if dtype in _BERNOULLI_DTYPES:
        return _C.bernoulli(list(shape), p, dtype, device)
    # the small integer dtypes: the kernel's float32 draw, cast (0 and 1 are exact in every dtype)
    return _C.to_dtype(_C.bernoulli(list(shape), p, _C.dtype.float32, device), dtype)


def _broadcasts_to(src, shape):
    try:
        return _C.broadcast_shapes(list(src), list(shape)) == list(shape)
    except ValueError:
        return False


def bernoulli_(self, p=0.5):
    """Fill with 1 with probability p (a number, or a tensor broadcastable to self), else 0;
    integer and bool tensors too, as torch."""
    _check_inplace("bernoulli_", self, p)
    if isinstance(p, Tensor) and p.device != self.device:
        raise RuntimeError(f"bernoulli_: p is on {p.device} but self is on {self.device}")
    shape = tuple(self.shape)
    if isinstance(p, Tensor) and not _broadcasts_to(p.shape, shape):
        raise RuntimeError(f"bernoulli_: p of shape {tuple(p.shape)} does not broadcast to self's shape {shape}")
    out = _draw("bernoulli_", shape, p, self.dtype, self.device)
    write_through("bernoulli_", self, lambda t: _C.copy_(t, out))
    return self


def bernoulli(input, p=None):
    """0/1 samples of input's shape and dtype: with probability input (p=None, a floating
    tensor of probabilities) or p. Not differentiable (torch records no gradient either)."""
    check_tensor("bernoulli", input)
    if p is None:
        if not input.dtype.is_floating_point:
            raise NotImplementedError(f"bernoulli: the probabilities must be a floating point tensor, "
                                      f"got {input.dtype}")
        return _draw("bernoulli", tuple(input.shape), input, input.dtype, input.device)
    return _draw("bernoulli", tuple(input.shape), p, input.dtype, input.device)


