"""Hostile arguments that torch refuses: each raises here too, with the op (or class) and the
offending value in the message; deliberate, harmless acceptances are asserted as such."""
import math

import numpy as np
import pytest

import kernels
import kernels.functional as F
from kernels import nn
from kernels.data import DataLoader, Subset, TensorDataset

HAS_CUDA = kernels.cuda.is_available()


def _ds(n=5):
    return TensorDataset(kernels.arange(float(n)))


def _rows(loader):
    return [b[0].tolist() for b in loader]


# ---------------------------------------------------------------- DataLoader and Subset


@pytest.mark.parametrize("index", [1.5, 1.0, True, "1", None])
def test_dataloader_sampler_index_must_be_an_int(index):
    loader = DataLoader(_ds(), sampler=[0, index])
    with pytest.raises(IndexError, match=r"DataLoader: sampler: sample indices must be ints, got "):
        list(loader)


def test_dataloader_sampler_float_is_not_truncated_on_the_fast_path_either():
    # sampler=[1.5] used to fetch row 1 silently
    with pytest.raises(IndexError, match=r"got float 1\.5"):
        list(DataLoader(_ds(), sampler=[1.5]))


def test_dataloader_sampler_integer_likes_are_accepted():
    idx = [np.int64(3), kernels.tensor(1), 4]
    assert _rows(DataLoader(_ds(), sampler=idx)) == [[3.0], [1.0], [4.0]]


@pytest.mark.parametrize("num_workers", [-1, -5])
def test_dataloader_negative_num_workers(num_workers):
    with pytest.raises(ValueError, match=rf"DataLoader: num_workers option should be non-negative, got "
                                         rf"{num_workers}"):
        DataLoader(_ds(), num_workers=num_workers)


@pytest.mark.parametrize("num_workers", [1.5, "2", None, True])
def test_dataloader_num_workers_type(num_workers):
    with pytest.raises(TypeError, match=r"DataLoader: num_workers must be an int, got "):
        DataLoader(_ds(), num_workers=num_workers)


def test_dataloader_num_workers_positive_is_accepted_with_one_warning(monkeypatch):
    import kernels.data.dataloader as dl
    monkeypatch.setattr(dl, "_warned_workers", False)
    with pytest.warns(UserWarning, match="num_workers=2 is ignored: kernels loads batches in the main process"):
        loader = DataLoader(_ds(3), num_workers=2)
    assert _rows(loader) == [[0.0], [1.0], [2.0]]
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per process: the second loader is silent
        DataLoader(_ds(3), num_workers=4)


@pytest.mark.parametrize("drop_last", ["yes", 1, 0, None])
def test_dataloader_drop_last_must_be_a_bool(drop_last):
    with pytest.raises(ValueError, match=rf"DataLoader: drop_last should be a boolean value, got "
                                         rf"{drop_last!r}"):
        DataLoader(_ds(), batch_size=2, drop_last=drop_last)


@pytest.mark.parametrize("batch_size", [0, -1, 1.5, True])
def test_dataloader_batch_size(batch_size):
    with pytest.raises(ValueError, match=r"DataLoader: batch_size should be a positive integer"):
        DataLoader(_ds(), batch_size=batch_size)


def test_dataloader_sampler_with_shuffle():
    with pytest.raises(ValueError, match=r"DataLoader: sampler option is mutually exclusive with shuffle"):
        DataLoader(_ds(), sampler=[0, 1], shuffle=True)


def test_dataloader_batch_sampler_excludes_batch_size():
    with pytest.raises(ValueError, match=r"DataLoader: batch_sampler option is mutually exclusive with batch_size"):
        DataLoader(_ds(), batch_size=2, batch_sampler=[[0, 1]])


@pytest.mark.parametrize("indices", [[1.5], [0, 2.0], kernels.tensor([1.0])])
def test_subset_indices_must_be_ints(indices):
    with pytest.raises(IndexError, match=r"Subset: sample indices must be ints, got float"):
        Subset(_ds(), indices)


