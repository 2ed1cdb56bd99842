"""Tensor.repeat, tile, flip / fliplr / flipud: values against NumPy and torch, gradients against
finite differences and torch.autograd, CPU against CUDA, torch's errors."""
import numpy as np
import pytest

import kernels
from opcheck import check_cuda_vs_cpu, check_gradients, raises_with


def _np(t):
    return t.detach().cpu().numpy()


@pytest.mark.parametrize("shape,reps", [((3,), (2,)), ((2, 3), (2, 1)), ((2, 3), (1, 2, 3)),
                                        ((2, 1, 3), (2, 3, 1)), ((2, 3), (0, 2)), ((), (3, 2))])
def test_repeat_forward(rng, torch, shape, reps):
    x = rng.standard_normal(shape)
    got = _np(kernels.tensor(x).repeat(*reps))
    np.testing.assert_array_equal(got, np.tile(x, reps))
    np.testing.assert_array_equal(got, torch.tensor(x).repeat(*reps).numpy())
    np.testing.assert_array_equal(_np(kernels.tensor(x).repeat(reps)), got)  # a tuple as well


def test_repeat_and_tile_gradients(rng, torch):
    check_gradients(lambda x: x.repeat(2, 1, 3), lambda x: x.repeat(2, 1, 3), [rng.standard_normal((2, 3))])
    check_gradients(lambda x: kernels.tile(x, (2,)), lambda x: torch.tile(x, (2,)), [rng.standard_normal((2, 3))])


@pytest.mark.parametrize("shape,dims", [((5,), (0,)), ((3, 4), (1,)), ((3, 4), (0, 1)), ((2, 3, 4), (-1, 0)),
                                        ((3, 4), ())])
def test_flip_forward_and_gradients(rng, torch, shape, dims):
    x = rng.standard_normal(shape)
    got = _np(kernels.tensor(x).flip(dims))
    np.testing.assert_array_equal(got, np.flip(x, dims) if dims else x)
    np.testing.assert_array_equal(got, torch.tensor(x).flip(dims).numpy())
    np.testing.assert_array_equal(_np(kernels.flip(kernels.tensor(x), *dims)), got)
    if dims:
        check_gradients(lambda t: kernels.flip(t, dims), lambda t: torch.flip(t, dims), [x])


def test_flip_of_a_view_and_fliplr_flipud(rng, torch):
    x = rng.standard_normal((4, 6))
    k, t = kernels.tensor(x), torch.tensor(x)
    np.testing.assert_array_equal(_np(k.t()[::2].flip(1)), t.t()[::2].flip(1).numpy())
    np.testing.assert_array_equal(_np(kernels.fliplr(k)), torch.fliplr(t).numpy())
    np.testing.assert_array_equal(_np(k.flipud()), torch.flipud(t).numpy())
    f = k.flip(0)
    f.add_(1.0)  # a copy, as torch: the source is unchanged
    np.testing.assert_array_equal(_np(k), x)


def test_tile_pads_dims(rng, torch):
    x = rng.standard_normal((2, 3))
    for reps in ((2,), (2, 2), (3, 1, 2)):
        np.testing.assert_array_equal(_np(kernels.tile(kernels.tensor(x), reps)), torch.tile(torch.tensor(x), reps).numpy())


def test_cuda_vs_cpu(rng):
    x = rng.standard_normal((3, 4))
    check_cuda_vs_cpu(lambda t: t.repeat(2, 1, 2), [x])
    check_cuda_vs_cpu(lambda t: t.flip(0, 1), [x])


def test_bad_arguments(torch):
    x = kernels.zeros(2, 3)
    raises_with(RuntimeError, "repeat: Number of dimensions of repeat dims can not be smaller than number of "
                "dimensions of tensor", lambda: x.repeat(2))
    with pytest.raises(RuntimeError, match="can not be smaller"):
        torch.zeros(2, 3).repeat(2)
    raises_with(RuntimeError, "repeat: repeat counts must be non-negative", lambda: x.repeat(-1, 2))
    raises_with(TypeError, "repeat: sizes must be ints", lambda: x.repeat(2.0, 1))
    raises_with(RuntimeError, "flip: dim 0 appears multiple times in the list of dims", lambda: x.flip(0, 0))
    raises_with(IndexError, "flip: Dimension out of range (expected to be in range of [-2, 1], but got 2)",
                lambda: x.flip(2))
    with pytest.raises(IndexError, match="Dimension out of range"):
        torch.zeros(2, 3).flip(2)
    raises_with(RuntimeError, "fliplr: Input must be >= 2-d", lambda: kernels.zeros(3).fliplr())
