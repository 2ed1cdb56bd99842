"""Matrix products: ``matmul`` (with ``mm``, ``bmm``, ``dot``) and ``linear``.

The C++ side does the shape logic (torch.matmul's vector and broadcasting rules) and returns
gradients already reduced to each input's shape, so the Functions here are thin.
"""
from __future__ import annotations

from .. import _C
from ..autograd import Function

Tensor = _C.Tensor

__all__ = ["matmul", "mm", "bmm", "dot", "linear"]


def _check_tensor(op, name, x):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(x).__name__}")


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
    _check_tensor("matmul", "input", input)
    _check_tensor("matmul", "other", other)
    return Matmul.apply(input, other)


def mm(input, mat2):
    """torch.mm: (n,m) @ (m,p) -> (n,p), no broadcasting."""
    _check_tensor("mm", "input", input)
    _check_tensor("mm", "mat2", mat2)
    if input.ndim != 2 or mat2.ndim != 2:
        raise ValueError(
            f"mm: both arguments must be 2-D matrices, got {tuple(input.shape)} and "
            f"{tuple(mat2.shape)}"
        )
    return Matmul.apply(input, mat2)


def bmm(input, mat2):
    """torch.bmm: (b,n,m) @ (b,m,p) -> (b,n,p), same batch size, no broadcasting."""
    _check_tensor("bmm", "input", input)
    _check_tensor("bmm", "mat2", mat2)
    if input.ndim != 3 or mat2.ndim != 3:
        raise ValueError(
            f"bmm: both arguments must be 3-D batches of matrices, got {tuple(input.shape)} and "
            f"{tuple(mat2.shape)}"
        )
    if input.shape[0] != mat2.shape[0]:
        raise ValueError(
            f"bmm: batch sizes differ: {tuple(input.shape)} and {tuple(mat2.shape)}"
        )
    return Matmul.apply(input, mat2)


def dot(input, other):
    """torch.dot: inner product of two 1-D tensors of the same length (0-d result)."""
    _check_tensor("dot", "input", input)
    _check_tensor("dot", "other", other)
    if input.ndim != 1 or other.ndim != 1:
        raise ValueError(
            f"dot: both arguments must be 1-D, got {tuple(input.shape)} and {tuple(other.shape)}"
        )
    if input.shape[0] != other.shape[0]:
        raise ValueError(
            f"dot: the vectors differ in length: {tuple(input.shape)} and {tuple(other.shape)}"
        )
    return Matmul.apply(input, other)


def linear(input, weight, bias=None):
    """torch.nn.functional.linear: input (..., in), weight (out, in), bias (out) -> (..., out)."""
    _check_tensor("linear", "input", input)
    _check_tensor("linear", "weight", weight)
    if bias is not None:
        _check_tensor("linear", "bias", bias)
    return Linear.apply(input, weight, bias)


def _matmul_method(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    return matmul(self, other)


def _rmatmul_method(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    return matmul(other, self)


TENSOR_METHODS = {
    "matmul": matmul,
    "__matmul__": _matmul_method,
    "__rmatmul__": _rmatmul_method,
    "mm": mm,
    "bmm": bmm,
    "dot": dot,
}
