"""Tensor.new_zeros / new_ones / new_empty / new_full / new_tensor, Tensor.type and __index__,
and the is_mps / is_xpu flags, against torch."""
import operator

import numpy as np
import pytest

import kernels

DTYPES = [("float32", "float32"), ("float64", "float64"), ("int64", "int64"), ("bool", "bool")]


def _torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("kd,td", DTYPES)
@pytest.mark.parametrize("method,args", [("new_zeros", ((2, 3),)), ("new_zeros", (2, 3)), ("new_ones", ((4,),)),
                                         ("new_ones", (1, 2)), ("new_empty", ((3, 1),)),
                                         ("new_full", ((2, 2), 5))])
def test_new_factories_take_self_dtype(kd, td, method, args):
    torch = _torch()
    k = kernels.zeros(1, dtype=getattr(kernels, kd))
    t = torch.zeros(1, dtype=getattr(torch, td))
    ko, to = getattr(k, method)(*args), getattr(t, method)(*args)
    assert ko.dtype == getattr(kernels, str(to.dtype).split(".")[1]) and tuple(ko.shape) == tuple(to.shape)
    if method != "new_empty":
        np.testing.assert_array_equal(ko.numpy(), to.numpy())


def test_new_factories_dtype_device_and_grad():
    k = kernels.ones(2)
    z = k.new_zeros((2, 2), dtype=kernels.int64, requires_grad=False)
    assert z.dtype == kernels.int64 and z.device.type == "cpu"
    g = k.new_ones(3, requires_grad=True)
    assert g.requires_grad and g.is_leaf
    f = k.new_full((2,), 7, dtype=kernels.float64)
    np.testing.assert_array_equal(f.numpy(), [7.0, 7.0])


def test_new_tensor_copies_with_self_dtype():
    torch = _torch()
    k, t = kernels.ones(1, dtype=kernels.float64), torch.ones(1, dtype=torch.float64)
    src = np.array([1, 2, 3])
    ko, to = k.new_tensor(src), t.new_tensor(src)
    assert ko.dtype == kernels.float64 and str(to.dtype) == "torch.float64"
    np.testing.assert_array_equal(ko.numpy(), to.numpy())
    src[0] = 9  # a copy
    assert ko.numpy()[0] == 1


@pytest.mark.parametrize("kd,td", DTYPES)
def test_type_names_as_torch(kd, td):
    torch = _torch()
    assert kernels.zeros(1, dtype=getattr(kernels, kd)).type() == torch.zeros(1, dtype=getattr(torch, td)).type()


def test_type_converts():
    k = kernels.tensor([1.5, 2.5])
    assert k.type(kernels.float64).dtype == kernels.float64
    assert k.type("torch.LongTensor").dtype == kernels.int64
    assert k.type(kernels.float32) is k
    with pytest.raises(ValueError, match="type: invalid type 'torch.HalfTensor'"):
        k.type("torch.HalfTensor")


def test_index_as_torch():
    torch = _torch()
    items = [10, 20, 30]
    assert items[kernels.tensor(1)] == items[torch.tensor(1)] == 20
    assert operator.index(kernels.tensor([2])) == operator.index(torch.tensor([2])) == 2
    assert operator.index(kernels.tensor(True)) == operator.index(torch.tensor(True))
    for bad_k, bad_t in [(kernels.tensor(1.0), torch.tensor(1.0)), (kernels.tensor([1, 2]), torch.tensor([1, 2]))]:
        with pytest.raises(TypeError) as te:
            operator.index(bad_t)
        with pytest.raises(TypeError, match="only integer tensors of a single element"):
            operator.index(bad_k)
        assert "only integer tensors of a single element can be converted to an index" in str(te.value)


def test_device_flags():
    t = kernels.zeros(1)
    assert t.is_mps is False and t.is_xpu is False and t.is_cuda is False
