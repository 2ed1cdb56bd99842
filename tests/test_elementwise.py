"""Elementwise ops: forward against NumPy (float64) and torch, backward against finite differences
and torch.autograd, CPU against CUDA, broadcasting, promotion, in-place updates and bad inputs."""
import numpy as np
import pytest

import kernels
from kernels import _C
from opcheck import Const, check_cuda_vs_cpu, check_torch, gradcheck, requires_cuda

R = np.random.default_rng(7)


def _np(t):
    return np.asarray(t.detach().cpu().numpy())


# ------------------------------------------------------------------------------ input domains


def normal(shape):
    return np.asarray(R.standard_normal(shape))


def away_from_zero(shape):  # |x| in [0.3, 2], random sign
    return np.asarray(R.uniform(0.3, 2.0, shape) * R.choice([-1.0, 1.0], shape))


def positive(shape):
    return np.asarray(R.uniform(0.3, 2.0, shape))


def distinct(shape):  # values on a grid of spacing 0.1 plus a small offset: operands never tie
    return np.asarray(R.integers(-20, 20, shape) * 0.1 + R.uniform(0.01, 0.04, shape))


# ------------------------------------------------------------------------------ the op table

# name: (kernels fn, torch fn, numpy fn, domain of a, domain of b)
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b, np.add, normal, normal),
    "sub": (lambda a, b: a - b, lambda a, b: a - b, np.subtract, normal, normal),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, np.multiply, normal, normal),
    "div": (lambda a, b: a / b, lambda a, b: a / b, np.divide, normal, away_from_zero),
    "pow": (lambda a, b: a ** b, lambda a, b: a ** b, np.power, positive, normal),
    "maximum": (kernels.maximum, lambda a, b: a.maximum(b), np.maximum, distinct, lambda s: distinct(s) + 0.05),
    "minimum": (kernels.minimum, lambda a, b: a.minimum(b), np.minimum, distinct, lambda s: distinct(s) + 0.05),
    "add_alpha": (lambda a, b: kernels.add(a, b, alpha=2.5), lambda a, b: a.add(b, alpha=2.5),
                  lambda a, b: a + 2.5 * b, normal, normal),
}

SHAPES = [
    ((3, 4), (3, 4)),
    ((3, 1, 5), (4, 5)),
    ((4, 5), (3, 1, 5)),
    ((5,), ()),
    ((), (2, 3)),
    ((2, 1), (1, 3)),
    ((1,), (4, 1, 1)),
    ((2, 1, 3, 1), (1, 4, 1, 2)),
    ((0, 3), (1, 3)),
    ((2, 0), (2, 1)),
]

