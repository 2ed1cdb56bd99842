"""In-place updates: ``add_``, ``sub_``, ``mul_``, ``div_``, ``copy_``, ``zero_``, ``fill_`` and the
operators ``+=``, ``-=``, ``*=``, ``/=``, as torch's.

Without autograd they run a kernel on the tensor's memory (through a contiguous copy written back
for a strided view, so writes through views reach their base). When autograd records them (grad
mode on, and the tensor or the operand requires grad), they do what torch does: the out-of-place
op is recorded, its result is written into the tensor's memory, and the tensor itself takes the
result's place in the graph, so every name for it sees the new values, and so does every view of
it (they share memory). Like torch, a leaf that requires grad is refused, and a tensor saved for a
backward and then written in place makes that backward raise (the version counter,
autograd.Context.saved_tensors). Unlike torch, gradients are not rebased between a view and its
base: after such a write to one of them, autograd refuses the others (ops/strided.mark_view), so
the difference raises instead of giving a wrong gradient. ``zero_`` / ``fill_`` keep refusing a
tensor that requires grad.
"""
from __future__ import annotations

from .. import _C
from .._args import check_tensor
from ..autograd import is_grad_enabled, no_grad
from . import elementwise as E
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


def records(self, other=None):
    """Would autograd record an in-place op on self (with operand `other`)?"""
    return is_grad_enabled() and (self._requires_grad or (isinstance(other, Tensor) and other._requires_grad))


def rebind_in_place(op, self, compute, operand=None):
    """torch's in-place op under autograd: self takes the value and the graph place of
    compute(self, operand), the out-of-place op, recorded."""
    if self._requires_grad and self.grad_fn is None:
        raise RuntimeError(f"{op}: {_LEAF_MSG}")
    result = compute(self, operand)
    node = result.grad_fn
    if node is not None and any(t is not None and t._same_storage(self) for t in getattr(node.ctx, "_saved", ())):
        # The op saved self (or an operand sharing its memory) for its backward: give it copies of
        # the old values, which the write is about to change.
        from ..tensor import Clone
        old = Clone.apply(self)
        if isinstance(operand, Tensor) and operand._same_storage(self):
            operand = old if operand is self else Clone.apply(operand)
        result = compute(old, operand)
    with no_grad():
        write_through(op, self, lambda t: _C.copy_(t, result))
    self._requires_grad, self.grad_fn, self._output_nr = result._requires_grad, result.grad_fn, result._output_nr
    epoch = self._bump_grad_epoch()  # tensors sharing this memory still point at the old graph place
    if self._view_epoch is not None:
        self._view_epoch = epoch  # ... but self is current
    return self


def apply_inplace(op, self, compute, kernel=None):
    """`inplace=True` of a functional (relu, leaky_relu, dropout, ...): self becomes compute(self),
    in place; `kernel(t)` writes it directly where one exists."""
    if records(self):
        return rebind_in_place(op, self, lambda s, _: compute(s))
    if kernel is not None:
        write_through(op, self, kernel)
    else:
        result = compute(self)
        write_through(op, self, lambda t: _C.copy_(t, result))
    return self


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


def _make_inplace(op, tensor_fn, scalar_fn, outplace, floating=False, negate=False):
    def method(self, other, *, alpha=1):
        if records(self, other):
            _inplace_operand(op, self, other, floating)  # torch's result-type rule still applies
            if alpha != 1:
                other = other * alpha
            return rebind_in_place(op, self, outplace, other)
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


add_ = _make_inplace("add_", _C.add_, _C.add_scalar_, E.add)
sub_ = _make_inplace("sub_", _C.sub_, _C.add_scalar_, E.sub, negate=True)
_mul_ = _make_inplace("mul_", _C.mul_, _C.mul_scalar_, E.mul)
_div_ = _make_inplace("div_", _C.div_, _C.div_scalar_, E.div, floating=True)


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
    if records(self, src):  # self becomes src (cast, broadcast); the gradient flows to src
        return rebind_in_place("copy_", self, lambda s, o: o.to(s.dtype).expand_as(s), src)
    _check_inplace("copy_", self, src)
    write_through("copy_", self, lambda t: _C.copy_(t, src))
    return self


def _iop(op, inplace, outplace):
    """`a op= b`: in place, as torch; recorded by autograd when it is involved (rebind_in_place)."""

    def method(self, other):
        if not isinstance(other, Tensor) and not _is_scalar(other):
            return NotImplemented
        return inplace(self, other)

    return method
