"""uint8 / int8 / int16 / int32 tensors, as torch has them: the dtype objects, creation, NumPy and
DLPack interop, every conversion between the eight dtypes (torch's casts, edge values included),
the shape and indexing ops that only move bytes, comparisons and integer reductions, and the
TypeError every arithmetic op raises for them. CPU against CUDA at the end (skipped without a GPU).

The scenario behind it: torchvision's MNIST keeps its images as a uint8 tensor and scripts do
``data.unsqueeze(1).clone()``, ``.float() / 255``, indexing and ``.to(torch.int32)``.
"""
import inspect

import numpy as np
import pytest

import kernels
from opcheck import requires_cuda

SMALL = ["uint8", "int8", "int16", "int32"]
ALL = ["float32", "float64", "int64", "bool"] + SMALL
NP = {"float32": np.float32, "float64": np.float64, "int64": np.int64, "bool": np.bool_,
      "uint8": np.uint8, "int8": np.int8, "int16": np.int16, "int32": np.int32}
TYPE_NAMES = {"uint8": "ByteTensor", "int8": "CharTensor", "int16": "ShortTensor", "int32": "IntTensor"}

FLOAT_EDGES = [float("nan"), float("inf"), -float("inf"), 300.7, -1.5, -0.9, 0.0, -0.0, 255.9, 127.5,
               -128.9, -129.0, 40000.0, -40000.0, 65535.9, 65536.0, 3e9, -3e9, 1e10, 2.0**31,
               -2.0**31, 2.0**31 - 1, 1e19, -1e19]
INT_EDGES = [0, 1, -1, 127, 128, -128, -129, 255, 256, 32767, 32768, -32768, -32769, 65535, 65536,
             2**31 - 1, 2**31, -2**31, -2**31 - 1, 2**40 + 7, 2**63 - 1, -2**63, 16777217]


def kd(name):
    return getattr(kernels, name)


def source_array(name):
    """Edge values of dtype `name` (integers wrapped into it as a C cast would)."""
    if name in ("float32", "float64"):
        return np.array(FLOAT_EDGES, dtype=NP[name])
    if name == "bool":
        return np.array([True, False, True])
    return np.array(INT_EDGES, dtype=np.int64).astype(NP[name])


# ---------------------------------------------------------------- dtype objects


@pytest.mark.parametrize("name", SMALL)
def test_dtype_objects_match_torch(torch, name):
    d, td = kd(name), getattr(torch, name)
    assert d.name == name and repr(d) == "kernels." + name
    assert d.itemsize == td.itemsize == np.dtype(NP[name]).itemsize
    assert d.is_floating_point is False and d.is_floating_point == td.is_floating_point
    assert d.is_signed == td.is_signed
    assert kernels.tensor([1], dtype=d).element_size() == td.itemsize
    info, tinfo = kernels.iinfo(d), torch.iinfo(td)
    assert (info.bits, info.min, info.max) == (tinfo.bits, tinfo.min, tinfo.max)
    assert repr(info) == repr(tinfo)


def test_aliases_match_torch(torch):
    assert kernels.int is kernels.int32 and torch.int is torch.int32
    assert kernels.short is kernels.int16 and torch.short is torch.int16
    assert kernels.long is kernels.int64 and torch.long is torch.int64
    assert kernels.iinfo(kernels.int64).max == torch.iinfo(torch.int64).max
    assert kernels.finfo(kernels.float32).eps == torch.finfo(torch.float32).eps
    assert kernels.finfo().max == torch.finfo().max
    with pytest.raises(TypeError, match="iinfo"):
        kernels.iinfo(kernels.float32)
    with pytest.raises(TypeError, match="finfo"):
        kernels.finfo(kernels.uint8)
    assert kernels.bool.is_signed is torch.bool.is_signed is False
    assert kernels.float32.is_signed is torch.float32.is_signed is True