# unary: (kernels fn, torch fn, numpy fn, domain)
UNARY = {
    "neg": (lambda x: -x, lambda x: -x, np.negative, normal),
    "exp": (kernels.exp, lambda x: x.exp(), np.exp, normal),
    "log": (kernels.log, lambda x: x.log(), np.log, positive),
    "sqrt": (kernels.sqrt, lambda x: x.sqrt(), np.sqrt, positive),
    "log1p": (kernels.log1p, lambda x: x.log1p(), np.log1p, positive),
    "expm1": (lambda x: x.expm1(), lambda x: x.expm1(), np.expm1, normal),
    "sin": (kernels.sin, lambda x: x.sin(), np.sin, normal),
    "cos": (lambda x: x.cos(), lambda x: x.cos(), np.cos, normal),
    "abs": (abs, lambda x: x.abs(), np.abs, away_from_zero),
    "clamp": (lambda x: x.clamp(-0.5, 0.7), lambda x: x.clamp(-0.5, 0.7),
              lambda x: np.clip(x, -0.5, 0.7), lambda s: away_from_zero(s) * 0.9),
    "clamp_min": (lambda x: kernels.clamp_min(x, 0.25), lambda x: x.clamp_min(0.25),
                  lambda x: np.maximum(x, 0.25), away_from_zero),
    "clamp_max": (lambda x: x.clamp_max(-0.25), lambda x: x.clamp_max(-0.25),
                  lambda x: np.minimum(x, -0.25), away_from_zero),
    "sign": (kernels.sign, lambda x: x.sign(), np.sign, away_from_zero),
    # tensor-scalar forms
    "add_s": (lambda x: x + 2.5, lambda x: x + 2.5, lambda x: x + 2.5, normal),
    "radd_s": (lambda x: 2.5 + x, lambda x: 2.5 + x, lambda x: 2.5 + x, normal),
    "sub_s": (lambda x: x - 1.5, lambda x: x - 1.5, lambda x: x - 1.5, normal),
    "rsub_s": (lambda x: 1.5 - x, lambda x: 1.5 - x, lambda x: 1.5 - x, normal),
    "mul_s": (lambda x: x * -1.5, lambda x: x * -1.5, lambda x: x * -1.5, normal),
    "rmul_s": (lambda x: 3 * x, lambda x: 3 * x, lambda x: 3 * x, normal),
    "div_s": (lambda x: x / 4.0, lambda x: x / 4.0, lambda x: x / 4.0, normal),
    "rdiv_s": (lambda x: 2.0 / x, lambda x: 2.0 / x, lambda x: 2.0 / x, away_from_zero),
    "pow_s": (lambda x: x ** 3, lambda x: x ** 3, lambda x: x ** 3, normal),
    "pow_half": (lambda x: x ** 0.5, lambda x: x ** 0.5, np.sqrt, positive),
    "pow_zero": (lambda x: x ** 0, lambda x: x ** 0, lambda x: x ** 0, normal),
    "rpow_s": (lambda x: 2.0 ** x, lambda x: 2.0 ** x, lambda x: 2.0 ** x, normal),
    "sum_to": (lambda x: kernels.sum_to(x, (3, 1)), lambda x: x.sum(dim=(0, 2), keepdim=True)[0],
               lambda x: x.sum(axis=(0, 2)).reshape(3, 1), normal),
}
UNARY_SHAPES = [(2, 3, 4), (5,), (), (0, 3)]


def unary_shape(name, shape):
    return (2, 3, 4) if name == "sum_to" else shape


def make_pair(name, shapes):
    _, _, _, da, db = BINARY[name]
    return [np.asarray(da(shapes[0])), np.asarray(db(shapes[1]))]


# ------------------------------------------------------------------------------ binary


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("dtype", [kernels.float32, kernels.float64], ids=str)
def test_binary_forward_numpy(name, shapes, dtype):
    fn, _, ref, _, _ = BINARY[name]
    a, b = make_pair(name, shapes)
    out = fn(kernels.tensor(a, dtype=dtype), kernels.tensor(b, dtype=dtype))
    assert out.dtype == dtype
    want = ref(a, b)
    assert out.shape == want.shape
    tol = 1e-12 if dtype == kernels.float64 else 2e-6
    np.testing.assert_allclose(_np(out), want, rtol=tol, atol=tol)


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("name", BINARY)
def test_binary_torch(name, shapes):
    fn, tfn, _, _, _ = BINARY[name]
    check_torch(fn, tfn, make_pair(name, shapes))


@pytest.mark.parametrize("shapes", [s for s in SHAPES if 0 not in s[0] + s[1]], ids=str)
@pytest.mark.parametrize("name", BINARY)
def test_binary_gradcheck(name, shapes):
    fn = BINARY[name][0]
    gradcheck(fn, make_pair(name, shapes))


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("name", BINARY)
def test_binary_cuda_vs_cpu(name, shapes):
    check_cuda_vs_cpu(BINARY[name][0], make_pair(name, shapes))


def test_maximum_minimum_ties_split_gradient():
    torch = pytest.importorskip("torch")
    a = np.array([1.0, 2.0, 3.0])
    b = np.array([1.0, 5.0, 0.0])
    for kfn, tname in ((kernels.maximum, "maximum"), (kernels.minimum, "minimum")):
        check_torch(kfn, getattr(torch, tname), [a, b])
    # NaN propagates like torch.maximum, unlike fmax
    x = kernels.tensor([np.nan, 1.0])
    assert np.isnan(_np(kernels.maximum(x, kernels.tensor([0.0, 0.0])))[0])
    assert np.isnan(_np(kernels.minimum(kernels.tensor([0.0, 0.0]), x))[0])


