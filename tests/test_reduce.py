"""Reductions: sum, mean, var, std, max, min, amax, amin, argmax, argmin.

One table (OPS) of ops with their NumPy float64 and torch references, walked over a table of dims
(None, int, negative, contiguous and non-contiguous tuples) and keepdim; then backward against
finite differences and torch.autograd, CPU vs CUDA, accuracy of long float32 sums, ties, NaN,
empty and size-1 dims, dtypes, and bad inputs.
"""
import numpy as np
import pytest

import kernels
from opcheck import HAS_CUDA, check_cuda_vs_cpu, check_torch, gradcheck

F64 = kernels.float64
F32 = kernels.float32


def _axis(dim):
    return tuple(dim) if isinstance(dim, (tuple, list)) else dim


# name: (kernels fn(x, dim, keepdim), torch fn, numpy fn, int-dims only, differentiable)
OPS = {
    "sum": (lambda x, d, k: kernels.sum(x, d, k),
            lambda x, d, k: x.sum(dim=d, keepdim=k) if d is not None else (x.sum(dim=tuple(range(x.dim())), keepdim=True) if k else x.sum()),
            lambda a, d, k: np.sum(a, axis=_axis(d), keepdims=k), False, True),
    "mean": (lambda x, d, k: x.mean(d, k),
             lambda x, d, k: x.mean(dim=d, keepdim=k),
             lambda a, d, k: np.mean(a, axis=_axis(d), keepdims=k), False, True),
    "var": (lambda x, d, k: x.var(d, keepdim=k),
            lambda x, d, k: x.var(dim=d, keepdim=k),
            lambda a, d, k: np.var(a, axis=_axis(d), keepdims=k, ddof=1), False, True),
    "var0": (lambda x, d, k: kernels.var(x, d, unbiased=False, keepdim=k),
             lambda x, d, k: x.var(dim=d, correction=0, keepdim=k),
             lambda a, d, k: np.var(a, axis=_axis(d), keepdims=k), False, True),
    "std": (lambda x, d, k: x.std(d, keepdim=k),
            lambda x, d, k: x.std(dim=d, keepdim=k),
            lambda a, d, k: np.std(a, axis=_axis(d), keepdims=k, ddof=1), False, True),
    "amax": (lambda x, d, k: x.amax(() if d is None else d, k),
             lambda x, d, k: x.amax(() if d is None else d, k),
             lambda a, d, k: np.max(a, axis=_axis(d), keepdims=k), False, True),
    "amin": (lambda x, d, k: kernels.amin(x, () if d is None else d, k),
             lambda x, d, k: x.amin(() if d is None else d, k),
             lambda a, d, k: np.min(a, axis=_axis(d), keepdims=k), False, True),
    "max": (lambda x, d, k: x.max() if d is None else x.max(d, keepdim=k).values,
            lambda x, d, k: x.max() if d is None else x.max(d, keepdim=k).values,
            lambda a, d, k: np.max(a, axis=d, keepdims=k and d is not None), True, True),
    "min": (lambda x, d, k: kernels.min(x) if d is None else kernels.min(x, d, k)[0],
            lambda x, d, k: x.min() if d is None else x.min(d, keepdim=k)[0],
            lambda a, d, k: np.min(a, axis=d, keepdims=k and d is not None), True, True),
    "max_indices": (lambda x, d, k: x.max(d, keepdim=k).indices,
                    lambda x, d, k: x.max(d, keepdim=k).indices,
                    lambda a, d, k: np.argmax(a, axis=d, keepdims=k), True, False),
    "min_indices": (lambda x, d, k: x.min(d, keepdim=k)[1],
                    lambda x, d, k: x.min(d, keepdim=k)[1],
                    lambda a, d, k: np.argmin(a, axis=d, keepdims=k), True, False),
    "argmax": (lambda x, d, k: x.argmax(d, k),
               lambda x, d, k: x.argmax(d, keepdim=k),
               lambda a, d, k: np.argmax(a, axis=d, keepdims=k), True, False),
    "argmin": (lambda x, d, k: kernels.argmin(x, dim=d, keepdim=k),
               lambda x, d, k: x.argmin(d, keepdim=k),
               lambda a, d, k: np.argmin(a, axis=d, keepdims=k), True, False),
}

