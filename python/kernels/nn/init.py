"""Parameter initialisation, as ``torch.nn.init``.

Every function fills its tensor in place, without recording autograd history, from the one
global Philox generator (``kernels.manual_seed``): the distributions are torch's, the numbers
are this library's own.

    calculate_gain(nonlinearity, param)      recommended gain (relu: sqrt(2), tanh: 5/3, ...)
    uniform_(t, a, b)                        U(a, b)
    normal_(t, mean, std)                    N(mean, std^2)
    trunc_normal_(t, mean, std, a, b)        N(mean, std^2) restricted to [a, b]
    constant_ / ones_ / zeros_ / eye_
    xavier_uniform_(t, gain)                 U(-g*sqrt(6/(fan_in+fan_out)), +...)
    xavier_normal_(t, gain)                  N(0, g^2 * 2/(fan_in+fan_out))
    kaiming_uniform_(t, a, mode, nonlinearity)  U(-b, b), b = gain*sqrt(3/fan)
    kaiming_normal_(t, a, mode, nonlinearity)   N(0, (gain/sqrt(fan))^2)

fan_in = size(1) * receptive field, fan_out = size(0) * receptive field, where the receptive
field is the product of the sizes after the first two (a (out, in, kh, kw) conv weight has
fan_in = in*kh*kw).
"""
from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from .. import _C
from ..autograd import no_grad
from ..random import normal as _normal, uniform as _uniform
from ..tensor import tensor as _tensor

Tensor = _C.Tensor

__all__ = [
    "calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_",
    "eye_", "orthogonal_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
]


def _check(tensor, fn):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{fn}: expected a kernels.Tensor, got {type(tensor).__name__}")
    if not tensor.dtype.is_floating_point:
        raise TypeError(f"{fn}: expected a floating point tensor, got {tensor.dtype}")


def _no_generator(generator, fn):
    if generator is not None:
        raise NotImplementedError(
            f"{fn}: kernels has one global generator (kernels.manual_seed); generator objects "
            "are not supported"
        )


def _fill_from(tensor, sample):
    with no_grad():
        tensor.copy_(sample)
    return tensor


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity (torch.nn.init.calculate_gain).

    linear / conv / sigmoid: 1, tanh: 5/3, relu: sqrt(2),
    leaky_relu: sqrt(2 / (1 + negative_slope^2)) (negative_slope = param, default 0.01), selu: 3/4.
    """
    linear_fns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                  "conv_transpose2d", "conv_transpose3d"]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float, numbers.Real)):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    dimensions = tensor.dim()
    if dimensions < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions "
            f"(got shape {tuple(tensor.shape)})"
        )
    num_input_fmaps = tensor.shape[1]
    num_output_fmaps = tensor.shape[0]
    receptive_field_size = 1
    for s in tensor.shape[2:]:
        receptive_field_size *= s
    return num_input_fmaps * receptive_field_size, num_output_fmaps * receptive_field_size


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with values drawn from U(a, b)."""
    _check(tensor, "uniform_")
    _no_generator(generator, "uniform_")
    return _fill_from(tensor, _uniform(a, b, tuple(tensor.shape), dtype=tensor.dtype,
                                       device=tensor.device))


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with values drawn from N(mean, std^2)."""
    _check(tensor, "normal_")
    _no_generator(generator, "normal_")
    return _fill_from(tensor, _normal(mean, std, tuple(tensor.shape), dtype=tensor.dtype,
                                      device=tensor.device))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with N(mean, std^2) restricted to [a, b]: draws outside are redrawn until none is
    left (rejection sampling, exactly the truncated distribution)."""
    _check(tensor, "trunc_normal_")
    _no_generator(generator, "trunc_normal_")
    if not a < b:
        raise ValueError(f"trunc_normal_: expected a < b, got a={a}, b={b}")
    # Probability mass inside [a, b]; refuse intervals so far in a tail that rejection would stall.
    cdf = lambda x: 0.5 * (1.0 + math.erf((x - mean) / (std * math.sqrt(2.0))))  # noqa: E731
    if cdf(b) - cdf(a) < 1e-4:
        raise ValueError(
            f"trunc_normal_: [a, b] = [{a}, {b}] holds too little of N({mean}, {std}^2) to sample"
        )
    shape = tuple(tensor.shape)
    with no_grad():
        sample = _normal(mean, std, shape, dtype=tensor.dtype, device=tensor.device)
        for _ in range(1000):
            bad = (sample < a).logical_or(sample > b)
            if not bool(bad.sum().item()):
                break
            fresh = _normal(mean, std, shape, dtype=tensor.dtype, device=tensor.device)
            sample = fresh.where(bad, sample)
        tensor.copy_(sample)
    return tensor


