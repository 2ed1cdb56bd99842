"""``kernels.inference_mode``: torch's fastest no-autograd mode, here the same as ``no_grad``.

torch's inference mode additionally marks the tensors it creates as inference tensors (refused
by autograd later); kernels has no such flag, so tensors made inside behave as those made under
no_grad. ``inference_mode(False)`` leaves grad mode as it is, as torch's does. Usable as a context
manager, as ``@inference_mode()`` and as bare ``@inference_mode``.
"""
from __future__ import annotations

import functools
import threading

from .autograd import no_grad

__all__ = ["inference_mode", "is_inference_mode_enabled"]

_state = threading.local()  # per thread, as grad mode: how many inference_mode(True) blocks are open


class inference_mode:  # noqa: N801 - torch's name
    def __init__(self, mode=True):
        if callable(mode) and not isinstance(mode, bool):  # bare @inference_mode on a function
            self._fn, self.mode = mode, True
            functools.update_wrapper(self, mode)
            return
        if not isinstance(mode, bool):
            raise TypeError(f"inference_mode: mode must be a bool, got {type(mode).__name__}")
        self._fn, self.mode = None, mode
        self._inner = []

    def __enter__(self):
        guard = no_grad() if self.mode else None
        self._inner = getattr(self, "_inner", [])
        self._inner.append(guard)
        if guard is not None:
            guard.__enter__()
            _state.depth = getattr(_state, "depth", 0) + 1
        return self

    def __exit__(self, *exc):
        guard = self._inner.pop()
        if guard is not None:
            guard.__exit__(*exc)
            _state.depth -= 1
        return False

    def __call__(self, *args, **kwargs):
        if self._fn is not None:  # the wrapped function of a bare decorator
            with inference_mode(self.mode):
                return self._fn(*args, **kwargs)
        fn = args[0]
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*a, **kw):
            with inference_mode(mode):
                return fn(*a, **kw)

        return wrapper

    def clone(self):
        return inference_mode(self.mode)


def is_inference_mode_enabled() -> bool:
    """Whether an inference_mode(True) block is open on this thread."""
    return getattr(_state, "depth", 0) > 0
