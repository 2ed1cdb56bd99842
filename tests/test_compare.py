"""isclose / allclose against torch (infinities, NaNs, equal_nan, integers, broadcasting,
rtol/atol), and the small torch functions is_tensor, numel, clone; bad arguments."""
import math

import numpy as np
import pytest

import kernels
from opcheck import raises_with

NAN, INF = math.nan, math.inf
A = [0.0, 1.0, 1.0 + 1e-6, 1.0 + 1e-4, INF, -INF, INF, NAN, NAN, 1e-9, -0.0, 100.0]
B = [0.0, 1.0, 1.0, 1.0, INF, INF, 1e30, NAN, 1.0, 0.0, 0.0, 100.001]


@pytest.mark.parametrize("kw", [{}, {"equal_nan": True}, {"rtol": 0.0, "atol": 0.0}, {"rtol": 1e-3},
                                {"atol": 1e-3, "rtol": 0}, {"atol": INF}])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_isclose_equals_torch(torch, kw, dtype):
    a = kernels.tensor(A, dtype=getattr(kernels, dtype))
    b = kernels.tensor(B, dtype=getattr(kernels, dtype))
    want = torch.isclose(torch.tensor(A, dtype=getattr(torch, dtype)), torch.tensor(B, dtype=getattr(torch, dtype)), **kw)
    got = kernels.isclose(a, b, **kw)
    assert got.dtype == kernels.bool
    assert got.numpy().tolist() == want.numpy().tolist()
    assert kernels.allclose(a, b, **kw) == torch.allclose(torch.tensor(A, dtype=getattr(torch, dtype)),
                                                          torch.tensor(B, dtype=getattr(torch, dtype)), **kw)


def test_isclose_integers_broadcast_and_methods(torch):
    a, b = [[0, 5, 10**6], [3, 4, 5]], [0, 5, 10**6 + 5]
    for kw in ({}, {"rtol": 1e-5, "atol": 0}, {"atol": 2}):
        got = kernels.tensor(a).isclose(kernels.tensor(b), **kw).numpy()
        assert got.tolist() == torch.tensor(a).isclose(torch.tensor(b), **kw).tolist()
    assert kernels.tensor([True, False]).isclose(kernels.tensor([True, True])).tolist() == [True, False]
    x = kernels.tensor([1.0, 2.0], requires_grad=True)
    assert x.allclose(x.detach() + 1e-7) is True and kernels.allclose(x, x * 2) is False


def test_is_tensor_numel_clone(torch):
    x = kernels.ones(2, 3, requires_grad=True)
    assert kernels.is_tensor(x) and kernels.is_tensor(kernels.nn.Parameter(kernels.ones(1)))
    assert not kernels.is_tensor(np.ones(2)) and not kernels.is_tensor(3.0)
    assert kernels.numel(x) == 6 and kernels.numel(kernels.zeros(0, 4)) == 0 and kernels.numel(kernels.tensor(1.0)) == 1
    c = kernels.clone(x)
    assert c.grad_fn is not None and not c._same_storage(x)
    (c * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 3.0))
    raises_with(TypeError, "numel: input must be a Tensor", lambda: kernels.numel([1, 2]))


def test_bad_arguments(torch):
    a = kernels.zeros(2)
    raises_with(RuntimeError, "isclose: kernels.float32 did not match kernels.float64",
                lambda: kernels.isclose(a, kernels.zeros(2, dtype=kernels.float64)))
    with pytest.raises(RuntimeError, match="did not match"):
        torch.isclose(torch.zeros(2), torch.zeros(2, dtype=torch.float64))
    raises_with(RuntimeError, "isclose: rtol must be greater than or equal to zero, but got -1",
                lambda: kernels.isclose(a, a, rtol=-1))
    raises_with(RuntimeError, "isclose: atol must be greater than or equal to zero",
                lambda: kernels.allclose(a, a, atol=-1e-3))
    with pytest.raises(ValueError):
        kernels.isclose(a, kernels.zeros(3))
    raises_with(TypeError, "isclose: other must be a Tensor", lambda: kernels.isclose(a, 1.0))
