"""Shape and indexing ops: reshape/view, flatten, squeeze, unsqueeze, transpose, permute, expand,
cat, stack, split, chunk, unbind, narrow, index_select, gather, scatter_add, index_add, and
``Tensor.__getitem__`` / ``__setitem__``.

Tensors are always contiguous. Views that keep the row-major order (reshape, a contiguous block
picked by basic indexing, split along a leading dim) share memory with their input; everything
that needs strides (permute, slices with steps, expand) is materialised by one strided copy.

Indexing follows PyTorch: ints, slices (positive steps), None, Ellipsis are basic indexing and
give one strided view; int64 tensors, lists and NumPy integer arrays (and bool masks) are advanced
indices, broadcast together. The result dims of the advanced indices go where the first advanced
index stood when they are all adjacent, and first otherwise.
"""
from __future__ import annotations

import numbers

import numpy as np

from .. import _C
from .._args import check_tensor, is_int
from .._device import check_int64_values
from ..autograd import Function, is_grad_enabled
from .elementwise import _function

Tensor = _C.Tensor

__all__ = [
    "reshape",
    "flatten",
    "unflatten",
    "squeeze",
    "unsqueeze",
    "transpose",
    "swapaxes",
    "swapdims",
    "permute",
    "t",
    "expand",
    "broadcast_to",
    "cat",
    "concat",
    "concatenate",
    "stack",
    "split",
    "chunk",
    "unbind",
    "narrow",
    "index_select",
    "gather",
    "scatter_add",
    "index_add",
]


# ----------------------------------------------------------------------------- helpers


def _prod(xs):
    p = 1
    for v in xs:
        p *= v
    return p


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


def _wrap_dim(dim, ndim, op):
    if not is_int(dim):
        raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__}")
    dim = int(dim)
    lo, hi = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
    if dim < lo or dim > hi:
        raise IndexError(
            f"{op}: dim {dim} is out of range for a tensor of rank {ndim} "
            f"(expected a dim in [{lo}, {hi}])"
        )
    return dim + max(ndim, 1) if dim < 0 else dim


def _size_args(args, op):
    """reshape(2, 3), reshape((2, 3)) and reshape([2, 3]) all mean the shape (2, 3)."""
    if len(args) == 1 and not isinstance(args[0], numbers.Integral):
        args = args[0]
    try:
        out = []
        for s in args:
            if not is_int(s):
                raise TypeError
            out.append(int(s))
        return out
    except TypeError:
        raise TypeError(f"{op}: expected a sequence of ints as the shape, got {args!r}") from None


def _infer_shape(shape, x_shape, op):
    numel = _prod(x_shape)
    shape = list(shape)
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise ValueError(f"{op}: only one dimension can be inferred, got shape {_fmt(shape)}")
    for s in shape:
        if s < -1:
            raise ValueError(f"{op}: invalid size {s} in shape {_fmt(shape)}")
    if neg:
        known = _prod(s for s in shape if s != -1)
        if known == 0 or numel % known:
            raise ValueError(
                f"{op}: shape {_fmt(shape)} is invalid for input of shape {_fmt(x_shape)} "
                f"({numel} elements)"
            )
        shape[neg[0]] = numel // known
    if _prod(shape) != numel:
        raise ValueError(
            f"{op}: shape {_fmt(shape)} is invalid for input of shape {_fmt(x_shape)} "
            f"({numel} elements)"
        )
    return shape


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


def _is_contiguous_view(sizes, strides):
    """Does the strided view (sizes, strides) cover a contiguous block in row-major order?"""
    expect = 1
    for s, st in zip(reversed(sizes), reversed(strides)):
        if s == 1:
            continue
        if st != expect:
            return False
        expect *= s
    return True


# ----------------------------------------------------------------------------- Functions


