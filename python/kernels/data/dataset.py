"""Datasets as in ``torch.utils.data``: Dataset, TensorDataset, Subset, ConcatDataset, random_split."""
from __future__ import annotations

import bisect
import math
import numbers

from .. import _C
from .. import random as _random
from ._generator import drawing_from

__all__ = ["Dataset", "IterableDataset", "ChainDataset", "TensorDataset", "Subset", "ConcatDataset", "random_split"]


def _sample_index(op, i):
    """`i` as a Python int: ints, NumPy integers and one-element int64 tensors; a float (1.5, or
    even 1.0), a bool or a string raises IndexError, as torch does, instead of being truncated."""
    if isinstance(i, numbers.Integral) and not isinstance(i, bool):
        return int(i)
    if isinstance(i, _C.Tensor) and i.dtype == _C.dtype.int64 and i.numel() == 1:
        return int(i.item())
    raise IndexError(f"{op}: sample indices must be ints, got {type(i).__name__} {i!r}")


class Dataset:
    """An indexable collection of samples: subclasses define ``__getitem__`` and ``__len__``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A dataset that is a stream of samples: subclasses define ``__iter__`` (and ``__len__`` if
    they know it). The DataLoader batches it in iteration order; it takes no sampler or shuffle."""

    def __iter__(self):
        raise NotImplementedError

    def __add__(self, other):
        return ChainDataset([self, other])


class ChainDataset(IterableDataset):
    """Iterable datasets one after the other."""

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise TypeError(f"ChainDataset only supports IterableDataset, got {type(d).__name__}")
            yield from d

    def __len__(self):
        return sum(len(d) for d in self.datasets)


class TensorDataset(Dataset):
    """Samples are the rows of tensors that share their first dimension.

    ``TensorDataset(images, labels)[i]`` is ``(images[i], labels[i])``. ``transform`` (keyword
    only) is applied to the first tensor's samples; the transforms in ``kernels.data.transforms``
    take one sample (C,H,W) or a whole batch (N,C,H,W), and the DataLoader applies the transform
    to whole batches at once when it takes its fast path for tensor datasets.
    """

    def __init__(self, *tensors, transform=None):
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor")
        for i, t in enumerate(tensors):
            if not isinstance(t, _C.Tensor):
                raise TypeError(f"TensorDataset: argument {i} is a {type(t).__name__}, expected a Tensor")
            if t.dim() == 0:
                raise ValueError(f"TensorDataset: argument {i} is a 0-d tensor; samples are rows of dim 0")
        n = tensors[0].shape[0]
        for i, t in enumerate(tensors):
            if t.shape[0] != n:
                shapes = ", ".join(str(tuple(x.shape)) for x in tensors)
                raise ValueError(f"TensorDataset: size mismatch between tensors: {shapes} "
                                 "(all must have the same first dimension)")
        self.tensors = tuple(tensors)
        self.transform = transform

    def __getitem__(self, index):
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"TensorDataset: index {index} is out of range for {n} samples")
        sample = tuple(t[index] for t in self.tensors)
        if self.transform is not None:
            sample = (self.transform(sample[0]),) + sample[1:]
        return sample

    def __len__(self):
        return self.tensors[0].shape[0]

    def __repr__(self):
        shapes = ", ".join(str(tuple(t.shape)) for t in self.tensors)
        return f"TensorDataset({shapes}{', transform=' + repr(self.transform) if self.transform else ''})"


class Subset(Dataset):
    """The samples ``dataset[i]`` for ``i`` in ``indices``."""

    def __init__(self, dataset, indices):
        if isinstance(indices, _C.Tensor):
            indices = indices.tolist()
        self.dataset = dataset
        self.indices = [_sample_index("Subset", i) for i in indices]

    def __getitem__(self, index):
        if isinstance(index, list):
            return [self.dataset[self.indices[i]] for i in index]
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)

    def __repr__(self):
        return f"Subset({len(self)} of {type(self.dataset).__name__})"


class ConcatDataset(Dataset):
    """The datasets one after another."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: expected at least one dataset")
        self.cumulative_sizes = []
        total = 0
        for d in self.datasets:
            total += len(d)
            self.cumulative_sizes.append(total)

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        n = len(self)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError(f"ConcatDataset: index {index} is out of range for {n} samples")
        d = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[d - 1] if d else 0
        return self.datasets[d][index - start]


def _split_lengths(n, lengths):
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split: expected at least one length")
    if all(isinstance(x, float) for x in lengths) and math.isclose(sum(lengths), 1.0) \
            and sum(lengths) <= 1.0 + 1e-9:
        for x in lengths:
            if not 0.0 <= x <= 1.0:
                raise ValueError(f"random_split: fraction {x} is not in [0, 1]")
        counts = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):  # remainder, round-robin as torch does
            counts[i % len(counts)] += 1
        return counts
    for x in lengths:
        if isinstance(x, bool) or not isinstance(x, int) or x < 0:
            raise ValueError(f"random_split: lengths must be non-negative ints or fractions summing "
                             f"to 1, got {lengths}")
    if sum(lengths) != n:
        raise ValueError(f"random_split: sum of input lengths {sum(lengths)} does not equal the "
                         f"length of the dataset {n}")
    return lengths


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` into non-overlapping random Subsets of the given lengths.

    ``lengths`` are ints summing to ``len(dataset)`` or fractions summing to 1 (the remainder of the
    rounding goes one by one to the first subsets, as torch). The permutation is
    ``kernels.randperm`` drawn from ``generator`` (a ``kernels.data.Generator``) or, when None,
    from the global generator, so ``kernels.manual_seed`` fixes the split.
    """
    counts = _split_lengths(len(dataset), lengths)
    with drawing_from(generator):
        perm = _random.randperm(sum(counts)).tolist()
    out, start = [], 0
    for c in counts:
        out.append(Subset(dataset, perm[start:start + c]))
        start += c
    return out
