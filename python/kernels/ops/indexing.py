"""Indexing ops: index_select, gather, scatter_add, index_add, and ``Tensor.__getitem__`` /
``__setitem__``.

Indexing follows PyTorch: ints, slices (positive steps), None, Ellipsis are basic indexing and
give one strided view; int64 tensors, lists and NumPy integer arrays (and bool masks) are advanced
indices, broadcast together. The result dims of the advanced indices go where the first advanced
index stood when they are all adjacent, and first otherwise.
"""
from __future__ import annotations

import numbers

import numpy as np

from .. import _C
from .._args import check_tensor
from .._device import check_int64_values
from ..autograd import Function, is_grad_enabled
from .elementwise import _function
from .inplace import write_through
from .shape import (
    Identity, Permute, StridedView, _contig_strides, as_view, reshape_raw, _expand_strides, _fmt, _prod, _scatter_back,
    _wrap_dim,
)

Tensor = _C.Tensor

__all__ = ["index_select", "gather", "scatter_add", "index_add"]


# ----------------------------------------------------------------------------- helpers


def _as_index_tensor(index, device, op):
    """An int64 index tensor on `device` from a Tensor, list or NumPy array (for index_select...)."""
    if isinstance(index, Tensor):
        return index
    arr = np.asarray(index)
    if arr.dtype.kind not in "iu" and arr.size:
        raise TypeError(f"{op}: index must be an int64 tensor, got an array of {arr.dtype}")
    return _from_numpy(arr.astype(np.int64), device)


def _from_numpy(arr, device):
    t = _C.from_numpy(np.ascontiguousarray(arr))
    return _C.to_device(t, device)  # always a copy: never aliases the caller's array


# ----------------------------------------------------------------------------- Functions


def _indexed(name, c_name):
    """_C.<c_name>_forward(x, dim, index), whose backward needs x's shape, dim and the index
    (index_select, gather)."""
    fwd = getattr(_C, c_name + "_forward")
    bwd = getattr(_C, c_name + "_backward")

    def forward(ctx, x, dim, index):
        ctx.in_shape, ctx.dim = list(x.shape), dim
        ctx.save_for_backward(index)
        return fwd(x, dim, index)

    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        return bwd(grad, ctx.in_shape, ctx.dim, index), None, None

    return _function(name, forward, backward)


IndexSelect = _indexed("IndexSelect", "index_select")
Gather = _indexed("Gather", "gather")


class IndexAdd(Function):
    @staticmethod
    def forward(ctx, x, dim, index, source, alpha):
        ctx.dim, ctx.alpha = dim, alpha
        ctx.save_for_backward(index)
        return _C.index_add_forward(x, dim, index, source, alpha)

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        dsource = None
        if ctx.needs_input_grad[3]:
            dsource = _C.index_select_forward(grad, ctx.dim, index)
            if ctx.alpha != 1:  # dsource = alpha * dout[index]
                k = index.numel()
                zeros = _C.full(list(dsource.shape), 0.0, dsource.dtype, dsource.device)
                ar = _C.arange(0, k, 1, _C.dtype.int64, grad.device)
                dsource = _C.index_add_forward(zeros, ctx.dim, ar, dsource, ctx.alpha)
        return grad, None, None, dsource, None


class ScatterAdd(Function):
    @staticmethod
    def forward(ctx, x, dim, index, src):
        ctx.dim, ctx.src_shape = dim, list(src.shape)
        ctx.save_for_backward(index)
        return _C.scatter_add_forward(x, dim, index, src)

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        dsrc = None
        if ctx.needs_input_grad[3]:
            dsrc = _C.gather_forward(grad, ctx.dim, index)  # index's shape
            if list(dsrc.shape) != ctx.src_shape:  # src is larger than index: zeros elsewhere
                dsrc = _scatter_back(dsrc, ctx.src_shape, _contig_strides(ctx.src_shape), 0)
        return grad, None, None, dsrc