def test_pow_gradient_at_zero_like_torch():
    torch = pytest.importorskip("torch")
    check_torch(lambda a, b: a ** b, lambda a, b: a ** b,
                [np.array([0.0, 0.0, 2.0, 1.5]), np.array([2.0, 0.0, 0.0, 3.0])])
    check_torch(lambda a: a ** 0.0, lambda a: a ** 0.0, [np.array([0.0, 1.0, -2.0])])


# ------------------------------------------------------------------------------ unary / scalar


@pytest.mark.parametrize("shape", UNARY_SHAPES, ids=str)
@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("dtype", [kernels.float32, kernels.float64], ids=str)
def test_unary_forward_numpy(name, shape, dtype):
    fn, _, ref, dom = UNARY[name]
    x = np.asarray(dom(unary_shape(name, shape)))
    out = fn(kernels.tensor(x, dtype=dtype))
    assert out.dtype == dtype
    tol = 1e-12 if dtype == kernels.float64 else 3e-6
    np.testing.assert_allclose(_np(out), ref(x), rtol=tol, atol=tol)


@pytest.mark.parametrize("shape", UNARY_SHAPES, ids=str)
@pytest.mark.parametrize("name", UNARY)
def test_unary_torch(name, shape):
    fn, tfn, _, dom = UNARY[name]
    check_torch(fn, tfn, [np.asarray(dom(unary_shape(name, shape)))])


@pytest.mark.parametrize("shape", [(2, 3, 4), ()], ids=str)
@pytest.mark.parametrize("name", UNARY)
def test_unary_gradcheck(name, shape):
    fn, _, _, dom = UNARY[name]
    gradcheck(fn, [np.asarray(dom(unary_shape(name, shape)))])


@pytest.mark.parametrize("name", UNARY)
def test_unary_cuda_vs_cpu(name):
    fn, _, _, dom = UNARY[name]
    check_cuda_vs_cpu(fn, [np.asarray(dom((2, 3, 4)))])


def test_clamp_gradient_at_bounds_like_torch():
    torch = pytest.importorskip("torch")
    x = np.array([-1.0, -0.5, 0.0, 0.7, 1.0])
    check_torch(lambda t: t.clamp(-0.5, 0.7), lambda t: t.clamp(-0.5, 0.7), [x])
    check_torch(lambda t: t.clamp(0.7, -0.5), lambda t: t.clamp(0.7, -0.5), [x])  # min > max
    check_torch(lambda t: abs(t), lambda t: t.abs(), [x])  # abs'(0) = 0
    nan = kernels.tensor([np.nan, 2.0]).clamp(0.0, 1.0)
    assert np.isnan(_np(nan)[0]) and _np(nan)[1] == 1.0


def test_clamp_tensor_bounds():
    x = R.standard_normal((3, 4))
    lo = R.standard_normal((4,)) - 0.5
    out = kernels.clamp(kernels.tensor(x), min=kernels.tensor(lo), max=0.8)
    np.testing.assert_allclose(_np(out), np.minimum(np.maximum(x, lo), 0.8), rtol=1e-6)


def test_int_tensor_ops_keep_int64():
    a = kernels.tensor([[1, -2, 3]])
    b = kernels.tensor([[2], [3]])
    an, bn = np.array([[1, -2, 3]]), np.array([[2], [3]])
    for out, want in [(a + b, an + bn), (a - b, an - bn), (a * b, an * bn), (-a, -an), (abs(a), np.abs(an)),
                      (a * 3, an * 3), (7 - a, 7 - an), (a ** 2, an ** 2), (2 ** b, 2 ** bn),
                      (b ** b, bn ** bn), (kernels.maximum(a, b), np.maximum(an, bn)),
                      (a.clamp(-1, 2), np.clip(an, -1, 2)), (kernels.sign(a), np.sign(an))]:
        assert out.dtype == kernels.int64
        np.testing.assert_array_equal(_np(out), want)


