"""``Embedding``: a lookup table of num_embeddings vectors of size embedding_dim, as torch.

weight (num_embeddings, embedding_dim) ~ N(0, 1) with the padding_idx row zeroed (torch's init);
the padding row receives no gradient. ``from_pretrained`` wraps given weights (frozen by default,
padding row kept as given). max_norm, scale_grad_by_freq and sparse are not supported.
"""
from __future__ import annotations

from ... import _C
from ... import functional as F
from ..._args import check_tensor, is_int
from ..._device import as_device, as_dtype
from ...autograd import no_grad
from ...ops.embedding import _normalise_padding_idx
from ...tensor import empty
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Embedding"]


def _unsupported(max_norm, scale_grad_by_freq, sparse):
    if max_norm is not None:
        raise NotImplementedError("Embedding: max_norm is not supported; pass max_norm=None")
    if scale_grad_by_freq:
        raise NotImplementedError("Embedding: scale_grad_by_freq=True is not supported")
    if sparse:
        raise NotImplementedError("Embedding: sparse gradients are not supported; use sparse=False")


class Embedding(Module):
    __constants__ = ["num_embeddings", "embedding_dim", "padding_idx", "max_norm", "norm_type",
                     "scale_grad_by_freq", "sparse"]

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, device=None,
                 dtype=None):
        super().__init__()
        for name, v in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if not is_int(v) or v < 0:
                raise ValueError(f"Embedding: {name} must be a non-negative int, got {v!r}")
        _unsupported(max_norm, scale_grad_by_freq, sparse)
        self.num_embeddings = int(num_embeddings)
        self.embedding_dim = int(embedding_dim)
        self.padding_idx = _normalise_padding_idx(padding_idx, self.num_embeddings, "Embedding")
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        if _weight is None:
            kw = dict(dtype=as_dtype(dtype, _C.dtype.float32), device=as_device(device))
            self.weight = Parameter(empty((self.num_embeddings, self.embedding_dim), **kw),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:
            check_tensor("Embedding", _weight, "_weight")
            if tuple(_weight.shape) != (self.num_embeddings, self.embedding_dim):
                raise ValueError(f"Embedding: weight of shape {tuple(_weight.shape)} does not match "
                                 f"num_embeddings={self.num_embeddings} and embedding_dim={self.embedding_dim}")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self):
        init.normal_(self.weight)
        self._fill_padding_idx_with_zero()

    def _fill_padding_idx_with_zero(self):
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0.0

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        return s

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, sparse=False):
        """An Embedding whose weight is `embeddings` (2-D); frozen unless freeze=False."""
        check_tensor("Embedding.from_pretrained", embeddings, "embeddings")
        if embeddings.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-dimensional, got shape "
                             f"{tuple(embeddings.shape)}")
        rows, cols = embeddings.shape
        return cls(rows, cols, _weight=embeddings, _freeze=freeze, padding_idx=padding_idx,
                   max_norm=max_norm, norm_type=norm_type, scale_grad_by_freq=scale_grad_by_freq,
                   sparse=sparse)
