"""DataLoader and default_collate, as ``torch.utils.data``.

Shuffling draws ``kernels.randperm(len(dataset))`` once per epoch, from the loader's own
``generator`` when it has one (``DataLoader(..., generator=Generator().manual_seed(0))`` or
``seed=0``) and from the global generator otherwise, so ``kernels.manual_seed`` alone makes the
epochs reproducible. ``state_dict()`` / ``load_state_dict()`` carry the loader's own stream for
exact resumption (the global stream is saved with ``kernels.get_rng_state()``).

Fast path: a :class:`TensorDataset` (or a Subset of one) with the default collate is batched by
one ``index_select`` per tensor on the whole batch of indices, instead of stacking rows; the
dataset's ``transform`` is then applied to the whole batch.
"""
from __future__ import annotations

import collections.abc
import math
import warnings

import numpy as np

from .. import _C
from .. import random as _random
from ..ops.shape import stack
from ..tensor import tensor as _tensor
from ..train.loop import to_device
from ._generator import Generator, drawing_from
from .dataset import IterableDataset, Subset, TensorDataset, _sample_index

__all__ = ["DataLoader", "default_collate"]


def default_collate(batch):
    """Stack a list of samples into a batch, recursively, as torch's default_collate.

    Tensors are stacked along a new dim 0; NumPy arrays and NumPy scalars become stacked tensors;
    Python ints become an int64 tensor, floats a float64 tensor (as torch), bools a bool tensor;
    strings and bytes stay a list; tuples / lists / namedtuples / dicts are collated field by field.
    """
    if not batch:
        raise ValueError("default_collate: empty batch")
    elem = batch[0]
    if isinstance(elem, _C.Tensor):
        return stack(list(batch), 0)
    if isinstance(elem, (np.ndarray, np.generic)):
        if np.asarray(elem).dtype.hasobject or np.asarray(elem).dtype.kind in "SUO":
            raise TypeError(f"default_collate: NumPy arrays of {np.asarray(elem).dtype} cannot be batched")
        return _tensor(np.stack([np.asarray(b) for b in batch]))
    if isinstance(elem, bool):
        return _tensor(list(batch), dtype=_C.dtype.bool)
    if isinstance(elem, int):
        return _tensor(list(batch), dtype=_C.dtype.int64)
    if isinstance(elem, float):
        return _tensor(list(batch), dtype=_C.dtype.float64)
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        return type(elem)({k: default_collate([d[k] for d in batch]) for k in elem}) \
            if type(elem) is not dict else {k: default_collate([d[k] for d in batch]) for k in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        n = len(elem)
        if any(len(b) != n for b in batch):
            raise RuntimeError("default_collate: each element in list of batch should be of equal size")
        cols = [default_collate(list(s)) for s in zip(*batch)]
        return tuple(cols) if isinstance(elem, tuple) else cols
    raise TypeError(f"default_collate: batch must contain tensors, NumPy arrays, numbers, dicts or "
                    f"lists; found {type(elem).__name__}")


def _tensor_source(dataset):
    """(TensorDataset, index map as a list or None) when ``dataset`` can take the fast path."""
    if isinstance(dataset, TensorDataset):
        return dataset, None
    if isinstance(dataset, Subset):
        inner = _tensor_source(dataset.dataset)
        if inner is None:
            return None
        base, index_map = inner
        idx = dataset.indices if index_map is None else [index_map[i] for i in dataset.indices]
        return base, idx
    return None


_warned_workers = False


def _warn_workers_once(num_workers):
    global _warned_workers
    if not _warned_workers:
        _warned_workers = True
        warnings.warn(f"DataLoader: num_workers={num_workers} is ignored: kernels loads batches in the main "
                      "process (no worker processes yet)", UserWarning, stacklevel=3)


class DataLoader:
    """Iterate over ``dataset`` in batches.

    Args (torch's names and defaults): ``batch_size=1``, ``shuffle=False``, ``drop_last=False``,
    ``collate_fn=None`` (``default_collate``), ``generator=None`` (a ``kernels.data.Generator``
    owning the shuffle stream; None draws from the global generator). ``seed=`` is a shortcut for
    ``generator=Generator().manual_seed(seed)``. ``num_workers`` / ``pin_memory`` are accepted;
    loading is in-process, and ``num_workers > 0`` says so once per process (a warning) rather
    than pretending to run workers. ``device`` (optional) moves each batch there.
    ``batch_sampler=`` (an iterable of index lists, e.g. a ``BatchSampler``) replaces batch_size,
    shuffle, sampler and drop_last, as torch; an ``IterableDataset`` is batched in its own order.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, drop_last=False,
                 collate_fn=None, generator=None, seed=None, num_workers=0, pin_memory=False,
                 device=None, batch_sampler=None):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size should be a positive integer, got {batch_size!r}")
        if isinstance(dataset, IterableDataset):  # a stream: its own order, as torch
            for name, value in (("shuffle", shuffle), ("sampler", sampler), ("batch_sampler", batch_sampler)):
                if value not in (None, False):
                    raise ValueError(f"DataLoader with IterableDataset: expected unspecified {name} option, "
                                     f"but got {name}={value}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None or drop_last):
            raise ValueError("DataLoader: batch_sampler option is mutually exclusive with batch_size, shuffle, "
                             "sampler, and drop_last")
        if not isinstance(drop_last, bool):
            raise ValueError(f"DataLoader: drop_last should be a boolean value, got {drop_last!r}")
        if isinstance(num_workers, bool) or not isinstance(num_workers, int):
            raise TypeError(f"DataLoader: num_workers must be an int, got "
                            f"{type(num_workers).__name__} {num_workers!r}")
        if num_workers < 0:
            raise ValueError(f"DataLoader: num_workers option should be non-negative, got "
                             f"{num_workers}; use num_workers=0 to disable multiprocessing")
        if num_workers > 0:
            _warn_workers_once(num_workers)
        if seed is not None:
            if generator is not None:
                raise ValueError("DataLoader: give either seed or generator, not both")
            generator = Generator(seed)
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        if batch_sampler is not None:
            self.batch_size = None  # as torch: the batch sampler decides
        self.drop_last = drop_last
        self.collate_fn = collate_fn
        self.generator = generator
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.device = device
        self.epoch = 0  # epochs started; for information and checkpoints
        self._source = _tensor_source(dataset) if collate_fn is None else None

    def __len__(self):
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    # ------------------------------------------------------------ order of the samples

    def _order(self):
        """The sample order of a new epoch: a list of ints, or None for 0..n-1."""
        if self.sampler is not None:
            return [_sample_index("DataLoader: sampler", i) for i in self.sampler]
        if not self.shuffle:
            return None
        with drawing_from(self.generator):
            return _random.randperm(len(self.dataset)).tolist()

    def __iter__(self):
        if isinstance(self.dataset, IterableDataset):
            yield from self._iter_stream()
            return
        if self.batch_sampler is not None:
            self.epoch += 1
            for idx in self.batch_sampler:
                batch = self._fetch([_sample_index("DataLoader: batch_sampler", i) for i in idx])
                yield batch if self.device is None else to_device(batch, self.device)
            return
        order = self._order()
        self.epoch += 1
        n = len(order) if order is not None else len(self.dataset)
        stop = n - n % self.batch_size if self.drop_last else n
        for start in range(0, stop, self.batch_size):
            end = min(start + self.batch_size, n)
            idx = list(range(start, end)) if order is None else order[start:end]
            batch = self._fetch(idx)
            if self.device is not None:
                batch = to_device(batch, self.device)
            yield batch

    def _iter_stream(self):
        """Batches of an IterableDataset, in its own order (the last shorter unless drop_last)."""
        self.epoch += 1
        it = iter(self.dataset)
        collate = self.collate_fn or default_collate
        while True:
            samples = [s for _, s in zip(range(self.batch_size), it)]
            if not samples or (self.drop_last and len(samples) < self.batch_size):
                return
            batch = collate(samples)
            yield batch if self.device is None else to_device(batch, self.device)

    def _fetch(self, idx):
        if self._source is not None:
            base, index_map = self._source
            if index_map is not None:
                idx = [index_map[i] for i in idx]
            device = base.tensors[0].device
            index = _tensor(np.asarray(idx, dtype=np.int64), device=device)
            out = []
            for t in base.tensors:
                ix = index if t.device == device else _tensor(np.asarray(idx, dtype=np.int64), device=t.device)
                out.append(t.index_select(0, ix))
            if base.transform is not None:
                out[0] = base.transform(out[0])
            return tuple(out)
        samples = [self.dataset[i] for i in idx]
        return (self.collate_fn or default_collate)(samples)

    # ------------------------------------------------------------ checkpoints

    def state_dict(self):
        """The loader's own shuffle stream (None when it uses the global one) and epoch count."""
        return {"epoch": self.epoch,
                "generator": list(self.generator.get_state()) if self.generator is not None else None}

    def load_state_dict(self, state):
        self.epoch = int(state.get("epoch", 0))
        gen = state.get("generator")
        if gen is not None:
            if self.generator is None:
                self.generator = Generator()
            self.generator.set_state(gen)

    def __repr__(self):
        try:
            size = len(self.dataset)
        except TypeError:  # an IterableDataset need not know its length
            size = "?"
        return (f"DataLoader({type(self.dataset).__name__} of {size}, batch_size="
                f"{self.batch_size}, shuffle={self.shuffle}, drop_last={self.drop_last})")
