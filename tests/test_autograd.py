"""The autograd engine, exercised with small Functions whose maths is done in NumPy so the engine
is tested on its own: fan-out, diamonds, retain_graph, accumulation, no_grad, multi-output."""
import numpy as np
import pytest

import kernels
from kernels.autograd import Function


def _np(t):
    return t.detach().numpy()


def _t(a, like):
    return kernels.tensor(np.asarray(a), dtype=like.dtype)


class Square(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _t(_np(x) ** 2, x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return _t(2 * _np(x) * _np(grad), x)


class Scale(Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return _t(_np(x) * k, x)

    @staticmethod
    def backward(ctx, grad):
        return _t(_np(grad) * ctx.k, grad), None


class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        return _t(_np(a) + _np(b), a)

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


class SplitHalves(Function):
    """Two outputs; the engine must fill zeros for the one that gets no gradient."""

    @staticmethod
    def forward(ctx, x):
        n = x.shape[0] // 2
        a = _np(x)
        return _t(a[:n], x), _t(a[n:], x)

    @staticmethod
    def backward(ctx, ga, gb):
        return _t(np.concatenate([_np(ga), _np(gb)]), ga)


class BadShape(Function):
    @staticmethod
    def forward(ctx, x):
        return _t(_np(x).sum(keepdims=True), x)

    @staticmethod
    def backward(ctx, grad):
        return _t(np.ones(7), grad)


def ones_like(t):
    return kernels.ones(t.shape, dtype=t.dtype)


def test_chain_and_leaf_grad():
    x = kernels.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = Scale.apply(Square.apply(x), 3.0)
    assert y.requires_grad and not y.is_leaf and y.grad_fn.name() == "ScaleBackward"
    y.backward(ones_like(y))
    np.testing.assert_allclose(x.grad.numpy(), 6 * np.array([1.0, -2.0, 3.0]))


def test_node_used_twice_sums_gradients():
    x = kernels.tensor([1.0, 2.0], requires_grad=True)
    y = Square.apply(x)
    z = Add.apply(y, y)  # dz/dx = 2 * 2x
    z.backward(ones_like(z))
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])


def test_diamond():
    x = kernels.tensor([0.5, -1.5], dtype=kernels.float64, requires_grad=True)
    a = Square.apply(x)
    b = Scale.apply(x, 3.0)
    c = Add.apply(Square.apply(a), b)  # x^4 + 3x -> 4x^3 + 3
    c.backward(ones_like(c))
    np.testing.assert_allclose(x.grad.numpy(), 4 * np.array([0.5, -1.5]) ** 3 + 3)


def test_backward_twice_needs_retain_graph():
    x = kernels.tensor([2.0], requires_grad=True)
    y = Square.apply(x)
    y.backward(ones_like(y), retain_graph=True)
    y.backward(ones_like(y))  # accumulates
    np.testing.assert_allclose(x.grad.numpy(), [8.0])
    with pytest.raises(RuntimeError, match="second time"):
        y.backward(ones_like(y))


def test_gradients_accumulate_until_reset():
    x = kernels.tensor([1.0, 1.0], requires_grad=True)
    for _ in range(3):
        Scale.apply(x, 2.0).backward(kernels.ones(2))
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0])
    x.grad = None
    Scale.apply(x, 2.0).backward(kernels.ones(2))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


def test_only_inputs_that_require_grad_get_one():
    x = kernels.tensor([1.0], requires_grad=True)
    w = kernels.tensor([5.0])
    Add.apply(x, w).backward(kernels.ones(1))
    assert x.grad is not None and w.grad is None


def test_scalar_backward_and_non_scalar_error():
    x = kernels.tensor([3.0], requires_grad=True)
    Square.apply(x).backward()  # one element: implicit gradient of ones
    np.testing.assert_allclose(x.grad.numpy(), [6.0])
    y = Square.apply(kernels.tensor([1.0, 2.0], requires_grad=True))
    with pytest.raises(RuntimeError, match=r"grad can be implicitly created only for scalar outputs.*\(2,\)"):
        y.backward()
    with pytest.raises(ValueError, match=r"backward: gradient of shape \(3,\) does not match"):
        y.backward(kernels.ones(3))
    with pytest.raises(TypeError, match="backward: gradient is"):
        y.backward(kernels.ones(2, dtype=kernels.float64))
    with pytest.raises(RuntimeError, match="does not require grad"):
        kernels.tensor([1.0]).backward()


class PassThrough(Function):
    """Returns the incoming gradient itself (as identity-like ops may)."""

    @staticmethod
    def forward(ctx, x):
        return kernels.tensor(x.detach().numpy())

    @staticmethod
    def backward(ctx, g):
        return g


