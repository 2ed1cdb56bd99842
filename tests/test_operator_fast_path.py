"""The C++ fast paths of the Python layer (csrc/bindings/bind_autograd.cpp, bind_elementwise.cpp):
Tensor's + - * / on two float tensors of one dtype with nothing to record go straight to the
kernel; everything else must take the general Python operator and behave exactly as before."""
import threading

import numpy as np
import pytest

import kernels
from kernels import _C
from kernels.autograd import Function, _Leaf

OPS = {"__add__": np.add, "__sub__": np.subtract, "__mul__": np.multiply, "__truediv__": np.divide}


@pytest.mark.parametrize("name", sorted(OPS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fast_path_matches_numpy_with_broadcasting(name, dtype):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4)).astype(dtype)
    b = (rng.standard_normal((4,)) + 3).astype(dtype)
    out = getattr(kernels.tensor(a), name)(kernels.tensor(b))
    assert out.dtype is getattr(kernels, dtype)
    np.testing.assert_allclose(out.numpy(), OPS[name](a, b), rtol=1e-6)
    assert out.grad_fn is None and not out.requires_grad


@pytest.mark.parametrize("name", sorted(OPS))
def test_recording_takes_the_graph_path(name):
    a = kernels.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = kernels.tensor([4.0, 5.0, 6.0])
    out = getattr(a, name)(b)
    assert out.requires_grad and out.grad_fn is not None
    out.sum().backward()
    expect = {"__add__": [1, 1, 1], "__sub__": [1, 1, 1], "__mul__": [4, 5, 6],
              "__truediv__": [0.25, 0.2, 1 / 6]}[name]
    np.testing.assert_allclose(a.grad.numpy(), expect, rtol=1e-6)
    # the other operand requiring grad, and both
    b.requires_grad_(True)
    out = getattr(kernels.tensor([1.0, 2.0, 3.0]), name)(b)
    assert out.grad_fn is not None


def test_no_grad_skips_recording_even_for_tensors_that_require_grad():
    a = kernels.ones(3, requires_grad=True)
    with kernels.no_grad():
        out = a + a
    assert out.grad_fn is None and not out.requires_grad
    np.testing.assert_array_equal(out.numpy(), [2, 2, 2])


def test_numbers_promotion_and_integers_take_the_general_operator():
    f = kernels.tensor([1.0, 2.0])
    i = kernels.tensor([1, 2])
    assert (f + 1).tolist() == [2.0, 3.0] and (f * 2.5).tolist() == [2.5, 5.0]
    assert (f + i).dtype is kernels.float32 and (f + i).tolist() == [2.0, 4.0]
    assert (i + i).dtype is kernels.int64 and (i + i).tolist() == [2, 4]
    assert (i / i).dtype is kernels.float32 and (i / i).tolist() == [1.0, 1.0]
    d = kernels.tensor([1.0, 2.0], dtype=kernels.float64)
    assert (f * d).dtype is kernels.float64


def test_wrong_operand_type_raises_type_error():
    t = kernels.ones(2)
    with pytest.raises(TypeError):
        t + "a"
    with pytest.raises(TypeError):
        t * [object()]


def test_parameter_operands():
    w = kernels.nn.Parameter(kernels.ones(2))
    x = kernels.ones(2)
    assert (w + x).grad_fn is not None and (x * w).grad_fn is not None
    with kernels.no_grad():
        assert (w + x).grad_fn is None and (w + x).tolist() == [2.0, 2.0]


def test_shape_mismatch_names_the_op():
    with pytest.raises((ValueError, RuntimeError), match="add"):
        kernels.ones(2, 3) + kernels.ones(4)


def test_grad_mode_is_per_thread():
    seen = []
    with kernels.no_grad():
        t = threading.Thread(target=lambda: seen.append(kernels.is_grad_enabled()))
        t.start()
        t.join()
        assert not kernels.is_grad_enabled()
    assert seen == [True] and kernels.is_grad_enabled()
    kernels.set_grad_enabled(False)
    try:
        assert not kernels.is_grad_enabled()
    finally:
        kernels.set_grad_enabled(True)


def test_graph_edges():
    leaf = kernels.ones(2, 3, requires_grad=True)
    mid = leaf * 2
    plain = kernels.ones(2, 3)
    assert _C._graph_edges((plain, 1.0, None), _Leaf) is None
    needs, edges, stale = _C._graph_edges((plain, leaf, 3, mid), _Leaf)
    assert stale == -1
    assert needs == (False, True, False, True)
    assert edges[0] is None and edges[2] is None
    node, nr, shape = edges[1]
    assert isinstance(node, _Leaf) and node.tensor is leaf and nr == 0 and shape == (2, 3)
    assert edges[3] == (mid.grad_fn, 0, (2, 3))


def test_function_without_grad_inputs_records_nothing():
    class Double(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    out = Double.apply(kernels.ones(2))
    assert out.grad_fn is None
    x = kernels.ones(2, requires_grad=True)
    out = Double.apply(x)
    out.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_stale_view_refused_through_the_operators():
    base = kernels.ones(2, 3, requires_grad=True) * 1
    view = base.t()
    base.add_(1)  # recorded: base moves in the graph; the view taken before it does not follow
    with pytest.raises(RuntimeError, match="view"):
        view * kernels.ones(3, 2)
    with pytest.raises(RuntimeError, match="view"):
        kernels.ones(3, 2) + view
    fresh = base.t()
    (fresh * 2).sum().backward()  # a view taken after the write is fine
