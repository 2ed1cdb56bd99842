"""Dropout, elementwise (dropout and nn.Dropout: mask statistics and scaling, the mask is the Philox
uniform stream, seeds, gradients, eval mode, CPU == CUDA masks) and per feature map (dropout1d /
dropout2d / dropout3d and their modules: whole feature maps zeroed, the mask is dropout's Philox
stream, gradients, CPU == CUDA masks for a seed, torch's shape semantics), and bad inputs."""
import warnings

import numpy as np
import pytest

import kernels
import kernels.functional as F
from kernels import nn
from opcheck import gradcheck, requires_cuda

R = np.random.default_rng(21)


def _np(t):
    return np.asarray(t.detach().cpu().numpy())


def _channel_mask(y, lead):
    """The per-map keep mask of output y (all kept maps of a uniform(1, 2) input are non-zero)."""
    v = _np(y).reshape(int(np.prod(lead)), -1)
    keep = v[:, 0] != 0
    assert np.all((v != 0) == keep[:, None]), "a feature map is partly zeroed"
    return keep.reshape(lead)


def test_dropout2d_zeroes_whole_channels_with_probability_p():
    p = 0.3
    x = kernels.tensor(R.uniform(1, 2, (200, 150, 2, 3)))
    y = F.dropout2d(x, p)
    keep = _channel_mask(y, (200, 150))
    assert abs(1 - keep.mean() - p) < 0.01
    np.testing.assert_allclose(_np(y)[keep], _np(x)[keep] / (1 - p), rtol=1e-15)
    k = keep.ravel().astype(np.float64)
    assert abs(np.corrcoef(k[:-1], k[1:])[0, 1]) < 0.02  # neighbouring maps are independent


def test_dropout2d_mask_is_dropouts_philox_stream():
    # map f = n C + c is kept exactly when dropout keeps element f of an (N, C) tensor for the same call
    for shape in [(3, 5, 4, 4), (7, 9, 1, 2), (1, 1, 3, 3)]:
        kernels.manual_seed(99)
        y = F.dropout2d(kernels.tensor(R.uniform(1, 2, shape)), 0.45)
        kernels.manual_seed(99)
        d = F.dropout(kernels.ones(shape[:2], dtype=kernels.float64), 0.45)
        np.testing.assert_array_equal(_channel_mask(y, shape[:2]), _np(d) != 0)


def test_dropout2d_same_seed_same_mask_and_new_mask_per_call():
    x = R.uniform(1, 2, (8, 16, 3, 3))
    kernels.manual_seed(5)
    a = _np(F.dropout2d(kernels.tensor(x), 0.5))
    b = _np(F.dropout2d(kernels.tensor(x), 0.5))
    kernels.manual_seed(5)
    c = _np(F.dropout2d(kernels.tensor(x, dtype=kernels.float32), 0.5))
    np.testing.assert_array_equal(a != 0, c != 0)
    assert not np.array_equal(a != 0, b != 0)


def _check_gradient_is_mask_times_scale(dropout, x, p, dtype, keep_of):
    """y = dropout(x, p) is x * scale where kept and 0 elsewhere, and so is its gradient;
    keep_of(y) is the keep mask broadcastable to x."""
    kx = kernels.tensor(x, dtype=dtype, requires_grad=True)
    y = dropout(kx, p)
    g = R.standard_normal(x.shape)
    y.backward(kernels.tensor(g, dtype=dtype))
    keep = keep_of(y)
    scale = 0.0 if p == 1 else 1 / (1 - p)
    tol = 1e-6 if dtype == kernels.float32 else 1e-15
    np.testing.assert_allclose(_np(y), np.where(keep, _np(kx) * scale, 0), rtol=tol)
    np.testing.assert_allclose(_np(kx.grad), np.where(keep, g * scale, 0), rtol=tol, atol=tol)
    if p == 0:
        assert keep.all()
    if p == 1:
        assert not keep.any()


