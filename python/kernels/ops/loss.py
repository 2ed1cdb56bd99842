"""Losses with torch.nn.functional's names, signatures and defaults: cross_entropy, nll_loss,
mse_loss, l1_loss, smooth_l1_loss, huber_loss, binary_cross_entropy,
binary_cross_entropy_with_logits and kl_div.

cross_entropy is one fused kernel (log-softmax + NLL per row, max-subtracted) that saves the
row's log-sum-exp; its backward is softmax minus the (weighted, smoothed) one-hot. ``reduction``
is 'none' | 'mean' | 'sum' ('batchmean' too for kl_div); the deprecated ``size_average`` /
``reduce`` arguments map onto it as in torch. Targets must have the input's shape (torch only warns
about broadcasting for the pointwise losses; this library raises ValueError). Class weights,
``weight`` and ``pos_weight`` are not differentiated (as in torch); targets of the pointwise
losses are.
"""
from __future__ import annotations

from .. import _C
from .._args import as_int, as_number, check_optional_tensor, check_tensor
from ..autograd import Function
from .elementwise import div, mul
from .reduce import mean as _mean, sum as _sum

__all__ = [
    "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
]

_REDUCTIONS = ("none", "mean", "sum")


def legacy_reduction(size_average, reduce):
    """torch's mapping of the deprecated ``size_average`` / ``reduce`` (None means True) onto
    ``reduction``."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return "mean" if (size_average and reduce) else ("sum" if reduce else "none")


def _reduction(op, size_average, reduce, reduction, extra=()):
    if size_average is not None or reduce is not None:  # torch's legacy arguments
        reduction = legacy_reduction(size_average, reduce)
    if not isinstance(reduction, str) or reduction not in _REDUCTIONS + tuple(extra):
        allowed = ", ".join(repr(r) for r in _REDUCTIONS + tuple(extra))
        raise ValueError(f"{op}: reduction must be one of {allowed}, got {reduction!r}")
    return reduction


# ---------------------------------------------------------------- Functions


class CrossEntropy(Function):
    @staticmethod
    def forward(ctx, input, target, weight, ignore_index, reduction, label_smoothing):
        loss, lse, totals = _C.cross_entropy_forward(input, target, weight, ignore_index, reduction,
                                                     label_smoothing)
        ctx.save_for_backward(input, target, weight, lse, totals)
        ctx.args = (ignore_index, reduction, label_smoothing)
        return loss

    @staticmethod
    def backward(ctx, grad):
        input, target, weight, lse, totals = ctx.saved_tensors
        dx = _C.cross_entropy_backward(grad, input, target, weight, lse, totals, *ctx.args)
        return dx, None, None, None, None, None


class NllLoss(Function):
    @staticmethod
    def forward(ctx, input, target, weight, ignore_index, reduction):
        loss, totals = _C.nll_loss_forward(input, target, weight, ignore_index, reduction)
        ctx.save_for_backward(input, target, weight, totals)
        ctx.args = (ignore_index, reduction)
        return loss

    @staticmethod
    def backward(ctx, grad):
        input, target, weight, totals = ctx.saved_tensors
        dx = _C.nll_loss_backward(grad, input, target, weight, totals, *ctx.args)
        return dx, None, None, None, None


def _pointwise(name, n_weights, n_params):
    """A Function over (input, target, *weights, reduction, *params); gradients for input and
    target, None for the rest."""
    fwd = getattr(_C, name + "_forward")
    bwd = getattr(_C, name + "_backward")
    n_rest = n_weights + 1 + n_params

    def forward(ctx, input, target, *rest):
        ctx.save_for_backward(input, target, *rest[:n_weights])
        ctx.rest = rest[n_weights:]
        return fwd(input, target, *rest)

    def backward(ctx, grad):
        saved = ctx.saved_tensors
        need = ctx.needs_input_grad
        dx, dy = bwd(grad, *saved, *ctx.rest, [bool(need[0]), bool(need[1])])
        return (dx, dy) + (None,) * n_rest

    cls_name = "".join(p.capitalize() for p in name.split("_"))
    return type(cls_name, (Function,), {
        "forward": staticmethod(forward), "backward": staticmethod(backward),
        "__doc__": f"{name}: backward _C.{name}_backward.",
    })


MseLoss = _pointwise("mse_loss", 0, 0)
L1Loss = _pointwise("l1_loss", 0, 0)
SmoothL1Loss = _pointwise("smooth_l1_loss", 0, 1)
HuberLoss = _pointwise("huber_loss", 0, 1)
BinaryCrossEntropy = _pointwise("binary_cross_entropy", 1, 0)
BinaryCrossEntropyWithLogits = _pointwise("binary_cross_entropy_with_logits", 2, 0)
KlDiv = _pointwise("kl_div", 0, 1)


# ---------------------------------------------------------------- public functions


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """torch.nn.functional.cross_entropy with class-index targets.

    input (N, C), (N, C, d1, ...) or (C,); target int64 (N), (N, d1, ...) or (). A float target
    (class probabilities) raises TypeError: only class indices are supported."""
    op = "cross_entropy"
    check_tensor(op, input, "input")
    check_tensor(op, target, "target")
    check_optional_tensor(op, weight, "weight")
    reduction = _reduction(op, size_average, reduce, reduction)
    label_smoothing = as_number(op, "label_smoothing", label_smoothing)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    if target.dtype != _C.dtype.int64:
        raise TypeError(
            f"{op}: target must be an int64 tensor of class indices, got {target.dtype} of shape "
            f"{tuple(target.shape)} (class-probability targets are not supported)"
        )
    return CrossEntropy.apply(input, target, weight, as_int(op, "ignore_index", ignore_index), reduction,
                              label_smoothing)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """torch.nn.functional.nll_loss: input holds log-probabilities (N, C[, d1, ...]) or (C,)."""
    op = "nll_loss"
    check_tensor(op, input, "input")
    check_tensor(op, target, "target")
    check_optional_tensor(op, weight, "weight")
    reduction = _reduction(op, size_average, reduce, reduction)
    return NllLoss.apply(input, target, weight, as_int(op, "ignore_index", ignore_index), reduction)


def _weighted(op, loss, weight, reduction, mean_by_weight):
    """torch's weighted mse/l1/huber: the unreduced loss times weight (same shape as input); mean
    divides by sum(weight) (mse, l1) or by the element count (huber)."""
    w = mul(loss, weight)
    if reduction == "none":
        return w
    if reduction == "sum":
        return _sum(w)
    return div(_sum(w), _sum(weight)) if mean_by_weight else _mean(w)


def _check_weight_same(op, weight, input):
    check_tensor(op, weight, "weight")
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError(
            f"{op}: weight {tuple(weight.shape)} and input {tuple(input.shape)} must have the same size"
        )


def _pair(op, input, target):
    check_tensor(op, input, "input")
    check_tensor(op, target, "target")


def _weighted_pointwise(op, fn, input, target, size_average, reduce, reduction, weight):
    """fn.apply(input, target, reduction), or with an elementwise weight applied before reducing."""
    _pair(op, input, target)
    reduction = _reduction(op, size_average, reduce, reduction)
    if weight is not None:
        _check_weight_same(op, weight, input)
        return _weighted(op, fn.apply(input, target, "none"), weight, reduction, True)
    return fn.apply(input, target, reduction)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """torch.nn.functional.mse_loss: (x - y)^2."""
    return _weighted_pointwise("mse_loss", MseLoss, input, target, size_average, reduce, reduction,
                               weight)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """torch.nn.functional.l1_loss: |x - y|."""
    return _weighted_pointwise("l1_loss", L1Loss, input, target, size_average, reduce, reduction,
                               weight)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """torch.nn.functional.smooth_l1_loss: 0.5 d^2 / beta if |d| < beta else |d| - 0.5 beta."""
    op = "smooth_l1_loss"
    _pair(op, input, target)
    reduction = _reduction(op, size_average, reduce, reduction)
    beta = as_number(op, "beta", beta)
    if beta < 0:
        raise ValueError(f"{op}: beta must be non-negative, got {beta}")
    return SmoothL1Loss.apply(input, target, reduction, beta)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """torch.nn.functional.huber_loss: 0.5 d^2 if |d| < delta else delta (|d| - 0.5 delta)."""
    op = "huber_loss"
    _pair(op, input, target)
    reduction = _reduction(op, None, None, reduction)
    delta = as_number(op, "delta", delta)
    if delta <= 0:
        raise ValueError(f"{op}: delta must be positive, got {delta}")
    if weight is not None:
        _check_weight_same(op, weight, input)
        return _weighted(op, HuberLoss.apply(input, target, "none", delta), weight, reduction, False)
    return HuberLoss.apply(input, target, reduction, delta)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """torch.nn.functional.binary_cross_entropy: -w (y log x + (1 - y) log(1 - x)), each log
    clamped to >= -100; input must lie in [0, 1] (ValueError otherwise)."""
    op = "binary_cross_entropy"
    _pair(op, input, target)
    check_optional_tensor(op, weight, "weight")
    reduction = _reduction(op, size_average, reduce, reduction)
    return BinaryCrossEntropy.apply(input, target, weight, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """torch.nn.functional.binary_cross_entropy_with_logits, in the stable form
    w ((1 - y) x + (1 + (pos_weight - 1) y) softplus(-x)); weight and pos_weight broadcast."""
    op = "binary_cross_entropy_with_logits"
    _pair(op, input, target)
    check_optional_tensor(op, weight, "weight")
    check_optional_tensor(op, pos_weight, "pos_weight")
    reduction = _reduction(op, size_average, reduce, reduction)
    return BinaryCrossEntropyWithLogits.apply(input, target, weight, pos_weight, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """torch.nn.functional.kl_div: input holds log-probabilities; target probabilities (or
    log-probabilities with log_target=True). 'batchmean' divides the sum by input.size(0)."""
    op = "kl_div"
    _pair(op, input, target)
    reduction = _reduction(op, size_average, reduce, reduction, extra=("batchmean",))
    return KlDiv.apply(input, target, reduction, bool(log_target))