@pytest.mark.parametrize("name", SMALL)
def test_type_names_and_methods(torch, name):
    t = kernels.tensor([1, 2], dtype=kd(name))
    assert t.type() == torch.tensor([1, 2], dtype=getattr(torch, name)).type() == "torch." + TYPE_NAMES[name]
    assert kernels.tensor([1.5]).type("torch." + TYPE_NAMES[name]).dtype == kd(name)
    assert t.type(kernels.float64).dtype == kernels.float64
    assert t.type(t.dtype) is t
    assert kernels.tensor([1.5]).byte().dtype == kernels.uint8
    assert kernels.tensor([1.5]).char().dtype == kernels.int8
    assert kernels.tensor([1.5]).short().dtype == kernels.int16
    assert kernels.tensor([1.5]).int().dtype == kernels.int32
    assert int(kernels.tensor(7, dtype=kd(name))) == 7
    assert [10, 20, 30][kernels.tensor(1, dtype=kd(name))] == 20  # __index__


# ---------------------------------------------------------------- creation


@pytest.mark.parametrize("name", SMALL)
def test_creation(torch, device, name):
    d, td = kd(name), getattr(torch, name)
    for make, tmake in [
        (lambda: kernels.tensor([[1, 2], [3, 4]], dtype=d, device=device),
         lambda: torch.tensor([[1, 2], [3, 4]], dtype=td)),
        (lambda: kernels.tensor([1.9, 0.5, 100.0, 127.0], dtype=d, device=device),
         lambda: torch.tensor([1.9, 0.5, 100.0, 127.0], dtype=td)),
        (lambda: kernels.tensor([-1, 3], dtype=d, device=device), lambda: torch.tensor([-1, 3], dtype=td)),
        (lambda: kernels.tensor([True, False], dtype=d, device=device),
         lambda: torch.tensor([True, False], dtype=td)),
        (lambda: kernels.zeros(2, 3, dtype=d, device=device), lambda: torch.zeros(2, 3, dtype=td)),
        (lambda: kernels.ones((4,), dtype=d, device=device), lambda: torch.ones((4,), dtype=td)),
        (lambda: kernels.empty(3, dtype=d, device=device).fill_(5), lambda: torch.full((3,), 5, dtype=td)),
        (lambda: kernels.full((2, 2), -1, dtype=d, device=device), lambda: torch.full((2, 2), -1, dtype=td)),
        (lambda: kernels.full((2,), 2.7, dtype=d, device=device), lambda: torch.full((2,), 2.7, dtype=td)),
        (lambda: kernels.arange(0, 100, 7, dtype=d, device=device), lambda: torch.arange(0, 100, 7, dtype=td)),
        (lambda: kernels.zeros_like(kernels.ones(3), dtype=d), lambda: torch.zeros_like(torch.ones(3), dtype=td)),
        (lambda: kernels.ones(2).new_full((2,), 9, dtype=d), lambda: torch.ones(2).new_full((2,), 9, dtype=td)),
    ]:
        got, want = make(), tmake()
        assert got.dtype == d and str(got.device).startswith(device)
        np.testing.assert_array_equal(got.cpu().numpy(), want.numpy())
        assert got.cpu().numpy().dtype == NP[name]


