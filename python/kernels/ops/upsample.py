"""interpolate with torch.nn.functional's signature and defaults, plus torch's deprecated
``upsample``, ``upsample_nearest`` and ``upsample_bilinear``.

Modes: 'nearest' (3-D or 4-D input), 'linear' (3-D), 'bilinear' (4-D) and 'area' (3-D / 4-D, which
is adaptive average pooling, as in torch). Exactly one of ``size`` and ``scale_factor``; with
``scale_factor`` the output size is floor(input size * scale_factor) and, unless
``recompute_scale_factor=True``, the kernel maps coordinates with 1 / scale_factor (torch's
rule; with ``size`` it uses input size / output size). The source coordinates follow torch's
formulas exactly (csrc/common/upsample_math.h). Other torch modes (bicubic, trilinear,
nearest-exact, 5-D input, antialias) raise ValueError.
"""
from __future__ import annotations

import math
import warnings

from .. import _C
from .._args import as_flag, check_tensor, is_int, is_number
from ..autograd import Function
from .pool import adaptive_avg_pool1d, adaptive_avg_pool2d

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear"]

_LINEAR = ("linear", "bilinear", "bicubic", "trilinear")
_SUPPORTED = {"nearest": (3, 4), "linear": (3,), "bilinear": (4,), "area": (3, 4)}


class Upsample(Function):
    """Nearest or (bi)linear upsampling of the last 1 or 2 dims; backward scatters the gradient to
    the sources with the same weights."""

    @staticmethod
    def forward(ctx, x, linear, output_size, align_corners, scales):
        two_d = len(output_size) == 2
        if linear:
            ctx.bwd = _C.upsample_bilinear2d_backward if two_d else _C.upsample_linear1d_backward
            ctx.args = (list(x.shape), output_size, align_corners, scales)
            fwd = _C.upsample_bilinear2d_forward if two_d else _C.upsample_linear1d_forward
            return fwd(x, output_size, align_corners, scales)
        ctx.bwd = _C.upsample_nearest2d_backward if two_d else _C.upsample_nearest1d_backward
        ctx.args = (list(x.shape), output_size, scales)
        fwd = _C.upsample_nearest2d_forward if two_d else _C.upsample_nearest1d_forward
        return fwd(x, output_size, scales)

    @staticmethod
    def backward(ctx, grad):
        return ctx.bwd(grad, *ctx.args), None, None, None, None


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """torch.nn.functional.interpolate for 3-D (N, C, L) and 4-D (N, C, H, W) input."""
    op = "interpolate"
    check_tensor(op, input)
    if not isinstance(mode, str) or mode not in _SUPPORTED:
        raise ValueError(f"{op}: mode {mode!r} is not supported; supported modes: "
                         + ", ".join(repr(m) for m in _SUPPORTED))
    linear = mode in _LINEAR
    if align_corners is not None:
        as_flag(op, "align_corners", align_corners)
        if not linear:
            raise ValueError(f"{op}: align_corners option can only be set with the interpolating modes: "
                             f"linear | bilinear | bicubic | trilinear (got mode {mode!r})")
    else:
        align_corners = False
    if antialias:
        raise ValueError(f"{op}: antialias=True is not supported")
    shape = tuple(input.shape)
    sd = len(shape) - 2
    if len(shape) not in _SUPPORTED[mode]:
        need = " or ".join(f"{r}-D" for r in _SUPPORTED[mode])
        raise ValueError(f"{op}: mode {mode!r} needs {need} input, got input of shape {shape}")

    if (size is None) == (scale_factor is None):
        raise ValueError(f"{op}: exactly one of size and scale_factor must be given, got "
                         f"size={size!r} and scale_factor={scale_factor!r}")
    if size is not None:
        if recompute_scale_factor:
            raise ValueError(f"{op}: recompute_scale_factor is not meaningful with an explicit size")
        sizes = list(size) if isinstance(size, (tuple, list)) else [size] * sd
        if len(sizes) != sd or not all(is_int(s) for s in sizes):
            bad = (f"expected {sd} ints" if len(sizes) != sd else "expected ints")
            raise ValueError(f"{op}: size must be an int or a tuple of {sd} ints for input of shape "
                             f"{shape}, got {size!r} ({bad})")
        output_size = [int(s) for s in sizes]
        scales = []
    else:
        factors = list(scale_factor) if isinstance(scale_factor, (tuple, list)) else [scale_factor] * sd
        if len(factors) != sd or not all(is_number(f) for f in factors):
            raise ValueError(f"{op}: scale_factor must be a number or a tuple of {sd} numbers for input of "
                             f"shape {shape}, got {scale_factor!r}")
        factors = [float(f) for f in factors]
        output_size = [math.floor(float(shape[2 + i]) * factors[i]) for i in range(sd)]
        # torch passes the user's factors on (coordinates use 1/scale) unless told to recompute.
        scales = [] if recompute_scale_factor else factors
        if any(not (f > 0 and math.isfinite(f)) for f in factors):
            raise ValueError(f"{op}: scale_factor must be positive and finite, got {scale_factor!r} "
                             f"(output size {tuple(output_size)} for input {shape})")

    if mode == "area":
        if any(o <= 0 for o in output_size):
            raise ValueError(f"{op}: output size must be positive, got {tuple(output_size)} for input {shape}")
        pool = adaptive_avg_pool2d if sd == 2 else adaptive_avg_pool1d
        return pool(input, output_size)
    return Upsample.apply(input, linear, output_size, bool(align_corners), scales)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated in torch in favour of interpolate (same arguments)."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated in torch: interpolate(..., mode='nearest')."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated in torch: interpolate(..., mode='bilinear', align_corners=True)."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
