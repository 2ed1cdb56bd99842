"""Elementwise ops with NumPy broadcasting: arithmetic, pow, maximum/minimum, unary maths, clamp,
comparisons, logical ops, where, sum_to, and the operator methods (``+``, ``==``, ``&``...).

Type promotion follows torch: bool < uint8, int8 < int16 < int32 < int64 < float32 < float64 (uint8
with int8 is int16) among tensors of rank >= 1; a 0-d
tensor or a Python scalar only raises the result's *category* (an int64 tensor plus 2.5 is float32,
a float32 tensor plus a float64 0-d tensor stays float32). Operands are cast with a differentiable
cast before the kernel runs; tensor-scalar ops pass the scalar by value (no scalar tensor).

Arithmetic is defined on float32/float64/int64 (a bool or uint8/int8/int16/int32 tensor must be
converted first, except where promotion does it: ``bool_tensor + 1`` is int64, ``uint8_tensor / 255``
float32); the kernels refuse the others with a TypeError naming the op and the dtype. exp/log/sqrt and true division turn integer and
bool inputs into float32 as torch does. Comparisons work on every dtype and give bool tensors;
``&``, ``|`` and ``~`` are logical and take bool tensors only.

The in-place updates (``add_``, ``fill_``, ``+=``...) are in ``kernels.ops.inplace``.
"""
from __future__ import annotations

import numpy as np

from .. import _C
from .._args import check_tensor
from ..autograd import Function
from ..tensor import ToDtype

Tensor = _C.Tensor
_BOOL, _INT, _F32, _F64 = _C.dtype.bool, _C.dtype.int64, _C.dtype.float32, _C.dtype.float64
_U8, _I8, _I16, _I32 = _C.dtype.uint8, _C.dtype.int8, _C.dtype.int16, _C.dtype.int32
# torch's lattice: bool < uint8, int8 < int16 < int32 < int64 < float32 < float64, where uint8 and
# int8 together give int16.
_ORDER = {_BOOL: 0, _U8: 1, _I8: 1, _I16: 2, _I32: 3, _INT: 4, _F32: 5, _F64: 6}
_CATEGORY = {_BOOL: 0, _U8: 1, _I8: 1, _I16: 1, _I32: 1, _INT: 1, _F32: 2, _F64: 2}

__all__ = [
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "neg", "negative",
    "pow", "exp", "log", "sqrt", "log1p", "expm1", "sin", "cos", "abs", "sign", "clamp", "clip", "clamp_min", "clamp_max",
    "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge", "where", "logical_and", "logical_or",
    "logical_not", "sum_to", "result_type",
]


# ---------------------------------------------------------------------------- type promotion


def _is_scalar(x) -> bool:
    return isinstance(x, (bool, int, float, np.bool_, np.integer, np.floating))


def _scalar_dtype(s):
    if isinstance(s, (bool, np.bool_)):
        return _BOOL
    if isinstance(s, (int, np.integer)):
        return _INT
    return _F32  # a Python float counts as the default float dtype


def _promote(a, b):
    if a is None:
        return b
    if b is None:
        return a
    if {a, b} == {_U8, _I8}:
        return _I16
    return a if _ORDER[a] >= _ORDER[b] else b


def _combine(higher, lower):
    """torch's combine_categories: `lower` only matters if it is of a higher category."""
    if higher is None:
        return lower
    if lower is None or _CATEGORY[higher] == 2:
        return higher
    if higher == _BOOL or _CATEGORY[lower] == 2:
        return _promote(higher, lower)
    return higher


def result_type(*operands):
    """The dtype torch would compute for an op on these tensors and Python scalars."""
    dim = zero = wrapped = None
    for x in operands:
        if isinstance(x, Tensor):
            if x.ndim > 0:
                dim = _promote(dim, x.dtype)
            else:
                zero = _promote(zero, x.dtype)
        elif _is_scalar(x):
            wrapped = _promote(wrapped, _scalar_dtype(x))
        else:
            raise TypeError(f"result_type: expected tensors or numbers, got {type(x).__name__}")
    return _combine(dim, _combine(zero, wrapped))