def test_creation_edges_as_torch(torch):
    # integers wrap into uint8 down to -max (torch's overflow check); floats must lie in [0, 255]
    assert kernels.tensor([-1, 2], dtype=kernels.uint8).tolist() == \
        torch.tensor([-1, 2], dtype=torch.uint8).tolist() == [255, 2]
    assert kernels.full((1,), -255, dtype=kernels.uint8).tolist() == [1]
    assert kernels.tensor([2.7, 255.0], dtype=kernels.uint8).tolist() == [2, 255]
    for bad in (-0.5, 255.5):
        with pytest.raises(RuntimeError, match="uint8"):
            kernels.tensor([bad], dtype=kernels.uint8)
        with pytest.raises(RuntimeError, match="uint8"):
            kernels.full((1,), bad, dtype=kernels.uint8)
        with pytest.raises(RuntimeError):
            torch.tensor([bad], dtype=torch.uint8)
    assert kernels.arange(250, 256, dtype=kernels.uint8).tolist() == list(range(250, 256))
    assert kernels.arange(-3, 3, dtype=kernels.int8).tolist() == list(range(-3, 3))
    for name, bad in [("uint8", 256), ("uint8", -256), ("int8", 128), ("int8", -129),
                      ("int16", 32768), ("int32", 2**31), ("int32", float("inf"))]:
        with pytest.raises(RuntimeError, match=f"cannot be converted to {name}"):
            kernels.full((2,), bad, dtype=kd(name))
        with pytest.raises(RuntimeError):
            torch.full((2,), bad, dtype=getattr(torch, name))
        with pytest.raises((RuntimeError, ValueError), match="tensor"):
            kernels.tensor([bad], dtype=kd(name))
    with pytest.raises(RuntimeError, match="fill_: value 300"):
        kernels.zeros(2, dtype=kernels.uint8).fill_(300)
    with pytest.raises(RuntimeError, match="arange"):
        kernels.arange(0, 300, dtype=kernels.int8)


def test_randint_with_small_dtype():
    if "dtype" not in inspect.signature(kernels.randint).parameters:
        pytest.skip("randint takes no dtype= in this tree")
    t = kernels.randint(0, 256, (1000,), dtype=kernels.uint8)
    assert t.dtype == kernels.uint8
    v = t.numpy()
    assert v.min() >= 0 and v.max() <= 255 and len(np.unique(v)) > 100


# ---------------------------------------------------------------- NumPy, Python and DLPack


@pytest.mark.parametrize("name", SMALL)
def test_numpy_round_trip_shares_memory(name):
    a = np.arange(12).astype(NP[name]).reshape(3, 4)
    t = kernels.from_numpy(a)
    assert t.dtype == kd(name) and t.shape == (3, 4)
    a[1, 2] = 99
    assert t[1, 2].item() == 99  # from_numpy shares memory
    back = t.numpy()
    assert back.dtype == NP[name]
    back[0, 0] = 42
    assert a[0, 0] == 42  # and .numpy() shares it back
    s = kernels.as_tensor(a)
    assert s.dtype == kd(name) and s.data_ptr() == t.data_ptr()
    c = kernels.tensor(a)
    assert c.dtype == kd(name) and c.data_ptr() != t.data_ptr()
    assert memoryview(t).format == np.dtype(NP[name]).char
    np.testing.assert_array_equal(np.asarray(memoryview(t)), a)
    ro = np.arange(4).astype(NP[name])
    ro.setflags(write=False)
    with pytest.raises(ValueError, match="read-only"):
        kernels.from_numpy(ro).fill_(1)


@pytest.mark.parametrize("name", SMALL)
def test_tolist_item_and_infer(torch, name):
    a = source_array(name)
    t = kernels.tensor(a)
    assert t.dtype == kd(name)  # NumPy integer arrays keep their dtype, as torch's
    assert torch.tensor(a).dtype == getattr(torch, name)
    assert t.tolist() == torch.tensor(a).tolist()
    assert all(type(v) is int for v in t.tolist())
    assert t[3].item() == a[3] and type(t[3].item()) is int
    assert repr(kernels.tensor([1], dtype=kd(name))) == f"tensor([1], dtype=kernels.{name})"
    # a NumPy scalar keeps its dtype too
    assert kernels.tensor(np.array(5, dtype=NP[name])).dtype == kd(name)


@pytest.mark.parametrize("name", SMALL)
def test_dlpack_both_ways(torch, name):
    td = getattr(torch, name)
    tt = torch.arange(6, dtype=td)
    k = kernels.from_dlpack(tt)
    assert k.dtype == kd(name)
    tt[2] = 77
    assert k[2].item() == 77
    back = torch.from_dlpack(k)
    assert back.dtype == td and back.tolist() == tt.tolist()
    npk = kernels.from_dlpack(np.arange(3, dtype=NP[name]))
    assert npk.dtype == kd(name) and npk.tolist() == [0, 1, 2]


