"""Shape ops: reshape/view, flatten, squeeze, unsqueeze, transpose, permute, expand, cat, stack,
split, chunk, unbind, narrow, and the strided views they share with ``kernels.ops.indexing``
(index_select, gather, scatter_add, index_add, ``Tensor.__getitem__`` / ``__setitem__``).

Tensors are always contiguous. Views that keep the row-major order (reshape, a contiguous block
picked by basic indexing, split along a leading dim) share memory with their input; everything
that needs strides (permute, slices with steps, expand) is materialised by one strided copy.
"""
from __future__ import annotations

import numbers

from .. import _C
from .._args import check_tensor, is_int
from ..autograd import Function
from .strided import _contig_strides, _fmt, as_view, mark_view, reshape_raw  # noqa: F401  (re-exported)

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
]


# ----------------------------------------------------------------------------- helpers


def _prod(xs):
    p = 1
    for v in xs:
        p *= v
    return p


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
        return mark_view(reshape_raw(x, shape), x)

    @staticmethod
    def backward(ctx, grad):
        return reshape_raw(grad, ctx.in_shape), None


class View(Reshape):
    """Tensor.view: never copies; a shape the strides cannot express raises, as in torch."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = list(x.shape)
        return mark_view(x._view_strict(list(shape)), x)


class Identity(Function):
    """A new handle on the same values; the gradient passes through."""

    @staticmethod
    def forward(ctx, x):
        return mark_view(x._raw(), x)

    @staticmethod
    def backward(ctx, grad):
        return grad


class Permute(Function):
    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return mark_view(_permute_raw(x, dims), x)

    @staticmethod
    def backward(ctx, grad):
        inv = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inv[d] = i
        return _permute_raw(grad, inv), None


def _permute_raw(x, dims):
    if list(dims) == list(range(len(dims))):
        return mark_view(x._raw(), x)
    shape, st = list(x.shape), x.stride()
    return _C.as_strided(x, [shape[d] for d in dims], [st[d] for d in dims], x.storage_offset())


class Expand(Function):
    @staticmethod
    def forward(ctx, x, shape, strides):
        ctx.in_shape = list(x.shape)
        return mark_view(as_view(x, list(shape), list(strides), 0), x)

    @staticmethod
    def backward(ctx, grad):
        if list(grad.shape) == ctx.in_shape:
            return grad, None, None
        return _C.sum_to(grad, ctx.in_shape), None, None


class StridedView(Function):
    """out = x.flat[offset + sum idx_d * strides_d]: basic indexing, narrow. A view: it shares
    x's memory."""

    @staticmethod
    def forward(ctx, x, sizes, strides, offset):
        ctx.in_shape = list(x.shape)
        ctx.strides = list(strides)
        ctx.offset = offset
        return mark_view(as_view(x, sizes, strides, offset), x)

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
        # Views of x, as torch's pieces are: writes through them reach x.
        shape, contig, start, pieces = list(x.shape), _contig_strides(x.shape), 0, []
        for n in sizes:
            piece_shape = shape[:dim] + [n] + shape[dim + 1:]
            piece = as_view(x, piece_shape, contig, start * contig[dim] if n else 0)
            if squeeze:
                piece = reshape_raw(piece, shape[:dim] + shape[dim + 1:])
            pieces.append(mark_view(piece, x))
            start += n
        ctx.piece_shapes = [list(p.shape) for p in pieces]
        return tuple(pieces)

    @staticmethod
    def backward(ctx, *grads):
        if ctx.squeeze:
            grads = [g._view(g.shape[: ctx.dim] + (1,) + g.shape[ctx.dim :]) for g in grads]
        return _C.split_backward(list(grads), ctx.dim), None, None, None


# ----------------------------------------------------------------------------- public functions


def reshape(input, *shape):
    """reshape(input, shape): a tensor with the same data and `shape` (one -1 is inferred)."""
    check_tensor("reshape", input)
    shape = _infer_shape(_size_args(shape, "reshape"), input.shape, "reshape")
    return Reshape.apply(input, shape)


def _view(self, *shape):
    check_tensor("view", self)
    shape = _infer_shape(_size_args(shape, "view"), self.shape, "view")
    return View.apply(self, shape)


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


class Contiguous(Function):
    @staticmethod
    def forward(ctx, x):
        return _C.contiguous(x) if not x.is_contiguous() else mark_view(x._raw(), x)

    @staticmethod
    def backward(ctx, grad):
        return grad


def _contiguous(self, memory_format=None):
    return Contiguous.apply(self)


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
