"""Placeholders for the attention family (Transformer, its encoder and decoder stacks and layers,
MultiheadAttention), which kernels does not implement yet. They exist so that code which merely
defines a subclass, or imports them next to the layers it does use, loads; constructing one
raises NotImplementedError naming it."""
from __future__ import annotations

from .module import Module

__all__ = ["Transformer", "TransformerEncoder", "TransformerDecoder", "TransformerEncoderLayer",
           "TransformerDecoderLayer", "MultiheadAttention"]


class _NotYet(Module):
    _kernels_placeholder = True  # not counted as supported surface

    def __init__(self, *args, **kwargs):
        raise NotImplementedError(f"kernels does not support torch.nn.{self._torch_name} yet")


def _placeholder(name):
    return type(name, (_NotYet,), {"_torch_name": name, "__doc__": "Not implemented yet: constructing raises.",
                                   "__module__": __name__})


Transformer = _placeholder("Transformer")
TransformerEncoder = _placeholder("TransformerEncoder")
TransformerDecoder = _placeholder("TransformerDecoder")
TransformerEncoderLayer = _placeholder("TransformerEncoderLayer")
TransformerDecoderLayer = _placeholder("TransformerDecoderLayer")
MultiheadAttention = _placeholder("MultiheadAttention")