# ---------------------------------------------------------------- conversions


@pytest.mark.parametrize("src", ALL)
@pytest.mark.parametrize("dst", ALL)
def test_every_conversion_matches_torch(torch, src, dst):
    a = source_array(src)
    got = kernels.from_numpy(a).to(kd(dst))
    want = torch.from_numpy(a).to(getattr(torch, dst))
    assert got.dtype == kd(dst)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    # the same through the C++ entry point and Tensor.type()
    np.testing.assert_array_equal(kernels._C.to_dtype(kernels.from_numpy(a), kd(dst)).numpy(), want.numpy())
    if src in SMALL or dst in SMALL:
        np.testing.assert_array_equal(kernels.from_numpy(a).type(kd(dst)).numpy(), want.numpy())


def test_conversion_examples():
    f = kernels.tensor([300.7, -1.5, -0.9, 1e10, float("nan")])
    assert f.byte().tolist() == [44, 255, 0, 0, 0]  # truncate toward zero, then wrap
    assert f.char().tolist() == [44, -1, 0, 0, 0]
    assert f.short().tolist() == [300, -1, 0, 0, 0]
    assert f.int().tolist() == [300, -1, 0, -2**31, -2**31]  # NaN and out of range: INT_MIN
    assert f.long().tolist()[4] == -2**63  # the float -> int64 policy, unchanged
    i = kernels.tensor([-1, 256, 2**31, -129])
    assert i.byte().tolist() == [255, 0, 0, 127]
    assert i.char().tolist() == [-1, 0, 0, 127]
    assert i.int().tolist() == [-1, 256, -2**31, -129]
    u = kernels.tensor([0, 200, 255], dtype=kernels.uint8)
    assert u.float().tolist() == [0.0, 200.0, 255.0] and u.double().dtype == kernels.float64
    assert u.bool().tolist() == [False, True, True] and u.long().tolist() == [0, 200, 255]
    assert u.to(kernels.int8).tolist() == [0, -56, -1]
    assert kernels.tensor([True, False]).byte().tolist() == [1, 0]


def test_mnist_style_pipeline(torch):
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    data, tdata = kernels.from_numpy(imgs), torch.from_numpy(imgs)
    x, tx = data.unsqueeze(1).clone(), tdata.unsqueeze(1).clone()
    assert x.shape == (5, 1, 28, 28) and x.dtype == kernels.uint8 and not x._same_storage(data)
    np.testing.assert_array_equal(x.numpy(), tx.numpy())
    np.testing.assert_allclose((x.float() / 255).numpy(), (tx.float() / 255).numpy(), rtol=1e-6)
    np.testing.assert_allclose((x / 255).numpy(), (tx / 255).numpy(), rtol=1e-6)
    assert (x / 255).dtype == kernels.float32
    sub = x[[0, 3]]
    np.testing.assert_array_equal(sub.numpy(), tx[[0, 3]].numpy())
    as32 = x.to(kernels.int32)
    assert as32.dtype == kernels.int32 and as32.sum().item() == tx.to(torch.int32).sum().item()
    np.testing.assert_array_equal(x[0, 0, 5:10, ::3].numpy(), tx[0, 0, 5:10, ::3].numpy())


# ---------------------------------------------------------------- shape and indexing ops


