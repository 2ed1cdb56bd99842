"""torchvision.transforms for kernels.compat, on one sample at a time as torchvision's are.
Images before ToTensor are NumPy arrays (H, W) or (H, W, C) (torchvision uses PIL images):
Resize and CenterCrop work on those arrays and on (C, H, W) tensors; ToTensor turns an array into
a float32 (C, H, W) tensor, uint8 scaled to [0, 1]; Normalize works per channel."""
from __future__ import annotations

import numpy as np

from ... import Tensor as _Tensor
from ... import tensor as _tensor
from ...data.transforms import Compose, Lambda  # noqa: F401  (the same composition rules)
from . import _resample

__all__ = ["ToTensor", "Normalize", "Compose", "Lambda", "Resize", "CenterCrop"]


def _hw_array(pic, op):
    """(array laid out (H, W[, C]), whether it came as a (C, H, W) tensor)."""
    if isinstance(pic, _Tensor):
        x = pic.numpy()
        if x.ndim != 3:
            raise ValueError(f"{op}: expected a (C, H, W) tensor, got shape {tuple(x.shape)}")
        return x.transpose(1, 2, 0), True
    arr = np.asarray(pic)
    if arr.ndim not in (2, 3):
        raise ValueError(f"{op}: expected an (H, W) or (H, W, C) image, got shape {arr.shape}")
    return arr, False


def _back(arr, was_tensor):
    return _tensor(np.ascontiguousarray(arr.transpose(2, 0, 1))) if was_tensor else arr


class ToTensor:
    def __call__(self, pic):
        arr = np.asarray(pic)
        if arr.ndim == 2:
            arr = arr[:, :, None]
        if arr.ndim != 3:
            raise ValueError(f"ToTensor: expected an (H, W) or (H, W, C) image, got shape {arr.shape}")
        out = arr.transpose(2, 0, 1).astype(np.float32)
        if arr.dtype == np.uint8:
            out /= np.float32(255.0)
        return _tensor(np.ascontiguousarray(out))

    def __repr__(self):
        return "ToTensor()"


class Normalize:
    def __init__(self, mean, std, inplace=False):
        self.mean = np.asarray(mean, dtype=np.float64).reshape(-1, 1, 1)
        self.std = np.asarray(std, dtype=np.float64).reshape(-1, 1, 1)
        if np.any(self.std == 0):
            raise ValueError(f"Normalize: std evaluated to zero after conversion, got {std}")

    def __call__(self, t):
        x = t.numpy()
        if x.ndim < 3 or (x.shape[-3] != self.mean.shape[0] and self.mean.shape[0] != 1):
            raise ValueError(f"Normalize: expected a (C, H, W) tensor with C = {self.mean.shape[0]}, "
                             f"got shape {x.shape}")
        return _tensor(((x - self.mean) / self.std).astype(x.dtype))

    def __repr__(self):
        return f"Normalize(mean={self.mean.ravel().tolist()}, std={self.std.ravel().tolist()})"


class Resize:
    """Bilinear resize (PIL's filter: antialiased when shrinking); an int sets the shorter side."""

    def __init__(self, size, interpolation=None, max_size=None, antialias=True):
        if isinstance(size, (list, tuple)) and len(size) not in (1, 2) or not isinstance(size, (int, list, tuple)):
            raise ValueError(f"Resize: size must be an int or a sequence of 1 or 2 ints, got {size!r}")
        if interpolation is not None and str(interpolation).lower().rsplit(".", 1)[-1] != "bilinear":
            raise NotImplementedError(f"Resize: only bilinear interpolation is supported, got {interpolation}")
        self.size, self.max_size = size, max_size

    def __call__(self, pic):
        arr, was_tensor = _hw_array(pic, "Resize")
        hw = _resample.output_size(arr.shape[:2], self.size, self.max_size)
        return _back(_resample.resize(arr, hw), was_tensor) if was_tensor else _resample.resize(arr, hw)

    def __repr__(self):
        return f"Resize(size={self.size})"


class CenterCrop:
    """The centre (h, w) patch, zero-padded first where the image is smaller, as torchvision."""

    def __init__(self, size):
        self.size = (int(size), int(size)) if isinstance(size, int) else tuple(int(s) for s in size)
        if len(self.size) == 1:
            self.size = self.size * 2

    def __call__(self, pic):
        arr, was_tensor = _hw_array(pic, "CenterCrop")
        h, w = self.size
        H, W = arr.shape[:2]
        if h > H or w > W:
            pads = [((h - H + 1) // 2 if h > H else 0, (h - H) // 2 if h > H else 0),
                    ((w - W + 1) // 2 if w > W else 0, (w - W) // 2 if w > W else 0)]
            arr = np.pad(arr, pads + [(0, 0)] * (arr.ndim - 2))
            H, W = arr.shape[:2]
        top, left = int(round((H - h) / 2.0)), int(round((W - w) / 2.0))
        arr = arr[top:top + h, left:left + w]
        return _back(arr, was_tensor) if was_tensor else np.ascontiguousarray(arr)

    def __repr__(self):
        return f"CenterCrop(size={self.size})"
