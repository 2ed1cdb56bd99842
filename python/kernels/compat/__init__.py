"""Run PyTorch code on kernels without editing it.

    python -m kernels.compat script.py [args...]     # as `python script.py [args...]`
    import kernels.compat; kernels.compat.install()  # in a notebook, before anything imports torch

install() puts an import hook first on sys.meta_path that makes ``torch`` and the submodules
scripts use (torch.nn, torch.nn.functional, torch.optim, torch.utils.data, ...: see MODULES)
resolve to kernels' modules, and ``torchvision`` to a small stand-in whose MNIST serves the
built-in mnist_5k digits (no network). A name kernels lacks raises
``NotSupportedError: kernels does not support torch.X yet`` (an AttributeError, so hasattr()
still answers False) and an unknown torch submodule a ModuleNotFoundError with the same wording,
at the line that uses it.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types

__all__ = ["install", "uninstall", "installed", "NotSupportedError", "MODULES"]

# torch's module name -> the kernels module that stands for it.
MODULES = {
    "torch": "kernels",
    "torch.nn": "kernels.nn",
    "torch.nn.functional": "kernels.nn.functional",
    "torch.nn.init": "kernels.nn.init",
    "torch.nn.utils": "kernels.nn.utils",
    "torch.nn.utils.rnn": "kernels.nn.utils.rnn",
    "torch.optim": "kernels.optim",
    "torch.optim.lr_scheduler": "kernels.optim.lr_scheduler",
    "torch.utils": "kernels.compat._torch_utils",
    "torch.utils.data": "kernels.data",
    "torch.autograd": "kernels.autograd",
    "torch.backends": "kernels.backends",
    "torch.backends.cpu": "kernels.backends.cpu",
    "torch.backends.cudnn": "kernels.backends.cudnn",
    "torch.backends.mps": "kernels.backends.mps",
    "torch.cuda": "kernels.cuda",
    "torch.accelerator": "kernels.compat._accelerator",
    "torch.serialization": "kernels.serialization",
    "torch.onnx": "kernels.onnx",
    "torchvision": "kernels.compat.torchvision",
    "torchvision.datasets": "kernels.compat.torchvision.datasets",
    "torchvision.transforms": "kernels.compat.torchvision.transforms",
    "torchvision.utils": "kernels.compat.torchvision.utils",
    "torchvision.models": "kernels.compat.torchvision.models",
    "torch.nn.parallel": "kernels.nn.parallel",
}


class NotSupportedError(AttributeError):
    """A torch (or torchvision) name kernels does not provide yet."""


class _StandIn(types.ModuleType):
    """Module `name` (torch.nn, ...): attributes come from kernels' module `target`; a missing one
    raises NotSupportedError naming torch's name."""

    def __init__(self, name, target):
        super().__init__(name, getattr(target, "__doc__", None))
        object.__setattr__(self, "_kernels_module", target)

    def __getattr__(self, attr):
        sub = f"{self.__name__}.{attr}"
        if sub in MODULES:
            return importlib.import_module(sub)
        try:
            return getattr(self._kernels_module, attr)
        except AttributeError:
            if attr.startswith("__") and attr.endswith("__"):
                raise
            raise NotSupportedError(f"kernels does not support {sub} yet") from None

    def __dir__(self):
        return sorted(set(dir(self._kernels_module)) | set(self.__dict__))


def _is_ours(fullname):
    root = fullname.split(".", 1)[0]
    return root in ("torch", "torchvision")


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        if not _is_ours(fullname):
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec):
        target = MODULES.get(spec.name)
        if target is None:
            # name=None: `from torch import fft` must show this message, and importlib would
            # swallow a ModuleNotFoundError that names the very module the from-import asked for.
            raise ModuleNotFoundError(f"kernels does not support {spec.name} yet")
        return _StandIn(spec.name, importlib.import_module(target))

    def exec_module(self, module):
        module.__path__ = []  # a package, so `import torch.nn.functional` walks on


_finder = _Finder()


def installed() -> bool:
    return _finder in sys.meta_path


def install():
    """Make `import torch` (and torchvision) give kernels from now on in this process."""
    if installed():
        return
    already = sorted(m for m in sys.modules if _is_ours(m))
    if already:
        raise RuntimeError(f"kernels.compat.install: {already[0]} is already imported in this process; "
                           "call install() before anything imports torch (or use python -m kernels.compat)")
    sys.meta_path.insert(0, _finder)


def uninstall():
    """Remove the hook and the stand-in modules it created."""
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    for name in [m for m in sys.modules if _is_ours(m) and isinstance(sys.modules[m], _StandIn)]:
        del sys.modules[name]