@pytest.mark.parametrize("lengths, match", [
    ([2, 2], r"sum of input lengths 4 does not equal the length of the dataset 5"),
    ([0.5, 0.6], r"lengths must be non-negative ints or fractions summing to 1"),
    ([1.5, -0.5], r"fraction 1\.5 is not in \[0, 1\]"),
    ([-1, 6], r"lengths must be non-negative ints"),
])
def test_random_split_bad_lengths(lengths, match):
    with pytest.raises(ValueError, match=r"random_split: " + match):
        kernels.data.random_split(_ds(), lengths)


# ---------------------------------------------------------------- .grad assignment


@pytest.mark.parametrize("make", [lambda: nn.Parameter(kernels.zeros(3)), lambda: kernels.zeros(3)])
def test_grad_assignment_checks(make):
    t = make()
    name = type(t).__name__
    with pytest.raises(RuntimeError, match=rf"{name}\.grad: assigned grad has shape \(4,\) but the "
                                           r"tensor has shape \(3,\)"):
        t.grad = kernels.zeros(4)
    with pytest.raises(RuntimeError, match=rf"{name}\.grad: assigned grad has shape \(3, 1\)"):
        t.grad = kernels.zeros(3, 1)
    with pytest.raises(RuntimeError, match=rf"{name}\.grad: assigned grad has dtype kernels\.float64 but "
                                           r"the tensor is kernels\.float32"):
        t.grad = kernels.zeros(3, dtype=kernels.float64)
    with pytest.raises(RuntimeError, match=rf"{name}\.grad: assigned grad has dtype kernels\.int64"):
        t.grad = kernels.zeros(3, dtype=kernels.int64)
    with pytest.raises(TypeError, match=rf"{name}\.grad: assigned grad expected to be a Tensor or None, "
                                        r"got int 3"):
        t.grad = 3
    with pytest.raises(TypeError, match=rf"{name}\.grad: .* got ndarray"):
        t.grad = np.zeros(3, np.float32)
    with pytest.raises(RuntimeError, match=rf"{name}\.grad: can't assign a tensor as its own grad"):
        t.grad = t
    assert t.grad is None  # nothing was stored by the refused assignments


def test_grad_assignment_accepts_a_matching_tensor_and_none():
    p = nn.Parameter(kernels.zeros(3))
    g = kernels.ones(3)
    p.grad = g
    assert p.grad is g
    p.grad = None
    assert p.grad is None
    p.grad = g
    del p.grad
    assert p.grad is None
    x = kernels.zeros(2, dtype=kernels.int64)
    x.grad = kernels.ones(2, dtype=kernels.int64)  # torch allows it too: the dtypes match
    assert x.grad.tolist() == [1, 1]


def test_backward_and_optimizers_still_fill_grad():
    p = nn.Parameter(kernels.tensor([1.0, 2.0]))
    (p * p).sum().backward()
    (p * p).sum().backward()
    assert p.grad.tolist() == [4.0, 8.0]
    opt = kernels.optim.SGD([p], lr=0.25)
    opt.step()
    assert p.detach().tolist() == [0.0, 0.0]
    opt.zero_grad(set_to_none=False)
    assert p.grad.tolist() == [0.0, 0.0]


@pytest.mark.skipif(not HAS_CUDA, reason="needs a CUDA device")
def test_grad_assignment_other_device():
    p = nn.Parameter(kernels.zeros(3))
    with pytest.raises(RuntimeError, match=r"Parameter\.grad: assigned grad is on cuda:0 but the tensor "
                                           r"is on cpu"):
        p.grad = kernels.zeros(3, device="cuda")


# ---------------------------------------------------------------- requires_grad flags


@pytest.mark.parametrize("flag", ["yes", 1, None, np.bool_(True)])
def test_requires_grad_must_be_a_bool(flag):
    with pytest.raises(TypeError, match=rf"requires_grad_: requires_grad must be a bool, got "
                                        rf"{type(flag).__name__}"):
        kernels.zeros(3).requires_grad_(flag)
    t = kernels.zeros(3)
    with pytest.raises(TypeError, match=r"requires_grad: requires_grad must be a bool"):
        t.requires_grad = flag
    assert t.requires_grad is False


