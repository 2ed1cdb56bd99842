"""Image transforms for float tensors shaped (C,H,W) (one sample) or (N,C,H,W) (a batch).

Random transforms draw their random numbers with ``kernels.rand`` from the project's generator
(the global stream, or the ``generator=`` given), one independent draw per sample, so
``kernels.manual_seed`` makes them reproducible. The geometric ones (crop/shift, flip, rotation)
work with NumPy on the host: a CUDA input is copied to the host and the result copied back.

Typical use::

    mean, std = mean_std(train_images)               # statistics of the TRAINING split only
    train_tf = Compose([RandomShift(2), Normalize(mean, std)])
    test_tf = Normalize(mean, std)
"""
from __future__ import annotations

import math

import numpy as np

from .. import _C
from .. import random as _random
from ..tensor import tensor as _tensor
from ._generator import drawing_from
from .dataset import Subset, TensorDataset

__all__ = [
    "Compose", "Lambda", "Normalize", "mean_std", "RandomCrop", "RandomShift",
    "RandomHorizontalFlip", "RandomRotation", "ColorJitter", "AddGaussianNoise",
]

_CPU = _C.device("cpu")


def _check_image(x, op):
    if not isinstance(x, _C.Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    if x.dim() not in (3, 4):
        raise ValueError(f"{op}: expected an image (C,H,W) or a batch (N,C,H,W), got shape {tuple(x.shape)}")
    if not x.dtype.is_floating_point:
        raise TypeError(f"{op}: expected a floating point image, got {x.dtype}")


def _to_batch(x):
    """-> (NumPy (N,C,H,W) array on the host, was it a single image?)."""
    host = x.detach()
    if host.is_cuda:
        host = _C.to_device(host, _CPU)
    arr = host.numpy()
    single = arr.ndim == 3
    return (arr[None] if single else arr), single


def _from_batch(arr, single, like):
    out = arr[0] if single else arr
    return _tensor(np.ascontiguousarray(out, dtype=arr.dtype), device=like.device)


def _uniform(n, generator):
    """n numbers uniform on [0, 1) from the project generator, as float64 NumPy."""
    if n == 0:
        return np.zeros(0)
    with drawing_from(generator):
        return _random.rand(n, dtype=_C.dtype.float64).numpy()


class Compose:
    """Apply the transforms one after another."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self):
        return "Compose([" + ", ".join(repr(t) for t in self.transforms) + "])"


class Lambda:
    """Wrap a function as a transform."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, x):
        return self.fn(x)

    def __repr__(self):
        return f"Lambda({getattr(self.fn, '__name__', self.fn)!r})"


# ---------------------------------------------------------------- normalisation


def mean_std(data, channel_dim=1):
    """Per-channel mean and standard deviation of a training set, as two lists of floats.

    ``data`` is a tensor (N,C,H,W) / (N,D), a NumPy array, or a dataset whose first field holds the
    images (a TensorDataset or a Subset of one: only the Subset's samples count, so the statistics
    of a training split never see the validation or test samples). Channels are ``channel_dim``
    (1 for NCHW; for flat (N,D) data the result has one entry per feature unless you pass
    ``channel_dim=None`` for a single global mean/std).
    """
    arr = _as_numpy_images(data)
    arr = arr.astype(np.float64, copy=False)
    if channel_dim is None or arr.ndim < 2:
        return [float(arr.mean())], [float(arr.std())]
    axes = tuple(i for i in range(arr.ndim) if i != channel_dim)
    return arr.mean(axis=axes).tolist(), arr.std(axis=axes).tolist()


def _as_numpy_images(data):
    if isinstance(data, np.ndarray):
        return data
    if isinstance(data, _C.Tensor):
        host = data.detach()
        return (_C.to_device(host, _CPU) if host.is_cuda else host).numpy()
    if isinstance(data, TensorDataset):
        return _as_numpy_images(data.tensors[0])
    if isinstance(data, Subset):
        full = _as_numpy_images(data.dataset)
        return full[np.asarray(data.indices, dtype=np.int64)]
    if hasattr(data, "__len__") and hasattr(data, "__getitem__"):
        return np.stack([_as_numpy_images(data[i][0] if isinstance(data[i], (tuple, list)) else data[i])
                         for i in range(len(data))])
    raise TypeError(f"mean_std: expected a tensor, an array or a dataset, got {type(data).__name__}")


class Normalize:
    """``(x - mean[c]) / std[c]`` per channel, on the input's device (kernels ops).

    ``mean`` / ``std`` are sequences with one value per channel (or one value for all). Use
    :func:`mean_std` (or ``Normalize.fit(train_set)``) to compute them on the training split only.
    """

    def __init__(self, mean, std, inplace=False):
        self.mean = [float(m) for m in np.atleast_1d(np.asarray(mean, dtype=np.float64))]
        self.std = [float(s) for s in np.atleast_1d(np.asarray(std, dtype=np.float64))]
        if len(self.mean) != len(self.std):
            raise ValueError(f"Normalize: mean has {len(self.mean)} values but std has {len(self.std)}")
        if any(s <= 0 or not math.isfinite(s) for s in self.std):
            raise ValueError(f"Normalize: std must be positive and finite, got {self.std}")
        self._cache = {}

    @classmethod
    def fit(cls, train_data, channel_dim=1):
        """A Normalize with the mean/std of ``train_data`` (see :func:`mean_std`)."""
        return cls(*mean_std(train_data, channel_dim))

    def _params(self, x):
        # shape (C,1,1) broadcasts over (C,H,W) and (N,C,H,W); flat (N,D) data gets (D,)
        c = len(self.mean)
        key = (x.dim(), x.dtype, str(x.device))
        if key not in self._cache:
            if x.dim() >= 3:
                shape = (c, 1, 1)
            else:
                shape = (c,)
            dt = np.float64 if x.dtype == _C.dtype.float64 else np.float32
            m = _tensor(np.asarray(self.mean, dtype=dt).reshape(shape), device=x.device)
            s = _tensor((1.0 / np.asarray(self.std, dtype=np.float64)).astype(dt).reshape(shape), device=x.device)
            self._cache[key] = (m, s)
        return self._cache[key]

    def __call__(self, x):
        if not isinstance(x, _C.Tensor) or not x.dtype.is_floating_point:
            raise TypeError(f"Normalize: expected a floating point Tensor, got {getattr(x, 'dtype', type(x).__name__)}")
        cdim = 1 if x.dim() in (2, 4) else 0
        c = x.shape[cdim] if x.dim() >= 1 else 1
        if len(self.mean) not in (1, c):
            raise ValueError(f"Normalize: {len(self.mean)} means for an input with {c} channels "
                             f"(shape {tuple(x.shape)})")
        m, inv_s = self._params(x)
        return (x - m) * inv_s

    def __repr__(self):
        fmt = lambda v: "[" + ", ".join(f"{a:.4g}" for a in v) + "]"  # noqa: E731
        return f"Normalize(mean={fmt(self.mean)}, std={fmt(self.std)})"


# ---------------------------------------------------------------- geometry


class RandomCrop:
    """Pad by ``padding`` (zeros, or ``fill``) on every side, then crop a random ``size`` window.

    ``size`` is an int or (h, w); ``size=None`` keeps the input size, which makes it a random
    translation by up to ``padding`` pixels (see :class:`RandomShift`).
    """

    def __init__(self, size=None, padding=0, fill=0.0, generator=None):
        self.size = (size, size) if isinstance(size, int) else (tuple(size) if size is not None else None)
        self.padding = int(padding)
        if self.padding < 0:
            raise ValueError(f"RandomCrop: padding must be >= 0, got {padding}")
        self.fill = float(fill)
        self.generator = generator

    def __call__(self, x):
        _check_image(x, type(self).__name__)
        arr, single = _to_batch(x)
        n, c, h, w = arr.shape
        th, tw = self.size if self.size is not None else (h, w)
        p = self.padding
        if th > h + 2 * p or tw > w + 2 * p:
            raise ValueError(f"{type(self).__name__}: crop {th}x{tw} is larger than the padded "
                             f"image {h + 2 * p}x{w + 2 * p}")
        u = _uniform(2 * n, self.generator)
        dy = np.minimum((u[:n] * (h + 2 * p - th + 1)).astype(np.int64), h + 2 * p - th)
        dx = np.minimum((u[n:] * (w + 2 * p - tw + 1)).astype(np.int64), w + 2 * p - tw)
        padded = np.full((n, c, h + 2 * p, w + 2 * p), self.fill, dtype=arr.dtype)
        padded[:, :, p:p + h, p:p + w] = arr
        rows = dy[:, None] + np.arange(th)[None, :]  # (N, th)
        cols = dx[:, None] + np.arange(tw)[None, :]  # (N, tw)
        out = padded[np.arange(n)[:, None, None, None], np.arange(c)[None, :, None, None],
                     rows[:, None, :, None], cols[:, None, None, :]]
        return _from_batch(out, single, x)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


class RandomShift(RandomCrop):
    """Translate each image by a random whole number of pixels in [-max_shift, max_shift] along
    each axis, filling the uncovered border with ``fill`` (RandomCrop of the same size)."""

    def __init__(self, max_shift=2, fill=0.0, generator=None):
        super().__init__(None, padding=max_shift, fill=fill, generator=generator)

    def __repr__(self):
        return f"RandomShift(max_shift={self.padding})"


class RandomHorizontalFlip:
    """Mirror each image left-right with probability ``p``."""

    def __init__(self, p=0.5, generator=None):
        self.p = float(p)
        self.generator = generator

    def __call__(self, x):
        _check_image(x, "RandomHorizontalFlip")
        arr, single = _to_batch(x)
        flip = _uniform(arr.shape[0], self.generator) < self.p
        out = arr.copy()
        out[flip] = arr[flip][..., ::-1]
        return _from_batch(out, single, x)

    def __repr__(self):
        return f"RandomHorizontalFlip(p={self.p})"


class RandomRotation:
    """Rotate each image about its centre by an angle uniform in ``degrees`` (a number d means
    [-d, d]), with ``interpolation`` "bilinear" or "nearest"; outside pixels become ``fill``."""

    def __init__(self, degrees, interpolation="bilinear", fill=0.0, generator=None):
        if isinstance(degrees, (int, float)):
            if degrees < 0:
                raise ValueError(f"RandomRotation: degrees must be >= 0, got {degrees}")
            degrees = (-float(degrees), float(degrees))
        self.degrees = (float(degrees[0]), float(degrees[1]))
        if interpolation not in ("bilinear", "nearest"):
            raise ValueError(f"RandomRotation: interpolation must be 'bilinear' or 'nearest', got {interpolation!r}")
        self.interpolation = interpolation
        self.fill = float(fill)
        self.generator = generator

    def __call__(self, x):
        _check_image(x, "RandomRotation")
        arr, single = _to_batch(x)
        n, c, h, w = arr.shape
        lo, hi = self.degrees
        theta = np.deg2rad(lo + (hi - lo) * _uniform(n, self.generator))  # (N,)
        cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
        yy, xx = np.meshgrid(np.arange(h) - cy, np.arange(w) - cx, indexing="ij")  # (H,W)
        cos, sin = np.cos(theta)[:, None, None], np.sin(theta)[:, None, None]
        # inverse map: the output pixel (y, x) samples the input at R(-theta) (y, x)
        sx = cos * xx[None] + sin * yy[None] + cx  # (N,H,W)
        sy = -sin * xx[None] + cos * yy[None] + cy
        out = _sample(arr, sy, sx, self.interpolation, self.fill)
        return _from_batch(out, single, x)

    def __repr__(self):
        return f"RandomRotation(degrees={self.degrees}, interpolation={self.interpolation!r})"


def _sample(arr, sy, sx, interpolation, fill):
    """Sample arr (N,C,H,W) at real coordinates sy, sx (N,H,W); out-of-range reads give fill."""
    n, c, h, w = arr.shape
    nidx = np.arange(n)[:, None, None]

    def read(iy, ix):
        ok = (iy >= 0) & (iy < h) & (ix >= 0) & (ix < w)  # (N,H,W)
        v = arr[nidx, :, np.clip(iy, 0, h - 1), np.clip(ix, 0, w - 1)]  # (N,H,W,C)
        v = np.where(ok[..., None], v, fill)
        return v

    if interpolation == "nearest":
        out = read(np.rint(sy).astype(np.int64), np.rint(sx).astype(np.int64))
    else:
        y0, x0 = np.floor(sy).astype(np.int64), np.floor(sx).astype(np.int64)
        wy, wx = (sy - y0)[..., None], (sx - x0)[..., None]
        out = ((1 - wy) * (1 - wx) * read(y0, x0) + (1 - wy) * wx * read(y0, x0 + 1)
               + wy * (1 - wx) * read(y0 + 1, x0) + wy * wx * read(y0 + 1, x0 + 1))
    return np.moveaxis(out, -1, 1).astype(arr.dtype)


# ---------------------------------------------------------------- intensity


class ColorJitter:
    """Random brightness and contrast per image: ``x * b`` with ``b`` uniform in
    [1-brightness, 1+brightness], then ``(x - mean) * k + mean`` (mean over the image) with ``k``
    uniform in [1-contrast, 1+contrast]; clamped to ``clamp`` (default (0, 1); None: no clamp)."""

    def __init__(self, brightness=0.0, contrast=0.0, clamp=(0.0, 1.0), generator=None):
        for name, v in (("brightness", brightness), ("contrast", contrast)):
            if not 0 <= v <= 1:
                raise ValueError(f"ColorJitter: {name} must be in [0, 1], got {v}")
        self.brightness = float(brightness)
        self.contrast = float(contrast)
        self.clamp = clamp
        self.generator = generator

    def __call__(self, x):
        _check_image(x, "ColorJitter")
        arr, single = _to_batch(x)
        n = arr.shape[0]
        u = _uniform(2 * n, self.generator).reshape(2, n, 1, 1, 1)
        out = arr.astype(np.float64)
        if self.brightness:
            out = out * (1 - self.brightness + 2 * self.brightness * u[0])
        if self.contrast:
            m = out.mean(axis=(1, 2, 3), keepdims=True)
            out = (out - m) * (1 - self.contrast + 2 * self.contrast * u[1]) + m
        if self.clamp is not None:
            out = np.clip(out, self.clamp[0], self.clamp[1])
        return _from_batch(out.astype(arr.dtype), single, x)

    def __repr__(self):
        return f"ColorJitter(brightness={self.brightness}, contrast={self.contrast})"


class AddGaussianNoise:
    """``x + mean + std * N(0, 1)`` elementwise, drawn with ``kernels.randn`` on x's device."""

    def __init__(self, std=0.1, mean=0.0, generator=None):
        if std < 0:
            raise ValueError(f"AddGaussianNoise: std must be >= 0, got {std}")
        self.std = float(std)
        self.mean = float(mean)
        self.generator = generator

    def __call__(self, x):
        if not isinstance(x, _C.Tensor) or not x.dtype.is_floating_point:
            raise TypeError("AddGaussianNoise: expected a floating point Tensor")
        with drawing_from(self.generator):
            noise = _random.normal(self.mean, self.std, tuple(x.shape), dtype=x.dtype, device=x.device)
        return x + noise

    def __repr__(self):
        return f"AddGaussianNoise(std={self.std}, mean={self.mean})"