def _cast(t, dtype):
    """Differentiable cast (a no-op when the dtype already matches)."""
    return t if t.dtype == dtype else ToDtype.apply(t, dtype)


def _check_operands(op, a, b):
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    for v in (a, b):
        if not isinstance(v, Tensor) and not _is_scalar(v):
            raise TypeError(f"{op}: expected a Tensor or a number, got {type(v).__name__}")
    if not (ta or tb):
        raise TypeError(f"{op}: expected at least one Tensor, got {type(a).__name__} and {type(b).__name__}")
    return ta, tb


def _prepare(op, a, b, floating=False):
    """Promote both operands to the common dtype (float32 at least when `floating`)."""
    if isinstance(a, Tensor) and isinstance(b, Tensor):  # the common case: nothing to promote
        dt = a.dtype  # one object per dtype, so `is` compares them (pybind's == is a call)
        if dt is b.dtype and (not floating or dt is _F32 or dt is _F64):
            return a, b, True, True
    ta, tb = _check_operands(op, a, b)
    dt = result_type(a, b)
    if floating and not dt.is_floating_point:
        dt = _F32
    if ta:
        a = _cast(a, dt)
    if tb:
        b = _cast(b, dt)
    return a, b, ta, tb


def _floating(t):
    return t if t.dtype.is_floating_point else _C.to_dtype(t, _F32)


# ---------------------------------------------------------------------------- Functions
# One autograd Function per op. Ops whose Functions differ only in the kernels they call are
# built by the small factories below; each still gets its own class (Exp, Mul, PowScalar, ...),
# so grad_fn names read ExpBackward, MulBackward, PowScalarBackward as for a hand-written class.


def _function(name, forward, backward, doc=None):
    """A Function subclass called `name` with these static forward/backward methods."""
    return type(name, (Function,), {
        "forward": staticmethod(forward), "backward": staticmethod(backward), "__doc__": doc,
    })


# Binary tensor-tensor ops. Every backward returns gradients already summed to each input's shape.


def _shape_binary(name):
    """_C.<name>_forward(a, b), whose gradients need only the operands' shapes (add, sub)."""
    fwd = getattr(_C, name + "_forward")
    bwd = getattr(_C, name + "_backward")

    def forward(ctx, a, b):
        if ctx.needs_input_grad:
            ctx.shapes = (a.shape, b.shape)
        return fwd(a, b)

    def backward(ctx, grad):
        return bwd(grad, *ctx.shapes, *ctx.needs_input_grad[:2])

    return _function(name.capitalize(), forward, backward,
                     f"{name}(a, b) with broadcasting; backward _C.{name}_backward from the shapes.")


def _saving_binary(name):
    """_C.<name>_forward(a, b), whose gradients need both operands."""
    fwd = getattr(_C, name + "_forward")
    bwd = getattr(_C, name + "_backward")

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return fwd(a, b)

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return bwd(grad, a, b, *ctx.needs_input_grad[:2])

    return _function(name.capitalize(), forward, backward,
                     f"{name}(a, b) with broadcasting; backward _C.{name}_backward.")


Add = _shape_binary("add")
Sub = _shape_binary("sub")
Mul = _saving_binary("mul")
Div = _saving_binary("div")
Pow = _saving_binary("pow")
Maximum = _saving_binary("maximum")
Minimum = _saving_binary("minimum")


# Tensor-scalar ops: the scalar is a Python float passed to the kernel by value.


class AddScalar(Function):
    @staticmethod
    def forward(ctx, a, s):
        return _C.add_scalar_forward(a, s)

    @staticmethod
    def backward(ctx, grad):
        return grad, None


class RSubScalar(Function):  # s - a
    @staticmethod
    def forward(ctx, a, s):
        return _C.rsub_scalar_forward(a, s)

    @staticmethod
    def backward(ctx, grad):
        return _C.neg_backward(grad), None


