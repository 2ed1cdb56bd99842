"""linspace / logspace against torch: the ends exact, the halves symmetric, every point within an
ulp of max(|start|, |end|) of torch's (logspace: of the exponent, amplified by pow), integer
dtypes exact, requires_grad, CUDA equal to the CPU, bad arguments."""
import math

import numpy as np
import pytest

import kernels
from opcheck import raises_with, requires_cuda

CASES = [(0, 1, 5), (-3.7, 11.2, 101), (0.1, 0.7, 7), (1e-3, 5e4, 1000), (5, -2, 10), (0, 1, 2), (2, 2, 1),
         (3, 9, 0), (-1, 1, 4097)]


@pytest.mark.parametrize("start,end,steps", CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_linspace_within_an_ulp_of_torch(torch, start, end, steps, dtype):
    got = kernels.linspace(start, end, steps, dtype=getattr(kernels, dtype))
    want = torch.linspace(start, end, steps, dtype=getattr(torch, dtype)).numpy()
    a = got.numpy()
    assert got.dtype == getattr(kernels, dtype) and a.shape == want.shape
    ulp = np.spacing(np.array(max(abs(start), abs(end)), dtype=a.dtype))
    np.testing.assert_array_less(np.abs(a - want), 1.01 * ulp + 1e-300)
    if steps:
        assert a[0] == want[0] and a[-1] == want[-1]  # both ends exact: torch computes from each end
    if steps > 1:
        n = steps - 1
        # the two halves mirror each other: x[i] - start == end - x[n - i] in exact arithmetic
        i = np.arange(steps // 2)
        np.testing.assert_allclose(a[i] - a[0], a[-1] - a[n - i], atol=4 * ulp)


def test_default_dtype_and_integers_as_torch(torch):
    assert kernels.linspace(0, 1, 3).dtype == kernels.float32
    for dt in ("int64", "int32"):
        # (torch's fused multiply-add can land an exact integer an ulp low, truncating it to
        # one less: linspace(-3, 11, 7)[3] is 3 there; these cases have no such point)
        for args in ((-3.7, 11.2, 5), (0, 1, 5), (10, -10, 6), (0, 100, 11)):
            got = kernels.linspace(*args, dtype=getattr(kernels, dt)).numpy()
            assert got.tolist() == torch.linspace(*args, dtype=getattr(torch, dt)).tolist()
    got = kernels.logspace(0, 3, 4, base=2, dtype=kernels.int64)
    assert got.numpy().tolist() == [1, 2, 4, 8] and got.dtype == kernels.int64


@pytest.mark.parametrize("start,end,steps,base", [(0, 3, 4, 10.0), (-2.5, 4.1, 50, 10.0), (0.1, 0.7, 7, 2.0),
                                                  (5, -2, 10, math.e), (1, 1, 1, 3.0)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_logspace_against_torch(torch, start, end, steps, base, dtype):
    a = kernels.logspace(start, end, steps, base=base, dtype=getattr(kernels, dtype)).numpy()
    want = torch.logspace(start, end, steps, base=base, dtype=getattr(torch, dtype)).numpy()
    # an ulp u of the exponent moves base**x by ln(base) * u relative, plus the rounding of pow
    eps = np.finfo(a.dtype).eps
    rtol = math.log(base) * max(abs(start), abs(end), 1) * eps * 1.01 + 4 * eps
    np.testing.assert_allclose(a, want, rtol=rtol)


def test_tensor_ends_and_requires_grad(torch):
    x = kernels.linspace(kernels.tensor(1.0), 3, 3, requires_grad=True)
    assert x.requires_grad and x.is_leaf and x.numpy(force=True).tolist() == [1.0, 2.0, 3.0]


@requires_cuda
def test_cuda_equals_cpu():
    for args in CASES:
        np.testing.assert_array_equal(kernels.linspace(*args, device="cuda").cpu().numpy(),
                                      kernels.linspace(*args).numpy())


def test_bad_arguments(torch):
    raises_with(RuntimeError, "linspace: number of steps must be non-negative", lambda: kernels.linspace(0, 1, -1))
    with pytest.raises(RuntimeError, match="number of steps must be non-negative"):
        torch.linspace(0, 1, -1)
    raises_with(TypeError, "linspace: steps must be an int, got float 2.5", lambda: kernels.linspace(0, 1, 2.5))
    raises_with(TypeError, "logspace: base must be a number", lambda: kernels.logspace(0, 1, 3, base="e"))
    raises_with(RuntimeError, "linspace: start must be a 0-dimensional tensor",
                lambda: kernels.linspace(kernels.zeros(2), 1, 3))
