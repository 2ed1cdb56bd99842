"""Reductions: sum, mean, var, std, max, min, amax, amin, argmax, argmin.

Each differentiable op is one autograd Function calling ``_C.<op>_forward`` / ``_C.<op>_backward``.
``dim`` may be an int, a tuple/list of ints (negative allowed) or None for every dim; the C++ side
receives a list where ``[]`` means "every dim" and checks ranges and duplicates.

Gradients: sum/mean broadcast the gradient back (mean divides by the count); var/std use
2 (x - mean) / (N - correction); max/min along a dim route the gradient to the returned index;
amax/amin and the full max()/min() split it evenly among tied maxima, as torch does.
"""
from __future__ import annotations

import builtins
from collections import namedtuple

from .. import _C
from .._args import as_int, expect_tensor
from ..autograd import Function
from .elementwise import _function, maximum, minimum

Tensor = _C.Tensor

__all__ = ["sum", "mean", "var", "std", "max", "min", "amax", "amin", "argmax", "argmin"]

# torch.return_types.max / min: a (values, indices) pair that also unpacks like a tuple.
max_result = namedtuple("max", ["values", "indices"])
min_result = namedtuple("min", ["values", "indices"])


def _dim(op, d):
    return as_int(op, "dim", d, "an int" if isinstance(d, bool) else "an int, a tuple of ints or None")


def _dims(dim, op):
    """None -> [] (every dim); int -> [d]; tuple/list -> list of ints."""
    if dim is None:
        return []
    if isinstance(dim, (tuple, list)):
        return [_dim(op, d) for d in dim]
    return [_dim(op, dim)]


# ---------------------------------------------------------------- Functions


def _shape_reduce(name):
    """_C.<name>_forward(x, dims, keepdim), whose gradient needs only x's shape (sum, mean)."""
    fwd = getattr(_C, name + "_forward")
    bwd = getattr(_C, name + "_backward")

    def forward(ctx, x, dims, keepdim):
        ctx.shape, ctx.dims, ctx.keepdim = list(x.shape), dims, keepdim
        return fwd(x, dims, keepdim)

    def backward(ctx, grad):
        return bwd(grad, ctx.shape, ctx.dims, ctx.keepdim), None, None

    return _function(name.capitalize(), forward, backward)


Sum = _shape_reduce("sum")
Mean = _shape_reduce("mean")


class Var(Function):
    @staticmethod
    def forward(ctx, x, dims, correction, keepdim):
        ctx.save_for_backward(x)
        ctx.dims, ctx.correction, ctx.keepdim = dims, correction, keepdim
        return _C.var_forward(x, dims, correction, keepdim)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return _C.var_backward(grad, x, ctx.dims, ctx.correction, ctx.keepdim), None, None, None


class Std(Function):
    @staticmethod
    def forward(ctx, x, dims, correction, keepdim):
        out = _C.std_forward(x, dims, correction, keepdim)
        ctx.save_for_backward(x, out)
        ctx.dims, ctx.correction, ctx.keepdim = dims, correction, keepdim
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        dx = _C.std_backward(grad, x, out, ctx.dims, ctx.correction, ctx.keepdim)
        return dx, None, None, None


def _dim_reduce(name):
    """_C.<name>_forward(x, dim, keepdim): values and int64 indices along one dim; the gradient
    goes to the returned index (max, min)."""
    fwd = getattr(_C, name + "_forward")
    bwd = getattr(_C, name + "_backward")

    def forward(ctx, x, dim, keepdim):
        values, indices = fwd(x, dim, keepdim)
        ctx.save_for_backward(indices)
        ctx.shape, ctx.dim, ctx.keepdim = list(x.shape), dim, keepdim
        ctx.mark_non_differentiable(indices)
        return values, indices

    def backward(ctx, grad, _grad_indices=None):
        (indices,) = ctx.saved_tensors
        return bwd(grad, indices, ctx.shape, ctx.dim, ctx.keepdim), None, None

    return _function(name.capitalize() + "Dim", forward, backward,
                     "Values and int64 indices along one dim; the gradient goes to the returned index.")


def _extremum(name, nan_ties=False, title=None):
    """_C.<name>_forward(x, dims, keepdim): maximum or minimum over any dims; ties share the
    gradient evenly (amax, amin). A NaN result sends NaN to its whole slice (torch's amax), or
    with ``nan_ties`` shares the gradient among the NaN elements (torch's max() of everything)."""
    fwd = getattr(_C, name + "_forward")
    bwd = getattr(_C, name + "_backward")

    def forward(ctx, x, dims, keepdim):
        out = fwd(x, dims, keepdim)
        ctx.save_for_backward(x, out)
        ctx.dims, ctx.keepdim = dims, keepdim
        return out

    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        return bwd(grad, x, out, ctx.dims, ctx.keepdim, nan_ties), None, None

    return _function(title or name.capitalize(), forward, backward,
                     f"{name}: extremum over any dims; ties share the gradient evenly.")