class Reshape(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = list(x.shape)
        return x._view(list(shape))

    @staticmethod
    def backward(ctx, grad):
        return grad._view(ctx.in_shape), None


class Identity(Function):
    @staticmethod
    def forward(ctx, x):
        return x._raw()

    @staticmethod
    def backward(ctx, grad):
        return grad


class Permute(Function):
    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return _permute_raw(x, dims)

    @staticmethod
    def backward(ctx, grad):
        inv = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inv[d] = i
        return _permute_raw(grad, inv), None


def _permute_raw(x, dims):
    if list(dims) == list(range(len(dims))):
        return x._raw()
    shape, st = list(x.shape), _contig_strides(x.shape)
    return _C.strided_copy_forward(x, [shape[d] for d in dims], [st[d] for d in dims], 0)


class Expand(Function):
    @staticmethod
    def forward(ctx, x, shape, strides):
        ctx.in_shape = list(x.shape)
        return _C.strided_copy_forward(x, list(shape), list(strides), 0)

    @staticmethod
    def backward(ctx, grad):
        if list(grad.shape) == ctx.in_shape:
            return grad, None, None
        return _C.sum_to(grad, ctx.in_shape), None, None


class StridedView(Function):
    """out = x.flat[offset + sum idx_d * strides_d]: basic indexing, narrow."""

    @staticmethod
    def forward(ctx, x, sizes, strides, offset):
        ctx.in_shape = list(x.shape)
        ctx.strides = list(strides)
        ctx.offset = offset
        n = _prod(sizes)
        if _is_contiguous_view(sizes, strides) and (n == 0 or 0 <= offset <= x.numel() - n):
            # A contiguous block of x: share its memory.
            flat = x._view([x.numel()])
            return flat._narrow0(offset if n else 0, n)._view(list(sizes))
        return _C.strided_copy_forward(x, list(sizes), list(strides), offset)

    @staticmethod
    def backward(ctx, grad):
        return _scatter_back(grad, ctx.in_shape, ctx.strides, ctx.offset), None, None, None


def _scatter_back(grad, shape, strides, offset):
    if grad.numel() == 0:  # nothing to scatter (and strided_copy_backward wants a non-empty view)
        return _C.full(list(shape), 0.0, grad.dtype, grad.device)
    return _C.strided_copy_backward(grad, list(shape), list(strides), offset)


class Cat(Function):
    @staticmethod
    def forward(ctx, dim, *tensors):
        out = _C.cat_forward(list(tensors), dim)
        d = dim + out.ndim if dim < 0 else dim
        ctx.dim = d
        # torch skips 1-D empty tensors when the others have more dims
        ctx.used = [not (t.ndim == 1 and t.shape[0] == 0 and out.ndim != 1) for t in tensors]
        ctx.sizes = [t.shape[d] for t, u in zip(tensors, ctx.used) if u]
        return out

    @staticmethod
    def backward(ctx, grad):
        pieces = iter(_C.cat_backward(grad, ctx.sizes, ctx.dim))
        return (None,) + tuple(next(pieces) if u else None for u in ctx.used)


class Stack(Function):
    @staticmethod
    def forward(ctx, dim, *tensors):
        shape = list(tensors[0].shape)
        ctx.dim, ctx.shape = dim, shape
        new = shape[:dim] + [1] + shape[dim:]
        return _C.cat_forward([t._view(new) for t in tensors], dim)

    @staticmethod
    def backward(ctx, grad):
        n = grad.shape[ctx.dim]
        pieces = _C.cat_backward(grad, [1] * n, ctx.dim)
        return (None,) + tuple(p._view(ctx.shape) for p in pieces)


class Split(Function):
    """Pieces of `sizes` along `dim`; with squeeze=True the dim is dropped (unbind)."""

    @staticmethod
    def forward(ctx, x, sizes, dim, squeeze):
        ctx.dim, ctx.squeeze = dim, squeeze
        pieces = _C.split_forward(x, list(sizes), dim)
        if squeeze:
            shape = list(x.shape)
            del shape[dim]
            pieces = [p._view(shape) for p in pieces]
        ctx.piece_shapes = [list(p.shape) for p in pieces]
        return tuple(pieces)

    @staticmethod
    def backward(ctx, *grads):
        if ctx.squeeze:
            grads = [g._view(g.shape[: ctx.dim] + (1,) + g.shape[ctx.dim :]) for g in grads]
        return _C.split_backward(list(grads), ctx.dim), None, None, None


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


def reshape(input, *shape):
    """reshape(input, shape): a tensor with the same data and `shape` (one -1 is inferred)."""
    check_tensor("reshape", input)
    shape = _infer_shape(_size_args(shape, "reshape"), input.shape, "reshape")
    return Reshape.apply(input, shape)


def _view(self, *shape):
    check_tensor("view", self)
    shape = _infer_shape(_size_args(shape, "view"), self.shape, "view")
    return Reshape.apply(self, shape)


def _view_as(self, other):
    return _view(self, list(other.shape))


def _reshape_as(self, other):
    return reshape(self, list(other.shape))


def flatten(input, start_dim=0, end_dim=-1):
    check_tensor("flatten", input)
    shape = list(input.shape)
    if not shape:
        return Reshape.apply(input, [1])
    s = _wrap_dim(start_dim, len(shape), "flatten")
    e = _wrap_dim(end_dim, len(shape), "flatten")
    if s > e:
        raise ValueError(f"flatten: start_dim {start_dim} cannot come after end_dim {end_dim}")
    return Reshape.apply(input, shape[:s] + [_prod(shape[s : e + 1])] + shape[e + 1 :])


def unflatten(input, dim, sizes):
    check_tensor("unflatten", input)
    shape = list(input.shape)
    d = _wrap_dim(dim, len(shape), "unflatten")
    sizes = _size_args((sizes,), "unflatten")
    if not sizes:
        raise ValueError("unflatten: sizes must be non-empty")
    sizes = _infer_shape(sizes, [shape[d]], "unflatten")
    return Reshape.apply(input, shape[:d] + sizes + shape[d + 1 :])


def squeeze(input, dim=None):
    check_tensor("squeeze", input)
    shape = list(input.shape)
    if dim is None:
        dims = set(range(len(shape)))
    elif isinstance(dim, (tuple, list)):
        dims = {_wrap_dim(d, len(shape), "squeeze") for d in dim}
    else:
        dims = {_wrap_dim(dim, len(shape), "squeeze")}
    new = [s for i, s in enumerate(shape) if not (i in dims and s == 1)]
    return Reshape.apply(input, new)


def unsqueeze(input, dim):
    check_tensor("unsqueeze", input)
    shape = list(input.shape)
    d = _wrap_dim(dim, len(shape) + 1, "unsqueeze")
    return Reshape.apply(input, shape[:d] + [1] + shape[d:])


def permute(input, *dims):
    check_tensor("permute", input)
    dims = _size_args(dims, "permute")
    n = input.ndim
    if len(dims) != n:
        raise ValueError(
            f"permute: the number of dims {len(dims)} in {tuple(dims)} does not match the rank "
            f"{n} of input {_fmt(input.shape)}"
        )
    wrapped = [_wrap_dim(d, n, "permute") for d in dims]
    if sorted(wrapped) != list(range(n)):
        raise ValueError(f"permute: dims {tuple(dims)} are not a permutation of the dims of input {_fmt(input.shape)}")
    return Permute.apply(input, wrapped)


def transpose(input, dim0, dim1):
    check_tensor("transpose", input)
    n = input.ndim
    if n == 0:
        _wrap_dim(dim0, 0, "transpose")
        _wrap_dim(dim1, 0, "transpose")
        return Identity.apply(input)
    d0, d1 = _wrap_dim(dim0, n, "transpose"), _wrap_dim(dim1, n, "transpose")
    dims = list(range(n))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return Permute.apply(input, dims)


swapaxes = transpose
swapdims = transpose


def t(input):
    check_tensor("t", input)
    if input.ndim > 2:
        raise ValueError(f"t: expects a tensor with <= 2 dims, got {_fmt(input.shape)}; use transpose or mT")
    return Permute.apply(input, list(range(input.ndim))[::-1])


def _T(self):
    if self.ndim > 2:
        raise ValueError(f"T: expects a tensor with <= 2 dims, got {_fmt(self.shape)}; use permute or mT")
    return Permute.apply(self, list(range(self.ndim))[::-1])


def _mT(self):
    if self.ndim < 2:
        raise ValueError(f"mT: expects a tensor with at least 2 dims, got {_fmt(self.shape)}")
    return transpose(self, -2, -1)


def _expand_strides(in_shape, shape, op):
    n, m = len(in_shape), len(shape)
    if m < n:
        raise ValueError(
            f"{op}: the number of sizes provided ({m}) must be greater or equal to the number of "
            f"dims of the tensor {_fmt(in_shape)}"
        )
    st = _contig_strides(in_shape)
    out_shape, out_st = [], []
    for i, s in enumerate(shape):
        j = i - (m - n)
        if j < 0:
            if s < 0:
                raise ValueError(f"{op}: the size -1 is not allowed for a new leading dim, got {_fmt(shape)}")
            out_shape.append(s)
            out_st.append(0)
            continue
        cur = in_shape[j]
        if s == -1:
            s = cur
        if s < 0:
            raise ValueError(f"{op}: invalid size {s} in {_fmt(shape)}")
        if cur == s:
            out_shape.append(s)
            out_st.append(st[j] if s != 1 else 0)
        elif cur == 1:
            out_shape.append(s)
            out_st.append(0)
        else:
            raise ValueError(
                f"{op}: the expanded size {s} must match the existing size {cur} at non-singleton "
                f"dim {i}; target sizes {_fmt(shape)}, tensor sizes {_fmt(in_shape)}"
            )
    return out_shape, out_st


def expand(input, *sizes):
    check_tensor("expand", input)
    shape, strides = _expand_strides(list(input.shape), _size_args(sizes, "expand"), "expand")
    if shape == list(input.shape):
        return Identity.apply(input)
    return Expand.apply(input, shape, strides)


def broadcast_to(input, shape):
    check_tensor("broadcast_to", input)
    shape, strides = _expand_strides(list(input.shape), _size_args((shape,), "broadcast_to"), "broadcast_to")
    if shape == list(input.shape):
        return Identity.apply(input)
    return Expand.apply(input, shape, strides)


def _expand_as(self, other):
    return expand(self, list(other.shape))


def _contiguous(self):
    return Identity.apply(self)


def _tensor_list(tensors, op):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}: expected a list or tuple of tensors, got {type(tensors).__name__}")
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{op}: expected a non-empty list of tensors")
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}: expected a Tensor at position {i}, got {type(x).__name__}")
    return tensors


