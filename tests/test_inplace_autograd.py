"""In-place ops under autograd, as torch's: the tensor is written in place and takes the result's
place in the graph (every name for it sees the new values and the right gradients), a tensor saved
for a backward and then written in place makes that backward raise (the version counter), and
inplace=True functionals write into their input. Where kernels does not rebase a view's gradient
as torch does, it raises instead of giving a wrong gradient."""
import numpy as np
import pytest

import kernels
from kernels import nn
import kernels.functional as F


def _pair(torch, values):
    return kernels.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)


def test_operators_and_methods_write_in_place_with_gradients(torch):
    k, t = _pair(torch, [1.0, 2.0, 3.0])
    grads = []
    for x in (k, t):
        h = x * 2
        alias = h
        h += x
        h.mul_(x)
        h.sub_(1.0)
        h /= 2
        h.add_(x, alpha=3)
        assert alias is h
        (alias * alias).sum().backward()
        grads.append(x.grad.numpy().copy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6)


def test_a_plain_tensor_joins_the_graph_when_its_operand_requires_grad(torch):
    k, t = _pair(torch, [1.0, -2.0])
    out = []
    for lib, x in ((kernels, k), (torch, t)):
        h = lib.zeros(2)
        h.add_(x)
        h += x * x
        assert h.requires_grad
        (h * 3).sum().backward()
        out.append(x.grad.numpy().copy())
    np.testing.assert_allclose(out[0], out[1])


def test_copy_into_a_tensor_passes_the_gradient_to_the_source(torch):
    k, t = _pair(torch, [1.0, 2.0])
    res = []
    for lib, x in ((kernels, k), (torch, t)):
        h = lib.ones(3, 2) * 1.0
        h.copy_(x * 5)  # broadcast from (2,)
        h.sum().backward()
        res.append(x.grad.numpy().copy())
    np.testing.assert_array_equal(res[0], res[1])


def test_writing_a_saved_tensor_makes_its_backward_raise(torch):
    for lib in (kernels, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x.sigmoid()  # saves its output
        y.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()
        x2 = lib.tensor([1.0, 2.0], requires_grad=True)
        z = x2 * 1
        e = z.exp()  # saves its output e, not z: writing z is fine
        z.mul_(3)
        (e + z).sum().backward()


def test_mul_keeps_the_old_values_it_needs(torch):
    x = kernels.tensor([2.0, 3.0], requires_grad=True)
    h = x * 1
    h *= h  # the backward needs the old h twice: kernels keeps a copy of it
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 6.0])  # d/dx sum(x^2)
    t = torch.tensor([2.0, 3.0], requires_grad=True)
    th = t * 1
    th *= th
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):  # torch refuses instead
        th.sum().backward()


@pytest.mark.parametrize("make", [lambda lib: lib.nn.ReLU(inplace=True), lambda lib: lib.nn.LeakyReLU(0.1, inplace=True),
                                  lambda lib: lib.nn.ELU(inplace=True), lambda lib: lib.nn.SiLU(inplace=True)])
def test_inplace_activations_write_their_input(make, torch):
    k, t = _pair(torch, [-1.5, 0.5, 2.0])
    res = []
    for lib, x in ((kernels, k), (torch, t)):
        h = x * 2
        out = make(lib)(h)
        assert out is h
        res.append(h.detach().numpy().copy())
        (out * out).sum().backward()
        res.append(x.grad.numpy().copy())
    np.testing.assert_allclose(res[0], res[2], rtol=1e-6)
    np.testing.assert_allclose(res[1], res[3], rtol=1e-6)
    plain = kernels.tensor([-1.0, 1.0])
    assert F.relu(plain, inplace=True) is plain and plain.tolist() == [0.0, 1.0]


def test_inplace_dropout_writes_its_input():
    kernels.manual_seed(0)
    x = kernels.ones(1000)
    out = F.dropout(x, 0.5, training=True, inplace=True)
    assert out is x and set(np.unique(x.numpy())) <= {0.0, 2.0} and 0 < (x.numpy() == 0).sum() < 1000
    w = kernels.ones(50, requires_grad=True)
    h = w * 1
    nn.Dropout(0.5, inplace=True)(h).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), h.detach().numpy())  # 2 where kept, 0 where dropped


def test_a_view_taken_before_its_base_was_rewritten_is_refused():
    x = kernels.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = x * 1
    v = h[:2]
    h += x
    assert v.detach().numpy().tolist() == [2.0, 4.0]  # it shares memory: it sees the write
    with pytest.raises(RuntimeError, match="used after an in-place op"):
        (v * x[:2]).sum()
    h.sum().backward()  # the rewritten tensor itself is fine
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])
    y = kernels.tensor([1.0, 2.0], requires_grad=True)
    base = y * 1
    part = base[1:]
    part.mul_(10)  # a view written under autograd: its base is refused afterwards
    with pytest.raises(RuntimeError, match="used after an in-place op"):
        base.sum()
    assert base.detach().numpy().tolist() == [1.0, 20.0]