def test_leaf_grad_never_shares_the_callers_gradient():
    """The caller's gradient is not copied up front; where it (or a view) would reach a leaf
    unchanged it is copied then, so writing into .grad never changes the caller's tensor."""
    for make in (lambda x: x, lambda x: PassThrough.apply(x), lambda x: x.reshape(2, 2),
                 lambda x: Add.apply(x, kernels.zeros(4))):
        x = kernels.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        y = make(x)
        g = kernels.ones(*y.shape)
        y.backward(g)
        assert not x.grad._same_storage(g)
        x.grad.mul_(5.0)
        np.testing.assert_allclose(g.numpy().ravel(), [1.0] * 4)
        np.testing.assert_allclose(x.grad.numpy(), [5.0] * 4)


def test_grad_assignment_checks():
    x = kernels.tensor([1.0, 2.0], requires_grad=True)
    x.grad = kernels.ones(2)
    with pytest.raises(RuntimeError, match="assigned grad has dtype"):
        x.grad = kernels.ones(2, dtype=kernels.float64)
    with pytest.raises(RuntimeError, match="assigned grad has shape"):
        x.grad = kernels.ones(3)
    with pytest.raises(RuntimeError, match="can't assign a tensor as its own grad"):
        x.grad = x
    with pytest.raises(TypeError, match="assigned grad expected to be a Tensor"):
        x.grad = [1.0, 2.0]


def test_no_grad_and_detach():
    x = kernels.tensor([1.0, 2.0], requires_grad=True)
    with kernels.no_grad():
        y = Square.apply(x)
    assert not y.requires_grad and y.grad_fn is None
    assert kernels.is_grad_enabled()

    @kernels.no_grad()
    def f(t):
        return Square.apply(t)

    assert not f(x).requires_grad
    with kernels.no_grad():
        with kernels.enable_grad():
            assert Square.apply(x).requires_grad
    with kernels.set_grad_enabled(False):
        assert not Square.apply(x).requires_grad
    d = Square.apply(x).detach()
    assert not d.requires_grad and d.grad_fn is None
    assert d._same_storage(d.detach())


def test_leaf_flags():
    x = kernels.tensor([1.0], requires_grad=True)
    y = Square.apply(x)
    with pytest.raises(RuntimeError, match="only change requires_grad of leaf"):
        y.requires_grad = False
    assert x.requires_grad_(False) is x and not x.requires_grad


def test_multi_output_missing_gradient_is_zero():
    x = kernels.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    a, b = SplitHalves.apply(x)
    assert a._output_nr == 0 and b._output_nr == 1
    Scale.apply(b, 10.0).backward(kernels.ones(2))
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0, 10.0, 10.0])


def test_wrong_gradient_shape_is_reported():
    x = kernels.tensor([1.0, 2.0], requires_grad=True)
    y = BadShape.apply(x)
    with pytest.raises(RuntimeError, match=r"BadShapeBackward returned a gradient of shape \(7,\)"):
        y.backward()


def test_graph_frees_saved_tensors():
    x = kernels.tensor([1.0], requires_grad=True)
    y = Square.apply(x)
    node = y.grad_fn
    assert node.ctx.saved_tensors
    y.backward()
    assert node.ctx is None and node.freed


def test_deep_chain_does_not_recurse():
    x = kernels.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(5000):
        y = Scale.apply(y, 1.0)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0])


class Identity(Function):
    @staticmethod
    def forward(ctx, x):
        return _t(_np(x), x)

    @staticmethod
    def backward(ctx, grad):
        return grad  # passes the incoming gradient itself on


@pytest.mark.parametrize("graph", ["leaf", "identity", "view", "add"])
def test_leaf_grad_never_aliases_the_callers_gradient(graph):
    # backward() hands the caller's tensor to the graph without copying it; where it would reach
    # a leaf's .grad unchanged, that .grad is a copy, so writing to one never changes the other
    x = kernels.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = {"leaf": lambda: x, "identity": lambda: Identity.apply(x), "view": lambda: x.view(3),
         "add": lambda: x + 0.0}[graph]()
    g = kernels.tensor([0.5, 0.25, 2.0])
    y.backward(g)
    assert not x.grad._same_storage(g)
    g.fill_(9.0)
    np.testing.assert_array_equal(x.grad.numpy(), [0.5, 0.25, 2.0])
    y2 = {"leaf": lambda: x, "identity": lambda: Identity.apply(x), "view": lambda: x.view(3),
          "add": lambda: x + 0.0}[graph]()
    y2.backward(g)  # accumulates into a fresh sum, the caller's tensor untouched
    np.testing.assert_array_equal(x.grad.numpy(), [9.5, 9.25, 11.0])
    np.testing.assert_array_equal(g.numpy(), [9.0, 9.0, 9.0])


def test_caller_gradient_with_requires_grad_is_taken_as_data():
    x = kernels.tensor([1.0, -2.0], requires_grad=True)
    g = kernels.tensor([3.0, 4.0], requires_grad=True)
    x.relu().backward(g)
    assert not x.grad.requires_grad and g.grad is None
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0])
