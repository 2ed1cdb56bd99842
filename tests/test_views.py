"""Views as torch's: transpose / permute / t / stepped slices / expand / narrow / view share memory
with their base (in-place writes through them reach it, writes to the base show through them),
carry torch's strides and storage offsets, feed every op as their values, and from_numpy / numpy()
share strided memory. Each case is checked against torch."""
import numpy as np
import pytest

import kernels
from opcheck import DEVICES


def _both(torch, values):
    return kernels.tensor(values), torch.tensor(values)


VIEWS = [
    ("t", lambda x: x.t()),
    ("transpose", lambda x: x.transpose(0, 1)),
    ("permute", lambda x: x.unsqueeze(0).permute(2, 0, 1)),
    ("step", lambda x: x[:, ::2]),
    ("step_rows", lambda x: x[1::2]),
    ("narrow", lambda x: x.narrow(1, 1, 2)),
    ("column", lambda x: x[:, 1]),
    ("t_row", lambda x: x.t()[2]),
    ("nested", lambda x: x.t()[1:, ::2]),
    ("T_slice", lambda x: x.T[::2, 1:]),
]


@pytest.mark.parametrize("name,make", VIEWS)
def test_views_have_torch_strides_and_values(name, make, torch):
    k, t = _both(torch, np.arange(20.0).reshape(4, 5))
    kv, tv = make(k), make(t)
    assert tuple(kv.shape) == tuple(tv.shape)
    assert kv.stride() == tv.stride() and kv.storage_offset() == tv.storage_offset()
    assert kv.is_contiguous() == tv.is_contiguous()
    np.testing.assert_array_equal(kv.numpy(), tv.numpy())
    np.testing.assert_array_equal(kv.contiguous().numpy(), tv.contiguous().numpy())
    assert kv.contiguous().is_contiguous()


@pytest.mark.parametrize("name,make", VIEWS)
@pytest.mark.parametrize("write", ["add_", "iadd", "zero_", "fill_", "mul_", "copy_", "setitem", "relu_"])
def test_in_place_writes_through_a_view_reach_the_base(name, make, write, torch):
    k, t = _both(torch, np.arange(20.0).reshape(4, 5) - 7)
    results = []
    for lib, base in (("k", k), ("t", t)):
        v = make(base)
        if write == "add_":
            v.add_(10)
        elif write == "iadd":
            v += 1.5
        elif write == "zero_":
            v.zero_()
        elif write == "fill_":
            v.fill_(3)
        elif write == "mul_":
            v.mul_(-2)
        elif write == "copy_":
            src = np.arange(v.numel(), dtype=np.float64).reshape(tuple(v.shape)) * 100
            v.copy_(kernels.tensor(src) if lib == "k" else torch.tensor(src))
        elif write == "setitem":
            v[...] = 9
        elif write == "relu_":
            v.relu_()
        results.append(base.numpy().copy())
    np.testing.assert_array_equal(results[0], results[1])


def test_writes_to_the_base_show_through_an_earlier_view(torch):
    k, t = _both(torch, np.arange(6.0).reshape(2, 3))
    kv, tv = k.t(), t.t()
    k.add_(1)
    t.add_(1)
    k[0, 1] = -5
    t[0, 1] = -5
    np.testing.assert_array_equal(kv.numpy(), tv.numpy())


def test_the_issue_examples(torch):
    a, ta = _both(torch, np.zeros((3, 3)))
    a.t()[0] += 1
    ta.t()[0] += 1
    np.testing.assert_array_equal(a.numpy(), ta.numpy())
    x, tx = _both(torch, np.ones((2, 6)))
    x[:, ::2].zero_()
    tx[:, ::2].zero_()
    np.testing.assert_array_equal(x.numpy(), tx.numpy())
    w = kernels.nn.Parameter(kernels.zeros(2, 3))
    tw = torch.nn.Parameter(torch.zeros(2, 3, dtype=torch.float64))
    src = np.arange(6.0).reshape(3, 2)
    w.data.transpose(0, 1).copy_(kernels.tensor(src, dtype=kernels.float32))
    tw.data.transpose(0, 1).copy_(torch.tensor(src))
    np.testing.assert_array_equal(w.detach().numpy(), tw.detach().numpy())


