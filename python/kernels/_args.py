"""The checks of Python arguments that must happen before they reach ``kernels._C``.

pybind11 refuses a wrong Python type with an "incompatible function arguments" TypeError that
names neither the op nor the argument, and it silently converts ``True`` to ``1`` and ``2.0`` to
an int where a kernel wants a number. So the Python layer checks the *types* of its arguments
here, once, naming the op and the argument as the C++ checks do. Values, shapes, dtypes and
devices of tensors are checked in C++ (``csrc/ops``), not here.

Every helper takes ``op`` (the name that opens the message) and ``name`` (the argument's name)
first, and returns the converted value.
"""
from __future__ import annotations

import numbers

from . import _C

Tensor = _C.Tensor


def is_int(v) -> bool:
    """A Python or NumPy integer, not a bool (torch refuses True where it wants an int)."""
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def is_number(v) -> bool:
    """A real Python or NumPy number, not a bool."""
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def check_tensor(op: str, x, name: str = "input"):
    """TypeError unless ``x`` is a Tensor; returns it."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(x).__name__}")
    return x


def expect_tensor(op: str, x):
    """TypeError "<op>: expected a Tensor as input" unless ``x`` is a Tensor (the wording of the
    reductions and of the layers' forward); returns it."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor as input, got {type(x).__name__}")
    return x


def check_optional_tensor(op: str, x, name: str):
    """None or a Tensor."""
    if x is not None:
        check_tensor(op, x, name)
    return x


def as_int(op: str, name: str, v, expected: str = "an int") -> int:
    """``v`` as a Python int; TypeError "<op>: <name> must be <expected>, got <type> <v>"."""
    if not is_int(v):
        raise TypeError(f"{op}: {name} must be {expected}, got {type(v).__name__} {v!r}")
    return int(v)


def as_number(op: str, name: str, v) -> float:
    """``v`` as a Python float (ints and NumPy numbers accepted, bools refused)."""
    if not is_number(v):
        raise TypeError(f"{op}: {name} must be a number, got {type(v).__name__} {v!r}")
    return float(v)


def as_flag(op: str, name: str, value) -> bool:
    """A Python bool argument (torch refuses 1, None or 'yes' for its flags, and so do we)."""
    if not isinstance(value, bool):
        raise TypeError(f"{op}: {name} must be a bool, got {type(value).__name__} {value!r}")
    return value


def ntuple(op: str, name: str, v, n: int, bad_type=TypeError) -> list:
    """An int, or a tuple / list of 1 or ``n`` ints, as a list of ``n`` ints (one int is
    repeated, as torch does). A wrong length is a ValueError; anything else raises ``bad_type``."""
    if is_int(v):
        return [int(v)] * n
    if isinstance(v, (tuple, list)) and all(is_int(x) for x in v):
        if len(v) == 1:
            return [int(v[0])] * n
        if len(v) == n:
            return [int(x) for x in v]
        raise ValueError(f"{op}: {name} must be an int or a tuple of {n} ints, got {tuple(v)}")
    raise bad_type(f"{op}: {name} must be an int or a tuple of {n} ints, got {v!r}")


def check_non_negative(value, what: str):
    """An optimizer's hyper-parameter: ValueError "Invalid <what>: <value>" (torch's message)
    unless 0 <= value (NaN is refused)."""
    if not 0.0 <= value:
        raise ValueError(f"Invalid {what}: {value}")
    return value
