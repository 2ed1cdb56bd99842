"""Data loading, as ``torch.utils.data`` plus image transforms and built-in datasets.

* :class:`Dataset`, :class:`TensorDataset`, :class:`Subset`, :class:`ConcatDataset`,
  :func:`random_split`;
* :class:`IterableDataset`, :class:`ChainDataset`; the samplers :class:`SequentialSampler`,
  :class:`RandomSampler`, :class:`SubsetRandomSampler`, :class:`WeightedRandomSampler`,
  :class:`BatchSampler` (kernels.data.sampler);
* :class:`DataLoader` (``sampler=`` / ``batch_sampler=``) and :func:`default_collate` (shuffling from the project's generator; a fast
  path batches TensorDatasets with one ``index_select`` per tensor);
* :class:`Generator`: a private shuffle / augmentation stream of the Philox generator;
* ``kernels.data.transforms``: Compose, Normalize, mean_std, RandomCrop, RandomShift,
  RandomHorizontalFlip, RandomRotation, ColorJitter, AddGaussianNoise;
* datasets with no network: :func:`digits`, :func:`mnist_5k`, :func:`mnist` (IDX files);
* ``kernels.data.text``: load_text (default: Python's documentation), CharVocab, TBPTTBatches.
"""
from . import text, transforms
from ._generator import Generator
from .dataloader import DataLoader, default_collate
from .dataset import ChainDataset, ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset, random_split
from .sampler import (
    BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler, WeightedRandomSampler,
)
from .datasets import digits, mnist, mnist_5k, read_idx
from .transforms import (
    AddGaussianNoise,
    ColorJitter,
    Compose,
    Lambda,
    Normalize,
    RandomCrop,
    RandomHorizontalFlip,
    RandomRotation,
    RandomShift,
    mean_std,
)

__all__ = [
    "Dataset", "IterableDataset", "ChainDataset", "Sampler", "SequentialSampler", "RandomSampler",
    "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler", "TensorDataset", "Subset", "ConcatDataset", "random_split",
    "DataLoader", "default_collate", "Generator", "transforms", "text",
    "digits", "mnist_5k", "mnist", "read_idx",
    "Compose", "Lambda", "Normalize", "mean_std", "RandomCrop", "RandomShift",
    "RandomHorizontalFlip", "RandomRotation", "ColorJitter", "AddGaussianNoise",
]
