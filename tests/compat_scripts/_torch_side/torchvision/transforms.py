"""torchvision.transforms for the real-torch side of the compat suite, as torchvision computes
them: ToTensor turns an (H, W[, C]) array into float32 (C, H, W), uint8 divided by 255;
Normalize subtracts and divides per channel in the tensor's dtype."""
from __future__ import annotations

import numpy as np
import torch

__all__ = ["ToTensor", "Normalize", "Compose", "Lambda"]


class Compose:
    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x


class Lambda:
    def __init__(self, fn):
        self.fn = fn

    def __call__(self, x):
        return self.fn(x)


class ToTensor:
    def __call__(self, pic):
        arr = np.asarray(pic)
        if arr.ndim == 2:
            arr = arr[:, :, None]
        out = torch.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))
        return out.to(torch.float32).div(255) if arr.dtype == np.uint8 else out.to(torch.float32)


class Normalize:
    def __init__(self, mean, std, inplace=False):
        self.mean, self.std = list(mean), list(std)

    def __call__(self, t):
        mean = torch.as_tensor(self.mean, dtype=t.dtype).view(-1, 1, 1)
        std = torch.as_tensor(self.std, dtype=t.dtype).view(-1, 1, 1)
        return (t - mean) / std
