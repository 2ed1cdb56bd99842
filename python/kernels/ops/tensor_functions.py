"""torch's top-level functions that ask about or copy a tensor: ``is_tensor``, ``numel``,
``clone`` (the same recorded copy as ``Tensor.clone``)."""
from __future__ import annotations

from .. import _C
from .._args import check_tensor

Tensor = _C.Tensor

__all__ = ["is_tensor", "numel", "clone"]


def is_tensor(obj) -> bool:
    """True for a kernels Tensor (and its subclasses such as nn.Parameter)."""
    return isinstance(obj, Tensor)


def numel(input) -> int:
    check_tensor("numel", input)
    return input.numel()


def clone(input, *, memory_format=None):
    """A copy of input recorded by autograd (memory_format is accepted and ignored: copies are
    contiguous)."""
    check_tensor("clone", input)
    return input.clone()
