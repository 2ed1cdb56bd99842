"""Views of strided tensors: the layout arithmetic that lets slicing, permute and expand share
memory with a tensor that is itself a strided view."""
from __future__ import annotations

from .. import _C

__all__ = ["as_view", "reshape_raw", "mark_view"]


def _contig_strides(shape):
    st = [0] * len(shape)
    s = 1
    for d in range(len(shape) - 1, -1, -1):
        st[d] = s
        s *= shape[d]
    return st


def _fmt(shape):
    shape = tuple(shape)
    return "(" + ",".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def mark_view(out, base):
    """Remember that `out` and `base` share memory (when they do): once an in-place op recorded by
    autograd gives one of them a new place in the graph, the others are refused by autograd (see
    ops/inplace.py), since their gradients would not follow the write."""
    if out._same_storage(base):
        out._view_epoch = out._grad_epoch
        if base._view_epoch is None:
            base._view_epoch = out._view_epoch
    return out


def reshape_raw(x, shape):
    """x with another shape: a view where the strides allow it, else a contiguous copy."""
    return x._view(list(shape))


def as_view(x, sizes, strides, offset):
    """The view of x whose element i lies at x's row-major position offset + sum i_d * strides_d
    (a layout in terms of x's contiguous strides, as the indexing code computes it), sharing x's
    memory. For a strided x the layout is carried over to x's own strides: each view dim steps
    through one dim of x (what slicing, permute and expand produce)."""
    if x.is_contiguous():
        return _C.as_strided(x, list(sizes), list(strides), x.storage_offset() + offset)
    shape, actual = list(x.shape), x.stride()
    contig = _contig_strides(shape)
    out_strides = []
    for size, st in zip(sizes, strides):
        if size == 1 or st == 0:
            out_strides.append(0 if st == 0 else actual[-1] if actual else 1)
            continue
        for k in range(len(shape)):  # the outermost dim whose stride divides st (see docstring)
            if shape[k] > 1 and st % contig[k] == 0 and (st // contig[k]) * (size - 1) < shape[k]:
                out_strides.append(actual[k] * (st // contig[k]))
                break
        else:
            raise RuntimeError(f"internal error: view (sizes {_fmt(sizes)}, strides {_fmt(strides)}) does not "
                               f"step through single dims of a tensor of shape {_fmt(shape)}")
    base = x.storage_offset()
    rest = offset
    for k in range(len(shape)):  # unravel the offset over x's dims
        i, rest = divmod(rest, contig[k])
        base += i * actual[k]
    return _C.as_strided(x, list(sizes), out_strides, base)
