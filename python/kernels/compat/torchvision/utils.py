"""torchvision.utils for kernels.compat: make_grid and save_image (PNG, written with zlib, so no
imaging library is needed)."""
from __future__ import annotations

import math
import os
import struct
import zlib

import numpy as np

from ... import Tensor as _Tensor
from ... import tensor as _tensor

__all__ = ["make_grid", "save_image"]


def _as_batch(x):
    if isinstance(x, (list, tuple)):
        x = np.stack([t.numpy() if isinstance(t, _Tensor) else np.asarray(t) for t in x])
    elif isinstance(x, _Tensor):
        x = x.detach().to("cpu").numpy()
    x = np.asarray(x, dtype=np.float64 if np.asarray(x).dtype == np.float64 else np.float32)
    if x.ndim == 2:
        x = x[None]
    if x.ndim == 3:
        x = x[None]  # one (C, H, W) image, as torchvision reads a 3-d tensor
    if x.ndim != 4:
        raise ValueError(f"make_grid: expected a (B, C, H, W) tensor or a list of (C, H, W), got shape {x.shape}")
    if x.shape[1] == 1:
        x = np.repeat(x, 3, axis=1)  # torchvision makes single-channel grids RGB
    return x


def _normalize(x, value_range):
    lo, hi = (float(x.min()), float(x.max())) if value_range is None else map(float, value_range)
    x = np.clip(x, lo, hi)
    return (x - lo) / max(hi - lo, 1e-5)


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0):
    """Tile a batch into one (3, H', W') image, nrow images per row, as torchvision's make_grid."""
    x = _as_batch(tensor).copy()
    if normalize:
        x = np.stack([_normalize(im, value_range) for im in x]) if scale_each else _normalize(x, value_range)
    b, c, h, w = x.shape
    if b == 1:
        return _tensor(np.ascontiguousarray(x[0]))
    cols = min(nrow, b)
    rows = int(math.ceil(b / cols))
    hp, wp = h + padding, w + padding
    grid = np.full((c, rows * hp + padding, cols * wp + padding), pad_value, dtype=x.dtype)
    for k in range(b):
        r, col = divmod(k, cols)
        grid[:, r * hp + padding:r * hp + padding + h, col * wp + padding:col * wp + padding + w] = x[k]
    return _tensor(grid)


def _png_bytes(rgb):
    """rgb: (H, W, 3) uint8 -> the bytes of a PNG file (8-bit truecolour, no filtering)."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[i].tobytes() for i in range(h))

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def save_image(tensor, fp, format=None, **kwargs):
    """Write make_grid(tensor, **kwargs) as a PNG to a path or binary file object; values are
    taken in [0, 1] and scaled to bytes as torchvision does (x * 255 + 0.5, clipped)."""
    if format is not None and str(format).lower() != "png":
        raise ValueError(f"save_image: only PNG is supported, got format={format!r}")
    if isinstance(fp, (str, os.PathLike)) and os.path.splitext(os.fspath(fp))[1].lower() not in ("", ".png"):
        raise ValueError(f"save_image: only PNG files are supported, got {os.fspath(fp)!r}")
    grid = make_grid(tensor, **kwargs).numpy()
    img = np.clip(grid * 255.0 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    if img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    data = _png_bytes(np.ascontiguousarray(img))
    if hasattr(fp, "write"):
        fp.write(data)
    else:
        with open(fp, "wb") as f:
            f.write(data)