def _linear_scalar(name, fwd):
    """a * s or a / s: linear in a, so the gradient is the same op applied to grad."""

    def forward(ctx, a, s):
        ctx.s = s
        return fwd(a, s)

    def backward(ctx, grad):
        return fwd(grad, ctx.s), None

    return _function(name, forward, backward)


def _saving_scalar(name, fwd, bwd):
    """A tensor-scalar op whose gradient needs the tensor operand."""

    def forward(ctx, a, s):
        ctx.save_for_backward(a)
        ctx.s = s
        return fwd(a, s)

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return bwd(grad, a, ctx.s), None

    return _function(name, forward, backward)


MulScalar = _linear_scalar("MulScalar", _C.mul_scalar_forward)  # a * s
DivScalar = _linear_scalar("DivScalar", _C.div_scalar_forward)  # a / s
RDivScalar = _saving_scalar("RDivScalar", _C.rdiv_scalar_forward, _C.rdiv_scalar_backward)  # s / a
PowScalar = _saving_scalar("PowScalar", _C.pow_scalar_forward, _C.pow_scalar_backward)  # a ** s
RPowScalar = _saving_scalar("RPowScalar", _C.rpow_scalar_forward, _C.rpow_scalar_backward)  # s ** a


# Unary ops.


class Neg(Function):
    @staticmethod
    def forward(ctx, x):
        return _C.neg_forward(x)

    @staticmethod
    def backward(ctx, grad):
        return _C.neg_backward(grad)


def _saving_unary(name, saves):
    """_C.<name>_forward(x) whose _C.<name>_backward(grad, t) needs t = the "input" x or the
    "output" y."""
    fwd = getattr(_C, name + "_forward")
    bwd = getattr(_C, name + "_backward")

    if saves == "output":
        def forward(ctx, x):
            y = fwd(x)
            ctx.save_for_backward(y)
            return y
    else:
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return fwd(x)

    def backward(ctx, grad):
        return bwd(grad, ctx.saved_tensors[0])

    return _function(name.capitalize(), forward, backward,
                     f"{name}(x); backward _C.{name}_backward from the {saves}.")


Exp = _saving_unary("exp", saves="output")  # dx = g y
Sqrt = _saving_unary("sqrt", saves="output")  # dx = g / (2 y)
Log = _saving_unary("log", saves="input")  # dx = g / x
Abs = _saving_unary("abs", saves="input")  # dx = g sign(x)
Log1p = _saving_unary("log1p", saves="input")  # dx = g / (1 + x)
Expm1 = _saving_unary("expm1", saves="output")  # dx = g (y + 1)
Sin = _saving_unary("sin", saves="input")  # dx = g cos(x)
Cos = _saving_unary("cos", saves="input")  # dx = -g sin(x)


class Sign(Function):
    @staticmethod
    def forward(ctx, x):
        return _C.sign_forward(x)

    @staticmethod
    def backward(ctx, grad):
        return _C.full(list(grad.shape), 0.0, grad.dtype, grad.device)


class Clamp(Function):
    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x)
        ctx.bounds = (lo, hi)
        return _C.clamp_forward(x, lo, hi)

    @staticmethod
    def backward(ctx, grad):
        return _C.clamp_backward(grad, ctx.saved_tensors[0], *ctx.bounds), None, None


class Where(Function):
    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        ctx.shapes = (list(a.shape), list(b.shape))
        return _C.where_forward(cond, a, b)

    @staticmethod
    def backward(ctx, grad):
        _, na, nb = ctx.needs_input_grad
        da, db = _C.where_backward(grad, ctx.saved_tensors[0], *ctx.shapes, na, nb)
        return None, da, db


def _broadcast_strides(src_shape, shape):
    """Element strides that read a contiguous `src_shape` tensor as the broadcast `shape`."""
    lead = len(shape) - len(src_shape)
    strides, st = [0] * len(shape), 1
    for d in range(len(src_shape) - 1, -1, -1):
        strides[lead + d] = 0 if src_shape[d] == 1 else st
        st *= src_shape[d]
    return strides