TUPLE_DIMS = [None, 0, -1, 2, (0, 2), (1, 2), (-1, 0), [3, 1], (0, 1, 2, 3)]
INT_DIMS = [None, 0, 1, -1, 3]


def _dims_for(name):
    dims = INT_DIMS if OPS[name][3] else TUPLE_DIMS
    if name in ("max_indices", "min_indices"):
        dims = [d for d in dims if d is not None]
    return dims


FWD_CASES = [(n, d, k) for n in OPS for d in _dims_for(n) for k in (False, True)
             if not (n in ("max", "min") and d is None and k)]


@pytest.mark.parametrize("name,dim,keepdim", FWD_CASES)
def test_forward_vs_numpy(name, dim, keepdim, rng):
    kfn, _, nfn, _, _ = OPS[name]
    a = rng.standard_normal((3, 4, 5, 6))
    for dtype, tol in ((F64, 1e-12), (F32, 1e-5)):
        x = kernels.tensor(a, dtype=dtype)
        got = kfn(x, dim, keepdim)
        ref = nfn(a.astype(np.float32 if dtype == F32 else np.float64).astype(np.float64), dim, keepdim)
        out = got.numpy()
        assert out.shape == np.shape(ref), (out.shape, np.shape(ref))
        if OPS[name][4]:
            assert got.dtype == dtype
            np.testing.assert_allclose(out, ref, rtol=tol, atol=tol)
        else:
            assert got.dtype == kernels.int64
            np.testing.assert_array_equal(out, ref)


@pytest.mark.parametrize("name,dim,keepdim", FWD_CASES)
def test_forward_vs_torch(name, dim, keepdim, rng):
    torch = pytest.importorskip("torch")
    kfn, tfn, _, _, _ = OPS[name]
    a = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    got = kfn(kernels.tensor(a), dim, keepdim).numpy()
    want = tfn(torch.tensor(a), dim, keepdim).numpy()
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


GRAD_CASES = [(n, d, k) for n in OPS if OPS[n][4] for d in _dims_for(n)[:6] for k in (False, True)
              if not (n in ("max", "min") and d is None and k)]


@pytest.mark.parametrize("name,dim,keepdim", GRAD_CASES)
def test_backward_finite_differences(name, dim, keepdim, rng):
    kfn = OPS[name][0]
    a = rng.standard_normal((2, 3, 2, 4))  # distinct values: no ties for max/min
    gradcheck(lambda x: kfn(x, dim, keepdim), [a], atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("name,dim,keepdim", GRAD_CASES)
def test_backward_vs_torch(name, dim, keepdim, rng):
    kfn, tfn = OPS[name][:2]
    a = rng.standard_normal((3, 4, 2, 5))
    check_torch(lambda x: kfn(x, dim, keepdim), lambda x: tfn(x, dim, keepdim), [a])


@pytest.mark.parametrize("name,dim,keepdim", [c for c in FWD_CASES if c[2]] + [c for c in FWD_CASES if c[1] in (None, 1)])
def test_cuda_vs_cpu(name, dim, keepdim, rng):
    kfn = OPS[name][0]
    a = rng.standard_normal((3, 40, 5, 70))  # 70 and 40: not multiples of a warp or block
    check_cuda_vs_cpu(lambda x: kfn(x, dim, keepdim), [a], backward=OPS[name][4])


@pytest.mark.parametrize("shape,dim", [((1, 2_000_003), 1), ((300_001, 3), 0), ((3, 3000, 7), (0, 2)),
                                       ((1_000_000,), None)])
@pytest.mark.parametrize("name", ["sum", "mean", "var", "amax", "argmin"])
def test_cuda_vs_cpu_large(name, shape, dim, rng):
    """Long rows and columns take the two-pass CUDA paths."""
    if not HAS_CUDA:
        pytest.skip("no CUDA device, or kernels built without CUDA")
    if name == "argmin" and isinstance(dim, tuple):
        dim = 0
    kfn = OPS[name][0]
    a = rng.standard_normal(shape).astype(np.float32) + 3
    x = kernels.tensor(a)
    np.testing.assert_allclose(kfn(x.cuda(), dim, False).cpu().numpy(), kfn(x, dim, False).numpy(),
                               rtol=2e-6, atol=1e-6)


@pytest.mark.parametrize("shape,dim", [((1, 2_000_003), 1), ((300_001, 3), 0), ((3, 3000, 7), (0, 2)),
                                       ((1_000_000,), None), ((2, 200_000, 5), 1)])
@pytest.mark.parametrize("name", ["sum", "mean", "var", "amax", "argmin"])
def test_long_reductions_vs_numpy(name, shape, dim, rng):
    """Long R with few outputs: the CPU splits R into chunks combined in order."""
    if name == "argmin" and isinstance(dim, tuple):
        dim = 0
    kfn, _, nfn = OPS[name][:3]
    a = rng.standard_normal(shape).astype(np.float32) + 3
    got = kfn(kernels.tensor(a), dim, False).numpy()
    want = nfn(a.astype(np.float64), dim, False)
    if name == "argmin":
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-6)


