"""``torch.onnx`` stand-in: kernels cannot export ONNX graphs (yet).

``export`` / ``dynamo_export`` raise at the call, so a script fails at the line that exports,
after training has run and its checkpoint is saved; ``is_in_onnx_export()`` answers False, as it
does in torch outside an export, because model code calls it in ``forward``.
"""
from __future__ import annotations

from .compat import NotSupportedError

__all__ = ["export", "dynamo_export", "is_in_onnx_export", "OnnxNotSupportedError"]


class OnnxNotSupportedError(NotSupportedError, NotImplementedError):
    """Raised by :func:`export`: a NotImplementedError (what a caller of an unimplemented function
    expects to catch) and kernels.compat's NotSupportedError (what compat reports as missing)."""


def export(*args, **kwargs):
    """Not supported: raises OnnxNotSupportedError (a NotImplementedError)."""
    raise OnnxNotSupportedError("kernels does not support torch.onnx.export yet")


def dynamo_export(*args, **kwargs):
    """Not supported: raises OnnxNotSupportedError (a NotImplementedError)."""
    raise OnnxNotSupportedError("kernels does not support torch.onnx.dynamo_export yet")


def is_in_onnx_export() -> bool:
    """False: kernels never runs an ONNX export."""
    return False
