"""Matrix products: ``matmul`` (with ``mm``, ``bmm``, ``dot``) and ``linear``.

The C++ side does the shape logic (torch.matmul's vector and broadcasting rules) and returns
gradients already reduced to each input's shape, so the Functions here are thin.
"""
from __future__ import annotations

from .. import _C
from .._args import check_tensor
from ..autograd import Function

Tensor = _C.Tensor

__all__ = ["matmul", "mm", "bmm", "dot", "linear"]


class Matmul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _C.matmul_forward(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        return _C.matmul_backward(grad, a, b, [bool(need[0]), bool(need[1])])


class Linear(Function):
    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        return _C.linear_forward(x, weight, bias)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        need = ctx.needs_input_grad
        mask = [bool(need[0]), bool(need[1]), bool(ctx.has_bias and need[2])]
        return _C.linear_backward(grad, x, weight, ctx.has_bias, mask)


def matmul(input, other):
    """torch.matmul: dot, matrix-vector, matrix-matrix or batched product with broadcasting."""
    check_tensor("matmul", input, "input")
    check_tensor("matmul", other, "other")
    return Matmul.apply(input, other)


def _check_pair(op, other_name, a, b, ndim, kind):
    """Both arguments are Tensors of rank `ndim` (`kind` names them in the message)."""
    check_tensor(op, a, "input")
    check_tensor(op, b, other_name)
    if a.ndim != ndim or b.ndim != ndim:
        raise ValueError(
            f"{op}: both arguments must be {kind}, got {tuple(a.shape)} and {tuple(b.shape)}"
        )


def _check_size0(op, what, a, b):
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"{op}: {what}: {tuple(a.shape)} and {tuple(b.shape)}")


def mm(input, mat2):
    """torch.mm: (n,m) @ (m,p) -> (n,p), no broadcasting."""
    _check_pair("mm", "mat2", input, mat2, 2, "2-D matrices")
    return Matmul.apply(input, mat2)


def bmm(input, mat2):
    """torch.bmm: (b,n,m) @ (b,m,p) -> (b,n,p), same batch size, no broadcasting."""
    _check_pair("bmm", "mat2", input, mat2, 3, "3-D batches of matrices")
    _check_size0("bmm", "batch sizes differ", input, mat2)
    return Matmul.apply(input, mat2)


def dot(input, other):
    """torch.dot: inner product of two 1-D tensors of the same length (0-d result)."""
    _check_pair("dot", "other", input, other, 1, "1-D")
    _check_size0("dot", "the vectors differ in length", input, other)
    return Matmul.apply(input, other)


def linear(input, weight, bias=None):
    """torch.nn.functional.linear: input (..., in), weight (out, in), bias (out) -> (..., out)."""
    check_tensor("linear", input, "input")
    check_tensor("linear", weight, "weight")
    if bias is not None:
        check_tensor("linear", bias, "bias")
    return Linear.apply(input, weight, bias)


def _matmul_method(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    return matmul(self, other)


def _rmatmul_method(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    return matmul(other, self)