class AdvancedIndex(Function):
    """x's leading k dims indexed by k broadcast int64 tensors: out = x[i_0, ..., i_{k-1}]."""

    @staticmethod
    def forward(ctx, x, indices, dims):
        k = len(indices)
        shape = list(x.shape)
        flat = _C.index_linearize(list(indices), shape[:k], list(dims))
        rest = shape[k:]
        lead = _prod(shape[:k])
        ctx.in_shape, ctx.lead_shape = shape, [lead] + rest
        flat1 = flat._view([flat.numel()])
        ctx.save_for_backward(flat1)
        out = _C.index_select_forward(x._view([lead] + rest), 0, flat1)
        return out._view(list(flat.shape) + rest)

    @staticmethod
    def backward(ctx, grad):
        (flat,) = ctx.saved_tensors
        g = grad._view([flat.numel()] + ctx.lead_shape[1:])
        dx = _C.index_select_backward(g, ctx.lead_shape, 0, flat)
        return dx._view(ctx.in_shape), None, None


# ----------------------------------------------------------------------------- public functions


def index_select(input, dim, index):
    check_tensor("index_select", input)
    index = _as_index_tensor(index, input.device, "index_select")
    d = _wrap_dim(dim, input.ndim, "index_select")
    return IndexSelect.apply(input, d, index)


def gather(input, dim, index):
    check_tensor("gather", input)
    index = _as_index_tensor(index, input.device, "gather")
    d = _wrap_dim(dim, input.ndim, "gather")
    return Gather.apply(input, d, index)


def scatter_add(input, dim, index, src):
    check_tensor("scatter_add", input)
    check_tensor("scatter_add", src, "src")
    index = _as_index_tensor(index, input.device, "scatter_add")
    d = _wrap_dim(dim, input.ndim, "scatter_add")
    return ScatterAdd.apply(input, d, index, src)


def index_add(input, dim, index, source, *, alpha=1):
    check_tensor("index_add", input)
    check_tensor("index_add", source, "source")
    index = _as_index_tensor(index, input.device, "index_add")
    d = _wrap_dim(dim, input.ndim, "index_add")
    return IndexAdd.apply(input, d, index, source, float(alpha))


# ----------------------------------------------------------------------------- indexing

_BAD_INDEX = (
    "index: only integers, slices (:), ellipsis (...), None and int64 or bool tensors / lists / "
    "arrays / ranges are valid indices, got "
)


def _classify(item, device):
    """('int', i) | ('slice', s) | ('none',) | ('ellipsis',) | ('tensor', t) | ('mask', t)."""
    if item is None:
        return ("none",)
    if item is Ellipsis:
        return ("ellipsis",)
    if isinstance(item, slice):
        return ("slice", item)
    if isinstance(item, bool) or isinstance(item, np.bool_):
        raise IndexError(_BAD_INDEX + "a bool scalar (not supported)")
    if isinstance(item, numbers.Integral):
        return ("int", int(item))
    if isinstance(item, Tensor):
        if item.dtype == _C.dtype.int64:
            return ("tensor", item if item.device == device else _C.to_device(item, device))
        if item.dtype == _C.dtype.bool:
            return ("mask", item)
        raise IndexError(f"index: tensors used as indices must be int64 or bool tensors, got {item.dtype}")
    if isinstance(item, (list, tuple, np.ndarray, range)):
        arr = np.asarray(item)
        if arr.dtype == np.bool_:
            return ("mask", _C.from_numpy(np.ascontiguousarray(arr)))
        if arr.size == 0:
            arr = arr.astype(np.int64)
        if arr.dtype.kind not in "iu":
            raise IndexError(f"index: arrays used as indices must be of integer or bool type, got {arr.dtype}")
        return ("tensor", _from_numpy(arr.astype(np.int64), device))
    if hasattr(item, "__index__") and not isinstance(item, float):
        return ("int", int(item.__index__()))
    raise IndexError(_BAD_INDEX + type(item).__name__)


def _mask_to_indices(mask, device):
    m = mask if not mask.is_cuda else _C.to_device(mask, _C.device("cpu"))
    nz = np.nonzero(np.asarray(m.numpy()))
    return [_from_numpy(a.astype(np.int64), device) for a in nz]