def test_ties_and_nan_across_chunks():
    a = np.zeros(1_000_000, dtype=np.float32)
    a[[70_000, 250_000, 900_000]] = 5.0
    x = kernels.tensor(a)
    assert x.argmax().item() == 70_000 and x.max(0).indices.item() == 70_000
    a[[600_000, 800_000]] = np.nan
    x = kernels.tensor(a)
    assert x.argmax().item() == 600_000 and x.argmin().item() == 600_000
    assert np.isnan(x.amax().item())
    c = np.zeros((400_000, 2), dtype=np.float32)
    c[[5, 350_000], 1] = -1.0
    np.testing.assert_array_equal(kernels.tensor(c).argmin(0).numpy(), [0, 5])


# ---------------------------------------------------------------- accuracy, dtypes, edge cases


def test_large_float32_sums_vs_float64(rng):
    a = (rng.standard_normal(10**6) + 10.0).astype(np.float32)  # large mean: naive float sums drift
    ref = a.astype(np.float64)
    x = kernels.tensor(a)
    assert abs(x.sum().item() - ref.sum()) <= 1e-6 * abs(ref.sum())
    assert abs(x.mean().item() - ref.mean()) <= 1e-6 * abs(ref.mean())
    assert abs(x.var().item() - ref.var(ddof=1)) <= 1e-5 * ref.var()
    assert abs(x.std().item() - ref.std(ddof=1)) <= 1e-5 * ref.std()
    m = a.reshape(1000, 1000)
    xm = kernels.tensor(m)
    for d in (0, 1):
        np.testing.assert_allclose(xm.sum(d).numpy(), m.astype(np.float64).sum(d), rtol=1e-6)
        np.testing.assert_allclose(xm.var(d).numpy(), m.astype(np.float64).var(d, ddof=1), rtol=1e-5)
    big = rng.standard_normal((3, 400_000)).astype(np.float32)
    np.testing.assert_allclose(kernels.tensor(big).sum(1).numpy(), big.astype(np.float64).sum(1),
                               rtol=1e-6, atol=1e-3)


def test_float64_sum_accuracy(rng):
    a = rng.standard_normal(10**6) * 1e3
    assert abs(kernels.tensor(a).sum().item() - np.sum(a)) < 1e-7


def test_integer_and_bool_sums():
    b = np.array([[True, False, True], [True, True, True]])
    s = kernels.tensor(b).sum(1)
    assert s.dtype == kernels.int64
    np.testing.assert_array_equal(s.numpy(), [2, 3])
    i = np.array([[2**40, 3, -7], [1, 2, 3]], dtype=np.int64)
    t = kernels.tensor(i)
    assert t.sum().item() == int(i.sum()) and t.sum().dtype == kernels.int64
    np.testing.assert_array_equal(t.sum(0).numpy(), i.sum(0))
    np.testing.assert_array_equal(t.amax(1).numpy(), i.max(1))
    np.testing.assert_array_equal(t.max(0).indices.numpy(), i.argmax(0))
    np.testing.assert_array_equal(t.argmin(1).numpy(), i.argmin(1))
    d = kernels.sum(kernels.tensor(np.ones(3, np.float32)), dtype=kernels.float64)
    assert d.dtype == kernels.float64 and d.item() == 3.0
    assert kernels.tensor(b).max().item() is True


