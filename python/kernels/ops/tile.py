"""Copies that lay a tensor out again, as torch's: ``Tensor.repeat(*sizes)``, ``tile(input,
dims)``, ``flip(input, dims)``, ``fliplr``, ``flipud``.

They are compositions of differentiable ops, so autograd comes with them: repeat views input
with a size-1 dim in front of each dim, expands those to the repeat counts and reshapes (one
copy; the backward of expand sums the tiles); flip is one index_select per flipped dim with a
descending arange (its backward scatters the gradient back).
"""
from __future__ import annotations

from .. import _C
from .._args import check_tensor, is_int
from ..tensor import arange
from .indexing import index_select
from .shape import expand, reshape

Tensor = _C.Tensor

__all__ = ["tile", "flip", "fliplr", "flipud"]


def _sizes(op, sizes):
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    if not all(is_int(s) for s in sizes):
        raise TypeError(f"{op}: sizes must be ints, got {sizes!r}")
    return [int(s) for s in sizes]


def repeat(self, *sizes):
    """self tiled sizes[d] times along each dim d; extra leading sizes add leading dims."""
    reps = _sizes("repeat", sizes)
    if len(reps) < self.dim():
        raise RuntimeError("repeat: Number of dimensions of repeat dims can not be smaller than number of "
                           f"dimensions of tensor (got {len(reps)} repeat dims for a tensor of shape "
                           f"{tuple(self.shape)})")
    if any(r < 0 for r in reps):
        raise RuntimeError(f"repeat: repeat counts must be non-negative, got {tuple(reps)}")
    shape = [1] * (len(reps) - self.dim()) + list(self.shape)
    spread = [v for s in shape for v in (1, s)]  # (1, s0, 1, s1, ...): a view of self
    target = [v for r, s in zip(reps, shape) for v in (r, s)]
    out = expand(reshape(self, spread), target)
    return reshape(out, [r * s for r, s in zip(reps, shape)])


def tile(input, dims):
    """torch.tile: repeat, with dims padded by leading 1s when shorter than input's rank."""
    check_tensor("tile", input)
    reps = _sizes("tile", (dims,))
    return repeat(input, [1] * (input.dim() - len(reps)) + reps)


def _wrap_dims(op, dims, nd):
    out = []
    for d in dims:
        if not is_int(d):
            raise TypeError(f"{op}: dims must be ints, got {d!r}")
        if not -max(nd, 1) <= d < max(nd, 1):
            raise IndexError(f"{op}: Dimension out of range (expected to be in range of "
                             f"[{-max(nd, 1)}, {max(nd, 1) - 1}], but got {d})")
        d = int(d) % max(nd, 1)
        if d in out:
            raise RuntimeError(f"{op}: dim {d} appears multiple times in the list of dims")
        out.append(d)
    return out


def flip(input, *dims):
    """input reversed along each of dims (a tuple or separate ints)."""
    check_tensor("flip", input)
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    out = input
    if input.dim() == 0:
        _wrap_dims("flip", dims, 0)
        return out.clone()
    for d in _wrap_dims("flip", dims, input.dim()):
        n = input.shape[d]
        out = index_select(out, d, arange(n - 1, -1, -1, device=input.device))
    return out if dims else out.clone()


def fliplr(input):
    check_tensor("fliplr", input)
    if input.dim() < 2:
        raise RuntimeError(f"fliplr: Input must be >= 2-d, got shape {tuple(input.shape)}")
    return flip(input, 1)


def flipud(input):
    check_tensor("flipud", input)
    if input.dim() < 1:
        raise RuntimeError(f"flipud: Input must be >= 1-d, got shape {tuple(input.shape)}")
    return flip(input, 0)