def _parse_key(shape, key, device):
    """Turn a key into (sizes, strides, offset) of the basic view and the advanced indices.

    Returns (sizes, strides, offset, adv) where adv is a list of (position in the view's dims,
    index tensor, original dim); the view keeps a full dim at every advanced position.
    """
    items = list(key) if isinstance(key, tuple) else [key]
    parsed = [_classify(it, device) for it in items]
    consumed = 0
    n_ell = 0
    for p in parsed:
        if p[0] in ("int", "slice", "tensor"):
            consumed += 1
        elif p[0] == "mask":
            consumed += max(p[1].ndim, 1)
        elif p[0] == "ellipsis":
            n_ell += 1
    if n_ell > 1:
        raise IndexError("index: an index can only have a single ellipsis (...)")
    ndim = len(shape)
    if consumed > ndim:
        raise IndexError(f"index: too many indices for a tensor of dimension {ndim} (got {consumed})")
    expanded = []
    for p in parsed:
        if p[0] == "ellipsis":
            expanded.extend([("slice", slice(None))] * (ndim - consumed))
        else:
            expanded.append(p)
    if not n_ell:
        expanded.extend([("slice", slice(None))] * (ndim - consumed))

    st = _contig_strides(shape)
    sizes, strides, offset, adv = [], [], 0, []
    d = 0
    for p in expanded:
        kind = p[0]
        if kind == "none":
            sizes.append(1)
            strides.append(0)
        elif kind == "int":
            n, i = shape[d], p[1]
            if i < -n or i >= n:
                raise IndexError(f"index: index {i} is out of range for dim {d} with size {n}")
            offset += (i + n if i < 0 else i) * st[d]
            d += 1
        elif kind == "slice":
            s = p[1]
            if s.step is not None and s.step <= 0:
                raise ValueError(f"index: slice step must be greater than zero, got {s.step}")
            start, stop, step = s.indices(shape[d])
            length = max(0, (stop - start + step - 1) // step)
            if length:
                offset += start * st[d]
            sizes.append(length)
            strides.append(st[d] * step)
            d += 1
        elif kind == "tensor":
            adv.append((len(sizes), p[1], d))
            sizes.append(shape[d])
            strides.append(st[d])
            d += 1
        else:  # mask: one index tensor per mask dim
            mask = p[1]
            mshape = list(mask.shape) if mask.ndim else [1]
            if mask.ndim == 0:
                raise IndexError("index: 0-d bool masks are not supported")
            if list(shape[d : d + mask.ndim]) != list(mask.shape):
                raise IndexError(
                    f"index: the shape of the mask {_fmt(mask.shape)} does not match the shape "
                    f"{_fmt(shape[d : d + len(mshape)])} of the indexed dims starting at dim {d}"
                )
            for t in _mask_to_indices(mask, device):
                adv.append((len(sizes), t, d))
                sizes.append(shape[d])
                strides.append(st[d])
                d += 1
    return sizes, strides, offset, adv


def _getitem(self, key):
    shape = list(self.shape)
    sizes, strides, offset, adv = _parse_key(shape, key, self.device)
    if not adv:
        if sizes == shape and offset == 0 and strides == _contig_strides(shape):
            return Identity.apply(self)
        return StridedView.apply(self, sizes, strides, offset)
    # Advanced dims first, then the others, as one strided view of self.
    apos = [a[0] for a in adv]
    others = [i for i in range(len(sizes)) if i not in apos]
    order = apos + others
    vs, vst = [sizes[i] for i in order], [strides[i] for i in order]
    if vs == shape and offset == 0 and vst == _contig_strides(shape):
        y = self
    else:
        y = StridedView.apply(self, vs, vst, offset)
    out = AdvancedIndex.apply(y, [a[1] for a in adv], [a[2] for a in adv])
    # All advanced indices adjacent: their result dims go where the first one stood.
    adjacent = apos == list(range(apos[0], apos[0] + len(apos)))
    p = apos[0]
    if adjacent and p > 0:
        nb = out.ndim - len(others)
        dims = list(range(nb, nb + p)) + list(range(nb)) + list(range(nb + p, out.ndim))
        out = Permute.apply(out, dims)
    return out


def _value_tensor(value, like, op):
    if isinstance(value, Tensor):
        v = value
        if v.dtype != like.dtype:
            v = _C.to_dtype(v, like.dtype)
        if v.device != like.device:
            v = _C.to_device(v, like.device)
        return v
    if isinstance(value, numbers.Number) or isinstance(value, np.generic):
        if isinstance(value, (bool, np.bool_)):
            value = float(bool(value))
        elif isinstance(value, (int, np.integer)):
            value = int(value)  # exact into int64 (a double rounds 2**62 + 1)
        else:
            value = float(value)
        return _C.full([], value, like.dtype, like.device)
    try:  # lists and arrays are accepted as NumPy does (torch refuses them): deliberate, harmless
        arr = np.asarray(value)
    except Exception:
        arr = None
    if arr is None or arr.dtype.kind not in "biuf":
        raise TypeError(f"{op}: can't assign a value of type {type(value).__name__} to a tensor")
    if like.dtype == _C.dtype.int64:
        check_int64_values(arr, op)  # NaN, inf, 2**63: astype would give -2**63 or wrap
    if arr.dtype.kind == "u" and like.dtype != _C.dtype.int64:
        arr = arr.astype(np.float64)  # not through int64, which would wrap 2**63 and above
    elif arr.dtype.kind in "iu":
        arr = arr.astype(np.int64)
    elif arr.dtype.kind == "f" and arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    t = _C.from_numpy(np.ascontiguousarray(arr))
    return _C.to_device(_C.to_dtype(t, like.dtype), like.device)


def _strip_leading_ones(v, ndim):
    while v.ndim > ndim and v.shape[0] == 1:
        v = v._view(list(v.shape[1:]))
    return v


def _setitem(self, key, value):
    if is_grad_enabled() and getattr(self, "requires_grad", False):
        raise RuntimeError(
            "setitem: a tensor that requires grad cannot be assigned into in place while grad mode "
            f"is on (tensor {_fmt(self.shape)}); wrap it in kernels.no_grad() or build a new tensor"
        )
    if isinstance(value, Tensor) and is_grad_enabled() and getattr(value, "requires_grad", False):
        raise RuntimeError(
            "setitem: assigning a tensor that requires grad is not differentiable; use cat / stack / "
            "index ops to build the result, or assign under kernels.no_grad()"
        )
    v = _value_tensor(value, self, "setitem")
    shape = list(self.shape)
    sizes, strides, offset, adv = _parse_key(shape, key, self.device)
    if not adv:
        v = _strip_leading_ones(v, len(sizes))
        if self.is_contiguous():
            _C.strided_assign(self, sizes, strides, offset, v)
        else:  # into the storage self shares, at the target's own strides
            target = as_view(self, sizes, strides, offset)
            _C.strided_assign(self._storage_flat(), list(target.shape), list(target.stride()),
                              target.storage_offset(), v)
        return
    # Positions of the indexed elements, found by indexing a tensor of flat positions.
    pos = _C.arange(0, self.numel(), 1, _C.dtype.int64, self.device)._view(shape)
    pos = _getitem(pos, key)
    v = _strip_leading_ones(v, pos.ndim)
    if list(v.shape) != list(pos.shape):
        try:
            vs, vst = _expand_strides(list(v.shape), list(pos.shape), "setitem")
        except ValueError:
            raise ValueError(
                f"setitem: shape mismatch: value of shape {_fmt(v.shape)} cannot be broadcast to the "
                f"indexing result of shape {_fmt(pos.shape)}"
            ) from None
        v = _C.strided_copy_forward(v, vs, vst, 0)
    flat_pos, flat_v = pos._view([pos.numel()]), reshape_raw(v, [v.numel()])
    write_through("setitem", self, lambda t: _C.index_put(t, flat_pos, flat_v))