@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 1.0])
@pytest.mark.parametrize("dtype", [kernels.float32, kernels.float64], ids=str)
def test_dropout2d_gradient_is_mask_times_scale(p, dtype):
    shape = (6, 5, 3, 2)
    _check_gradient_is_mask_times_scale(F.dropout2d, R.uniform(1, 2, shape), p, dtype,
                                        lambda y: _channel_mask(y, shape[:2])[:, :, None, None])


def test_dropout2d_finite_differences_for_a_fixed_mask():
    def fn(x):
        kernels.manual_seed(3)  # the same mask on every call
        return F.dropout2d(x, 0.4)

    gradcheck(fn, [R.uniform(1, 2, (2, 3, 2, 2))])


def test_dropped_maps_are_zero_even_for_inf_and_nan():
    x = np.full((4, 8, 2, 2), np.inf)
    x[:, :, 0, 0] = np.nan
    kernels.manual_seed(1)
    y = _np(F.dropout2d(kernels.tensor(x), 0.5))
    kernels.manual_seed(1)
    keep = _np(F.dropout(kernels.ones(4, 8, dtype=kernels.float64), 0.5)) != 0
    assert np.all(y[~keep] == 0)
    assert np.all(np.isinf(y[keep][:, 1:, :]))


def test_channel_dropout_shape_semantics_follow_torch():
    # dropout2d reads a 3-D input as (N, C, L), with torch's warning
    x = kernels.tensor(R.uniform(1, 2, (6, 7, 5)))
    with pytest.warns(UserWarning, match="3D input to dropout2d"):
        y = F.dropout2d(x, 0.5)
    _channel_mask(y, (6, 7))
    # dropout1d: (N, C, L) batched, (C, L) unbatched: one draw per channel
    kernels.manual_seed(4)
    y1 = F.dropout1d(kernels.tensor(R.uniform(1, 2, (9, 5))), 0.5)
    kernels.manual_seed(4)
    d = F.dropout(kernels.ones(1, 9, dtype=kernels.float64), 0.5)
    np.testing.assert_array_equal(_channel_mask(y1, (9,)), _np(d)[0] != 0)
    assert tuple(y1.shape) == (9, 5)
    _channel_mask(F.dropout1d(kernels.tensor(R.uniform(1, 2, (4, 9, 5))), 0.5), (4, 9))
    # dropout3d: (N, C, D, H, W) batched, (C, D, H, W) unbatched
    _channel_mask(F.dropout3d(kernels.tensor(R.uniform(1, 2, (3, 4, 2, 2, 2))), 0.5), (3, 4))
    y3 = F.dropout3d(kernels.tensor(R.uniform(1, 2, (4, 2, 2, 3))), 0.5)
    _channel_mask(y3, (4,))
    assert tuple(y3.shape) == (4, 2, 2, 3)
    # other ranks warn that they are deprecated (torch too) and still drop per (dim 0, dim 1)
    with pytest.warns(UserWarning, match="deprecated"):
        _channel_mask(F.dropout2d(kernels.tensor(R.uniform(1, 2, (3, 4, 2, 2, 2))), 0.5), (3, 4))


def test_channel_dropout_eval_inplace_and_empty():
    x = kernels.tensor(R.uniform(1, 2, (2, 3, 4, 4)), requires_grad=True)
    state = kernels.get_rng_state()
    y = F.dropout2d(x, 0.5, training=False)
    assert y is not x and kernels.get_rng_state() == state
    np.testing.assert_array_equal(_np(y), _np(x))
    z = kernels.tensor(R.uniform(1, 2, (8, 6, 2, 2)))
    out = F.dropout2d(z, 0.5, inplace=True)
    assert out is z
    _channel_mask(z, (8, 6))
    assert tuple(F.dropout2d(kernels.zeros(0, 3, 2, 2), 0.5).shape) == (0, 3, 2, 2)