def test_setitem_into_a_view_with_advanced_indices(torch):
    k, t = _both(torch, np.arange(12.0).reshape(3, 4))
    k.t()[[0, 2]] = -1
    t.t()[[0, 2]] = -1
    k.t()[1:, 0] = 7
    t.t()[1:, 0] = 7
    np.testing.assert_array_equal(k.numpy(), t.numpy())


def test_view_and_reshape_of_strided_tensors(torch):
    k, t = _both(torch, np.arange(24.0).reshape(2, 3, 4))
    for make, shape in [(lambda x: x.transpose(1, 2), (2, 12)), (lambda x: x.permute(2, 0, 1), (4, 6)),
                        (lambda x: x[:, :, ::2], (6, 2)), (lambda x: x.transpose(0, 1), (3, 2, 2, 2)),
                        (lambda x: x[:, 1:], (2, 2, 4)), (lambda x: x[:, 1:], (4, 4))]:
        kv, tv = make(k), make(t)
        np.testing.assert_array_equal(kv.reshape(shape).numpy(), tv.reshape(shape).numpy())
        try:
            expect = tv.view(shape)
        except RuntimeError:
            with pytest.raises(RuntimeError, match="view: size .* not compatible.*reshape"):
                kv.view(shape)
            continue
        got = kv.view(shape)
        assert got.stride() == expect.stride()
        np.testing.assert_array_equal(got.numpy(), expect.numpy())
        got.fill_(0.5)  # a real view: the write reaches the base
        expect.fill_(0.5)
        np.testing.assert_array_equal(k.numpy(), t.numpy())


def test_expand_is_a_view_that_refuses_writes(torch):
    k, t = _both(torch, np.arange(3.0))
    ke, te = k.expand(4, 3), t.expand(4, 3)
    assert ke.stride() == te.stride() == (0, 1)
    k.add_(1)
    t.add_(1)
    np.testing.assert_array_equal(ke.numpy(), te.numpy())
    with pytest.raises(RuntimeError, match="single memory location"):
        ke.add_(1)
    with pytest.raises(RuntimeError):
        te.add_(1)


def test_ops_read_views_as_their_values(torch, rng):
    a = rng.standard_normal((5, 4))
    b = rng.standard_normal((5, 3))
    k, t = kernels.tensor(a), torch.tensor(a)
    kb, tb = kernels.tensor(b), torch.tensor(b)
    np.testing.assert_allclose((k.t() @ kb).numpy(), (t.t() @ tb).numpy(), rtol=1e-12)
    np.testing.assert_allclose((k[:, ::2] * 2 + 1).exp().sum(0).numpy(), (t[:, ::2] * 2 + 1).exp().sum(0).numpy(),
                               rtol=1e-12)
    np.testing.assert_allclose(kernels.cat([k.t(), kb.t()], 0).numpy(), torch.cat([t.t(), tb.t()], 0).numpy())
    np.testing.assert_allclose(k.t()[[0, 3]].numpy(), t.t()[[0, 3]].numpy())
    np.testing.assert_allclose(kernels.softmax(k.t(), dim=1).numpy(), torch.softmax(t.t(), dim=1).numpy(), rtol=1e-12)
    x = rng.standard_normal((2, 5, 5, 3))  # NHWC permuted to NCHW: a strided conv input
    w = rng.standard_normal((4, 3, 3, 3))
    ko = kernels.functional.conv2d(kernels.tensor(x).permute(0, 3, 1, 2), kernels.tensor(w))
    to = torch.nn.functional.conv2d(torch.tensor(x).permute(0, 3, 1, 2), torch.tensor(w))
    np.testing.assert_allclose(ko.numpy(), to.numpy(), rtol=1e-10, atol=1e-12)
    assert k.t()[1, 2].item() == t.t()[1, 2].item()
    assert k.t().tolist() == t.t().tolist()