@pytest.mark.parametrize("name", SMALL)
def test_shape_ops_match_numpy(device, name):
    a = (np.arange(24) * 11 - 100).astype(NP[name]).reshape(2, 3, 4)
    t = kernels.tensor(a, device=device)

    def check(got, want):
        assert got.dtype == kd(name)
        np.testing.assert_array_equal(got.cpu().numpy(), want)

    check(t.reshape(4, 6), a.reshape(4, 6))
    check(t.view(-1), a.reshape(-1))
    check(t.unsqueeze(1), a[:, None])
    check(t.unsqueeze(0).squeeze(0), a)
    check(t.flatten(1), a.reshape(2, 12))
    check(t.permute(2, 0, 1), a.transpose(2, 0, 1))
    check(t.permute(2, 0, 1).contiguous(), a.transpose(2, 0, 1))
    check(t.transpose(0, 2), a.swapaxes(0, 2))
    check(t[0].t(), a[0].T)
    check(t.clone(), a)
    check(t[:, 1:, ::2], a[:, 1:, ::2])
    check(t[1, 2], a[1, 2])
    check(t[..., -1], a[..., -1])
    check(t.expand(3, 2, 3, 4)[2], a)
    check(kernels.cat([t, t[:1]], 0), np.concatenate([a, a[:1]], 0))
    check(kernels.cat([t, t], 2), np.concatenate([a, a], 2))
    check(kernels.stack([t[0], t[1]], 1), np.stack([a[0], a[1]], 1))
    for got, want in zip(t.split(1, dim=2), np.split(a, 4, axis=2)):
        check(got, want)
    check(t.narrow(2, 1, 2), a[:, :, 1:3])
    assert t.to("cpu").dtype == kd(name)


@pytest.mark.parametrize("name", SMALL)
def test_indexing_matches_numpy(device, name):
    a = (np.arange(20) * 13 - 50).astype(NP[name]).reshape(4, 5)
    t = kernels.tensor(a, device=device)

    def check(got, want):
        assert got.dtype == kd(name)
        np.testing.assert_array_equal(got.cpu().numpy(), want)

    idx = kernels.tensor([3, 0, 3], device=device)
    check(t[idx], a[[3, 0, 3]])
    check(t[[1, 2], [4, 0]], a[[1, 2], [4, 0]])
    check(t[:, [0, 2]], a[:, [0, 2]])
    mask = t > 0
    np.testing.assert_array_equal(mask.cpu().numpy(), a > 0)
    check(t[mask], a[a > 0])
    check(t.index_select(1, kernels.tensor([4, 1], device=device)), a[:, [4, 1]])
    g = kernels.tensor([[0, 4], [1, 1], [2, 3], [4, 0]], device=device)
    check(t.gather(1, g), np.take_along_axis(a, g.cpu().numpy(), 1))
    check(kernels.where(mask, t, kernels.zeros_like(t)), np.where(a > 0, a, 0).astype(NP[name]))

    b = a.copy()
    u = t.clone()
    u[0] = 7
    b[0] = 7
    u[1, 2] = -3 if name != "uint8" else 3
    b[1, 2] = -3 if name != "uint8" else 3
    u[2:, 1:3] = kernels.tensor([[1, 2], [3, 4]], dtype=kd(name), device=device)
    b[2:, 1:3] = [[1, 2], [3, 4]]
    u[kernels.tensor([3], device=device)] = 5
    b[[3]] = 5
    u[u == 5] = 6
    b[b == 5] = 6
    u[:, 4] = kernels.tensor([1.9, 2.9, 3.9, 4.9], device=device)  # another dtype: converted
    b[:, 4] = [1, 2, 3, 4]
    check(u, b)
    v = kernels.zeros(4, 5, dtype=kd(name), device=device)
    v.copy_(t)
    check(v, a)
    v.copy_(kernels.tensor([1.5, 2.5, 3.5, 4.5, 5.5], device=device))  # broadcast + convert
    check(v, np.tile(np.array([1, 2, 3, 4, 5], dtype=NP[name]), (4, 1)))


def test_setitem_value_out_of_range_raises_as_torch(torch):
    t = kernels.tensor([1, 2], dtype=kernels.uint8)
    with pytest.raises(RuntimeError, match="uint8"):
        t[0] = 300
    tt = torch.tensor([1, 2], dtype=torch.uint8)
    with pytest.raises(RuntimeError):
        tt[0] = 300
    t[0] = -1  # wraps, as torch's
    tt[0] = -1
    assert t.tolist() == tt.tolist() == [255, 2]


