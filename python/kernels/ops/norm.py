"""Normalisation layers and channel dropout with torch.nn.functional's names, signatures and
defaults: batch_norm, layer_norm, group_norm, dropout1d, dropout2d and dropout3d.

Each normalisation is one autograd Function calling ``_C.<op>_forward`` / ``_C.<op>_backward``;
the forward saves the statistics it normalised with (mean and inverse std per channel, row or
group) and the backward returns dinput, dweight and dbias from one kernel call.

batch_norm in training mode normalises with the batch statistics (biased variance) and updates
``running_mean`` / ``running_var`` in place when they are given (the running variance with the
unbiased batch variance, as torch); in eval mode it uses the running statistics. ``momentum`` must
be a number: the cumulative average of ``BatchNorm(momentum=None)`` is the module passing
1 / num_batches_tracked.

dropout1d / dropout2d / dropout3d zero whole feature maps, one Philox draw per (sample, channel)
in dropout's element order, so a seed gives the same mask on the CPU and CUDA. dropout2d keeps
torch's reading of a 3-D input as (N, C, L) (with torch's warning); dropout1d (C, L) and
dropout3d (C, D, H, W) inputs are unbatched.
"""
from __future__ import annotations

import warnings

from .. import _C
from .._args import as_flag, as_int, as_number, check_optional_tensor, check_tensor, is_int
from ..autograd import Function
from .inplace import apply_inplace
from .shape import Identity

# What `kernels.<name>` exports (kernels/__init__.py). torch.batch_norm takes its arguments in
# another order than F.batch_norm and torch has no dropout1d/2d/3d, so those are in
# kernels.functional only; torch.layer_norm / torch.group_norm match F's leading arguments.
__all__ = ["layer_norm", "group_norm"]


def _mask(ctx, *positions):
    need = ctx.needs_input_grad
    return [bool(need[i]) if i < len(need) else False for i in positions]


# ---------------------------------------------------------------- Functions


class BatchNorm(Function):
    @staticmethod
    def forward(ctx, input, weight, bias, running_mean, running_var, training, momentum, eps):
        out, mean, invstd = _C.batch_norm_forward(input, weight, bias, running_mean, running_var,
                                                  training, momentum, eps)
        ctx.save_for_backward(input, weight, mean, invstd)
        ctx.training = training
        return out

    @staticmethod
    def backward(ctx, grad):
        input, weight, mean, invstd = ctx.saved_tensors
        dx, dw, db = _C.batch_norm_backward(grad, input, weight, mean, invstd, ctx.training,
                                            _mask(ctx, 0, 1, 2))
        return dx, dw, db, None, None, None, None, None


class LayerNorm(Function):
    @staticmethod
    def forward(ctx, input, normalized_shape, weight, bias, eps):
        out, mean, rstd = _C.layer_norm_forward(input, normalized_shape, weight, bias, eps)
        ctx.save_for_backward(input, weight, mean, rstd)
        ctx.normalized_shape = normalized_shape
        return out

    @staticmethod
    def backward(ctx, grad):
        input, weight, mean, rstd = ctx.saved_tensors
        dx, dw, db = _C.layer_norm_backward(grad, input, ctx.normalized_shape, weight, mean, rstd,
                                            _mask(ctx, 0, 2, 3))
        return dx, None, dw, db, None


class GroupNorm(Function):
    @staticmethod
    def forward(ctx, input, num_groups, weight, bias, eps):
        out, mean, rstd = _C.group_norm_forward(input, num_groups, weight, bias, eps)
        ctx.save_for_backward(input, weight, mean, rstd)
        ctx.num_groups = num_groups
        return out

    @staticmethod
    def backward(ctx, grad):
        input, weight, mean, rstd = ctx.saved_tensors
        dx, dw, db = _C.group_norm_backward(grad, input, ctx.num_groups, weight, mean, rstd,
                                            _mask(ctx, 0, 2, 3))
        return dx, None, dw, db, None


class FeatureDropout(Function):
    """Channel dropout of x viewed as `shape` (N, C, ...): one mask value per (n, c)."""

    @staticmethod
    def forward(ctx, x, p, shape):
        out, mask = _C.feature_dropout_forward(x._view(shape), p)
        ctx.save_for_backward(mask)
        ctx.p, ctx.shape, ctx.in_shape = p, shape, list(x.shape)
        return out._view(ctx.in_shape)

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        dx = _C.feature_dropout_backward(grad._view(ctx.shape), mask, ctx.p)
        return dx._view(ctx.in_shape), None, None