def cat(tensors, dim=0):
    tensors = _tensor_list(tensors, "cat")
    if not is_int(dim):
        raise TypeError(f"cat: dim must be an int, got {type(dim).__name__}")
    return Cat.apply(int(dim), *tensors)


concat = cat
concatenate = cat


def stack(tensors, dim=0):
    tensors = _tensor_list(tensors, "stack")
    shape = tuple(tensors[0].shape)
    for i, x in enumerate(tensors):
        if tuple(x.shape) != shape:
            raise ValueError(
                f"stack: expects each tensor to be equal size, but got {_fmt(shape)} at entry 0 "
                f"and {_fmt(x.shape)} at entry {i}"
            )
    d = _wrap_dim(dim, len(shape) + 1, "stack")
    return Stack.apply(d, *tensors)


def _split_sizes(n, split_size, op):
    if is_int(split_size):
        s = int(split_size)
        if s < 0 or (s == 0 and n != 0):
            raise ValueError(f"{op}: split_size must be a positive integer, got {s}")
        if n == 0:
            return [0]
        return [s] * (n // s) + ([n % s] if n % s else [])
    sizes = _size_args((split_size,), op)
    if any(s < 0 for s in sizes) or sum(sizes) != n:
        raise ValueError(f"{op}: split sizes {tuple(sizes)} must be non-negative and sum to the dim size {n}")
    return sizes


def split(tensor, split_size_or_sections, dim=0):
    check_tensor("split", tensor)
    if tensor.ndim == 0:
        raise ValueError("split: expected a tensor with at least one dim, got a 0-d tensor")
    d = _wrap_dim(dim, tensor.ndim, "split")
    sizes = _split_sizes(tensor.shape[d], split_size_or_sections, "split")
    return Split.apply(tensor, sizes, d, False)


def chunk(input, chunks, dim=0):
    check_tensor("chunk", input)
    if not is_int(chunks) or chunks <= 0:
        raise ValueError(f"chunk: chunks must be a positive integer, got {chunks!r}")
    if input.ndim == 0:
        raise ValueError("chunk: expected a tensor with at least one dim, got a 0-d tensor")
    d = _wrap_dim(dim, input.ndim, "chunk")
    n = input.shape[d]
    if n == 0:
        sizes = [0] * int(chunks)
    else:
        sizes = _split_sizes(n, -(-n // int(chunks)), "chunk")
    return Split.apply(input, sizes, d, False)


def unbind(input, dim=0):
    check_tensor("unbind", input)
    if input.ndim == 0:
        raise ValueError("unbind: expected a tensor with at least one dim, got a 0-d tensor")
    d = _wrap_dim(dim, input.ndim, "unbind")
    n = input.shape[d]
    if n == 0:
        return ()
    return Split.apply(input, [1] * n, d, True)


def narrow(input, dim, start, length):
    check_tensor("narrow", input)
    if input.ndim == 0:
        raise ValueError("narrow: cannot narrow a 0-d tensor")
    d = _wrap_dim(dim, input.ndim, "narrow")
    shape = list(input.shape)
    n = shape[d]
    if isinstance(start, Tensor):
        start = start.item()
    start, length = int(start), int(length)
    if start < -n or start > n:
        raise IndexError(f"narrow: start {start} is out of range for dim {d} of size {n} (expected [{-n}, {n}])")
    if start < 0:
        start += n
    if length < 0 or start + length > n:
        raise ValueError(
            f"narrow: start ({start}) + length ({length}) exceeds dim {d} of size {n} (input {_fmt(shape)})"
        )
    st = _contig_strides(shape)
    sizes = list(shape)
    sizes[d] = length
    return StridedView.apply(input, sizes, st, start * st[d])


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
    "arrays are valid indices, got "
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
    if isinstance(item, (list, tuple, np.ndarray)):
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
        _C.strided_assign(self, sizes, strides, offset, v)
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
    _C.index_put(self, pos._view([pos.numel()]), v._view([v.numel()]))


TENSOR_METHODS = {
    "reshape": reshape,
    "view": _view,
    "view_as": _view_as,
    "reshape_as": _reshape_as,
    "flatten": flatten,
    "unflatten": unflatten,
    "squeeze": squeeze,
    "unsqueeze": unsqueeze,
    "transpose": transpose,
    "swapaxes": transpose,
    "swapdims": transpose,
    "t": t,
    "permute": permute,
    "expand": expand,
    "expand_as": _expand_as,
    "broadcast_to": broadcast_to,
    "contiguous": _contiguous,
    "narrow": narrow,
    "split": split,
    "chunk": chunk,
    "unbind": unbind,
    "index_select": index_select,
    "gather": gather,
    "scatter_add": scatter_add,
    "index_add": index_add,
    "__getitem__": _getitem,
    "__setitem__": _setitem,
    "T": property(_T),
    "mT": property(_mT),
}