@pytest.mark.parametrize("name", SMALL)
def test_comparisons_and_reductions_match_torch(torch, device, name):
    a = source_array(name)[:12]
    b = a[::-1].copy()
    t, u = kernels.tensor(a, device=device), kernels.tensor(b, device=device)
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    for op in ["__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"]:
        np.testing.assert_array_equal(getattr(t, op)(u).cpu().numpy(), getattr(ta, op)(tb).numpy())
        np.testing.assert_array_equal(getattr(t, op)(1).cpu().numpy(), getattr(ta, op)(1).numpy())
        np.testing.assert_array_equal(getattr(t, op)(0.5).cpu().numpy(), getattr(ta, op)(0.5).numpy())
    s = t.sum()
    assert s.dtype == kernels.int64 and s.item() == ta.sum().item()
    assert t.reshape(3, 4).sum(1).tolist() == ta.reshape(3, 4).sum(1).tolist()
    assert t.max().item() == ta.max().item() and t.max().dtype == kd(name)
    assert t.min().item() == ta.min().item()
    v, i = t.reshape(3, 4).max(1)
    tv, ti = ta.reshape(3, 4).max(1)
    assert v.dtype == kd(name) and v.tolist() == tv.tolist() and i.tolist() == ti.tolist()
    assert t.argmax().item() == ta.argmax().item() and t.argmin().item() == ta.argmin().item()
    assert t.reshape(3, 4).amax(0).tolist() == ta.reshape(3, 4).amax(0).tolist()


def test_result_type_matches_torch(torch):
    names = ALL
    for x in names:
        for y in names:
            a, b = kernels.ones(2, dtype=kd(x)), kernels.ones(2, dtype=kd(y))
            ta, tb = torch.ones(2, dtype=getattr(torch, x)), torch.ones(2, dtype=getattr(torch, y))
            assert kernels.result_type(a, b).name == str(torch.result_type(ta, tb)).split(".")[1], (x, y)
        a, ta = kernels.ones(2, dtype=kd(x)), torch.ones(2, dtype=getattr(torch, x))
        for s in (1, 2.5, True):
            assert kernels.result_type(a, s).name == str(torch.result_type(ta, s)).split(".")[1], (x, s)
    # mixed comparisons promote first, as torch's
    u8 = kernels.tensor([200, 1], dtype=kernels.uint8)
    i8 = kernels.tensor([-56, 1], dtype=kernels.int8)
    assert (u8 == i8).tolist() == [False, True]
    assert (u8.float() / 255 > 0.5).tolist() == [True, False]


# ---------------------------------------------------------------- ops without these dtypes

BAD_OPS = [
    ("add", lambda t: t + t),
    ("add", lambda t: t + 1),
    ("sub", lambda t: t - t),
    ("mul", lambda t: t * 2),
    ("neg", lambda t: -t),
    ("abs", lambda t: t.abs()),
    ("pow", lambda t: t ** 2),
    ("maximum", lambda t: kernels.maximum(t, t)),
    ("clamp", lambda t: t.clamp(0, 3)),
    ("relu", lambda t: t.relu()),
    ("sigmoid", lambda t: t.sigmoid()),
    ("mean", lambda t: t.mean()),
    ("var", lambda t: t.var()),
    ("matmul", lambda t: t @ t),
    ("softmax", lambda t: t.softmax(1)),
    ("add_", lambda t: t.add_(1)),
    ("scatter_add", lambda t: t.scatter_add(0, kernels.zeros(2, 2, dtype=kernels.int64), t)),
    ("index_add", lambda t: t.index_add(0, kernels.tensor([0, 1]), t)),
    ("conv2d", lambda t: kernels.nn.functional.conv2d(t.reshape(1, 1, 2, 2), t.reshape(1, 1, 2, 2))),
    ("max_pool2d", lambda t: kernels.nn.functional.max_pool2d(t.reshape(1, 1, 2, 2), 2)),
    ("linear", lambda t: kernels.nn.functional.linear(t, t)),
]


