"""The Philox generator: reproducibility, distributions, CPU vs CUDA, bad input."""
import numpy as np
import pytest

import kernels
from opcheck import requires_cuda


def test_same_seed_same_numbers_and_stream_advances():
    kernels.manual_seed(42)
    a = kernels.randn(100).numpy().copy()
    b = kernels.randn(100).numpy().copy()
    kernels.manual_seed(42)
    np.testing.assert_array_equal(kernels.randn(100).numpy(), a)
    np.testing.assert_array_equal(kernels.randn(100).numpy(), b)
    assert not np.array_equal(a, b)
    kernels.manual_seed(43)
    assert not np.array_equal(kernels.randn(100).numpy(), a)
    assert kernels.initial_seed() == 43


def test_rng_state_roundtrip():
    kernels.manual_seed(11)
    kernels.rand(5)
    state = kernels.get_rng_state()
    a = kernels.randn(50).numpy().copy()
    kernels.manual_seed(99)
    kernels.set_rng_state(state)
    np.testing.assert_array_equal(kernels.randn(50).numpy(), a)
    assert state == (11, 1)
    with pytest.raises(ValueError, match="set_rng_state"):
        kernels.set_rng_state((1,))
    with pytest.raises(ValueError, match="set_rng_state"):
        kernels.set_rng_state((-1, 0))


def test_prefix_property():
    # Element i depends only on (seed, call, i): a longer draw extends a shorter one.
    kernels.manual_seed(7)
    short = kernels.rand(10).numpy().copy()
    kernels.manual_seed(7)
    np.testing.assert_array_equal(kernels.rand(1000).numpy()[:10], short)


def test_uniform_statistics():
    u = kernels.rand(1_000_000, dtype=kernels.float64).numpy()
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 3e-3 and abs(u.var() - 1 / 12) < 2e-3
    hist, _ = np.histogram(u, bins=10, range=(0, 1))
    assert hist.min() > 0.97 * 100_000 and hist.max() < 1.03 * 100_000
    f = kernels.rand(100_000).numpy()
    assert f.dtype == np.float32 and f.min() >= 0 and f.max() < 1


def test_normal_statistics():
    z = kernels.randn(1_000_000, dtype=kernels.float64).numpy()
    assert abs(z.mean()) < 5e-3 and abs(z.std() - 1) < 5e-3
    assert abs(np.mean(z**3)) < 2e-2 and abs(np.mean(z**4) - 3) < 5e-2  # skew 0, kurtosis 3
    w = kernels.normal(2.0, 0.5, (200_000,)).numpy()
    assert abs(w.mean() - 2.0) < 1e-2 and abs(w.std() - 0.5) < 1e-2


def test_randint_and_randperm():
    r = kernels.randint(-3, 5, (100_000,)).numpy()
    assert r.dtype == np.int64 and r.min() == -3 and r.max() == 4
    counts = np.bincount(r + 3)
    assert counts.min() > 0.95 * 12_500
    assert kernels.randint(10, (3, 4)).shape == (3, 4)
    p = kernels.randperm(1000).numpy()
    assert sorted(p.tolist()) == list(range(1000)) and not np.array_equal(p, np.arange(1000))
    assert kernels.randperm(0).shape == (0,)


def test_requires_grad_and_like():
    x = kernels.randn(3, 4, requires_grad=True)
    assert x.requires_grad and x.shape == (3, 4)
    y = kernels.rand_like(kernels.zeros(2, 5, dtype=kernels.float64))
    assert y.dtype == kernels.float64 and y.shape == (2, 5)


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: kernels.rand(-1), ValueError, "rand: negative dimension"),
        (lambda: kernels.randn(2, dtype=kernels.int64), TypeError, "randn: dtype must be float32 or float64"),
        (lambda: kernels.randint(5, 5, (2,)), ValueError, "randint: expected low < high"),
        (lambda: kernels.randperm(-2), ValueError, "randperm: n must be non-negative"),
        (lambda: kernels.normal(0.0, -1.0, (2,)), ValueError, "randn: expected finite mean and std >= 0"),
        (lambda: kernels.uniform(1.0, 0.0, (2,)), ValueError, "rand: expected finite low <= high"),
        (lambda: kernels.manual_seed(1.5), TypeError, "manual_seed: expected an int"),
    ],
)
def test_bad_input_raises(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@requires_cuda
@pytest.mark.parametrize("dtype", [kernels.float32, kernels.float64])
def test_cuda_gives_the_cpu_numbers(dtype):
    for make in (kernels.rand, kernels.randn):
        kernels.manual_seed(5)
        cpu = make(1000, 33, dtype=dtype).numpy()
        kernels.manual_seed(5)
        gpu = make(1000, 33, dtype=dtype, device="cuda").cpu().numpy()
        if make is kernels.rand:
            np.testing.assert_array_equal(gpu, cpu)
        else:  # device log/sin/cos may differ in the last bit of a double
            np.testing.assert_allclose(gpu, cpu, rtol=1e-6, atol=1e-6)
    kernels.manual_seed(9)
    a = kernels.randint(0, 1000, (5000,)).numpy()
    p = kernels.randperm(500).numpy()
    kernels.manual_seed(9)
    np.testing.assert_array_equal(kernels.randint(0, 1000, (5000,), device="cuda").cpu().numpy(), a)
    np.testing.assert_array_equal(kernels.randperm(500, device="cuda").cpu().numpy(), p)