# ------------------------------------------------------------------------------ comparisons, logical

CMP = {
    "eq": (np.equal, lambda a, b: a == b), "ne": (np.not_equal, lambda a, b: a != b),
    "lt": (np.less, lambda a, b: a < b), "le": (np.less_equal, lambda a, b: a <= b),
    "gt": (np.greater, lambda a, b: a > b), "ge": (np.greater_equal, lambda a, b: a >= b),
}


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
@pytest.mark.parametrize("name", CMP)
def test_compare(name, dtype, device):
    ref, op = CMP[name]
    a = R.integers(0, 2 if dtype == "bool" else 4, (3, 1, 5)).astype(dtype)
    b = R.integers(0, 2 if dtype == "bool" else 4, (4, 5)).astype(dtype)
    ta, tb = kernels.tensor(a, device=device), kernels.tensor(b, device=device)
    for out, want in [(op(ta, tb), ref(a, b)), (getattr(kernels, name)(ta, tb), ref(a, b)),
                      (op(ta, 2), ref(a, 2)), (op(2, ta), ref(2, a)), (op(ta, 1.5), ref(a, 1.5)),
                      (getattr(ta, name)(tb), ref(a, b))]:
        assert out.dtype == kernels.bool and not out.requires_grad
        np.testing.assert_array_equal(_np(out), want)


def test_compare_mixed_dtypes_and_scalar_rounding():
    a = kernels.tensor([1, 2, 3])
    b = kernels.tensor([1.0, 2.5, 3.0])
    np.testing.assert_array_equal(_np(a == b), [True, False, True])
    np.testing.assert_array_equal(_np(a < 2.5), [True, True, False])  # int vs float, exact
    x = kernels.tensor([0.1], dtype=kernels.float32)
    assert bool(x == 0.1)  # the scalar is rounded to float32, as torch does
    y = kernels.tensor([0.1, 0.2], requires_grad=True)
    assert not (y > 0).requires_grad


def test_logical(device):
    a = R.random((3, 1, 4)) > 0.5
    b = R.random((2, 4)) > 0.5
    ta, tb = kernels.tensor(a, device=device), kernels.tensor(b, device=device)
    np.testing.assert_array_equal(_np(ta & tb), a & b)
    np.testing.assert_array_equal(_np(ta | tb), a | b)
    np.testing.assert_array_equal(_np(~ta), ~a)
    np.testing.assert_array_equal(_np(kernels.logical_and(ta, tb)), a & b)
    np.testing.assert_array_equal(_np(kernels.logical_or(ta, tb)), a | b)
    np.testing.assert_array_equal(_np(kernels.logical_not(ta)), ~a)
    np.testing.assert_array_equal(_np(ta & True), a)
    # non-bool inputs of the logical_* functions count nonzero as True, like torch
    x = kernels.tensor([0.0, 2.0, -1.0], device=device)
    np.testing.assert_array_equal(_np(kernels.logical_not(x)), [True, False, False])
    np.testing.assert_array_equal(_np(kernels.logical_and(x, kernels.tensor([1, 1, 0], device=device))),
                                  [False, True, False])


def test_hash_is_identity():
    a, b = kernels.tensor([1.0]), kernels.tensor([1.0])
    assert len({a, b}) == 2 and hash(a) == id(a)
    d = {a: 1}
    assert d[a] == 1
    assert (a == None) is False  # noqa: E711 - falls back to identity


# ------------------------------------------------------------------------------ where

WHERE_SHAPES = [((3, 4), (3, 4), (3, 4)), ((3, 1, 5), (4, 5), (1,)), ((4, 1), (), (1, 3)),
                ((2, 3), (2, 1), (3,)), ((0, 2), (2,), (1, 2))]


def _where_args(shapes):
    return [Const(R.random(shapes[0]) > 0.5), normal(shapes[1]), normal(shapes[2])]


