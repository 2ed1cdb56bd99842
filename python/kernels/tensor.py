"""The user-facing Tensor: creation functions, conversions, autograd attributes, repr.

``kernels.Tensor`` is the C++ class ``_C.Tensor``; every Python method it has is installed from
the one table in ``install_tensor_methods`` at the end of this module. Every op method is a thin
call into an autograd ``Function`` (in ``kernels.ops``) whose forward and backward run the C++
kernels.
"""
from __future__ import annotations

import builtins

import numpy as np

from . import _C
from . import autograd
from ._args import as_flag
from ._device import (
    _CPU,
    _infer_numpy,
    as_device,
    as_dtype,
    as_shape,
    bool_,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    numpy_dtype,
    uint8,
)
from .autograd import Function

Tensor = _C.Tensor


# ---------------------------------------------------------------- creation


def tensor(data, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A new tensor holding a copy of ``data`` (a number, nested lists, a NumPy array, a Tensor)."""
    dev = as_device(device)
    if isinstance(data, Tensor):
        src = data._raw()
        out = src.to(dtype=as_dtype(dtype, src.dtype), device=dev)
        out = _C.clone(out) if out._same_storage(src) else out
    else:
        want = as_dtype(dtype)
        arr = _infer_numpy(data, None if want is None else np.dtype(numpy_dtype(want)))
        host = _C.clone(_C.from_numpy(np.asarray(arr, order="C")))
        if want is not None and host.dtype != want:
            # A NumPy array of another dtype converts as a tensor would (torch's casts: 300.7 ->
            # uint8 44, NaN -> int64 -2**63), without NumPy's undefined float -> int casts.
            host = _C.to_dtype(host, want)
        out = host if dev == _CPU else _C.to_device(host, dev)
    return _with_grad(out, requires_grad, "tensor")


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory when ``data`` already is a matching Tensor or a
    C-contiguous NumPy array of a supported dtype on the CPU."""
    dev = as_device(device)
    want = as_dtype(dtype)
    if isinstance(data, Tensor):
        return data.to(dtype=want or data.dtype, device=dev)
    if isinstance(data, np.ndarray) and dev == _CPU and data.flags.c_contiguous:
        arr = _infer_numpy(data)
        if want is None or numpy_dtype(want) == arr.dtype:
            return _C.from_numpy(arr)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing ``array``'s memory (C-contiguous float32/float64/int64/int32/int16/int8/
    uint8/bool, as torch: the dtype is kept)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return _C.from_numpy(array)


def from_dlpack(obj) -> Tensor:
    """A tensor sharing memory with any DLPack producer (a torch tensor, a NumPy array...)."""
    if hasattr(obj, "__dlpack__"):
        kind, _ = obj.__dlpack_device__()
        # CUDA producers: stream 1 is the legacy default stream that every kernel here uses.
        capsule = obj.__dlpack__(stream=1) if int(kind) == 2 else obj.__dlpack__()
    else:
        capsule = obj
    return _C.from_dlpack_capsule(capsule)


def _new(shape_args, op, value, dtype, device, requires_grad, default_dtype=float32):
    shape = as_shape(shape_args, op)
    out = _C.full(shape, value, as_dtype(dtype, default_dtype), as_device(device))
    return _with_grad(out, requires_grad, op)


def _with_grad(out, requires_grad, op):
    """`out`, made to require grad when `requires_grad` (a bool, as torch insists) is True."""
    if as_flag(op, "requires_grad", requires_grad):
        out.requires_grad_(True)
    return out