def test_ties_pick_first_index_and_share_gradient():
    torch = pytest.importorskip("torch")
    a = np.array([[1.0, 3.0, 3.0, 2.0], [5.0, 5.0, 5.0, 5.0], [0.0, -1.0, 0.0, -1.0]])
    x = kernels.tensor(a, requires_grad=True)
    v, i = x.max(1)
    np.testing.assert_array_equal(i.numpy(), [1, 0, 0])
    np.testing.assert_array_equal(x.min(1).indices.numpy(), [0, 0, 1])
    np.testing.assert_array_equal(x.detach().argmax(1).numpy(), [1, 0, 0])
    assert x.detach().argmax().item() == 4 and x.detach().argmin().item() == 9
    v.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0]])
    # amax / full max: the gradient is split evenly among ties, as torch does
    for kf, tf in ((lambda t: t.amax(1), lambda t: t.amax(1)), (lambda t: t.max(), lambda t: t.max()),
                   (lambda t: t.amin((0, 1)), lambda t: t.amin((0, 1)))):
        check_torch(kf, tf, [a])


def test_nan_propagates():
    torch = pytest.importorskip("torch")
    nan = np.nan
    a = np.array([[1.0, nan, 7.0, nan], [2.0, 9.0, 1.0, 0.0]], dtype=np.float32)
    x, t = kernels.tensor(a), torch.tensor(a)
    v, i = x.max(1)
    tv, ti = t.max(1)
    np.testing.assert_array_equal(v.numpy(), tv.numpy())
    np.testing.assert_array_equal(i.numpy(), ti.numpy())
    np.testing.assert_array_equal(x.min(1).indices.numpy(), t.min(1).indices.numpy())
    np.testing.assert_array_equal(x.amin(1).numpy(), t.amin(1).numpy())
    assert np.isnan(x.max().item()) and np.isnan(x.sum().item())
    assert x.argmax().item() == t.argmax().item() == 1
    np.testing.assert_array_equal(x.argmin(1).numpy(), t.argmin(1).numpy())


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_empty_and_size_one_dims():
    e = kernels.zeros(0, 3)
    np.testing.assert_array_equal(e.sum(0).numpy(), [0.0, 0.0, 0.0])
    assert np.all(np.isnan(e.mean(0).numpy())) and np.all(np.isnan(e.var(0).numpy()))
    assert e.sum(1).shape == (0,) and e.amax(1).shape == (0,) and e.max(1).indices.shape == (0,)
    assert e.sum().item() == 0.0 and e.sum(1, keepdim=True).shape == (0, 1)
    assert kernels.zeros(2, 0, 3).sum((0, 2)).shape == (0,)
    a = np.arange(10.0).reshape(2, 1, 5)
    x = kernels.tensor(a)
    for d in ((0, 2), (0, 1), 1, (1, 2)):
        np.testing.assert_allclose(x.sum(d).numpy(), a.sum(d))
        np.testing.assert_allclose(x.var(d, keepdim=True).numpy(), a.var(d, ddof=1, keepdims=True))
    gradcheck(lambda t: t.sum((0, 2)), [a])
    assert np.isnan(kernels.tensor([1.0]).var().item())
    assert kernels.tensor([1.0]).var(correction=0).item() == 0.0


def test_zero_dim_tensor():
    x = kernels.tensor(3.5, requires_grad=True)
    assert x.sum().item() == 3.5 and x.sum(0).shape == () and x.mean(-1).item() == 3.5
    v, i = x.max(0)
    assert v.item() == 3.5 and i.item() == 0 and i.shape == ()
    assert x.detach().argmax().item() == 0 and x.amax().item() == 3.5
    v.backward()
    assert x.grad.item() == 1.0


def test_var_arguments(rng):
    a = rng.standard_normal((4, 5))
    x = kernels.tensor(a)
    np.testing.assert_allclose(x.var(1, correction=2).numpy(), a.var(1, ddof=2))
    np.testing.assert_allclose(x.var(unbiased=False).item(), a.var())
    np.testing.assert_allclose(x.var(False).item(), a.var())
    np.testing.assert_allclose(x.std(0, True, True).numpy(), a.std(0, ddof=1, keepdims=True))
    gradcheck(lambda t: t.var(0, correction=2), [a])
    gradcheck(lambda t: kernels.std(t, (0, 1), correction=0), [a])


def test_max_returns_namedtuple():
    x = kernels.tensor([[1.0, 4.0], [3.0, 2.0]])
    r = x.max(dim=1, keepdim=True)
    values, indices = r
    assert r.values is values and r.indices is indices
    assert values.shape == (2, 1) and indices.dtype == kernels.int64
    assert type(r).__name__ == "max" and type(x.min(0)).__name__ == "min"


