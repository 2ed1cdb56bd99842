"""Neural-network building blocks, as ``torch.nn``: ``Module`` and ``Parameter``, layers,
activation and loss modules, ``init`` and ``utils``. ``kernels.nn.functional`` is
``kernels.functional`` (as torch.nn.functional)."""
import sys as _sys

from .. import functional  # noqa: F401

# `import kernels.nn.functional` works and gives the very same module object.
_sys.modules[__name__ + ".functional"] = functional
from . import init, parallel, utils  # noqa: F401
from .parameter import Parameter  # noqa: F401
from .modules import *  # noqa: F401,F403
from .modules import __all__ as _modules_all

__all__ = ["Parameter", "functional", "init", "parallel", "utils"] + list(_modules_all)
