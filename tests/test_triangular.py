"""tril / triu against torch: shapes with batch dims, every diagonal offset, inf / NaN outside the
kept triangle, gradients (float64 finite differences and torch.autograd), and bad input."""
import numpy as np
import pytest

import kernels
from opcheck import check_cuda_vs_cpu, check_torch, gradcheck, requires_cuda

R = np.random.default_rng(41)
CASES = [((3, 4), 0), ((4, 3), -1), ((2, 3, 3), 1), ((2, 1, 5, 2), 2), ((3, 3), -5), ((3, 3), 7), ((0, 2), 0)]


def _ids(c):
    return f"{c[0]}-k{c[1]}"


@pytest.mark.parametrize("name", ["tril", "triu"])
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_against_numpy_and_torch(name, case):
    shape, k = case
    x = R.standard_normal(shape)
    ref = getattr(np, name)(x, k)
    np.testing.assert_array_equal(getattr(kernels, name)(kernels.tensor(x), k).numpy(), ref)
    np.testing.assert_array_equal(getattr(kernels.tensor(x), name)(diagonal=k).numpy(), ref)
    torch = pytest.importorskip("torch")
    check_torch(lambda t: getattr(kernels, name)(t, k), lambda t: getattr(torch, name)(t, k), [x])


@pytest.mark.parametrize("name", ["tril", "triu"])
def test_gradients_by_finite_differences(name):
    gradcheck(lambda t: getattr(kernels, name)(t, 0), [R.standard_normal((2, 3, 4))])


@pytest.mark.parametrize("name", ["tril", "triu"])
def test_dropped_entries_are_zero_even_for_inf_and_nan(name):
    x = np.full((3, 3), np.inf)
    x[0, 2] = x[2, 0] = np.nan
    got = getattr(kernels, name)(kernels.tensor(x)).numpy()
    keep = getattr(np, name)(np.ones((3, 3))) > 0
    np.testing.assert_array_equal(got, np.where(keep, x, 0.0))  # NaN kept where kept, 0 elsewhere


def test_bad_input():
    with pytest.raises(ValueError, match=r"tril: input tensor must have at least 2 dimensions, got shape \(3,\)"):
        kernels.tril(kernels.ones(3))
    with pytest.raises(TypeError, match="triu: diagonal must be an int"):
        kernels.triu(kernels.ones(2, 2), 1.5)


@requires_cuda
@pytest.mark.parametrize("name", ["tril", "triu"])
def test_cuda_vs_cpu(name):
    check_cuda_vs_cpu(lambda t: getattr(kernels, name)(t, 1), [R.standard_normal((2, 4, 3))])