@pytest.mark.parametrize("make, op", [
    (lambda rg: kernels.tensor([1.0], requires_grad=rg), "tensor"),
    (lambda rg: kernels.zeros(2, requires_grad=rg), "zeros"),
    (lambda rg: kernels.ones(2, requires_grad=rg), "ones"),
    (lambda rg: kernels.full((2,), 1.0, requires_grad=rg), "full"),
    (lambda rg: kernels.arange(3.0, requires_grad=rg), "arange"),
    (lambda rg: kernels.rand(2, requires_grad=rg), "rand"),
    (lambda rg: kernels.randn(2, requires_grad=rg), "randn"),
])
def test_creation_requires_grad_must_be_a_bool(make, op):
    with pytest.raises(TypeError, match=rf"^{op}: requires_grad must be a bool, got str 'x'"):
        make("x")
    assert make(True).requires_grad and not make(False).requires_grad


def test_requires_grad_on_integer_tensors():
    with pytest.raises(RuntimeError, match=r"requires_grad: only floating point tensors can require "
                                           r"gradients, got kernels\.int64"):
        kernels.zeros(3, dtype=kernels.int64).requires_grad_()
    with pytest.raises(RuntimeError, match=r"only floating point tensors .* kernels\.bool"):
        kernels.zeros(3, dtype=kernels.bool).requires_grad_()
    with pytest.raises(RuntimeError, match=r"only floating point tensors"):
        kernels.tensor([1, 2], requires_grad=True)
    assert kernels.zeros(3, dtype=kernels.int64).requires_grad_(False).requires_grad is False


def test_module_requires_grad_must_be_a_bool():
    with pytest.raises(TypeError, match=r"Linear\.requires_grad_: requires_grad must be a bool, got str"):
        nn.Linear(2, 2).requires_grad_("x")
    with pytest.raises(TypeError, match=r"ReLU\.requires_grad_: requires_grad must be a bool, got int"):
        nn.ReLU().requires_grad_(1)  # no parameters: refused all the same
    m = nn.Linear(2, 2).requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


def test_parameter_requires_grad_must_be_a_bool():
    with pytest.raises(TypeError, match=r"requires_grad must be a bool, got int 1"):
        nn.Parameter(kernels.zeros(2), requires_grad=1)


# ---------------------------------------------------------------- functional flags


@pytest.mark.parametrize("fn, shape", [(F.dropout, (4,)), (F.dropout1d, (2, 3, 4)),
                                       (F.dropout2d, (2, 3, 4, 4)), (F.dropout3d, (1, 2, 2, 2, 2))])
@pytest.mark.parametrize("training", ["x", 1, None])
def test_dropout_training_must_be_a_bool(fn, shape, training):
    with pytest.raises(TypeError, match=rf"{fn.__name__}: training must be a bool, got "
                                        rf"{type(training).__name__}"):
        fn(kernels.ones(*shape), 0.5, training=training)


def test_interpolate_align_corners_must_be_a_bool():
    x = kernels.ones(1, 1, 2, 2)
    with pytest.raises(TypeError, match=r"interpolate: align_corners must be a bool, got str 'x'"):
        F.interpolate(x, scale_factor=2, mode="bilinear", align_corners="x")
    assert tuple(F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True).shape) == (1, 1, 4, 4)


# ---------------------------------------------------------------- random


def test_randperm_and_randint_need_ints():
    with pytest.raises(TypeError, match=r"randperm: n must be an int, got float 2\.5"):
        kernels.randperm(2.5)
    with pytest.raises(TypeError, match=r"randint: low must be an int, got float 1\.5"):
        kernels.randint(1.5, 5, (3,))
    with pytest.raises(TypeError, match=r"randint: high must be an int, got float 5\.5"):
        kernels.randint(0, 5.5, (3,))
    assert sorted(kernels.randperm(np.int64(3)).tolist()) == [0, 1, 2]


@pytest.mark.parametrize("seed", [2**64, 2**70, -(2**63) - 1])
def test_manual_seed_out_of_range(seed):
    with pytest.raises(ValueError, match=rf"manual_seed: seed must be in \[-2\*\*63, 2\*\*64\), got {seed}"):
        kernels.manual_seed(seed)


