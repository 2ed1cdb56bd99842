"""masked_fill / masked_fill_ and the in-place clamps clamp_ / clip_ / clamp_min_ / clamp_max_:
values and dtypes against torch (and NumPy), broadcasting, gradients (finite differences and
torch), writes through views, CPU against CUDA, torch's errors."""
import numpy as np
import pytest

import kernels
from opcheck import check_cuda_vs_cpu, check_gradients, raises_with


def _np(t):
    return t.detach().cpu().numpy()


def _mask(rng, shape):
    return rng.random(shape) < 0.4


@pytest.mark.parametrize("shape,mshape", [((4, 5), (4, 5)), ((3, 4, 5), (5,)), ((4, 1), (3, 1, 6))])
def test_masked_fill_forward_against_numpy_and_torch(rng, torch, shape, mshape):
    x, m = rng.standard_normal(shape), _mask(rng, mshape)
    got = _np(kernels.tensor(x).masked_fill(kernels.tensor(m), -7.5))
    np.testing.assert_array_equal(got, np.where(m, -7.5, x))
    want = torch.tensor(x, dtype=torch.float64).masked_fill(torch.tensor(m), -7.5).numpy()
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype,value", [("int64", 1.7), ("int64", -3), ("uint8", -1), ("bool", 2),
                                         ("float64", True), ("int32", 2**31 - 1)])
def test_masked_fill_keeps_dtype_as_torch(torch, dtype, value):
    x = np.arange(6).reshape(2, 3) % 2
    m = np.array([True, False, True])
    got = kernels.tensor(x, dtype=getattr(kernels, dtype)).masked_fill(kernels.tensor(m), value)
    want = torch.tensor(x, dtype=getattr(torch, dtype)).masked_fill(torch.tensor(m), value)
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
    np.testing.assert_array_equal(_np(got), want.numpy())


def test_masked_fill_gradients(rng):
    m = kernels.tensor(_mask(rng, (3, 4)))
    mt = m.numpy()
    check_gradients(lambda x: x.masked_fill(m, 0.5),
                    lambda x: x.masked_fill(__import__("torch").tensor(mt), 0.5),
                    [rng.standard_normal((3, 4))])
    # a 0-d value tensor gets the sum of the upstream gradient where the mask is True
    check_gradients(lambda x, v: kernels.masked_fill(x, m, v),
                    lambda x, v: x.masked_fill(__import__("torch").tensor(mt), v),
                    [rng.standard_normal((3, 4)), np.array(1.25)])


def test_masked_fill_cuda_vs_cpu(rng):
    m = _mask(rng, (5, 6))
    check_cuda_vs_cpu(lambda x: x.masked_fill(kernels.tensor(m, device=x.device), 2.0),
                      [rng.standard_normal((5, 6))])


def test_masked_fill_inplace_through_a_view(torch):
    x = kernels.arange(12.0).reshape(3, 4)
    tx = torch.arange(12.0).reshape(3, 4)
    m = np.array([True, False, True])
    assert x.t()[1:].masked_fill_(kernels.tensor(m), -1.0) is not None
    tx.t()[1:].masked_fill_(torch.tensor(m), -1.0)
    np.testing.assert_array_equal(_np(x), tx.numpy())
    x.masked_fill_(kernels.tensor([True, False, False, False]), kernels.tensor(9.0, dtype=kernels.float64))
    tx.masked_fill_(torch.tensor([True, False, False, False]), torch.tensor(9.0, dtype=torch.float64))
    np.testing.assert_array_equal(_np(x), tx.numpy())


def test_masked_fill_inplace_autograd_rules():
    w = kernels.ones(3, requires_grad=True)
    raises_with(RuntimeError, "a leaf Variable that requires grad", lambda: w.masked_fill_(w > 0, 0.0))
    with kernels.no_grad():
        w.masked_fill_(kernels.tensor([True, False, True]), 0.0)
    assert _np(w).tolist() == [0, 1, 0] and w.grad_fn is None


@pytest.mark.parametrize("args,kw", [((-0.5, 0.5), {}), ((), {"min": 0.0}), ((), {"max": -0.2}),
                                     ((None, 0.3), {})])
def test_clamp_inplace_equals_torch(rng, torch, args, kw):
    x = rng.standard_normal((4, 6))
    k, t = kernels.tensor(x), torch.tensor(x, dtype=torch.float64)
    assert k.clamp_(*args, **kw) is k
    t.clamp_(*args, **kw)
    np.testing.assert_array_equal(_np(k), t.numpy())