def test_dropout_modules():
    m = nn.Dropout2d(0.25)
    assert repr(m) == "Dropout2d(p=0.25, inplace=False)"
    assert repr(nn.Dropout1d()) == "Dropout1d(p=0.5, inplace=False)"
    assert repr(nn.Dropout3d(0.1, inplace=True)) == "Dropout3d(p=0.1, inplace=True)"
    x = kernels.tensor(R.uniform(1, 2, (16, 32, 2, 2)))
    keep = _channel_mask(m(x), (16, 32))
    assert 0.5 < keep.mean() < 0.95
    m.eval()
    np.testing.assert_array_equal(_np(m(x)), _np(x))
    _channel_mask(nn.Dropout1d(0.5)(kernels.tensor(R.uniform(1, 2, (4, 8, 3)))), (4, 8))
    _channel_mask(nn.Dropout3d(0.5)(kernels.tensor(R.uniform(1, 2, (2, 8, 2, 2, 2)))), (2, 8))


@requires_cuda
@pytest.mark.parametrize("shape", [(5, 7, 3, 3), (64, 33, 1, 1), (2, 3, 40, 40)], ids=str)
def test_dropout2d_same_mask_on_cpu_and_cuda(shape):
    x = R.uniform(1, 2, shape)
    kernels.manual_seed(2024)
    a = F.dropout2d(kernels.tensor(x, dtype=kernels.float32), 0.37)
    kernels.manual_seed(2024)
    xc = kernels.tensor(x, dtype=kernels.float32, device="cuda", requires_grad=True)
    b = F.dropout2d(xc, 0.37)
    np.testing.assert_array_equal(_channel_mask(a, shape[:2]), _channel_mask(b, shape[:2]))
    np.testing.assert_allclose(_np(a), _np(b), rtol=1e-6)
    b.backward(kernels.ones(*shape, device="cuda"))
    keep = _channel_mask(a, shape[:2])[:, :, None, None]
    np.testing.assert_allclose(_np(xc.grad), np.broadcast_to(np.where(keep, 1 / 0.63, 0), shape), rtol=1e-6)


def test_channel_dropout_bad_inputs():
    x = kernels.tensor(R.uniform(1, 2, (2, 3, 4, 4)))
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match=f"dropout2d: dropout probability has to be between 0 and 1, but got {p}"):
            F.dropout2d(x, p)
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
            nn.Dropout2d(p)
    with pytest.raises(TypeError, match="dropout2d: p must be a number"):
        F.dropout2d(x, "half")
    with pytest.raises(TypeError, match="dropout2d: input must be a Tensor"):
        F.dropout2d(np.ones((2, 3, 4, 4)))
    with pytest.raises(ValueError, match=r"dropout2d: expected a 4-D \(N, C, H, W\) input, got shape \(5,\)"):
        F.dropout2d(kernels.ones(5))
    with pytest.raises(ValueError, match=r"dropout1d: expected a 2-D \(C, L\) or 3-D \(N, C, L\) input, got shape \(2, 3, 4, 4\)"):
        F.dropout1d(x)
    with pytest.raises(ValueError, match=r"dropout3d: expected a 5-D"):
        F.dropout3d(kernels.ones(3))
    with pytest.raises(TypeError, match="feature_dropout: expected a float32 or float64 tensor"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            F.dropout2d(kernels.tensor(np.ones((2, 3, 2), dtype=np.int64)))
    with pytest.raises(ValueError, match=r"feature_dropout_backward: mask must have shape \(2,3\)"):
        kernels._C.feature_dropout_backward(x, kernels.tensor(np.ones((3, 2), dtype=bool)), 0.5)

# ------------------------------------------------------------------------------ elementwise dropout


def test_dropout_mask_statistics_and_scaling():
    n, p = 200_000, 0.3
    x = kernels.ones(n, dtype=kernels.float64)
    y = _np(F.dropout(x, p))
    kept = y != 0
    assert abs(1 - kept.mean() - p) < 0.006
    np.testing.assert_allclose(y[kept], 1 / (1 - p), rtol=1e-15)
    # neighbouring elements are not correlated (lanes of one Philox call are independent)
    k = kept.astype(np.float64)
    assert abs(np.corrcoef(k[:-1], k[1:])[0, 1]) < 0.01


def test_dropout_mask_is_the_philox_uniform_stream():
    # element i is kept iff U_i >= p, with U_i the float64 uniform of kernels.rand for the same call
    n, p = 1001, 0.4
    kernels.manual_seed(42)
    u = _np(kernels.rand(n, dtype=kernels.float64))
    kernels.manual_seed(42)
    y = _np(F.dropout(kernels.ones(n, dtype=kernels.float64), p))
    np.testing.assert_array_equal(y != 0, u >= p)


def test_dropout_same_seed_same_mask():
    x = kernels.tensor(R.uniform(1, 2, (64, 33)))
    kernels.manual_seed(7)
    a = _np(F.dropout(x, 0.5))
    b = _np(F.dropout(x, 0.5))
    kernels.manual_seed(7)
    c = _np(F.dropout(x, 0.5))
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a != 0, b != 0)  # each call draws a new mask
    # float32 and float64 get the same mask from the same seed
    kernels.manual_seed(7)
    d = _np(F.dropout(kernels.tensor(_np(x), dtype=kernels.float32), 0.5))
    np.testing.assert_array_equal(a != 0, d != 0)