class SumTo(Function):
    @staticmethod
    def forward(ctx, t, shape):
        ctx.in_shape = list(t.shape)
        return _C.sum_to(t, list(shape))

    @staticmethod
    def backward(ctx, grad):
        strides = _broadcast_strides(list(grad.shape), ctx.in_shape)
        return _C.strided_copy_forward(grad, ctx.in_shape, strides, 0), None


# ---------------------------------------------------------------------------- public functions


def add(input, other, *, alpha=1):
    """input + alpha * other, broadcasting."""
    if alpha != 1:
        other = mul(other, alpha)
    a, b, ta, tb = _prepare("add", input, other)
    if ta and tb:
        return Add.apply(a, b)
    return AddScalar.apply(a, float(b)) if ta else AddScalar.apply(b, float(a))


def sub(input, other, *, alpha=1):
    """input - alpha * other, broadcasting."""
    if alpha != 1:
        other = mul(other, alpha)
    a, b, ta, tb = _prepare("sub", input, other)
    if ta and tb:
        return Sub.apply(a, b)
    return AddScalar.apply(a, -float(b)) if ta else RSubScalar.apply(b, float(a))


def mul(input, other):
    a, b, ta, tb = _prepare("mul", input, other)
    if ta and tb:
        return Mul.apply(a, b)
    return MulScalar.apply(a, float(b)) if ta else MulScalar.apply(b, float(a))


def div(input, other):
    """True division; integer and bool operands give float32 as in torch."""
    a, b, ta, tb = _prepare("div", input, other, floating=True)
    if ta and tb:
        return Div.apply(a, b)
    return DivScalar.apply(a, float(b)) if ta else RDivScalar.apply(b, float(a))


def pow(input, exponent):
    a, b, ta, tb = _prepare("pow", input, exponent)
    if ta and tb:
        return Pow.apply(a, b)
    return PowScalar.apply(a, float(b)) if ta else RPowScalar.apply(b, float(a))


def neg(input):
    return Neg.apply(input)


def exp(input):
    return Exp.apply(_floating(input))


def log(input):
    return Log.apply(_floating(input))


def sqrt(input):
    return Sqrt.apply(_floating(input))


def log1p(input):
    return Log1p.apply(_floating(input))


def expm1(input):
    return Expm1.apply(_floating(input))


def sin(input):
    return Sin.apply(_floating(input))


def cos(input):
    return Cos.apply(_floating(input))


def abs(input):
    return Abs.apply(input)


def sign(input):
    return Sign.apply(input)


def maximum(input, other):
    check_tensor("maximum", input)
    check_tensor("maximum", other, "other")
    a, b, _, _ = _prepare("maximum", input, other)
    return Maximum.apply(a, b)


def minimum(input, other):
    check_tensor("minimum", input)
    check_tensor("minimum", other, "other")
    a, b, _, _ = _prepare("minimum", input, other)
    return Minimum.apply(a, b)


def clamp(input, min=None, max=None):
    """min(max(input, min), max); the gradient passes where min <= input <= max. Tensor bounds
    broadcast and are applied with maximum/minimum."""
    check_tensor("clamp", input)
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = input
        if min is not None:
            out = maximum(out, min if isinstance(min, Tensor) else _C.full([], float(min), input.dtype, input.device))
        if max is not None:
            out = minimum(out, max if isinstance(max, Tensor) else _C.full([], float(max), input.dtype, input.device))
        return out
    for v, name in ((min, "min"), (max, "max")):
        if v is not None and not _is_scalar(v):
            raise TypeError(f"clamp: {name} must be a number or a Tensor, got {type(v).__name__}")
    x = input
    dt = result_type(x, *(v for v in (min, max) if v is not None))
    if x.dtype != dt and x.dtype != _BOOL:
        x = _cast(x, dt)
    lo = None if min is None else float(min)
    hi = None if max is None else float(max)
    return Clamp.apply(x, lo, hi)


clip = clamp


def clamp_min(input, min):
    return clamp(input, min=min)


def clamp_max(input, max):
    return clamp(input, max=max)


_FLIP = {"eq": "eq", "ne": "ne", "lt": "gt", "le": "ge", "gt": "lt", "ge": "le"}