MaxDim = _dim_reduce("max")
MinDim = _dim_reduce("min")
Amax = _extremum("amax")
Amin = _extremum("amin")
MaxAll = _extremum("amax", nan_ties=True, title="MaxAll")
MinAll = _extremum("amin", nan_ties=True, title="MinAll")


# ---------------------------------------------------------------- public functions


def sum(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A001 - mirrors torch.sum
    """Sum over ``dim`` (None: every dim). bool and int64 inputs give int64, as in torch;
    ``dtype`` casts the input first."""
    expect_tensor("sum", input)
    if dtype is not None and dtype != input.dtype:
        input = input.to(dtype)
    return Sum.apply(input, _dims(dim, "sum"), builtins.bool(keepdim))


def mean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean over ``dim`` (None: every dim); the input must be floating point (or ``dtype`` given)."""
    expect_tensor("mean", input)
    if dtype is not None and dtype != input.dtype:
        input = input.to(dtype)
    return Mean.apply(input, _dims(dim, "mean"), builtins.bool(keepdim))


def _correction(op, dim, unbiased, correction):
    # torch's var(x, unbiased) form: a bool in the dim slot is `unbiased`.
    if isinstance(dim, bool):
        if unbiased is not None:
            raise TypeError(f"{op}: got a bool dim {dim!r} and unbiased={unbiased!r}")
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise ValueError(f"{op}: pass either correction or unbiased, not both")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    if isinstance(correction, bool) or not isinstance(correction, (int, float)):
        try:
            correction = builtins.float(correction)
        except (TypeError, ValueError):
            raise TypeError(f"{op}: correction must be a number, got {correction!r}") from None
    return dim, builtins.float(correction)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance over ``dim`` with divisor max(0, N - correction); correction defaults to 1
    (unbiased=True), unbiased=False means correction=0."""
    expect_tensor("var", input)
    dim, corr = _correction("var", dim, unbiased, correction)
    return Var.apply(input, _dims(dim, "var"), corr, builtins.bool(keepdim))


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation: sqrt of var with the same arguments."""
    expect_tensor("std", input)
    dim, corr = _correction("std", dim, unbiased, correction)
    return Std.apply(input, _dims(dim, "std"), corr, builtins.bool(keepdim))


def _max_or_min(op, input, dim, keepdim, elementwise, over_all, over_dim, result):
    """What max and min do with their arguments: a Tensor ``dim`` is the other operand of the
    ``elementwise`` maximum / minimum; ``dim=None`` reduces every element (``over_all``); an int
    ``dim`` gives a (values, indices) ``result`` (``over_dim``)."""
    expect_tensor(op, input)
    if isinstance(dim, Tensor):
        return elementwise(input, dim)
    if dim is None:
        if input.numel() == 0:
            raise RuntimeError(
                f"{op}(): Expected reduction dim to be specified for input.numel() == 0. Specify "
                f"the reduction dim with the 'dim' argument (input shape {tuple(input.shape)})"
            )
        return over_all.apply(input, [], False)
    return result(*over_dim.apply(input, _dim(op, dim), builtins.bool(keepdim)))


def max(input, dim=None, keepdim=False):  # noqa: A001 - mirrors torch.max
    """max(x): the largest element (0-d). max(x, dim, keepdim=False): a (values, indices) pair
    whose indices are the first position of the maximum. NaN counts as the largest value."""
    return _max_or_min("max", input, dim, keepdim, maximum, MaxAll, MaxDim, max_result)


def min(input, dim=None, keepdim=False):  # noqa: A001 - mirrors torch.min
    """min(x) or min(x, dim, keepdim=False) -> (values, indices); see ``max``."""
    return _max_or_min("min", input, dim, keepdim, minimum, MinAll, MinDim, min_result)


def amax(input, dim=(), keepdim=False):
    """Maximum over any dims (() or None: every dim); the gradient is shared among ties."""
    expect_tensor("amax", input)
    return Amax.apply(input, _dims(dim, "amax"), builtins.bool(keepdim))


def amin(input, dim=(), keepdim=False):
    """Minimum over any dims (() or None: every dim); the gradient is shared among ties."""
    expect_tensor("amin", input)
    return Amin.apply(input, _dims(dim, "amin"), builtins.bool(keepdim))


def argmax(input, dim=None, keepdim=False):
    """int64 index of the first maximum along ``dim``, or into the flattened tensor for None."""
    expect_tensor("argmax", input)
    d = None if dim is None else _dim("argmax", dim)
    return _C.argmax_forward(input, d, builtins.bool(keepdim))


def argmin(input, dim=None, keepdim=False):
    """int64 index of the first minimum along ``dim``, or into the flattened tensor for None."""
    expect_tensor("argmin", input)
    d = None if dim is None else _dim("argmin", dim)
    return _C.argmin_forward(input, d, builtins.bool(keepdim))
