"""Tensor core: creation, dtype inference, NumPy/buffer/DLPack interop, Python scalars, repr, errors.
Copies and conversions (to, casts, copy_, device round trips) are in test_copy.py."""
import numpy as np
import pytest

import kernels
from opcheck import HAS_CUDA, requires_cuda

# ---------------------------------------------------------------- dtype inference


@pytest.mark.parametrize(
    "data, want",
    [
        ([1.0, 2.0], kernels.float32),
        ([1, 2], kernels.int64),
        ([True, False], kernels.bool),
        (3.5, kernels.float32),
        (7, kernels.int64),
        (np.ones(3, dtype=np.float64), kernels.float64),
        (np.ones(3, dtype=np.float32), kernels.float32),
        (np.ones(3, dtype=np.float16), kernels.float32),
        (np.ones(3, dtype=np.int32), kernels.int32),  # torch keeps NumPy's integer dtypes
        (np.ones(3, dtype=np.uint8), kernels.uint8),
        (np.ones(3, dtype=np.uint16), kernels.int64),  # torch.uint16; kernels has no uint16
        (np.ones(3, dtype=bool), kernels.bool),
        ([[1, 2], [3, 4.5]], kernels.float32),
    ],
)
def test_tensor_infers_dtype_as_torch(data, want):
    t = kernels.tensor(data)
    assert t.dtype == want
    np.testing.assert_array_equal(t.numpy(), np.asarray(data).astype(t.numpy().dtype))


def test_tensor_dtype_matches_torch_inference():
    torch = pytest.importorskip("torch")
    for data in ([1.0, 2.0], [1, 2], [True], np.zeros(2), np.zeros(2, np.int64), np.zeros(2, np.float32)):
        assert str(kernels.tensor(data).dtype).split(".")[1] == str(torch.tensor(data).dtype).split(".")[1]


def test_tensor_copies_and_is_aligned(rng):
    a = rng.standard_normal((5, 7))
    t = kernels.tensor(a)
    a[0, 0] = 123.0
    assert t.numpy()[0, 0] != 123.0
    assert t.data_ptr() % 64 == 0
    assert kernels.zeros(3, 5).data_ptr() % 64 == 0


def test_tensor_explicit_dtype_and_requires_grad():
    t = kernels.tensor([1, 2, 3], dtype=kernels.float64, requires_grad=True)
    assert t.dtype == kernels.float64 and t.requires_grad and t.is_leaf
    np.testing.assert_array_equal(t.detach().numpy(), [1.0, 2.0, 3.0])


# ---------------------------------------------------------------- creation


