"""pixel_shuffle / pixel_unshuffle, as torch (sub-pixel convolution, Shi et al. 2016):

    pixel_shuffle:   (*, C*r*r, H, W) -> (*, C, H*r, W*r),  out[c, h*r+i, w*r+j] = in[c*r*r + i*r + j, h, w]
    pixel_unshuffle: (*, C, H*r, W*r) -> (*, C*r*r, H, W),  its inverse

A reshape, a permute and a reshape, so the gradient is the inverse rearrangement."""
from __future__ import annotations

from .._args import as_int, check_tensor

__all__ = ["pixel_shuffle", "pixel_unshuffle"]


def _factor(op, input, factor, name):
    check_tensor(op, input, "input")
    r = as_int(op, name, factor)
    if r <= 0:
        raise ValueError(f"{op}: {name} must be greater than 0, got {r}")
    if input.dim() < 3:
        raise ValueError(f"{op}: expected an input of at least 3 dims (*, C, H, W), got shape {tuple(input.shape)}")
    return r


def pixel_shuffle(input, upscale_factor):
    r = _factor("pixel_shuffle", input, upscale_factor, "upscale_factor")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise ValueError(f"pixel_shuffle: the channel dim {c} of input {tuple(input.shape)} is not divisible "
                         f"by upscale_factor^2 = {r * r}")
    n = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    r = _factor("pixel_unshuffle", input, downscale_factor, "downscale_factor")
    *lead, c, h, w = input.shape
    if h % r or w % r:
        raise ValueError(f"pixel_unshuffle: the spatial size {h}x{w} of input {tuple(input.shape)} is not "
                         f"divisible by downscale_factor = {r}")
    n = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(*lead, c * r * r, h // r, w // r)