def constant_(tensor, val):
    """Fill with the value ``val``."""
    _check(tensor, "constant_")
    with no_grad():
        tensor.fill_(val)
    return tensor


def ones_(tensor):
    return constant_(tensor, 1.0)


def zeros_(tensor):
    _check(tensor, "zeros_")
    with no_grad():
        tensor.zero_()
    return tensor


def eye_(tensor):
    """Fill a 2-D tensor with the identity matrix (ones on the main diagonal)."""
    _check(tensor, "eye_")
    if tensor.dim() != 2:
        raise ValueError(f"Only tensors with 2 dimensions are supported, got shape {tuple(tensor.shape)}")
    rows, cols = tensor.shape
    eye = _tensor(np.eye(rows, cols), dtype=tensor.dtype, device=tensor.device)
    return _fill_from(tensor, eye)


def _orthonormal_columns(a):
    """Q of the thin QR factorisation a = QR (a: (m, n), m >= n) with R's diagonal positive, by
    modified Gram-Schmidt run twice (the second pass removes what rounding left of the first), in
    float64. Positive diag(R) is the sign convention torch applies after its QR."""
    q = a.copy()
    for j in range(q.shape[1]):
        for _ in range(2):
            for i in range(j):
                q[:, j] -= np.sum(q[:, i] * q[:, j]) * q[:, i]
        length = np.sqrt(np.sum(q[:, j] * q[:, j]))
        if length == 0.0:
            raise ValueError("orthogonal_: the random matrix drawn was rank-deficient; draw again")
        q[:, j] /= length
    return q


def orthogonal_(tensor, gain=1.0, generator=None):
    """Fill with a (semi-)orthogonal matrix, as torch: the tensor is viewed as (shape[0], rest);
    a matrix of N(0, 1) samples is orthonormalised along its longer side, times gain."""
    _check(tensor, "orthogonal_")
    _no_generator(generator, "orthogonal_")
    if tensor.dim() < 2:
        raise ValueError(f"orthogonal_: only tensors with 2 or more dimensions are supported, got shape "
                         f"{tuple(tensor.shape)}")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    sample = _normal(0.0, 1.0, (rows, cols), dtype=_C.dtype.float64).numpy()
    q = _orthonormal_columns(sample.T).T if rows < cols else _orthonormal_columns(sample)
    flat = _tensor(q * gain, dtype=tensor.dtype, device=tensor.device)
    return _fill_from(tensor, flat.reshape(tuple(tensor.shape)))


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    _check(tensor, "xavier_uniform_")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    _check(tensor, "xavier_normal_")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor, a, mode, nonlinearity):
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    return gain / math.sqrt(fan)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He uniform: U(-b, b) with b = gain * sqrt(3 / fan), gain = calculate_gain(nonlinearity, a),
    fan = fan_in or fan_out (``mode``)."""
    _check(tensor, "kaiming_uniform_")
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op")
        return tensor
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He normal: N(0, std^2) with std = gain / sqrt(fan)."""
    _check(tensor, "kaiming_normal_")
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op")
        return tensor
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    return normal_(tensor, 0.0, std, generator)