def test_gradients_through_views_match_torch(torch, rng):
    a = rng.standard_normal((4, 6))
    k = kernels.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    for lib, x in (("k", k), ("t", t)):
        y = (x.t()[::2] * x.t()[1::2]).sum() + x[:, 1:3].exp().sum() + x.expand(2, 4, 6).sum()
        y.backward()
    np.testing.assert_allclose(k.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_from_numpy_shares_strided_arrays_and_refuses_negative_strides(torch):
    arr = np.arange(24.0).reshape(4, 6)
    for view in (arr[:, ::2], arr[1:, 2:5], arr.T, arr[::2, ::3]):
        k, t = kernels.from_numpy(view), torch.from_numpy(view)
        assert k.stride() == t.stride() and tuple(k.shape) == tuple(t.shape)
        np.testing.assert_array_equal(k.numpy(), view)
        k.add_(1)  # through the shared memory into arr
        np.testing.assert_array_equal(t.numpy(), view)
    np.testing.assert_array_equal(arr, np.arange(24.0).reshape(4, 6) + _touch_count(arr.shape))
    with pytest.raises(ValueError, match="negative"):
        kernels.from_numpy(arr[::-1])
    with pytest.raises(ValueError):
        torch.from_numpy(arr[::-1])


def _touch_count(shape):
    """How often each element of a (4, 6) array was incremented by the loop above."""
    count = np.zeros(shape)
    count[:, ::2] += 1
    count[1:, 2:5] += 1
    count += 1  # .T covers everything
    count[::2, ::3] += 1
    return count


def test_numpy_of_a_view_shares_memory():
    k = kernels.tensor(np.zeros((3, 4)))
    v = k.t().numpy()
    assert v.shape == (4, 3) and not v.flags.c_contiguous
    v[0, 1] = 5
    assert k.numpy()[1, 0] == 5


@pytest.mark.parametrize("dev", [d for d in DEVICES if d != "cpu"])
def test_views_on_cuda_equal_cpu(dev, rng):
    a = rng.standard_normal((6, 5)).astype(np.float32)
    c, g = kernels.tensor(a), kernels.tensor(a, device=dev)
    for x in (c, g):
        x.t()[1:3] += 1
        x[:, ::2].mul_(3)
    np.testing.assert_array_equal(c.numpy(), g.cpu().numpy())
    np.testing.assert_allclose((c.t() @ c).numpy(), (g.t() @ g).cpu().numpy(), rtol=1e-5)


def _strided(x):
    """x's values as a strided view: the transpose of a contiguous transpose copy."""
    return x.transpose(-1, -2).contiguous().transpose(-1, -2)


OPS_ON_VIEWS = [
    ("linear", lambda x, w: kernels.functional.linear(x, w[:3, :4, 0, 0]), (5, 4)),
    ("conv2d", lambda x, w: kernels.functional.conv2d(x, w[:3, :2, :3, :3].contiguous()), (2, 2, 6, 6)),
    ("max_pool2d", lambda x, w: kernels.functional.max_pool2d(x, 2), (2, 2, 6, 6)),
    ("avg_pool2d", lambda x, w: kernels.functional.avg_pool2d(x, 2), (2, 2, 6, 6)),
    ("batch_norm", lambda x, w: kernels.functional.batch_norm(x, None, None, training=True), (4, 3, 5, 5)),
    ("layer_norm", lambda x, w: kernels.functional.layer_norm(x, (x.shape[-1],)), (3, 5)),
    ("softmax", lambda x, w: kernels.softmax(x, dim=-1), (3, 5)),
    ("cross_entropy", lambda x, w: kernels.functional.cross_entropy(x, kernels.tensor([0, 2, 1])), (3, 5)),
    ("mse", lambda x, w: kernels.functional.mse_loss(x, kernels.zeros(x.shape, dtype=x.dtype)), (3, 5)),
    ("sum_dims", lambda x, w: x.sum(1) + x.mean(0).sum(), (4, 5)),
    ("max", lambda x, w: x.max(dim=1)[0], (4, 5)),
    ("gelu_tanh", lambda x, w: kernels.functional.gelu(x).tanh(), (4, 5)),
    ("index_select", lambda x, w: x.index_select(1, kernels.tensor([0, 2])), (4, 5)),
    ("gather", lambda x, w: x.gather(1, kernels.tensor([[0], [1], [2], [0]])), (4, 5)),
    ("cat_stack", lambda x, w: kernels.stack([x, x * 2]).sum(0), (4, 5)),
    ("embedding_like", lambda x, w: kernels.functional.embedding(kernels.tensor([1, 0]), x), (4, 5)),
    ("pad", lambda x, w: kernels.functional.pad(x, (1, 1, 1, 1), mode="reflect"), (1, 2, 4, 5)),
    ("interpolate", lambda x, w: kernels.functional.interpolate(x, scale_factor=2, mode="bilinear"), (1, 2, 4, 5)),
    ("lstm_cell", lambda x, w: kernels.nn.LSTMCell(5, 3).double()(x)[0], (4, 5)),
    ("gru_layer", lambda x, w: kernels.nn.GRU(5, 3, batch_first=True).double()(x.unsqueeze(0))[0], (4, 5)),
    ("where", lambda x, w: kernels.where(x > 0, x, -x), (4, 5)),
    ("pixel_shuffle", lambda x, w: kernels.functional.pixel_shuffle(x, 2), (1, 4, 3, 3)),
    ("norm", lambda x, w: kernels.norm(x, 2, 1), (4, 5)),
]


@pytest.mark.parametrize("name,fn,shape", OPS_ON_VIEWS, ids=[o[0] for o in OPS_ON_VIEWS])
def test_every_family_reads_a_strided_input_as_its_values(name, fn, shape, rng):
    x = rng.standard_normal(shape)
    w = kernels.tensor(rng.standard_normal((4, 4, 3, 3)))
    a = kernels.tensor(x, requires_grad=True)
    b = kernels.tensor(x)
    b = _strided(b).requires_grad_(True) if b.dim() >= 2 else b.requires_grad_(True)
    if b.dim() >= 2:
        assert not b.is_contiguous()
    kernels.manual_seed(3)
    ya = fn(a, w)
    kernels.manual_seed(3)
    yb = fn(b, w)
    np.testing.assert_allclose(yb.detach().numpy(), ya.detach().numpy(), rtol=1e-12, atol=1e-12)
    g = kernels.tensor(rng.standard_normal(tuple(ya.shape)))
    (ya * g).sum().backward()
    (yb * _strided(g) if g.dim() >= 2 else yb * g).sum().backward()  # a strided upstream gradient too
    np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_lstm_cell_over_split_pieces_matches_torch(torch, rng):
    x = rng.standard_normal((3, 6))
    k, t = kernels.tensor(x), torch.tensor(x)
    kernels.manual_seed(0)
    kc = kernels.nn.LSTMCell(1, 4).double()
    tc = torch.nn.LSTMCell(1, 4).double()
    tc.load_state_dict({n: torch.tensor(v.detach().numpy()) for n, v in kc.state_dict().items()})
    kh = kcs = None
    th = tcs = None
    for kpiece, tpiece in zip(k.split(1, dim=1), t.split(1, dim=1)):  # (3, 1) strided views
        assert kpiece.stride() == tpiece.stride()
        kh, kcs = kc(kpiece) if kh is None else kc(kpiece, (kh, kcs))
        th, tcs = tc(tpiece) if th is None else tc(tpiece, (th, tcs))
    np.testing.assert_allclose(kh.detach().numpy(), th.detach().numpy(), rtol=1e-12)
