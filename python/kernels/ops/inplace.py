"""In-place updates, not recorded by autograd: ``add_``, ``sub_``, ``mul_``, ``div_``, ``zero_``,
``fill_``, ``copy_`` and the operators ``+=``, ``-=``, ``*=``, ``/=``.

While grad mode is on they refuse a tensor that requires grad (a leaf: torch's error; a non-leaf:
this library does not track versions, so it refuses rather than corrupt saved tensors) and an
operand that requires grad. The operators instead fall back to the out-of-place op in that case
(``h += x @ w`` records a graph and rebinds ``h``), except on a leaf that requires grad, which
raises as in torch.
"""
from __future__ import annotations

from .. import _C
from .._args import check_tensor
from ..autograd import is_grad_enabled
from .elementwise import _CATEGORY, _F32, _check_operands, _is_scalar, result_type

Tensor = _C.Tensor

__all__ = []  # Tensor methods only (kernels.tensor installs them)

_LEAF_MSG = "a leaf Variable that requires grad is being used in an in-place operation."


def _overlapping(t):
    return any(st == 0 and n > 1 for n, st in zip(t.shape, t.stride()))


def write_through(op, self, kernel):
    """Run the in-place `kernel(t)` on self. Kernels write contiguous memory, so a strided view
    is updated through a contiguous copy that is then written back into the storage it shares
    with its base (so `a.t()[0] += 1` and `x[:, ::2].zero_()` reach `a` and `x`, as in torch)."""
    if self.is_contiguous():
        kernel(self)
        return
    if _overlapping(self):
        raise RuntimeError(
            f"{op}: unsupported operation: more than one element of the written-to tensor (shape "
            f"{tuple(self.shape)}, strides {self.stride()}) refers to a single memory location; "
            "clone() the tensor before writing to it")
    tmp = _C.contiguous(self)
    kernel(tmp)
    _C.strided_assign(self._storage_flat(), list(self.shape), list(self.stride()), self.storage_offset(), tmp)


def _check_inplace(op, self, other=None):
    if not is_grad_enabled():
        return
    if self.requires_grad:
        if self.grad_fn is None:
            raise RuntimeError(f"{op}: {_LEAF_MSG}")
        raise RuntimeError(
            f"{op}: in-place operations on a tensor that is part of the autograd graph are not "
            "supported while grad mode is enabled; use the out-of-place op, or kernels.no_grad()"
        )
    if isinstance(other, Tensor) and other.requires_grad:
        raise RuntimeError(
            f"{op}: the other operand requires grad but in-place ops are not recorded by autograd; "
            "use the out-of-place op, or kernels.no_grad()"
        )


def _inplace_operand(op, self, other, floating=False):
    """Check that the result type can be stored in self's dtype (torch's rule) and cast `other`."""
    _check_operands(op, self, other)
    dt = result_type(self, other)
    if floating and not dt.is_floating_point:
        dt = _F32
    if _CATEGORY[dt] > _CATEGORY[self.dtype]:
        raise RuntimeError(f"{op}: result type {dt} can't be cast to the desired output type {self.dtype}")
    if isinstance(other, Tensor) and other.dtype != self.dtype:
        other = _C.to_dtype(other, self.dtype)
    return other


def _make_inplace(op, tensor_fn, scalar_fn, floating=False, negate=False):
    def method(self, other, *, alpha=1):
        _check_inplace(op, self, other)
        other = _inplace_operand(op, self, other, floating)
        if alpha != 1:
            other = _C.mul_scalar_forward(other, float(alpha)) if isinstance(other, Tensor) else other * alpha
        if isinstance(other, Tensor):
            write_through(op, self, lambda t: tensor_fn(t, other))
        else:
            value = -float(other) if negate else float(other)
            write_through(op, self, lambda t: scalar_fn(t, value))
        return self

    method.__name__ = op
    return method


add_ = _make_inplace("add_", _C.add_, _C.add_scalar_)
sub_ = _make_inplace("sub_", _C.sub_, _C.add_scalar_, negate=True)
_mul_ = _make_inplace("mul_", _C.mul_, _C.mul_scalar_)
_div_ = _make_inplace("div_", _C.div_, _C.div_scalar_, floating=True)


def mul_(self, other):
    return _mul_(self, other)


def div_(self, other):
    return _div_(self, other)


def zero_(self):
    _check_inplace("zero_", self)
    write_through("zero_", self, lambda t: _C.fill_(t, 0.0))
    return self


def fill_(self, value):
    _check_inplace("fill_", self)
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise ValueError(f"fill_: value must be a number or a one-element tensor, got shape {tuple(value.shape)}")
        value = value.item()
    if not _is_scalar(value):
        raise TypeError(f"fill_: value must be a number, got {type(value).__name__}")
    value = int(value) if isinstance(value, int) else float(value)  # ints stay exact
    write_through("fill_", self, lambda t: _C.fill_(t, value))
    return self


def copy_(self, src):
    check_tensor("copy_", src, "src")
    _check_inplace("copy_", self, src)
    write_through("copy_", self, lambda t: _C.copy_(t, src))
    return self


def _iop(op, inplace, outplace):
    """`a op= b`: in place when autograd is not involved, otherwise recorded out of place."""

    def method(self, other):
        if not isinstance(other, Tensor) and not _is_scalar(other):
            return NotImplemented
        if is_grad_enabled() and (self.requires_grad or (isinstance(other, Tensor) and other.requires_grad)):
            if self.requires_grad and self.grad_fn is None:
                raise RuntimeError(f"{op}: {_LEAF_MSG}")
            return outplace(self, other)
        return inplace(self, other)

    return method
