"""One forward + backward runner for either library, kernels or torch (both have ``tensor(data,
dtype=, device=, requires_grad=)``, ``.grad``, ``.backward(upstream)``).

The tests (tests/opcheck.py) run it once per check and read the output and gradients back as
NumPy arrays; the benchmarks (bench/cases) time repeated calls of it, ours against torch's, after
comparing one call of each.

    xs = tensors(kernels, [x, w, Const(targets)], dtype=kernels.float64)
    step = ForwardBackward(kernels, lambda: F.cross_entropy(*xs), inputs=xs)
    y = step()                      # .grad cleared, forward, backward from a fixed upstream
    dx, dw = step.grads()           # NumPy arrays (None where no gradient)
"""
from __future__ import annotations

import numpy as np


class Const:
    """An argument that is made a tensor (on the run's device) but is not differentiated: integer
    targets, indices, masks. ``dtype``: the library's dtype, or None to infer it from the value."""

    def __init__(self, value, dtype=None):
        self.value = np.asarray(value)
        self.dtype = dtype


def is_differentiable(a) -> bool:
    """A NumPy floating-point array: made a tensor that may require grad."""
    return isinstance(a, np.ndarray) and a.dtype.kind == "f"


def tensors(lib, args, dtype=None, device="cpu", requires_grad=True):
    """args (a list, or a dict of named arguments) as `lib`'s tensors on `device`: floating NumPy
    arrays as `dtype` (None: the array's own), requiring grad where `requires_grad` says (True,
    False, or the names / positions that need one); Const values as tensors without grad;
    anything else (ints, tuples, None) unchanged."""
    named = isinstance(args, dict)
    items = args.items() if named else enumerate(args)

    def wants_grad(key):
        if isinstance(requires_grad, bool):
            return requires_grad
        return key in requires_grad

    out = {}
    for key, a in items:
        if is_differentiable(a):
            kw = {} if dtype is None else {"dtype": dtype}
            out[key] = lib.tensor(a, device=device, requires_grad=wants_grad(key), **kw)
        elif isinstance(a, Const):
            kw = {} if a.dtype is None else {"dtype": a.dtype}
            out[key] = lib.tensor(a.value, device=device, **kw)
        else:
            out[key] = a
    return out if named else [out[i] for i in range(len(args))]


def to_numpy(t) -> np.ndarray:
    """A result of either library, on any device, as a NumPy array on the host (a NumPy array or
    a Python number as it is)."""
    if hasattr(t, "detach"):
        t = t.detach().cpu().numpy()
    return np.asarray(t)


def first(out):
    """The output a backward starts from: the first of a tuple (output, state) or the output."""
    return out[0] if isinstance(out, (tuple, list)) else out


def upstream(shape, seed=0) -> np.ndarray:
    """The fixed upstream gradient for an output of `shape`: standard normal, float64, seeded
    (cast to the output's dtype where it is used)."""
    return np.random.default_rng(seed).standard_normal(tuple(shape))


class ForwardBackward:
    """``fn()`` forward (the first output if it returns several), then backward from a fixed
    upstream gradient (``upstream(shape, seed)``, drawn at the first call and reused), after
    clearing ``.grad`` of `inputs` (the tensors whose gradients are wanted). Calling it returns
    the output. With backward=False, or when the output needs no gradient, only the forward runs.
    """

    def __init__(self, lib, fn, inputs=(), upstream_seed=0, device="cpu", backward=True):
        self.lib, self.fn, self.device, self.backward = lib, fn, device, backward
        self.inputs = list(inputs)
        self.upstream_seed = upstream_seed
        self.upstream = None  # float64 NumPy array, once drawn
        self._upstream_t = None

    def __call__(self):
        for t in self.inputs:
            if getattr(t, "requires_grad", False):
                t.grad = None
        out = first(self.fn())
        if self.backward and out.requires_grad:
            if self._upstream_t is None:
                self.upstream = upstream(tuple(out.shape), self.upstream_seed)
                self._upstream_t = self.lib.tensor(self.upstream, dtype=out.dtype, device=self.device)
            out.backward(self._upstream_t)
        return out

    def grads(self):
        """The gradients of `inputs` as NumPy arrays, None where an input has none."""
        return [to_numpy(t.grad) if getattr(t, "grad", None) is not None else None for t in self.inputs]