def _compare(name, a, b):
    ta, tb = _check_operands(name, a, b)
    if ta and tb:
        dt = result_type(a, b)
        a = a if a.dtype == dt else _C.to_dtype(a, dt)
        b = b if b.dtype == dt else _C.to_dtype(b, dt)
        return getattr(_C, name + "_forward")(a, b)
    # The kernel compares floating tensors in their own type and integer tensors exactly.
    if ta:
        return getattr(_C, name + "_scalar_forward")(a, float(b))
    return getattr(_C, _FLIP[name] + "_scalar_forward")(b, float(a))


def _comparison(name):
    def compare(input, other):
        return _compare(name, input, other)

    compare.__name__ = compare.__qualname__ = name
    compare.__doc__ = f"{name}(input, other): elementwise comparison with broadcasting, a bool tensor."
    return compare


eq = _comparison("eq")
ne = _comparison("ne")
lt = _comparison("lt")
le = _comparison("le")
gt = _comparison("gt")
ge = _comparison("ge")


def _as_bool(op, x, like=None):
    if isinstance(x, Tensor):
        return x if x.dtype == _BOOL else _C.ne_scalar_forward(x, 0.0)
    if _is_scalar(x) and like is not None:
        return _C.full([], float(bool(x)), _BOOL, like.device)
    raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")


def logical_and(input, other):
    check_tensor("logical_and", input)
    return _C.logical_and_forward(_as_bool("logical_and", input), _as_bool("logical_and", other, input))


def logical_or(input, other):
    check_tensor("logical_or", input)
    return _C.logical_or_forward(_as_bool("logical_or", input), _as_bool("logical_or", other, input))


def logical_not(input):
    check_tensor("logical_not", input)
    return _C.logical_not_forward(_as_bool("logical_not", input))


def where(condition, input, other):
    """condition ? input : other, broadcasting all three; condition must be a bool tensor."""
    check_tensor("where", condition, "condition")
    if condition.dtype != _BOOL:
        raise TypeError(f"where: condition must be a bool tensor, got {condition.dtype} of shape "
                        f"{tuple(condition.shape)}")
    # both may be numbers (torch.where(c, 1.0, 0.0)): the condition already gives shape and device
    for v in (input, other):
        if not isinstance(v, Tensor) and not _is_scalar(v):
            raise TypeError(f"where: expected a Tensor or a number, got {type(v).__name__}")
    dt = result_type(input, other)
    dev = condition.device
    a = _cast(input, dt) if isinstance(input, Tensor) else _C.full([], float(input), dt, dev)
    b = _cast(other, dt) if isinstance(other, Tensor) else _C.full([], float(other), dt, dev)
    return Where.apply(condition, a, b)


def sum_to(t, shape):
    """Sum `t` over its broadcast dims down to `shape` (leading dims dropped, size-1 dims kept):
    the gradient of broadcasting from `shape` to t.shape."""
    check_tensor("sum_to", t)
    shape = tuple(int(s) for s in shape)
    if tuple(t.shape) == shape:
        return t
    return SumTo.apply(t, shape)


subtract, multiply, divide, true_divide, negative = sub, mul, div, div, neg


# ---------------------------------------------------------------------------- operators


def _binop(fn, reflected=False):
    def method(self, other):
        if not isinstance(other, Tensor) and not _is_scalar(other):
            return NotImplemented
        return fn(other, self) if reflected else fn(self, other)

    return method


def _logical_binop(op, fn):
    def method(self, other):
        if not isinstance(other, Tensor) and not isinstance(other, (bool, np.bool_)):
            return NotImplemented
        for v in (self, other):
            if isinstance(v, Tensor) and v.dtype != _BOOL:
                raise TypeError(f"{op}: only bool tensors are supported (logical {op[2:-2]}), got {v.dtype}")
        return fn(self, other)

    return method


def _invert(self):
    if self.dtype != _BOOL:
        raise TypeError(f"__invert__: only bool tensors are supported (logical not), got {self.dtype}")
    return _C.logical_not_forward(self)
