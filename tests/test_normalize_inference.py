"""F.normalize against torch (forward and backward, p and dim, eps on zero rows) and
kernels.inference_mode as a context manager and as a decorator."""
import numpy as np
import pytest

import kernels
import kernels.nn.functional as F
from opcheck import check_cuda_vs_cpu, check_gradients


@pytest.mark.parametrize("shape,kw", [((4, 5), {}), ((3, 4, 2), {"dim": -1}), ((4, 5), {"p": 1, "dim": 0}),
                                      ((2, 3, 4), {"p": 3.0, "dim": (1, 2)}), ((6,), {"dim": 0})])
def test_normalize_equals_torch(rng, torch, shape, kw):
    check_gradients(lambda x: F.normalize(x, **kw), lambda x: torch.nn.functional.normalize(x, **kw),
                    [rng.standard_normal(shape)])


def test_normalize_zero_row_uses_eps(torch):
    x = np.array([[0.0, 0.0, 0.0], [3.0, 4.0, 0.0]])
    got = F.normalize(kernels.tensor(x), eps=1e-12).numpy()
    np.testing.assert_allclose(got, torch.nn.functional.normalize(torch.tensor(x)).numpy(), rtol=1e-12)
    assert got[0].tolist() == [0, 0, 0] and np.allclose(got[1], [0.6, 0.8, 0.0])
    big_eps = F.normalize(kernels.tensor(x), eps=10.0).numpy()
    np.testing.assert_allclose(big_eps, x / 10.0)


def test_normalize_cuda_vs_cpu(rng):
    check_cuda_vs_cpu(lambda x: F.normalize(x, dim=1), [rng.standard_normal((4, 7))])


def test_inference_mode_context_manager():
    w = kernels.ones(3, requires_grad=True)
    assert not kernels.is_inference_mode_enabled()
    with kernels.inference_mode():
        y = w * 2
        assert not kernels.is_grad_enabled() and kernels.is_inference_mode_enabled()
        with kernels.inference_mode(False):  # leaves the mode as it is, as torch
            assert not kernels.is_grad_enabled()
    assert y.grad_fn is None and not y.requires_grad
    assert kernels.is_grad_enabled() and not kernels.is_inference_mode_enabled()
    with kernels.inference_mode(False):
        assert (w * 2).requires_grad


def test_inference_mode_decorators_and_reentry():
    @kernels.inference_mode()
    def f(x):
        """doc"""
        return x * 2

    @kernels.inference_mode
    def g(x):
        return x * 3

    w = kernels.ones(2, requires_grad=True)
    assert not f(w).requires_grad and not g(w).requires_grad and f.__doc__ == "doc" and g.__name__ == "g"
    assert kernels.is_grad_enabled()
    mode = kernels.inference_mode()
    with mode:
        with mode:  # the same object entered twice
            pass
        assert not kernels.is_grad_enabled()
    assert kernels.is_grad_enabled()
    with pytest.raises(TypeError, match="inference_mode: mode must be a bool"):
        kernels.inference_mode(1)