def test_manual_seed_range_ends_are_accepted():
    kernels.manual_seed(2**64 - 1)
    a = kernels.rand(3).tolist()
    kernels.manual_seed(-1)  # wraps to 2**64 - 1, as torch
    assert kernels.rand(3).tolist() == a
    kernels.manual_seed(-(2**63))


# ---------------------------------------------------------------- Python values into int64


@pytest.mark.parametrize("data, dtype, match", [
    ([2**63], None, r"tensor: value 9223372036854775808 is out of range for int64"),
    ([2**64 - 1], None, r"tensor: value 18446744073709551615 is out of range for int64"),
    ([1e30], kernels.int64, r"tensor: value 1e\+30 is out of range for int64"),
    ([-1e30], kernels.int64, r"tensor: value -1e\+30 is out of range for int64"),
    ([2.0**63], kernels.int64, r"tensor: value 9\.223372036854776e\+18 is out of range for int64"),
    (np.array([2**63], np.uint64), None, r"tensor: value 9223372036854775808 is out of range for int64"),
])
def test_tensor_values_out_of_int64_range(data, dtype, match):
    with pytest.raises(ValueError, match=match):
        kernels.tensor(data, dtype=dtype)


def test_tensor_int64_range_ends_are_exact():
    assert kernels.tensor([2**63 - 1, -(2**63)]).tolist() == [2**63 - 1, -(2**63)]
    assert kernels.tensor(np.array([2**63 - 1], np.uint64)).tolist() == [2**63 - 1]
    big = np.array([2**64 - 1], np.uint64)
    assert kernels.tensor(big, dtype=kernels.float64).tolist() == [float(2**64 - 1)]  # not via int64
    # Floats truncate toward zero, as torch.tensor([1.7], dtype=torch.int64) does.
    assert kernels.tensor([1.7, -1.7], dtype=kernels.int64).tolist() == [1, -1]


@pytest.mark.parametrize("value, match", [
    ([math.nan], r"setitem: cannot convert nan to int64"),
    (np.array([math.inf]), r"setitem: cannot convert inf to int64"),
    ([2**63], r"setitem: value 9223372036854775808 is out of range for int64"),
    (np.array([1e19]), r"setitem: value 1e\+19 is out of range for int64"),
])
def test_setitem_sequence_into_int64(value, match):
    x = kernels.zeros(3, dtype=kernels.int64)
    with pytest.raises(ValueError, match=match):
        x[0:1] = value
    assert x.tolist() == [0, 0, 0]


def test_setitem_sequences_are_accepted_deliberately():
    # torch refuses lists and arrays as values (TypeError); NumPy takes them, and so do we.
    x = kernels.zeros(3, dtype=kernels.int64)
    x[0:2] = [5, 1.7]
    assert x.tolist() == [5, 1, 0]
    y = kernels.zeros(2, dtype=kernels.float64)
    y[0:1] = np.array([2**64 - 1], np.uint64)  # through float64, not a wrapping int64
    assert y.tolist()[0] == float(2**64 - 1)


# Python numbers reach C++ as doubles: _C.full / _C.fill_ / the scalar ops / _C.arange convert
# them to int64 (and to float32) in csrc/ops, where the range / finiteness check is due; and a
# double cannot tell 2**63 - 1 from 2**63, so exact large ints need an int64 path there too.