def test_creation_functions_match_numpy(device):
    np.testing.assert_array_equal(kernels.zeros(2, 3, device=device).cpu().numpy(), np.zeros((2, 3), np.float32))
    np.testing.assert_array_equal(kernels.ones((4,), device=device).cpu().numpy(), np.ones(4, np.float32))
    np.testing.assert_array_equal(kernels.full((2, 2), 7, device=device).cpu().numpy(), np.full((2, 2), 7))
    assert kernels.full((2,), 7).dtype == kernels.int64
    assert kernels.full((2,), 7.0).dtype == kernels.float32
    np.testing.assert_array_equal(kernels.arange(5, device=device).cpu().numpy(), np.arange(5))
    np.testing.assert_allclose(kernels.arange(0, 1, 0.1, device=device).cpu().numpy(), np.arange(0, 1, 0.1, dtype=np.float32))
    np.testing.assert_array_equal(kernels.arange(10, 0, -3).numpy(), np.arange(10, 0, -3))
    x = kernels.ones(3, 2, dtype=kernels.float64, device=device)
    for like in (kernels.zeros_like, kernels.ones_like, kernels.empty_like):
        y = like(x)
        assert y.shape == (3, 2) and y.dtype == kernels.float64 and y.device == x.device
    assert kernels.full_like(x, 2.5).cpu().numpy().tolist() == [[2.5, 2.5]] * 3
    assert kernels.zeros(0, 4).shape == (0, 4) and kernels.zeros(0, 4).numel() == 0
    assert kernels.tensor(5.0).shape == ()


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: kernels.zeros(2, -1), ValueError, "zeros: negative dimension"),
        (lambda: kernels.ones(2.5), TypeError, "ones: size must be"),
        (lambda: kernels.arange(0, 5, 0), ValueError, "arange: step must be nonzero"),
        (lambda: kernels.arange(5, 0, 1), ValueError, "arange"),
        (lambda: kernels.tensor([[1, 2], [3]]), ValueError, "tensor"),
        (lambda: kernels.tensor(["a"]), TypeError, "tensor"),
        (lambda: kernels.tensor([1.0], dtype="complex64"), TypeError, "dtype"),
        (lambda: kernels.zeros(2, device="gpu"), ValueError, "device: bad device string 'gpu'"),
        (lambda: kernels.zeros(2, device="cuda:x"), ValueError, "device"),
        (lambda: kernels.tensor([1, 2]).requires_grad_(), RuntimeError, "only floating point"),
        (lambda: kernels.tensor([1.0, 2.0]).item(), ValueError, "item: a tensor with 2 elements"),
        (lambda: bool(kernels.tensor([1.0, 2.0])), RuntimeError, "ambiguous"),
        (lambda: len(kernels.tensor(1.0)), TypeError, "0-d"),
        (lambda: kernels.from_numpy([1, 2]), TypeError, "from_numpy: expected a numpy.ndarray"),
        (lambda: kernels.from_numpy(np.ones(3, np.uint16)), TypeError, "from_numpy: NumPy dtype uint16"),
        (lambda: kernels.from_numpy(np.ones((3, 4))[:, ::-1]), ValueError, "from_numpy: at least one stride .* negative"),
        (lambda: kernels.tensor([1.0], requires_grad=True).numpy(), RuntimeError, "numpy: can't call numpy"),
        (lambda: kernels.tensor([1.0]).to("float"), ValueError, "device"),
        (lambda: kernels.tensor([1.0]).size(3), IndexError, "size: dim 3"),
    ],
)
def test_bad_input_raises(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.skipif(HAS_CUDA, reason="checks the behaviour of a build or machine without CUDA")
def test_cuda_tensor_without_cuda_raises():
    with pytest.raises(RuntimeError, match="without CUDA|does not exist"):
        kernels.zeros(3, device="cuda")
    with pytest.raises(RuntimeError, match="without CUDA|does not exist"):
        kernels.tensor([1.0]).cuda()
    assert not kernels.cuda.is_available()


# ---------------------------------------------------------------- NumPy, buffer protocol, DLPack


def test_numpy_is_zero_copy_both_ways():
    a = np.arange(6, dtype=np.float64).reshape(2, 3)
    t = kernels.from_numpy(a)
    a[1, 2] = -1.0
    assert t.numpy()[1, 2] == -1.0
    view = t.numpy()
    view[0, 0] = 42.0
    assert a[0, 0] == 42.0
    del a, view
    assert t.numpy()[0, 0] == 42.0  # the tensor keeps the memory alive


def test_numpy_view_outlives_tensor():
    t = kernels.tensor([1.0, 2.0, 3.0])
    arr = t.numpy()
    del t
    np.testing.assert_array_equal(arr, [1.0, 2.0, 3.0])


def test_array_protocol_numpy2():
    t = kernels.tensor([[1.0, 2.0]], dtype=kernels.float64)
    assert np.asarray(t).dtype == np.float64
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    c = np.array(t, copy=True)
    c[0, 0] = 9
    assert t.numpy()[0, 0] == 1.0
    shared = np.asarray(t, copy=False)
    shared[0, 1] = 5.0
    assert t.numpy()[0, 1] == 5.0
    with pytest.raises(ValueError):
        np.asarray(t, dtype=np.float32, copy=False)


def test_buffer_protocol():
    t = kernels.tensor(np.arange(12, dtype=np.int64).reshape(3, 4))
    m = memoryview(t)
    assert m.format == "q" and m.shape == (3, 4) and m.strides == (32, 8)
    assert m.tolist() == np.arange(12).reshape(3, 4).tolist()
    assert memoryview(kernels.tensor([True])).format == "?"
    assert memoryview(kernels.tensor([1.0])).format == "f"


def test_dlpack_to_torch_shares_memory():
    torch = pytest.importorskip("torch")
    t = kernels.tensor([[1.0, 2.0], [3.0, 4.0]])
    tt = torch.from_dlpack(t)
    assert tt.dtype == torch.float32 and tuple(tt.shape) == (2, 2)
    tt[0, 0] = 10.0
    assert t.numpy()[0, 0] == 10.0
    for src in (kernels.tensor([1, 2]), kernels.tensor([True, False]), kernels.tensor([1.0], dtype=kernels.float64)):
        np.testing.assert_array_equal(torch.from_dlpack(src).numpy(), src.numpy())


def test_dlpack_from_torch_shares_memory():
    torch = pytest.importorskip("torch")
    tt = torch.arange(6, dtype=torch.float64).reshape(2, 3)
    k = kernels.from_dlpack(tt)
    assert k.dtype == kernels.float64 and k.shape == (2, 3)
    tt[1, 1] = -5.0
    assert k.numpy()[1, 1] == -5.0
    del tt
    assert k.numpy()[1, 1] == -5.0  # the producer's memory lives as long as our tensor
    tt = torch.arange(12.0).reshape(3, 4).t()  # a strided producer: shared as a view
    k = kernels.from_dlpack(tt)
    assert k.stride() == tt.stride() and k.shape == tuple(tt.shape)
    tt[0, 2] = 99.0
    np.testing.assert_array_equal(k.numpy(), tt.numpy())
    with pytest.raises(TypeError, match="from_dlpack: dtype"):
        kernels.from_dlpack(torch.ones(3, dtype=torch.float16))


def test_dlpack_from_numpy_and_capsule_reuse():
    a = np.arange(4, dtype=np.float32)
    k = kernels.from_dlpack(a)
    np.testing.assert_array_equal(k.numpy(), a)
    cap = kernels.tensor([1.0]).__dlpack__()
    kernels.from_dlpack(cap)
    with pytest.raises(ValueError, match="already consumed"):
        kernels.from_dlpack(cap)
    assert kernels.tensor([1.0]).__dlpack_device__() == (1, 0)


# ---------------------------------------------------------------- conversions and repr


def test_item_and_python_scalars():
    assert kernels.tensor(2.5).item() == 2.5
    assert kernels.tensor([7]).item() == 7 and isinstance(kernels.tensor([7]).item(), int)
    assert kernels.tensor(True).item() is True
    assert float(kernels.tensor([[3.0]])) == 3.0 and int(kernels.tensor(4)) == 4
    assert kernels.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]


