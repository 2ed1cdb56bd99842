"""``Parameter``: a Tensor that a Module registers as one of its parameters."""
from __future__ import annotations

from .. import _C
from ..tensor import empty

Tensor = _C.Tensor


class Parameter(Tensor):
    """A leaf Tensor that requires grad by default and that ``Module.__setattr__`` registers.

    ``Parameter(t)`` is a new handle on ``t``'s memory (no copy), as ``torch.nn.Parameter``. It is a
    ``kernels.Tensor`` in every respect, so every op accepts it.
    """

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(
                f"Parameter: data must be a kernels.Tensor, got {type(data).__name__}"
            )
        super().__init__(data)
        self.requires_grad = requires_grad

    def __repr__(self):
        return "Parameter containing:\n" + Tensor.__repr__(self)

    __str__ = __repr__

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.detach(), self.requires_grad))

    def __deepcopy__(self, memo):
        key = id(self)
        if key in memo:
            return memo[key]
        out = type(self)(_C.clone(self._raw()), self.requires_grad)
        if self.grad is not None:
            out.grad = _C.clone(self.grad._raw())
        memo[key] = out
        return out


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)


def is_parameter(x) -> bool:
    return isinstance(x, Parameter)
