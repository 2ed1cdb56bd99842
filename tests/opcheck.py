"""Shared checks for op tests: float64 finite differences, torch references, CPU vs CUDA.

An op under test is a function of kernels tensors. Its arguments are given as a list where NumPy
floating arrays are differentiable inputs (made into tensors of the requested dtype/device with
requires_grad=True) and everything else (ints, tuples, int64 index arrays wrapped by `Const`) is
passed through unchanged. The forward + backward itself is kernels.testing.runner's, the one the
benchmarks (bench/cases) time.
"""
from __future__ import annotations

import numpy as np
import pytest

import kernels
from kernels.testing.runner import Const, ForwardBackward, tensors, to_numpy  # noqa: F401 (Const: for the tests)
from kernels.testing.runner import first as _first
from kernels.testing.runner import is_differentiable as _is_diff

HAS_CUDA = kernels.cuda.is_available()
requires_cuda = pytest.mark.skipif(not HAS_CUDA, reason="no CUDA device, or kernels built without CUDA")
DEVICES = ["cpu"] + (["cuda"] if HAS_CUDA else [])


def _make_args(args, dtype, device, requires_grad):
    return tensors(kernels, args, dtype, device, requires_grad)


def run(fn, args, dtype=kernels.float64, device="cpu", upstream_seed=0, backward=True):
    """Run fn forward (and backward with a fixed random upstream gradient), through the runner the
    benchmarks time (kernels.testing.runner).

    Returns (output array, [grad array or None per argument], upstream array)."""
    ts = _make_args(args, dtype, device, requires_grad=backward)
    step = ForwardBackward(kernels, lambda: fn(*ts), ts, upstream_seed, device, backward)
    out_np = to_numpy(step())
    return out_np, step.grads(), step.upstream


def gradcheck(fn, args, eps=1e-6, atol=1e-7, rtol=1e-5, device="cpu"):
    """Analytic gradients (autograd, float64) against central finite differences."""
    _, grads, w = run(fn, args, kernels.float64, device)
    assert w is not None, "the output does not require grad"

    def loss(k, arr):
        vals = list(args)
        vals[k] = arr
        with kernels.no_grad():
            out = _first(fn(*_make_args(vals, kernels.float64, device, requires_grad=False)))
        return float(np.sum(to_numpy(out) * w))

    for k, a in enumerate(args):
        if not _is_diff(a):
            continue
        num = np.zeros(a.shape, dtype=np.float64)
        for idx in np.ndindex(*a.shape):
            plus, minus = a.astype(np.float64).copy(), a.astype(np.float64).copy()
            plus[idx] += eps
            minus[idx] -= eps
            num[idx] = (loss(k, plus) - loss(k, minus)) / (2 * eps)
        got = grads[k] if grads[k] is not None else np.zeros_like(num)
        np.testing.assert_allclose(got, num, atol=atol, rtol=rtol, err_msg=f"gradient of argument {k}")


class _TorchFunctional:
    """torch.nn.functional with the import deferred to the call: a module can build the torch
    side of its check_torch cases at import time and still import, and run its NumPy and CUDA
    tests, without torch (check_torch skips before calling it)."""

    def __getattr__(self, name):
        if name.startswith("__"):  # introspection (copy, inspect), not a torch function
            raise AttributeError(name)

        def call(*args, **kwargs):
            import torch

            return getattr(torch.nn.functional, name)(*args, **kwargs)

        call.__name__ = name
        return call


torch_functional = _TorchFunctional()


def check_torch(fn, torch_fn, args, dtype=kernels.float64, atol=1e-10, rtol=1e-7, backward=True):
    """Forward and backward against torch on the CPU with the same inputs and upstream gradient."""
    torch = pytest.importorskip("torch")
    tdtype = torch.float64 if dtype == kernels.float64 else torch.float32
    out, grads, w = run(fn, args, dtype, "cpu", backward=backward)
    targs = tensors(torch, args, tdtype)
    tout = _first(torch_fn(*targs))
    np.testing.assert_allclose(out, tout.detach().numpy(), atol=atol, rtol=rtol, err_msg="forward")
    if backward and w is not None:
        tout.backward(torch.tensor(w, dtype=tout.dtype))
        for k, (a, ta) in enumerate(zip(args, targs)):
            if _is_diff(a):
                want = ta.grad.numpy() if ta.grad is not None else np.zeros(a.shape)
                got = grads[k] if grads[k] is not None else np.zeros(a.shape)
                np.testing.assert_allclose(got, want, atol=atol, rtol=rtol, err_msg=f"gradient of argument {k}")


def check_cuda_vs_cpu(fn, args, dtype=kernels.float32, atol=1e-5, rtol=1e-4, backward=True):
    """Same inputs on both devices; outputs and gradients must agree."""
    if not HAS_CUDA:
        pytest.skip("no CUDA device, or kernels built without CUDA")
    out_c, grads_c, _ = run(fn, args, dtype, "cpu", backward=backward)
    out_g, grads_g, _ = run(fn, args, dtype, "cuda", backward=backward)
    np.testing.assert_allclose(out_g, out_c, atol=atol, rtol=rtol, err_msg="forward cuda vs cpu")
    for k, (gc, gg) in enumerate(zip(grads_c, grads_g)):
        if gc is not None or gg is not None:
            assert gc is not None and gg is not None, f"gradient {k} missing on one device"
            np.testing.assert_allclose(gg, gc, atol=atol, rtol=rtol, err_msg=f"gradient {k} cuda vs cpu")


def check_gradients(fn, torch_fn, args, fd_max=250, fd_tol=(1e-7, 1e-5), tol32=(1e-5, 1e-5)):
    """Backward against finite differences in float64 while the first argument holds at most
    `fd_max` values, then forward and backward against torch in float64 and in float32.
    fd_tol, tol32: (atol, rtol) of the finite-difference and the float32 comparisons."""
    if np.size(args[0]) <= fd_max:
        gradcheck(fn, args, atol=fd_tol[0], rtol=fd_tol[1])
    check_torch(fn, torch_fn, args)
    check_torch(fn, torch_fn, args, dtype=kernels.float32, atol=tol32[0], rtol=tol32[1])


def raises_with(exc, text, call):
    """call() raises `exc` with `text` (plain text, not a pattern) in its message."""
    with pytest.raises(exc) as info:
        call()
    assert text in str(info.value)


def on_fast_and_portable(fn):
    """fn() at the AVX2 capability level (where this CPU runs it) and at the portable DEFAULT
    level (kernels.backends.cpu), in this process; returns the two results (fast, portable)."""
    from kernels.backends import cpu

    fast_level = "avx2" if cpu.supported_cpu_capability() in ("AVX2", "AVX512") else "default"
    with cpu.cpu_capability(fast_level):
        fast = fn()
    with cpu.cpu_capability("default"):
        portable = fn()
    return fast, portable