@pytest.mark.parametrize("name", SMALL)
@pytest.mark.parametrize("op, fn", BAD_OPS, ids=[f"{op}{i}" for i, (op, _) in enumerate(BAD_OPS)])
def test_arithmetic_raises_type_error_naming_op_and_dtype(device, name, op, fn):
    t = kernels.tensor([[1, 2], [3, 4]], dtype=kd(name), device=device)
    with pytest.raises(TypeError) as e:
        fn(t)
    msg = str(e.value)
    assert op in msg and name in msg, msg


@pytest.mark.parametrize("name", SMALL)
def test_index_and_target_dtypes_still_int64(name):
    x = kernels.ones(3, 4)
    idx = kernels.tensor([0, 2], dtype=kd(name))
    with pytest.raises((TypeError, IndexError), match=name):
        x.index_select(0, idx)
    with pytest.raises(TypeError, match=name):
        kernels.nn.functional.cross_entropy(x, kernels.tensor([0, 1, 2], dtype=kd(name)))
    with pytest.raises(RuntimeError, match="only floating point tensors can require gradients"):
        kernels.tensor([1], dtype=kd(name)).requires_grad_(True)


# ---------------------------------------------------------------- CPU against CUDA


@requires_cuda
@pytest.mark.parametrize("src", ALL)
def test_cuda_conversions_equal_cpu(src):
    a = source_array(src)
    host = kernels.from_numpy(a)
    dev = host.cuda()
    assert dev.dtype == host.dtype and dev.cpu().tolist() == host.tolist()
    for dst in ALL:
        np.testing.assert_array_equal(dev.to(kd(dst)).cpu().numpy(), host.to(kd(dst)).numpy(),
                                      err_msg=f"{src} -> {dst}")


@requires_cuda
@pytest.mark.parametrize("name", SMALL)
def test_cuda_indexing_and_cat_equal_cpu(name):
    a = (np.arange(60) * 7 - 90).astype(NP[name]).reshape(3, 4, 5)
    h = kernels.from_numpy(a)
    d = h.cuda()
    for fn in [lambda t: t.permute(2, 0, 1).contiguous(), lambda t: t[:, ::2, 1:],
               lambda t: t[kernels.tensor([2, 0], device=t.device)], lambda t: t[t > 3],
               lambda t: kernels.cat([t, t[1:]], 0), lambda t: kernels.stack([t, t], 3),
               lambda t: t.sum(1), lambda t: t.max(2)[0], lambda t: (t == t.flip(0)) if hasattr(t, "flip") else t == t,
               lambda t: t.gather(2, kernels.zeros(3, 4, 2, dtype=kernels.int64, device=t.device)),
               lambda t: kernels.full((2, 3), -1, dtype=t.dtype, device=t.device),
               lambda t: kernels.arange(0, 50, 3, dtype=t.dtype, device=t.device)]:
        np.testing.assert_array_equal(fn(d).cpu().numpy(), fn(h).numpy())
    u, v = h.clone(), d.clone()
    u[1, 2] = 9
    v[1, 2] = 9
    u[u > 5] = 1
    v[v > 5] = 1
    np.testing.assert_array_equal(v.cpu().numpy(), u.numpy())


@pytest.mark.parametrize("fmt", ["kernels", "torch"])
def test_checkpoints_keep_the_small_int_dtypes(tmp_path, fmt):
    d = {"u8": kernels.tensor(np.array([0, 1, 255], np.uint8)), "i8": kernels.tensor([-128, 127], dtype=kernels.int8),
         "i16": kernels.tensor([-5, 300], dtype=kernels.int16), "i32": kernels.tensor([2**31 - 1], dtype=kernels.int32)}
    path = tmp_path / "small.pt"
    kernels.save(d, path, format=fmt)
    back = kernels.load(path)
    for k, v in d.items():
        assert back[k].dtype == v.dtype and back[k].tolist() == v.tolist()
    if fmt == "torch":
        torch = pytest.importorskip("torch")
        t = torch.load(path, weights_only=True)
        assert str(t["u8"].dtype) == "torch.uint8" and t["i32"].tolist() == [2**31 - 1]