def test_clamp_min_max_clip_inplace_and_tensor_bounds(rng, torch):
    x = rng.standard_normal((3, 5))
    lo = rng.standard_normal(5) * 0.3
    for name, arg in (("clamp_min_", 0.1), ("clamp_max_", -0.1), ("clamp_min_", lo), ("clip_", None)):
        k, t = kernels.tensor(x), torch.tensor(x, dtype=torch.float64)
        if name == "clip_":
            k.clip_(-0.2, 0.2), t.clip_(-0.2, 0.2)
        else:
            ka = kernels.tensor(arg) if isinstance(arg, np.ndarray) else arg
            ta = torch.tensor(arg, dtype=torch.float64) if isinstance(arg, np.ndarray) else arg
            getattr(k, name)(ka), getattr(t, name)(ta)
        np.testing.assert_array_equal(_np(k), t.numpy(), err_msg=name)


def test_clamp_inplace_through_views_and_ints(torch):
    k, t = kernels.arange(12).reshape(3, 4), torch.arange(12).reshape(3, 4)
    k.t()[::2].clamp_(2, 7), t.t()[::2].clamp_(2, 7)
    assert k.dtype == kernels.int64
    np.testing.assert_array_equal(_np(k), t.numpy())


def test_clamp_inplace_autograd_rules():
    w = kernels.ones(3, requires_grad=True)
    raises_with(RuntimeError, "clamp_: a leaf Variable that requires grad", lambda: w.clamp_(0, 1))
    with kernels.no_grad():
        w.clamp_(max=0.5)
    assert _np(w).tolist() == [0.5] * 3


def test_bad_arguments(torch):
    x = kernels.zeros(2, 3)
    raises_with(RuntimeError, "masked_fill: masked_fill only supports boolean masks, but got mask with dtype",
                lambda: x.masked_fill(kernels.tensor([1, 0, 1]), 1.0))
    with pytest.raises(RuntimeError, match="only supports boolean masks"):
        torch.zeros(2, 3).masked_fill(torch.tensor([1, 0, 1]), 1.0)
    raises_with(RuntimeError, "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with 1",
                lambda: x.masked_fill_(kernels.tensor([True, False, True]), kernels.ones(3)))
    raises_with(RuntimeError, "masked_fill_: output with shape [3] doesn't match the broadcast shape [2, 3]",
                lambda: kernels.zeros(3).masked_fill_(kernels.ones(2, 3, dtype=kernels.bool), 1.0))
    raises_with(TypeError, "masked_fill: value must be a number or a 0-d tensor, got str",
                lambda: x.masked_fill(kernels.tensor([True, False, True]), "x"))
    with pytest.raises(ValueError):
        x.masked_fill(kernels.ones(2, dtype=kernels.bool), 1.0)  # not broadcastable
    raises_with(RuntimeError, "cannot be converted to type kernels.int64 without overflow",
                lambda: kernels.zeros(3, dtype=kernels.int64).masked_fill(kernels.ones(3, dtype=kernels.bool),
                                                                           float("nan")))
    raises_with(RuntimeError, "clamp_: result type kernels.float32 can't be cast to the desired output type",
                lambda: kernels.zeros(3, dtype=kernels.int64).clamp_(0.5))
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
        torch.zeros(3, dtype=torch.long).clamp_(0.5)
    raises_with(RuntimeError, "At least one of 'min' or 'max' must not be None", lambda: kernels.zeros(3).clamp_())
    raises_with(RuntimeError, "clamp_min_: output with shape [3] doesn't match the broadcast shape [2, 3]",
                lambda: kernels.zeros(3).clamp_min_(kernels.zeros(2, 3)))


def test_inplace_forms_recorded_by_autograd_as_torch(rng, torch):
    x = rng.standard_normal((3, 4))
    m = _mask(rng, (4,))
    up = rng.standard_normal((3, 4))
    k = kernels.tensor(x, requires_grad=True)
    t = torch.tensor(x, requires_grad=True)
    ky, ty = k * 2, t * 2
    ky.masked_fill_(kernels.tensor(m), 0.5).clamp_(-1, 1)
    ty.masked_fill_(torch.tensor(m), 0.5).clamp_(-1, 1)
    ky.clamp_min_(-0.5), ty.clamp_min_(-0.5)
    (ky * kernels.tensor(up)).sum().backward()
    (ty * torch.tensor(up)).sum().backward()
    np.testing.assert_allclose(_np(ky), ty.detach().numpy())
    np.testing.assert_allclose(_np(k.grad), t.grad.numpy())
