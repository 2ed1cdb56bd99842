"""Image resizing for the torchvision stand-in: separable resampling with the triangle (bilinear)
filter widened by the scale when shrinking, as PIL's BILINEAR resize does (torchvision's Resize
on PIL images, antialias on). This is data preparation on one image, not a training kernel."""
from __future__ import annotations

import numpy as np


def _weights(n_in, n_out):
    """(n_out, n_in) matrix whose row i holds the filter weights of output pixel i."""
    scale = n_in / n_out
    support = max(scale, 1.0)  # the filter widens when shrinking, so every input pixel counts
    centers = (np.arange(n_out) + 0.5) * scale
    x = np.arange(n_in) + 0.5
    w = np.clip(1.0 - np.abs(x[None, :] - centers[:, None]) / support, 0.0, None)
    return w / w.sum(axis=1, keepdims=True)


def resize(img, size):
    """img: (H, W) or (H, W, C) array; size: (h, w). uint8 stays uint8 (rounded, clipped)."""
    h, w = size
    out = np.asarray(img, dtype=np.float64)
    out = np.tensordot(_weights(out.shape[0], h), out, axes=(1, 0))  # rows
    out = np.moveaxis(np.tensordot(_weights(out.shape[1], w), out, axes=(1, 1)), 0, 1)  # columns
    if np.asarray(img).dtype == np.uint8:
        return np.clip(np.rint(out), 0, 255).astype(np.uint8)
    return out.astype(np.asarray(img).dtype)


def output_size(in_hw, size, max_size=None):
    """torchvision's rule: an int sets the shorter side, keeping the aspect ratio."""
    h, w = in_hw
    if isinstance(size, (list, tuple)):
        if len(size) == 1:
            size = size[0]
        else:
            return int(size[0]), int(size[1])
    short, long_ = (h, w) if h <= w else (w, h)
    new_short, new_long = int(size), int(size * long_ / short)
    if max_size is not None and new_long > max_size:
        new_short, new_long = int(max_size * new_short / new_long), int(max_size)
    return (new_short, new_long) if h <= w else (new_long, new_short)
