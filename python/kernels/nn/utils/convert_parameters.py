"""``parameters_to_vector`` / ``vector_to_parameters``, as in ``torch.nn.utils``."""
from __future__ import annotations

from ... import _C
from ...autograd import no_grad
from ...ops.shape import cat

Tensor = _C.Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_same_device(param, old_device):
    if old_device is not None and param.device != old_device:
        raise TypeError("Found two parameters on different devices, this is currently not supported.")
    return param.device


def parameters_to_vector(parameters):
    """All parameters flattened and concatenated into one 1-D tensor (differentiable)."""
    device = None
    vec = []
    for param in parameters:
        device = _check_same_device(param, device)
        vec.append(param.reshape(-1))
    return cat(vec)


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-D ``vec`` into ``parameters``, in place.

    Unlike torch, which re-points each parameter's ``.data`` at ``vec``'s memory, the values are
    copied: the parameters do not alias ``vec`` afterwards.
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected kernels.Tensor, but got: {type(vec).__name__}")
    parameters = list(parameters)
    total = sum(p.numel() for p in parameters)
    if vec.ndim != 1 or vec.numel() != total:
        raise ValueError(
            f"vector_to_parameters: expected a 1-D vector of {total} elements, got shape "
            f"{tuple(vec.shape)}"
        )
    device = None
    pointer = 0
    with no_grad():
        for param in parameters:
            device = _check_same_device(param, device)
            n = param.numel()
            param.copy_(vec[pointer:pointer + n].reshape(tuple(param.shape)))
            pointer += n
