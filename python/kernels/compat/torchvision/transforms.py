"""torchvision.transforms for kernels.compat, on one sample at a time as torchvision's are:
ToTensor (uint8 or float (H, W) / (H, W, C) array -> float32 (C, H, W), uint8 scaled to [0, 1]),
Normalize (per channel), Compose and Lambda."""
from __future__ import annotations

import numpy as np

from ... import tensor as _tensor
from ...data.transforms import Compose, Lambda  # noqa: F401  (the same composition rules)

__all__ = ["ToTensor", "Normalize", "Compose", "Lambda"]


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