@pytest.mark.parametrize("p", [0.0, 0.25, 0.5, 0.9, 1.0])
@pytest.mark.parametrize("dtype", [kernels.float32, kernels.float64], ids=str)
def test_dropout_gradient_is_mask_times_scale(p, dtype):
    _check_gradient_is_mask_times_scale(F.dropout, R.uniform(0.5, 1.5, (37, 11)), p, dtype,
                                        lambda y: _np(y) != 0)


def test_dropout_eval_is_identity_with_new_handle():
    x = kernels.tensor(R.standard_normal((4, 5)) * 1.5, requires_grad=True)
    y = F.dropout(x, 0.5, training=False)
    assert y is not x
    np.testing.assert_array_equal(_np(y), _np(x))
    y.backward(kernels.ones(4, 5, dtype=kernels.float64))
    np.testing.assert_array_equal(_np(x.grad), np.ones((4, 5)))
    state = kernels.get_rng_state()
    F.dropout(x, 0.5, training=False)
    assert kernels.get_rng_state() == state  # eval mode draws nothing


def test_dropout_empty_and_scalar():
    assert tuple(F.dropout(kernels.zeros(0, 3), 0.5).shape) == (0, 3)
    y = F.dropout(kernels.tensor(2.0), 0.0)
    assert tuple(y.shape) == () and y.item() == 2.0


@requires_cuda
def test_dropout_same_mask_on_cpu_and_cuda():
    x = R.uniform(1, 2, (257, 19))
    kernels.manual_seed(123)
    a = _np(F.dropout(kernels.tensor(x), 0.37))
    kernels.manual_seed(123)
    b = _np(F.dropout(kernels.tensor(x, device="cuda"), 0.37))
    np.testing.assert_array_equal(a != 0, b != 0)
    np.testing.assert_allclose(a, b, rtol=1e-15)


@pytest.mark.parametrize("p", [-0.1, 1.5, "0.5", True])
def test_bad_dropout_p(p):
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        nn.Dropout(p)


def test_dropout_module_train_and_eval():
    m = nn.Dropout(0.5)
    x = kernels.ones(1000)
    y = m(x).numpy()
    assert set(np.unique(y)) <= {0.0, 2.0} and 0.4 < (y == 0).mean() < 0.6
    m.eval()
    np.testing.assert_array_equal(m(x).numpy(), x.numpy())
    assert np.all(nn.Dropout(0.0)(x).numpy() == 1)
