"""Shapes whose element or byte count cannot exist raise (RuntimeError / MemoryError naming the
shape), from the one place every tensor is allocated; they never wrap around to a small buffer
or a silently wrong tensor. Window arguments beyond torch's 32-bit range raise as torch's do."""
import pytest

import kernels
import kernels.nn.functional as F
from kernels import nn

HUGE = [(2**31, 2**31), (2**61, 8), (2**32, 2**32), (2**62,), (2**63 - 1,)]


@pytest.mark.parametrize("shape", HUGE)
@pytest.mark.parametrize("factory", ["zeros", "ones", "empty", "rand", "randn"])
def test_factories_refuse_impossible_shapes(factory, shape):
    with pytest.raises((RuntimeError, MemoryError), match=r"shape \("):
        getattr(kernels, factory)(*shape)


def test_expand_to_a_huge_shape_is_a_view():
    v = kernels.ones(1).expand(2**62)
    assert v.shape == (2**62,) and v.stride() == (0,) and v._same_storage(v)


@pytest.mark.parametrize("call", [
    lambda: kernels.full((2**62,), 1.0),
    lambda: kernels.randint(0, 5, (2**62,)),
    lambda: kernels.randperm(2**62),
    lambda: kernels.normal(0.0, 1.0, (2**62, 2)),
    lambda: kernels.arange(0, 2**62),
    lambda: kernels.zeros(2**31, 0) @ kernels.zeros(0, 2**31),      # empty operands, huge result
    lambda: kernels.zeros(2**62, 0) + kernels.zeros(2**62, 1),
    lambda: kernels.ones(1).expand(2**62).contiguous(),  # the view is fine; its copy is not
    lambda: F.one_hot(kernels.tensor([1]), 2**62),
    lambda: F.adaptive_avg_pool2d(kernels.ones(1, 1, 4, 4), (2**31, 2**31)),
], ids=["full", "randint", "randperm", "normal", "arange", "matmul-empty", "add-empty", "expand",
        "one_hot", "adaptive_avg_pool2d"])
def test_ops_refuse_impossible_results(call):
    with pytest.raises((RuntimeError, MemoryError), match=r"shape \("):
        call()


@pytest.mark.parametrize("make", [
    lambda: nn.Linear(2**62, 4), lambda: nn.Linear(2**31, 2**31), lambda: nn.Embedding(2**62, 4),
    lambda: nn.Conv2d(1, 1, 2**31), lambda: nn.BatchNorm2d(2**62), lambda: nn.LayerNorm([2**31, 2**31]),
], ids=["linear-wide", "linear-square", "embedding", "conv2d", "batchnorm", "layernorm"])
def test_modules_refuse_impossible_parameters(make):
    with pytest.raises((RuntimeError, MemoryError), match=r"shape \("):
        make()


def test_overflowing_byte_count_is_a_memory_error_with_the_bytes():
    with pytest.raises(MemoryError, match=r"\(4611686018427387904,\) and dtype float32 needs more than 2\^63 bytes"):
        kernels.zeros(2**62)


def test_empty_shapes_with_a_huge_dimension_are_fine():
    assert kernels.zeros(2**62, 0).shape == (2**62, 0)
    assert kernels.zeros(0, 2**40).numel() == 0


@pytest.mark.parametrize("end, step", [(1e30, 1.0), (10.0, 1e-300)])
def test_arange_with_too_many_elements_raises(end, step):
    with pytest.raises(RuntimeError, match="arange: .* more than a tensor can hold"):
        kernels.arange(0, end, step)


def test_pool_arguments_beyond_32_bits_raise_as_torch():
    x = kernels.randn(1, 1, 8, 8)
    with pytest.raises(RuntimeError, match="max_pool2d: .* must each fit in 32 bits"):
        F.max_pool2d(x, 2, stride=2**62)
    with pytest.raises(RuntimeError, match="avg_pool2d: .* must each fit in 32 bits"):
        F.avg_pool2d(x, 2, stride=2**40)


@pytest.mark.parametrize("pool", ["max", "avg"])
def test_pool_stride_past_the_input_gives_the_first_window(pool):
    # One output per axis: the stride is never used (and must not size the kernels' scratch).
    x = kernels.randn(2, 3, 8, 8)
    fn = F.max_pool2d if pool == "max" else F.avg_pool2d
    big = fn(x, 3, stride=2**31 - 1)
    small = fn(x, 3, stride=8)
    assert big.shape == (2, 3, 1, 1)
    assert big.tolist() == small.tolist()
