"""Embedding lookups and one_hot, as torch.nn.functional.embedding / one_hot.

``embedding(input, weight, padding_idx)`` gathers rows of weight (num_embeddings, D) for the int64
ids in input (any shape) -> (*input.shape, D). Its backward adds each position's gradient into the
row it read (duplicates summed); the padding_idx row gets none. An id outside [0, num_embeddings)
raises IndexError naming it, on the CPU and on CUDA. max_norm, scale_grad_by_freq and sparse
gradients are not supported (NotImplementedError).

``one_hot(tensor, num_classes=-1)`` -> int64 (*tensor.shape, num_classes); -1 infers
num_classes as max + 1.
"""
from __future__ import annotations

from .. import _C
from .._args import check_tensor, is_int
from ..autograd import Function

__all__ = []  # reached as kernels.functional.embedding / one_hot


class Embedding(Function):
    @staticmethod
    def forward(ctx, input, weight, padding_idx):
        out = _C.embedding_forward(input, weight)  # checks weight is (num_embeddings, dim)
        ctx.save_for_backward(input)
        ctx.num_embeddings = weight.shape[0]
        ctx.padding_idx = padding_idx
        return out

    @staticmethod
    def backward(ctx, grad):
        (input,) = ctx.saved_tensors
        return None, _C.embedding_backward(grad, input, ctx.num_embeddings, ctx.padding_idx), None


def _normalise_padding_idx(padding_idx, num_embeddings, op="embedding"):
    if padding_idx is None:
        return None
    if not is_int(padding_idx):
        raise TypeError(f"{op}: padding_idx must be an int or None, got {type(padding_idx).__name__}")
    padding_idx = int(padding_idx)
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"{op}: padding_idx {padding_idx} must be within num_embeddings "
                         f"(-{num_embeddings} <= padding_idx < {num_embeddings})")
    return padding_idx + num_embeddings if padding_idx < 0 else padding_idx


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """Rows of weight (num_embeddings, D) picked by the int64 ids in input -> (*input.shape, D)."""
    check_tensor("embedding", input)
    check_tensor("embedding", weight, "weight")
    if max_norm is not None:
        raise NotImplementedError("embedding: max_norm is not supported (renormalising rows in place); "
                                  "pass max_norm=None")
    if scale_grad_by_freq:
        raise NotImplementedError("embedding: scale_grad_by_freq=True is not supported")
    if sparse:
        raise NotImplementedError("embedding: sparse gradients are not supported; use sparse=False")
    pad = _normalise_padding_idx(padding_idx, weight.shape[0] if weight.ndim else 0)
    return Embedding.apply(input, weight, pad)


def one_hot(tensor, num_classes=-1):
    """int64 (*tensor.shape, num_classes) with a 1 at each class value."""
    check_tensor("one_hot", tensor, "tensor")
    if not is_int(num_classes):
        raise TypeError(f"one_hot: num_classes must be an int, got {type(num_classes).__name__}")
    num_classes = int(num_classes)
    if num_classes == -1:
        if tensor.dtype != _C.dtype.int64:
            raise TypeError(f"one_hot: tensor must be an int64 tensor of class values, got {tensor.dtype}")
        if tensor.numel() == 0:
            raise ValueError(f"one_hot: cannot infer num_classes from an empty tensor "
                             f"{tuple(tensor.shape)}; pass num_classes")
        # negative values leave 0 classes, and the kernel reports them
        num_classes = max(int(tensor.max().item()) + 1, 0)
    return _C.one_hot(tensor, num_classes)
