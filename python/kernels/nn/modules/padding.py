"""Padding modules over ``kernels.functional.pad``: Zero/Constant/Reflection/Replication/Circular
Pad{1,2,3}d with torch's arguments, stored ``padding`` tuples and reprs."""
from __future__ import annotations

from ... import functional as F
from .module import Module

__all__ = [
    "ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
    "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
    "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d",
]


def _sides_tuple(padding, n):
    # torch: an int is repeated for every side; a sequence is kept as given (F.pad checks it).
    return tuple(padding) if isinstance(padding, (tuple, list)) else (padding,) * n


class _PadNd(Module):
    __constants__ = ["padding"]
    _sides = 2
    _mode = ""

    def __init__(self, padding):
        super().__init__()
        self.padding = _sides_tuple(padding, self._sides)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    __constants__ = ["padding", "value"]
    _mode = "constant"

    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    _sides = 2


class ConstantPad2d(_ConstantPadNd):
    _sides = 4


class ConstantPad3d(_ConstantPadNd):
    _sides = 6


class ZeroPad1d(ConstantPad1d):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


def _mode_pad(name, mode, sides, doc):
    return type(name, (_PadNd,), {"_mode": mode, "_sides": sides, "__doc__": doc})


ReflectionPad1d = _mode_pad("ReflectionPad1d", "reflect", 2, "Mirror padding of the last dim.")
ReflectionPad2d = _mode_pad("ReflectionPad2d", "reflect", 4, "Mirror padding of the last two dims.")
ReflectionPad3d = _mode_pad("ReflectionPad3d", "reflect", 6, "Mirror padding of the last three dims.")
ReplicationPad1d = _mode_pad("ReplicationPad1d", "replicate", 2, "Edge-repeating padding of the last dim.")
ReplicationPad2d = _mode_pad("ReplicationPad2d", "replicate", 4, "Edge-repeating padding of the last two dims.")
ReplicationPad3d = _mode_pad("ReplicationPad3d", "replicate", 6, "Edge-repeating padding of the last three dims.")
CircularPad1d = _mode_pad("CircularPad1d", "circular", 2, "Wrap-around padding of the last dim.")
CircularPad2d = _mode_pad("CircularPad2d", "circular", 4, "Wrap-around padding of the last two dims.")
CircularPad3d = _mode_pad("CircularPad3d", "circular", 6, "Wrap-around padding of the last three dims.")