# ---------------------------------------------------------------- public functions


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """torch.nn.functional.batch_norm over input (N, C, *): per channel, batch statistics when
    training (running statistics updated in place when given), running statistics otherwise."""
    op = "batch_norm"
    check_tensor(op, input)
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        check_optional_tensor(op, t, name)
    return BatchNorm.apply(input, weight, bias, running_mean, running_var, bool(training),
                           as_number(op, "momentum", momentum), as_number(op, "eps", eps))


def _normalized_shape(op, shape):
    # Plain ints (the usual call) skip the numbers.Integral checks, which cost more than the op
    # itself at small sizes.
    if type(shape) is int:
        return [shape]
    if type(shape) is list or type(shape) is tuple:
        for d in shape:
            if type(d) is not int:
                break
        else:
            return list(shape)
    if is_int(shape):
        return [int(shape)]
    if isinstance(shape, (tuple, list)) or hasattr(shape, "__iter__"):
        dims = list(shape)
        if all(is_int(d) for d in dims):
            return [int(d) for d in dims]
    raise TypeError(f"{op}: normalized_shape must be an int or a sequence of ints, got {shape!r}")


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """torch.nn.functional.layer_norm: each slice over the trailing ``normalized_shape`` dims is
    normalised by its own mean and (biased) variance; weight and bias have normalized_shape."""
    op = "layer_norm"
    check_tensor(op, input)
    check_optional_tensor(op, weight, "weight")
    check_optional_tensor(op, bias, "bias")
    return LayerNorm.apply(input, _normalized_shape(op, normalized_shape), weight, bias,
                           eps if type(eps) is float else as_number(op, "eps", eps))


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """torch.nn.functional.group_norm over input (N, C, *): the C channels of each sample are
    split into num_groups groups, each normalised by its own statistics; weight, bias (C)."""
    op = "group_norm"
    check_tensor(op, input)
    check_optional_tensor(op, weight, "weight")
    check_optional_tensor(op, bias, "bias")
    return GroupNorm.apply(input, as_int(op, "num_groups", num_groups), weight, bias,
                           as_number(op, "eps", eps))


def _feature_dropout(op, input, p, training, inplace, shape):
    if not as_flag(op, "training", training):
        return input if inplace else Identity.apply(input)
    if inplace:
        return apply_inplace(op, input, lambda x: FeatureDropout.apply(x, p, shape))
    return FeatureDropout.apply(input, p, shape)


def _dropout_args(op, input, p):
    check_tensor(op, input)
    p = as_number(op, "p", p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")
    return list(input.shape), p


def dropout1d(input, p=0.5, training=True, inplace=False):
    """torch.nn.functional.dropout1d: input (N, C, L) or unbatched (C, L); each channel is zeroed
    with probability p and the rest scaled by 1 / (1 - p)."""
    op = "dropout1d"
    shape, p = _dropout_args(op, input, p)
    if len(shape) not in (2, 3):
        raise ValueError(f"{op}: expected a 2-D (C, L) or 3-D (N, C, L) input, got shape {tuple(shape)}")
    return _feature_dropout(op, input, p, training, inplace, shape if len(shape) == 3 else [1] + shape)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """torch.nn.functional.dropout2d: input (N, C, H, W); each (n, c) channel is zeroed with
    probability p and the rest scaled by 1 / (1 - p). As torch, a 3-D input is read as (N, C, L)
    (with torch's warning), and other ranks (N, C, ...) warn that they are deprecated."""
    op = "dropout2d"
    shape, p = _dropout_args(op, input, p)
    if len(shape) < 2:
        raise ValueError(f"{op}: expected a 4-D (N, C, H, W) input, got shape {tuple(shape)}")
    if len(shape) not in (3, 4):
        warnings.warn(f"{op}: Received a {len(shape)}-D input to dropout2d, which is deprecated "
                      "(torch too); dropout2d expects 3-D or 4-D inputs", stacklevel=2)
    if len(shape) == 3:
        warnings.warn(f"{op}: Received a 3D input to dropout2d and assuming that channel-wise 1D "
                      "dropout behavior is desired - input is interpreted as shape (N, C, L), as torch "
                      "does. Use dropout1d for that.", stacklevel=2)
    return _feature_dropout(op, input, p, training, inplace, shape)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """torch.nn.functional.dropout3d: input (N, C, D, H, W) or unbatched (C, D, H, W)."""
    op = "dropout3d"
    shape, p = _dropout_args(op, input, p)
    if len(shape) < 2:
        raise ValueError(f"{op}: expected a 5-D (N, C, D, H, W) input, got shape {tuple(shape)}")
    if len(shape) not in (4, 5):
        warnings.warn(f"{op}: Received a {len(shape)}-D input to dropout3d, which is deprecated "
                      "(torch too); dropout3d expects 4-D or 5-D inputs", stacklevel=2)
    return _feature_dropout(op, input, p, training, inplace, shape if len(shape) == 5 else [1] + shape)