def zeros(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _new(size, "zeros", 0.0, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _new(size, "ones", 1.0, dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    # Filled with zeros: uninitialised memory makes bugs irreproducible and costs little to avoid.
    return _new(size, "empty", 0.0, dtype, device, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    if dtype is None:  # torch infers the dtype from the fill value
        dtype = bool_ if isinstance(fill_value, bool) else int64 if isinstance(fill_value, int) else float32
    # A Python int goes to the kernel as an int: a double would round 2**62 + 1.
    value = int(fill_value) if isinstance(fill_value, int) else builtins.float(fill_value)
    return _new((size,), "full", value, dtype, device, requires_grad)


def _like(t, dtype, device):
    return (as_dtype(dtype, t.dtype), as_device(device) if device is not None else t.device)


def zeros_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    dt, dev = _like(t, dtype, device)
    return zeros(t.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def ones_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    dt, dev = _like(t, dtype, device)
    return ones(t.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def empty_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    return zeros_like(t, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    dt, dev = _like(t, dtype, device)
    return full(t.shape, fill_value, dtype=dt, device=dev, requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in (start, end, step))
        dtype = int64 if ints else float32
    out = _C.arange(builtins.float(start), builtins.float(end), builtins.float(step),
                    as_dtype(dtype), as_device(device))
    return _with_grad(out, requires_grad, "arange")


# ---------------------------------------------------------------- differentiable conversions


class ToDtype(Function):
    @staticmethod
    def forward(ctx, x, dtype):
        ctx.src_dtype = x.dtype
        return _C.to_dtype(x, dtype)

    @staticmethod
    def backward(ctx, grad):
        if not ctx.src_dtype.is_floating_point:
            return None, None
        return _C.to_dtype(grad, ctx.src_dtype), None


class ToDevice(Function):
    @staticmethod
    def forward(ctx, x, device):
        ctx.src_device = x.device
        return _C.to_device(x, device)

    @staticmethod
    def backward(ctx, grad):
        return _C.to_device(grad, ctx.src_device), None


class Clone(Function):
    @staticmethod
    def forward(ctx, x):
        return _C.clone(x)

    @staticmethod
    def backward(ctx, grad):
        return grad


def _parse_to(args, kwargs, *, accept_copy=True, unexpected="to: unexpected arguments",
              expected="to: expected a dtype, a device or a tensor"):
    """(dtype, device, copy) from the arguments of ``Tensor.to`` or ``nn.Module.to``: positional
    dtypes, devices and tensors, and the keywords dtype, device, non_blocking (ignored) and, when
    `accept_copy`, copy. `unexpected` and `expected` open the TypeError messages."""
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    kwargs.pop("non_blocking", None)
    copy = kwargs.pop("copy", False) if accept_copy else False
    if kwargs:
        raise TypeError(f"{unexpected} {sorted(kwargs)}")
    for a in args:
        if isinstance(a, _C.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif isinstance(a, (str, _C.device, int)) and not isinstance(a, bool):
            device = a
        else:
            raise TypeError(f"{expected}, got {a!r}")
    return dtype, device, copy


def _to(self, *args, **kwargs):
    dtype, device, copy = _parse_to(args, kwargs)
    out = self
    if device is not None:
        dev = as_device(device)
        if dev != out.device:
            out = ToDevice.apply(out, dev)
    if dtype is not None and dtype != out.dtype:
        out = ToDtype.apply(out, as_dtype(dtype))
    if copy and out is self:
        out = Clone.apply(self)
    return out


def _cuda(self, device=None):
    return _to(self, as_device("cuda" if device is None else device))


# ---------------------------------------------------------------- autograd attributes


def _get_requires_grad(self):
    return self._requires_grad


def _set_requires_grad(self, flag):
    as_flag("requires_grad", "requires_grad", flag)
    if flag and not self.dtype.is_floating_point:
        raise RuntimeError(
            f"requires_grad: only floating point tensors can require gradients, got {self.dtype}"
        )
    if not flag and self.grad_fn is not None:
        raise RuntimeError(
            "requires_grad: you can only change requires_grad of leaf tensors; use detach() on a "
            "non-leaf tensor"
        )
    self._requires_grad = flag


def _requires_grad_(self, requires_grad=True):
    _set_requires_grad(self, as_flag("requires_grad_", "requires_grad", requires_grad))
    return self


def _get_grad(self):
    return self._grad


def _set_grad(self, grad):
    """``t.grad = g``: None, or a Tensor of t's shape, dtype and device (torch's checks)."""
    # The common case in one C++ call; the checks below name what differs.
    if grad is not None and not (isinstance(grad, Tensor) and grad is not self and grad._same_meta(self)):
        op = f"{type(self).__name__}.grad"
        if not isinstance(grad, Tensor):
            raise TypeError(f"{op}: assigned grad expected to be a Tensor or None, got "
                            f"{type(grad).__name__} {grad!r}")
        if grad is self:
            raise RuntimeError(f"{op}: can't assign a tensor as its own grad")
        if grad.dtype != self.dtype:
            raise RuntimeError(f"{op}: assigned grad has dtype {grad.dtype} but the tensor is "
                               f"{self.dtype}; they must match")
        if grad.device != self.device:
            raise RuntimeError(f"{op}: assigned grad is on {grad.device} but the tensor is on "
                               f"{self.device}; they must match")
        if tuple(grad.shape) != tuple(self.shape):
            raise RuntimeError(f"{op}: assigned grad has shape {tuple(grad.shape)} but the tensor has "
                               f"shape {tuple(self.shape)}; they must match")
    self._grad = grad


def _del_grad(self):
    self._grad = None


def _detach(self):
    return self._raw()


def _backward(self, gradient=None, retain_graph=False):
    autograd.backward(self, gradient, retain_graph=retain_graph)


# ---------------------------------------------------------------- conversions to Python / NumPy

_numpy_impl = Tensor.numpy


def _numpy(self, force=False):
    if self.requires_grad and not force:
        raise RuntimeError(
            "numpy: can't call numpy() on a tensor that requires grad; use tensor.detach().numpy()"
        )
    if force and self.is_cuda:
        return _numpy_impl(_C.to_device(self, _CPU))
    return _numpy_impl(self)


def _array(self, dtype=None, copy=None):
    if self.is_cuda:
        raise TypeError(
            f"__array__: can't convert a tensor on {self.device} to NumPy; call .cpu() first"
        )
    arr = _numpy_impl(self)
    if dtype is not None and np.dtype(dtype) != arr.dtype:
        if copy is False:
            raise ValueError("__array__: a dtype change needs a copy but copy=False was given")
        return arr.astype(dtype)
    return arr.copy() if copy else arr


def _tolist(self):
    return _numpy_impl(self if not self.is_cuda else _C.to_device(self, _CPU)).tolist()


def _scalar(self, kind):
    if self.numel() != 1:
        raise ValueError(
            f"{kind.__name__}: only a tensor with one element can be converted to a Python scalar, "
            f"got shape {tuple(self.shape)}"
        )
    return kind(self.item())


def _bool(self):
    if self.numel() != 1:
        raise RuntimeError(
            f"bool: the truth value of a tensor with {self.numel()} elements is ambiguous"
        )
    return builtins.bool(self.item())


def _len(self):
    if self.ndim == 0:
        raise TypeError("len() of a 0-d tensor")
    return self.shape[0]


def _iter(self):
    if self.ndim == 0:
        raise TypeError("iteration over a 0-d tensor")
    return (self[i] for i in range(self.shape[0]))


def _size(self, dim=None):
    if dim is None:
        return self.shape
    nd = self.ndim
    if not -max(nd, 1) <= dim < max(nd, 1):
        raise IndexError(f"size: dim {dim} is out of range for a tensor of rank {nd}")
    return self.shape[dim]


# ---------------------------------------------------------------- repr


def _format_values(arr: np.ndarray, indent: int) -> str:
    kw = dict(separator=", ", prefix=" " * indent, threshold=1000, edgeitems=3, max_line_width=80)
    if arr.dtype.kind == "f":
        finite = arr[np.isfinite(arr)]
        if finite.size and np.all(finite == np.round(finite)) and np.abs(finite).max() < 1e8:
            return np.array2string(arr, formatter={"float_kind": lambda v: f"{v:.0f}." if np.isfinite(v) else str(v)}, **kw)
        big = finite.size and (np.abs(finite).max() >= 1e8 or np.abs(finite[finite != 0]).min(initial=1) < 1e-4)
        if big:
            return np.array2string(arr, formatter={"float_kind": lambda v: f"{v:.4e}"}, **kw)
        return np.array2string(arr, precision=4, floatmode="fixed", **kw)
    if arr.dtype.kind == "b":
        width = 4 if arr.all() else 5
        return np.array2string(arr, formatter={"bool": lambda v: ("True" if v else "False").rjust(width)}, **kw)
    return np.array2string(arr, **kw)


def _format(self, spec):
    """As torch: a 0-d tensor formats as its Python number (f"{loss:.4f}"); otherwise only the
    empty spec is accepted (then it is str(self))."""
    if self.dim() == 0:
        return format(self.item(), spec)
    return object.__format__(self, spec)


def _repr(self):
    host = self if not self.is_cuda else _C.to_device(self, _CPU)
    body = _format_values(_numpy_impl(host), len("tensor("))
    extras = []
    if self.is_cuda:
        extras.append(f"device='{self.device}'")
    if self.dtype not in (float32, int64, bool_):
        extras.append(f"dtype={self.dtype!r}")
    if self.numel() == 0 and self.ndim != 1:
        extras.append(f"size={tuple(self.shape)}")
    if self.grad_fn is not None:
        extras.append(f"grad_fn=<{self.grad_fn.name()}>")
    elif self.requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + e for e in extras) + ")"


# ---------------------------------------------------------------- copy and pickle


def _set_data_property(self, value):
    if not isinstance(value, Tensor):
        raise TypeError(f"data: expected a Tensor, got {type(value).__name__}")
    self._set_data(value)


def _rebuild(array, device, requires_grad):
    t = tensor(array, device=device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _reduce_ex(self, protocol):
    host = self if not self.is_cuda else _C.to_device(self, _CPU)
    return (_rebuild, (np.array(_numpy_impl(host)), str(self.device), self.requires_grad))


def _deepcopy(self, memo):
    if self.grad_fn is not None:
        raise RuntimeError(
            "deepcopy: only leaf tensors (created by the user, not by an op) can be deep-copied; "
            "use detach() first"
        )
    if id(self) in memo:
        return memo[id(self)]
    out = _C.clone(self)
    if self.requires_grad:
        out.requires_grad_(True)
    if self.grad is not None:
        out.grad = _C.clone(self.grad)
    memo[id(self)] = out
    return out


# ---------------------------------------------------------------- the method table


def install_tensor_methods():
    """Give ``Tensor`` (the C++ class) every Python method and attribute it has, all from the one
    table below. ``kernels/__init__`` calls this once; the op modules import this module, so they
    are imported here, not at the top."""
    from .ops import activation as A, elementwise as E, indexing as X, inplace as I  # noqa: E741
    from .ops import matmul as M, reduce as R, shape as S, triangular as TR, vector_norm as VN
    from .ops import compare as CMP, masked as MF, multinomial as MN, random_fill as RF, tile as TL
    from .tensor_new import METHODS as NEW_AND_TYPE

    methods = {
        # autograd state and attributes
        "_requires_grad": False, "_grad": None, "grad_fn": None, "_output_nr": 0, "_view_epoch": None,
        "grad": property(_get_grad, _set_grad, _del_grad),
        "requires_grad": property(_get_requires_grad, _set_requires_grad),
        "is_leaf": property(lambda self: self.grad_fn is None),
        "data": property(lambda self: self._raw(), _set_data_property),
        "requires_grad_": _requires_grad_, "detach": _detach, "backward": _backward,
        # dtype / device conversions and copies
        "to": _to, "cpu": lambda self: _to(self, _CPU), "cuda": _cuda,
        "double": lambda self: _to(self, float64), "float": lambda self: _to(self, float32),
        "long": lambda self: _to(self, int64), "bool": lambda self: _to(self, bool_),
        "int": lambda self: _to(self, int32), "short": lambda self: _to(self, int16),
        "char": lambda self: _to(self, int8), "byte": lambda self: _to(self, uint8),
        "type_as": lambda self, other: _to(self, other.dtype),
        "clone": lambda self: Clone.apply(self), "contiguous": S._contiguous,
        "__reduce_ex__": _reduce_ex, "__deepcopy__": _deepcopy,
        # Python and NumPy protocols
        "element_size": lambda self: self.itemsize, "size": _size,
        "numpy": _numpy, "__array__": _array, "tolist": _tolist,
        "__array_priority__": 1000,  # NumPy defers to our operators: np.float64(2) * t is a Tensor
        "__float__": lambda self: _scalar(self, builtins.float),
        "__int__": lambda self: _scalar(self, builtins.int),
        "__bool__": _bool, "__len__": _len, "__iter__": _iter, "__repr__": _repr, "__str__": _repr,
        "__format__": _format,
        "__hash__": lambda self: id(self),
        # arithmetic operators (kernels.ops.elementwise)
        "__add__": E._binop(E.add), "__radd__": E._binop(E.add, reflected=True),
        "__sub__": E._binop(E.sub), "__rsub__": E._binop(E.sub, reflected=True),
        "__mul__": E._binop(E.mul), "__rmul__": E._binop(E.mul, reflected=True),
        "__truediv__": E._binop(E.div), "__rtruediv__": E._binop(E.div, reflected=True),
        "__pow__": E._binop(E.pow), "__rpow__": E._binop(E.pow, reflected=True),
        "__neg__": E.neg, "__pos__": lambda self: self, "__abs__": E.abs,
        "__matmul__": M._matmul_method, "__rmatmul__": M._rmatmul_method,
        # comparison and logical operators
        "__eq__": E._binop(E.eq), "__ne__": E._binop(E.ne), "__lt__": E._binop(E.lt),
        "__le__": E._binop(E.le), "__gt__": E._binop(E.gt), "__ge__": E._binop(E.ge),
        "__and__": E._logical_binop("__and__", E.logical_and),
        "__rand__": E._logical_binop("__rand__", lambda s, o: E.logical_and(s, o)),
        "__or__": E._logical_binop("__or__", E.logical_or),
        "__ror__": E._logical_binop("__ror__", lambda s, o: E.logical_or(s, o)),
        "__invert__": E._invert,
        # in place (kernels.ops.inplace)
        "__iadd__": I._iop("__iadd__", I.add_, E.add), "__isub__": I._iop("__isub__", I.sub_, E.sub),
        "__imul__": I._iop("__imul__", I.mul_, E.mul),
        "__itruediv__": I._iop("__itruediv__", I.div_, E.div),
        "add_": I.add_, "sub_": I.sub_, "mul_": I.mul_, "div_": I.div_, "zero_": I.zero_,
        "fill_": I.fill_, "copy_": I.copy_, "masked_fill_": MF.masked_fill_, "clamp_": MF.clamp_,
        "clip_": MF.clamp_, "clamp_min_": MF.clamp_min_, "clamp_max_": MF.clamp_max_,
        # in-place random fills (kernels.ops.random_fill)
        "normal_": RF.normal_, "uniform_": RF.uniform_, "bernoulli_": RF.bernoulli_, "bernoulli": RF.bernoulli,
        "multinomial": MN.multinomial,
        # elementwise maths
        "add": E.add, "sub": E.sub, "subtract": E.sub, "mul": E.mul, "multiply": E.mul,
        "div": E.div, "divide": E.div, "true_divide": E.div, "pow": E.pow, "neg": E.neg,
        "negative": E.neg, "exp": E.exp, "log": E.log, "sqrt": E.sqrt, "abs": E.abs,
        "log1p": E.log1p, "expm1": E.expm1, "sin": E.sin, "cos": E.cos, "tril": TR.tril, "triu": TR.triu,
        "masked_fill": MF.masked_fill, "sign": E.sign, "clamp": E.clamp, "clip": E.clamp, "clamp_min": E.clamp_min,
        "clamp_max": E.clamp_max, "maximum": E.maximum, "minimum": E.minimum,
        "eq": E.eq, "ne": E.ne, "lt": E.lt, "le": E.le, "gt": E.gt, "ge": E.ge,
        "logical_and": E.logical_and, "logical_or": E.logical_or, "logical_not": E.logical_not,
        "where": lambda self, condition, other: E.where(condition, self, other),
        # activations (kernels.ops.activation)
        "sigmoid": A.sigmoid, "tanh": A.tanh, "relu": A.relu, "relu_": A.relu_,
        "softmax": A._softmax_method, "log_softmax": A._log_softmax_method,
        # reductions (kernels.ops.reduce)
        "sum": R.sum, "mean": R.mean, "var": R.var, "std": R.std, "max": R.max, "min": R.min,
        "amax": R.amax, "amin": R.amin, "argmax": R.argmax, "argmin": R.argmin, "norm": VN.norm,
        # matrix products (kernels.ops.matmul)
        "matmul": M.matmul, "mm": M.mm, "bmm": M.bmm, "dot": M.dot,
        # shape (kernels.ops.shape)
        "reshape": S.reshape, "view": S._view, "view_as": S._view_as, "reshape_as": S._reshape_as,
        "flatten": S.flatten, "unflatten": S.unflatten, "squeeze": S.squeeze,
        "unsqueeze": S.unsqueeze, "transpose": S.transpose, "swapaxes": S.transpose,
        "swapdims": S.transpose, "t": S.t, "T": property(S._T), "mT": property(S._mT),
        "permute": S.permute, "expand": S.expand, "expand_as": S._expand_as,
        "broadcast_to": S.broadcast_to, "narrow": S.narrow, "split": S.split, "chunk": S.chunk,
        "unbind": S.unbind, "repeat": TL.repeat, "tile": TL.tile, "flip": TL.flip, "fliplr": TL.fliplr,
        "flipud": TL.flipud, "isclose": CMP.isclose, "allclose": CMP.allclose,
        # indexing (kernels.ops.indexing)
        "index_select": X.index_select, "gather": X.gather, "scatter_add": X.scatter_add,
        "index_add": X.index_add, "__getitem__": X._getitem, "__setitem__": X._setitem,
    }
    methods.update(NEW_AND_TYPE)
    for name, value in methods.items():
        setattr(Tensor, name, value)
    # Two float tensors of one dtype: the kernel, or the op's Function when there is a graph to
    # record, called from C++ without the general operator's promotion steps.
    _C._install_fast_operators(Tensor, {"__add__": E.Add.apply, "__sub__": E.Sub.apply,
                                        "__mul__": E.Mul.apply, "__truediv__": E.Div.apply})