@pytest.mark.parametrize("shapes", WHERE_SHAPES, ids=str)
def test_where(shapes):
    torch = pytest.importorskip("torch")
    args = _where_args(shapes)
    check_torch(kernels.where, torch.where, args)
    cond, a, b = args
    out = kernels.where(kernels.tensor(cond.value), kernels.tensor(a), kernels.tensor(b))
    np.testing.assert_array_equal(_np(out), np.where(cond.value, a, b))
    if 0 not in shapes[0]:
        gradcheck(kernels.where, args)
    check_cuda_vs_cpu(kernels.where, args)


def test_where_scalars_and_promotion():
    c = kernels.tensor([True, False, True])
    x = kernels.tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = kernels.where(c, x, 0.0)
    np.testing.assert_array_equal(_np(out), [1.0, 0.0, 3.0])
    out.backward(kernels.ones(3))
    np.testing.assert_array_equal(_np(x.grad), [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(_np(x.where(c, -1.0)), [1.0, -1.0, 3.0])
    out = kernels.where(c, kernels.tensor([1, 2, 3]), 0.5)
    assert out.dtype == kernels.float32
    # two numbers, as torch.where(c, 1.0, 0.0): float32 for floats, int64 for ints
    out = kernels.where(c, 1.0, 0.0)
    assert out.dtype == kernels.float32 and tuple(out.shape) == (3,)
    np.testing.assert_array_equal(_np(out), [1.0, 0.0, 1.0])
    out = kernels.where(c, 2, -1)
    assert out.dtype == kernels.int64
    np.testing.assert_array_equal(_np(out), [2, -1, 2])
    with pytest.raises(TypeError, match="where"):
        kernels.where(c, "a", 0.0)


# ------------------------------------------------------------------------------ sum_to

SUM_TO = [
    ((3, 4, 5), (4, 5)), ((3, 4, 5), (4, 1)), ((3, 4, 5), (3, 1, 5)), ((3, 4, 5), (1, 1, 1)),
    ((3, 4, 5), ()), ((2, 3), (2, 3)), ((2, 1, 3), (3,)), ((0, 3), (3,)), ((0, 3), (1, 3)),
    ((4, 0), (4, 1)), ((2, 3, 4, 5), (3, 1, 5)),
    # sizes that take the threaded paths: many outputs, few long sums, long bias-like sums
    ((1000, 1003), (1003,)), ((1003, 1000), (1003, 1)), ((2, 100003), (2, 1)),
    ((100003, 3), (3,)), ((7, 3, 20011), (3, 1)), ((300, 7, 400), (7, 1)), ((1_000_003,), ()),
    ((2, 50000, 3), (2, 1, 3)), ((3, 300007), (300007,)),
]


@pytest.mark.parametrize("shapes", SUM_TO, ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_sum_to(shapes, dtype):
    src, dst = shapes
    x = (R.integers(-5, 5, src) if dtype == "int64" else R.standard_normal(src)).astype(dtype)
    out = _C.sum_to(kernels.tensor(x), list(dst))
    lead = len(src) - len(dst)
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(dst) if s == 1 and src[lead + i] != 1)
    want = x.astype(np.float64).sum(axis=axes).reshape(dst)
    assert out.shape == dst and out.dtype == kernels.tensor(x).dtype
    tol = 1e-5 if dtype == "float32" else 1e-11
    np.testing.assert_allclose(_np(out), want, rtol=tol, atol=tol * max(1.0, np.sqrt(x.size)))


@pytest.mark.parametrize("threads", [1, 3, 8])
def test_sum_to_thread_counts(threads):
    """The CPU kernel picks its split (per output, per reduction slice, per column block) from the
    thread count; every choice must give the same sums."""
    old = kernels.get_num_threads()
    try:
        kernels.set_num_threads(threads)
        for src, dst in SUM_TO[11:]:
            x = R.standard_normal(src)
            lead = len(src) - len(dst)
            axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(dst) if s == 1 and src[lead + i] != 1)
            out = _C.sum_to(kernels.tensor(x), list(dst))
            np.testing.assert_allclose(_np(out), x.sum(axis=axes).reshape(dst), rtol=1e-10, atol=1e-9)
    finally:
        kernels.set_num_threads(old)


@pytest.mark.parametrize("shapes", SUM_TO[:12], ids=str)
def test_sum_to_cuda_vs_cpu(shapes):
    check_cuda_vs_cpu(lambda t: kernels.sum_to(t, shapes[1]), [normal(shapes[0])])


def test_sum_to_gradcheck():
    gradcheck(lambda t: kernels.sum_to(t, (4, 1)), [normal((3, 4, 2))])


# ------------------------------------------------------------------------------ large sizes


def test_large_sizes_cross_thread_chunks(device):
    n = 1_000_003
    a = R.standard_normal(n).astype(np.float32)
    b = R.standard_normal((1,)).astype(np.float32)
    ta, tb = kernels.tensor(a, device=device), kernels.tensor(b, device=device)
    np.testing.assert_allclose(_np(ta + tb), a + b, rtol=1e-6)
    np.testing.assert_allclose(_np(ta * 3.0), a * np.float32(3.0), rtol=1e-6)
    np.testing.assert_allclose(_np(kernels.exp(ta)), np.exp(a), rtol=2e-6)
    m = R.standard_normal((1001, 999)).astype(np.float32)
    col = R.standard_normal((1001, 1)).astype(np.float32)
    tm = kernels.tensor(m, device=device)
    np.testing.assert_allclose(_np(tm - kernels.tensor(col, device=device)), m - col, rtol=1e-6)
    np.testing.assert_array_equal(_np(tm > 0.5), m > 0.5)
    np.testing.assert_allclose(_np(kernels.sum_to(tm, (999,))), m.astype(np.float64).sum(0), rtol=1e-4, atol=1e-3)


def test_eight_dims():
    a = normal((2, 1, 2, 1, 2, 1, 2, 1))
    b = normal((1, 2, 1, 2, 1, 2, 1, 2))
    out = kernels.tensor(a) * kernels.tensor(b)
    np.testing.assert_allclose(_np(out), a * b, rtol=1e-6)


# ------------------------------------------------------------------------------ promotion


def test_dtype_promotion():
    f32 = kernels.tensor([1.0, 2.0])
    f64 = kernels.tensor([1.0, 2.0], dtype=kernels.float64)
    i64 = kernels.tensor([1, 2])
    b = kernels.tensor([True, False])
    zero_d64 = kernels.tensor(2.0, dtype=kernels.float64)
    cases = [
        (i64 + f32, kernels.float32), (f32 + f64, kernels.float64), (i64 + 2.5, kernels.float32),
        (i64 * 2, kernels.int64), (f32 + zero_d64, kernels.float32), (i64 + zero_d64, kernels.float64),
        (b + 1, kernels.int64), (b + 1.5, kernels.float32), (b * f64, kernels.float64),
        (i64 / i64, kernels.float32), (i64 / 2, kernels.float32), (2 / i64, kernels.float32),
        (kernels.exp(i64), kernels.float32), (kernels.log(b), kernels.float32),
        (kernels.sqrt(i64), kernels.float32), (i64 ** 2.0, kernels.float32), (f64 ** 2, kernels.float64),
        (i64.clamp(0.5), kernels.float32), (f32 - True, kernels.float32),
    ]
    for out, want in cases:
        assert out.dtype == want
    np.testing.assert_allclose(_np(i64 / 2), [0.5, 1.0])
    np.testing.assert_allclose(_np(kernels.log(b)), [0.0, -np.inf])


def test_promotion_is_differentiable():
    a = kernels.tensor([1.0, 2.0], requires_grad=True)
    b = kernels.tensor([3.0, 4.0], dtype=kernels.float64, requires_grad=True)
    out = a * b
    assert out.dtype == kernels.float64
    out.backward(kernels.ones(2, dtype=kernels.float64))
    assert a.grad.dtype == kernels.float32 and b.grad.dtype == kernels.float64
    np.testing.assert_allclose(_np(a.grad), [3.0, 4.0])
    np.testing.assert_allclose(_np(b.grad), [1.0, 2.0])


def test_numpy_scalars_and_reflected_ops():
    t = kernels.tensor([1.0, 2.0])
    for out, want in [(np.float64(2.0) * t, [2.0, 4.0]), (t + np.int64(1), [2.0, 3.0]),
                      (+t, [1.0, 2.0]), (10 / t, [10.0, 5.0]), (3 - t, [2.0, 1.0])]:
        assert isinstance(out, kernels.Tensor)
        np.testing.assert_allclose(_np(out), want)
    assert (+t) is t


# ------------------------------------------------------------------------------ in place


def test_inplace_ops(device):
    x = R.standard_normal((3, 4))
    row = R.standard_normal((4,))
    t = kernels.tensor(x, device=device)
    ident = id(t)
    t.add_(kernels.tensor(row, device=device))
    t.sub_(1.5)
    t.mul_(kernels.tensor(row[:1], device=device))
    t.div_(2.0)
    t.add_(kernels.tensor(row, device=device), alpha=-2.0)
    want = ((x + row - 1.5) * row[0] / 2.0) - 2.0 * row
    np.testing.assert_allclose(_np(t), want.astype(np.float32), rtol=1e-5, atol=1e-6)
    t += 1
    t -= kernels.tensor(row, device=device)
    t *= 2
    t /= kernels.tensor(2.0, device=device)
    assert id(t) == ident
    np.testing.assert_allclose(_np(t), (want + 1 - row).astype(np.float32), rtol=1e-5, atol=1e-5)
    assert t.zero_() is t and not _np(t).any()
    t.fill_(3.5)
    assert (_np(t) == 3.5).all()
    t.fill_(kernels.tensor(2.0))
    assert (_np(t) == 2.0).all()


def test_inplace_int_and_optimizer_style_update():
    i = kernels.tensor([1, 2, 3])
    i += 2
    i *= kernels.tensor([2, 2, 2])
    np.testing.assert_array_equal(_np(i), [6, 8, 10])
    with pytest.raises(RuntimeError, match="add_"):
        i.add_(0.5)
    with pytest.raises(RuntimeError, match="div_"):
        i /= 2
    w = kernels.tensor([1.0, 2.0], requires_grad=True)
    (w * w).backward(kernels.ones(2))
    ident = id(w)
    with kernels.no_grad():
        w -= 0.1 * w.grad
    assert id(w) == ident and w.requires_grad and w.grad_fn is None
    np.testing.assert_allclose(_np(w), [0.8, 1.6], rtol=1e-6)


def test_inplace_and_autograd_refuse_leaves():
    w = kernels.tensor([1.0, 2.0], requires_grad=True)
    for fn in (lambda: w.add_(1.0), lambda: w.mul_(2.0), lambda: w.zero_(), lambda: w.fill_(1.0),
               lambda: w.copy_(kernels.zeros(2))):
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            fn()
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w += 1
    # in-place ops recorded by autograd on non-leaves: tests/test_inplace_autograd.py


# ------------------------------------------------------------------------------ bad inputs


def _f(shape, dtype=np.float32):
    return kernels.tensor(np.ones(shape, dtype=dtype))


def test_bad_shapes():
    with pytest.raises(ValueError, match=r"add: shapes \(2,3\) and \(4,\) are not broadcastable"):
        _f((2, 3)) + _f((4,))
    with pytest.raises(ValueError, match=r"mul: shapes \(3,1,5\) and \(4,4\)"):
        _C.mul_forward(_f((3, 1, 5)), _f((4, 4)))
    with pytest.raises(ValueError, match="where: shapes"):
        kernels.where(kernels.tensor([True, False]), _f((3,)), _f((2,)))
    with pytest.raises(ValueError, match="sum_to"):
        kernels.sum_to(_f((3, 4)), (3,))
    with pytest.raises(ValueError, match="sum_to"):
        _C.sum_to(_f((3, 4)), [2, 3, 4])
    with pytest.raises(ValueError, match="add_"):
        with kernels.no_grad():
            _f((3,)).add_(_f((2, 3)))
    with pytest.raises(ValueError, match="mul_backward: grad has shape"):
        _C.mul_backward(_f((3,)), _f((2, 3)), _f((3,)))
    with pytest.raises(ValueError, match="add_backward"):
        _C.add_backward(_f((2, 3)), [2, 3], [4], True, True)
    with pytest.raises(ValueError, match="9 dims|more than 8"):
        _f((1,) * 9) + 1.0


def test_bad_dtypes():
    f32, f64 = _f((2,)), _f((2,), np.float64)
    i64 = _f((2,), np.int64)
    b = kernels.tensor([True, False])
    with pytest.raises(TypeError, match="add: expected tensors of the same dtype"):
        _C.add_forward(f32, f64)
    with pytest.raises(TypeError, match="div"):
        _C.div_forward(i64, i64)
    with pytest.raises(TypeError, match="log"):
        _C.log_forward(b)  # the Python layer converts to float32 first (see test_dtype_promotion)
    with pytest.raises(TypeError, match="exp"):
        _C.exp_forward(i64)
    for name in ("log1p", "expm1", "sin", "cos"):
        with pytest.raises(TypeError, match=name):
            getattr(_C, name + "_forward")(i64)
    with pytest.raises(ValueError, match="sin_backward"):
        _C.sin_backward(_f((3,)), _f((2, 3)))
    with pytest.raises(TypeError, match="add"):
        b + b  # arithmetic on bool tensors: convert first
    with pytest.raises(TypeError, match="neg"):
        -b
    with pytest.raises(TypeError, match="where: condition"):
        kernels.where(f32, f32, f32)
    with pytest.raises(TypeError, match="where: condition must be bool"):
        _C.where_forward(i64, f32, f32)
    with pytest.raises(TypeError, match="__and__"):
        f32 & f32
    with pytest.raises(TypeError, match="__invert__"):
        ~i64
    with pytest.raises(TypeError, match="logical_and: expected a bool tensor"):
        _C.logical_and_forward(f32, f32)
    with pytest.raises(TypeError, match="clamp"):
        b.clamp(0, 1)
    with pytest.raises(TypeError, match="sum_to"):
        _C.sum_to(b, [1])
    with pytest.raises(TypeError, match="mul_backward"):
        _C.mul_backward(i64, i64, i64)
    with pytest.raises(TypeError, match="add"):
        kernels.add(1, 2)
    with pytest.raises(TypeError, match="add"):
        kernels.add(f32, "x")
    with pytest.raises(TypeError):
        f32 + [1, 2]
    with pytest.raises(RuntimeError, match="pow: integers to negative integer powers"):
        i64 ** -1


def test_bad_values():
    with pytest.raises(ValueError, match="clamp: at least one of min and max"):
        _f((2,)).clamp()
    with pytest.raises(ValueError, match="clamp: at least one of min and max"):
        _C.clamp_forward(_f((2,)), None, None)
    with pytest.raises(ValueError, match="clamp: min and max must not be NaN"):
        _C.clamp_forward(_f((2,)), float("nan"), None)
    with pytest.raises(ValueError, match="fill_"):
        _f((2,)).fill_(kernels.zeros(2))


@requires_cuda
def test_device_mismatch():
    a = kernels.ones(3)
    b = kernels.ones(3, device="cuda")
    with pytest.raises(RuntimeError, match="add: expected all tensors on the same device"):
        a + b
    with pytest.raises(RuntimeError, match="where"):
        kernels.where(kernels.tensor([True, False, True]), b, b)
    with pytest.raises(RuntimeError, match="add_"):
        with kernels.no_grad():
            a.add_(b)



def test_log1p_and_expm1_keep_precision_near_zero():
    """log1p / expm1 exist for tiny arguments, where log(1 + x) and exp(x) - 1 round to 0."""
    x = np.array([1e-10, -1e-12, 3e-8], dtype=np.float32)
    for fn, ref in ((kernels.log1p, np.log1p), (kernels.expm1, np.expm1)):
        got = fn(kernels.tensor(x)).numpy()
        np.testing.assert_allclose(got, ref(x.astype(np.float64)), rtol=1e-6)
        assert np.all(got != 0)