def test_outputs_are_new_tensors():
    x = kernels.tensor([2.0])
    for y in (x.sum(), x.mean(), x.amax(), x.max(0).values):
        assert y is not x and not y._same_storage(x)


# ---------------------------------------------------------------- bad inputs


def test_bad_dims():
    x = kernels.zeros(2, 3, 4)
    for fn in (lambda d: x.sum(d), lambda d: x.mean(d), lambda d: x.var(d), lambda d: x.amax(d),
               lambda d: x.max(d), lambda d: x.argmin(d)):
        with pytest.raises(IndexError, match=r"dim 3 is out of range for a tensor of rank 3"):
            fn(3)
        with pytest.raises(IndexError, match="-4"):
            fn(-4)
    with pytest.raises(IndexError, match="sum"):
        x.sum((0, 5))
    with pytest.raises(ValueError, match="sum: dim 1 appears multiple times"):
        x.sum((1, -2))
    with pytest.raises(ValueError, match="amax.*appears multiple times"):
        x.amax([0, 0])
    with pytest.raises(TypeError, match="sum: dim must be"):
        x.sum(1.5)
    with pytest.raises(TypeError, match="max: dim must be an int"):
        x.max((0, 1))
    with pytest.raises(IndexError, match="max"):
        kernels.tensor(1.0).max(1)


def test_bad_dtypes():
    i = kernels.tensor([[1, 2], [3, 4]])
    with pytest.raises(TypeError, match="mean: could not infer output dtype"):
        i.mean()
    with pytest.raises(TypeError, match="var"):
        i.var(0)
    with pytest.raises(TypeError, match="std"):
        i.std()
    with pytest.raises(TypeError, match="argmax: bool"):
        kernels.tensor([True, False]).argmax()
    with pytest.raises(TypeError, match="sum: expected a Tensor"):
        kernels.sum([1.0, 2.0])
    with pytest.raises(ValueError, match="var: pass either correction or unbiased"):
        kernels.tensor([1.0, 2.0]).var(unbiased=True, correction=0)


def test_empty_reductions_raise():
    e = kernels.zeros(2, 0)
    with pytest.raises(IndexError, match=r"max: Expected reduction dim 1 to have non-zero size"):
        e.max(1)
    with pytest.raises(IndexError, match=r"min: Expected reduction dim 1"):
        e.min(-1)
    with pytest.raises(IndexError, match=r"amax: Expected reduction dim 1"):
        e.amax((0, 1))
    with pytest.raises(IndexError, match=r"argmin: Expected reduction dim 1"):
        e.argmin(1)
    with pytest.raises(IndexError, match="argmax"):
        e.argmax()
    with pytest.raises(RuntimeError, match=r"max\(\): Expected reduction dim to be specified"):
        e.max()


def test_bad_backward_arguments():
    C = kernels._C
    g = kernels.ones(2, 4, dtype=F64)
    with pytest.raises(ValueError, match=r"sum_backward: grad has shape \(2,4\).*\(2,3,4\) gives \(2,3\)"):
        C.sum_backward(g, [2, 3, 4], [2], False)
    with pytest.raises(TypeError, match="mean_backward: grad must be float"):
        C.mean_backward(kernels.ones(2, 3, dtype=kernels.int64), [2, 3, 4], [2], False)
    x = kernels.ones(2, 3, 4, dtype=F64)
    with pytest.raises(TypeError, match="var_backward"):
        C.var_backward(kernels.ones(2, 3), x, [2], 1.0, False)
    with pytest.raises(IndexError, match="max_backward: index 7 is out of range"):
        C.max_backward(kernels.ones(2, 3, dtype=F64), kernels.full((2, 3), 7), [2, 3, 4], 2, False)
    with pytest.raises(TypeError, match="max_backward: indices must be int64"):
        C.max_backward(kernels.ones(2, 3, dtype=F64), kernels.ones(2, 3, dtype=F64), [2, 3, 4], 2, False)
    with pytest.raises(ValueError, match="amax_backward: out has shape"):
        C.amax_backward(kernels.ones(2, 3, dtype=F64), x, kernels.ones(3, dtype=F64), [2], False)