def _int64_write(kind, value):
    x = kernels.zeros(3, dtype=kernels.int64)
    if kind == "setitem":
        x[0] = value
    elif kind == "fill_":
        x.fill_(value)
    elif kind == "add_":
        x.add_(value)
    elif kind == "add":
        return x + value
    elif kind == "clamp":
        return x.clamp(min=value)
    elif kind == "arange":
        return kernels.arange(0, value, value // 4)
    else:
        return kernels.full((2,), value, dtype=kernels.int64)


_GAPS = [(k, v) for k in ("setitem", "fill_", "full") for v in (math.nan, math.inf, 2**70, 1e30)]


@pytest.mark.parametrize("kind, value", _GAPS + [(k, 2**70) for k in ("add_", "add", "clamp", "arange")])
def test_scalar_into_int64_is_refused(kind, value):
    with pytest.raises((ValueError, RuntimeError, OverflowError), match=r"int64"):
        _int64_write(kind, value)


def test_scalar_into_float32_overflow_is_refused():
    with pytest.raises(RuntimeError, match=r"float32"):
        kernels.full((2,), 1e300, dtype=kernels.float32)


def test_scalar_infinity_into_float32_is_kept():
    # torch keeps an explicit inf (only finite values too large for float32 are refused)
    assert kernels.full((1,), math.inf).tolist() == [math.inf]


@pytest.mark.parametrize("value", [math.nan, math.inf, 1e30])
def test_float_scalar_added_in_place_to_int64(value):
    # A float operand makes a float result, which add_ cannot store in int64 (torch's rule).
    with pytest.raises(RuntimeError, match=r"add_: result type kernels\.float32 can't be cast to the "
                                           r"desired output type kernels\.int64"):
        _int64_write("add_", value)


def test_full_keeps_large_ints_exact():
    assert kernels.full((1,), 2**62 + 1).tolist() == [2**62 + 1]
    assert kernels.full((1,), 2**63 - 1).tolist() == [2**63 - 1]


# ---------------------------------------------------------------- NumPy byte order


def test_big_endian_arrays_are_byteswapped():
    # torch refuses non-native byte order; we convert to native order, keeping dtype and values.
    be = np.array([1.5, -2.25, 1e300], dtype=">f8")
    for make in (kernels.tensor, kernels.as_tensor):
        t = make(be)
        assert t.dtype == kernels.float64
        assert t.tolist() == [1.5, -2.25, 1e300]
    assert kernels.tensor(be, dtype=kernels.float64).tolist() == [1.5, -2.25, 1e300]
    assert kernels.as_tensor(be, dtype=kernels.float64).tolist() == [1.5, -2.25, 1e300]
    assert kernels.tensor(be[1]).dtype == kernels.float64
    f4 = kernels.tensor(np.array([1.5, -2.25], dtype=">f4"))
    assert (f4.dtype, f4.tolist()) == (kernels.float32, [1.5, -2.25])
    i8 = kernels.tensor(np.array([1, -2, 2**40], dtype=">i8"))
    assert (i8.dtype, i8.tolist()) == (kernels.int64, [1, -2, 2**40])


def test_from_numpy_big_endian_is_refused():
    # from_numpy shares memory, which a byteswap cannot: refused, as torch does.
    with pytest.raises(ValueError, match=r"from_numpy: big-endian"):
        kernels.from_numpy(np.array([1.0], dtype=">f8"))


# ---------------------------------------------------------------- C++ checks still due


@pytest.mark.parametrize("value", [5.0, -1.0, math.nan])
def test_binary_cross_entropy_target_outside_0_1(value):
    x = kernels.full((2, 3), 0.5)
    with pytest.raises(ValueError, match=r"binary_cross_entropy: all elements of target should be between "
                                         r"0 and 1"):
        F.binary_cross_entropy(x, kernels.full((2, 3), value))


@pytest.mark.parametrize("pad", [(-5, 1), (-5, 2)])
def test_pad_crop_larger_than_the_dim(pad):
    with pytest.raises(ValueError, match=r"pad: "):
        F.pad(kernels.zeros(2, 4), pad)


def test_pad_negative_total_size():
    with pytest.raises(ValueError, match=r"pad: padding \(1, -6\) of dim 1 crops 6 elements"):
        F.pad(kernels.zeros(2, 4), (1, -6))


def test_pad_crop_to_exactly_zero_is_accepted():
    # torch gives width 0 for these too
    assert tuple(F.pad(kernels.zeros(2, 4), (-4, 0)).shape) == (2, 0)
    assert tuple(F.pad(kernels.zeros(2, 4), (-2, -2)).shape) == (2, 0)
    assert tuple(F.pad(kernels.zeros(2, 4), (-4, 1)).shape) == (2, 1)