def test_repr_matches_torch():
    torch = pytest.importorskip("torch")
    cases = [[1.5, 2.0, -3.25], [1.0, 2.0], [[1, 2], [3, 4]], [True, False], 3.0]
    for c in cases:
        assert repr(kernels.tensor(c)) == repr(torch.tensor(c))
    assert repr(kernels.tensor([1.5], dtype=kernels.float64)) == repr(torch.tensor([1.5], dtype=torch.float64)).replace("torch", "kernels")
    assert repr(kernels.tensor([1.5], requires_grad=True)) == repr(torch.tensor([1.5], requires_grad=True))
    assert repr(kernels.zeros(0, 3)) == repr(torch.zeros(0, 3))


def test_dtype_and_device_objects():
    assert repr(kernels.float32) == "kernels.float32"
    assert kernels.float is kernels.float32 and kernels.long is kernels.int64
    assert kernels.device("cpu") == "cpu"
    assert repr(kernels.device("cuda:1")) == "device(type='cuda', index=1)"
    assert kernels.device("cuda").index == 0 and kernels.device("cpu").index is None
    assert str(kernels.zeros(1).device) == "cpu"
    assert {kernels.device("cpu"): 1}[kernels.device("cpu")] == 1


def test_build_info():
    info = kernels.build_info()
    for key in ("version", "compiler", "simd", "openmp", "num_threads", "cuda_compiled", "cuda_devices"):
        assert key in info
    assert info["num_threads"] >= 1
    assert kernels.cuda.device_count() == len(info["cuda_devices"])
    assert kernels.cuda.is_available() == (info["cuda_compiled"] and len(info["cuda_devices"]) > 0)
    kernels.cuda.synchronize()  # a no-op without a GPU, never an error


# ---------------------------------------------------------------- CUDA


@requires_cuda
def test_cuda_allocator_reuses_memory():
    kernels.cuda.empty_cache()
    x = kernels.zeros(1024, 1024, device="cuda")
    used = kernels.cuda.memory_allocated()
    assert used >= 4 * 1024 * 1024
    del x
    assert kernels.cuda.memory_allocated() < used
    reserved = kernels.cuda.memory_reserved()
    y = kernels.zeros(1024, 1024, device="cuda")
    assert kernels.cuda.memory_reserved() == reserved  # served from the cache
    del y


def test_host_cache_reuses_large_blocks_and_empties():
    """Freed CPU blocks of >= 64 KB are kept for the next request of the same (4 KB-rounded) size;
    reused memory still holds exactly what each op writes; host_empty_cache gives it all back."""
    from kernels import _C

    _C.host_empty_cache()
    assert _C.host_cached_bytes() == 0
    a = kernels.full((300, 301), 2.5)  # 361200 bytes -> a 364544-byte block
    del a
    held = _C.host_cached_bytes()
    if held == 0:
        pytest.skip("host cache turned off (KERNELS_HOST_CACHE=0)")
    assert held == 364544
    b = kernels.zeros((301, 300))  # same rounded size: takes the cached block
    assert _C.host_cached_bytes() == 0
    np.testing.assert_array_equal(b.numpy(), 0.0)
    small = kernels.ones(100)  # below the threshold: never cached
    del small
    assert _C.host_cached_bytes() == 0
    v = b.numpy()  # a numpy view keeps the block alive after the tensor goes
    del b
    assert _C.host_cached_bytes() == 0
    del v
    assert _C.host_cached_bytes() == 364544
    c = kernels.ones((100, 1000))  # another size: a fresh block, the cached one stays
    assert _C.host_cached_bytes() == 364544
    np.testing.assert_array_equal(c.numpy(), 1.0)
    _C.host_empty_cache()
    assert _C.host_cached_bytes() == 0
