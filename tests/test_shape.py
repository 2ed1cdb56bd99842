"""Shape and indexing family: views, permute, expand, cat/stack/split, indexing, gather/scatter.

One table of cases (each op written once for both `kernels` and `torch`, plus a NumPy float64
reference) is walked by the forward / backward / torch / CUDA tests; a second table lists bad
inputs and the exception each must raise.
"""
import numpy as np
import pytest

import kernels
from opcheck import HAS_CUDA, Const, check_cuda_vs_cpu, check_torch, gradcheck, run, to_numpy


_rng = np.random.default_rng(7)


def A(*shape):
    return _rng.standard_normal(shape)


def I(a):  # noqa: E743 - an int64 index argument
    return Const(np.asarray(a, dtype=np.int64))


def M(a):  # a bool mask argument
    return Const(np.asarray(a, dtype=bool))


def _scatter_add_ref(x, dim, idx, src):
    out = x.copy()
    for pos in np.ndindex(*idx.shape):
        tgt = list(pos)
        tgt[dim] = idx[pos]
        out[tuple(tgt)] += src[pos]
    return out


def _index_add_ref(x, dim, idx, src, alpha=1.0):
    out = np.moveaxis(x.copy(), dim, 0)
    s = np.moveaxis(src, dim, 0)
    for k, v in enumerate(idx):
        out[v] += alpha * s[k]
    return np.moveaxis(out, 0, dim)


_lab_x = A(4, 5)
_mask_x = A(3, 4)

# (id, fn(m, *args) for m in {kernels, torch}, numpy reference(*args), args, flags)
CASES = [
    ("reshape", lambda m, x: x.reshape(3, -1), lambda x: x.reshape(3, -1), [A(2, 3, 4)]),
    ("reshape_fn", lambda m, x: m.reshape(x, (4, 6)), lambda x: x.reshape(4, 6), [A(2, 3, 4)]),
    ("reshape_0d", lambda m, x: x.reshape(1, 1), lambda x: x.reshape(1, 1), [A()]),
    ("reshape_empty", lambda m, x: x.reshape(0, 3), lambda x: x.reshape(0, 3), [A(3, 0)]),
    ("view", lambda m, x: x.view(-1), lambda x: x.reshape(-1), [A(2, 3, 4)]),
    ("flatten", lambda m, x: m.flatten(x, 1), lambda x: x.reshape(2, -1), [A(2, 3, 4)]),
    ("flatten_mid", lambda m, x: x.flatten(1, 2), lambda x: x.reshape(2, 12, 5), [A(2, 3, 4, 5)]),
    ("unflatten", lambda m, x: x.unflatten(1, (3, -1)), lambda x: x.reshape(2, 3, 4), [A(2, 12)]),
    ("squeeze_all", lambda m, x: x.squeeze(), lambda x: x.squeeze(), [A(1, 3, 1, 2)]),
    ("squeeze_dim", lambda m, x: x.squeeze(2), lambda x: x.squeeze(2), [A(1, 3, 1, 2)]),
    ("squeeze_noop", lambda m, x: x.squeeze(1), lambda x: x, [A(1, 3, 1, 2)]),
    ("squeeze_tuple", lambda m, x: m.squeeze(x, (0, 2)), lambda x: x.squeeze((0, 2)), [A(1, 3, 1, 2)]),
    ("unsqueeze", lambda m, x: x.unsqueeze(-1), lambda x: x[..., None], [A(2, 3)]),
    ("unsqueeze0", lambda m, x: m.unsqueeze(x, 0), lambda x: x[None], [A(2, 3)]),
    ("transpose", lambda m, x: x.transpose(0, 2), lambda x: np.swapaxes(x, 0, 2), [A(2, 3, 4)]),
    ("transpose_fn", lambda m, x: m.transpose(x, -1, -2), lambda x: np.swapaxes(x, -1, -2), [A(2, 3, 4)]),
    ("permute", lambda m, x: x.permute(2, 0, 1), lambda x: x.transpose(2, 0, 1), [A(2, 3, 4)]),
    ("permute_list", lambda m, x: m.permute(x, (1, 3, 0, 2)), lambda x: x.transpose(1, 3, 0, 2), [A(2, 3, 1, 4)]),
    ("permute_big", lambda m, x: x.permute(1, 0), lambda x: x.T, [A(67, 33)]),
    ("T", lambda m, x: x.T, lambda x: x.T, [A(3, 5)]),
    ("T_1d", lambda m, x: x.T, lambda x: x, [A(5)]),
    ("mT", lambda m, x: x.mT, lambda x: np.swapaxes(x, -1, -2), [A(2, 3, 5)]),
    ("t", lambda m, x: x.t(), lambda x: x.T, [A(3, 5)]),
    ("expand", lambda m, x: x.expand(2, 3, 4), lambda x: np.broadcast_to(x, (2, 3, 4)), [A(3, 1)]),
    ("expand_neg1", lambda m, x: x.expand(5, -1, 4), lambda x: np.broadcast_to(x, (5, 3, 4)), [A(3, 1)]),
    ("expand_noop", lambda m, x: x.expand(3, 4), lambda x: x, [A(3, 4)]),
    ("expand_as", lambda m, x, y: x.expand_as(y), lambda x, y: np.broadcast_to(x, y.shape), [A(1, 4), A(3, 4)]),
    ("broadcast_to", lambda m, x: m.broadcast_to(x, (2, 3)), lambda x: np.broadcast_to(x, (2, 3)), [A(3)]),
    ("contiguous", lambda m, x: x.contiguous(), lambda x: x, [A(2, 3)]),
    ("narrow", lambda m, x: x.narrow(1, 1, 2), lambda x: x[:, 1:3], [A(2, 4, 3)]),
    ("narrow0", lambda m, x: m.narrow(x, 0, 1, 2), lambda x: x[1:3], [A(4, 3)]),
    ("narrow_neg", lambda m, x: m.narrow(x, -1, -3, 2), lambda x: x[:, 2:4], [A(4, 5)]),
    ("cat0", lambda m, x, y: m.cat([x, y]), lambda x, y: np.concatenate([x, y]), [A(2, 3), A(4, 3)]),
    ("cat1_empty_piece", lambda m, x, y, z: m.cat([x, y, z], 1), lambda x, y, z: np.concatenate([x, y, z], 1),
     [A(2, 3), A(2, 0), A(2, 5)]),
    ("cat_neg_dim", lambda m, x, y: m.cat((x, y), -1), lambda x, y: np.concatenate([x, y], -1), [A(2, 3, 1), A(2, 3, 4)]),
    ("cat_big", lambda m, x, y: m.cat([x, y], 1), lambda x, y: np.concatenate([x, y], 1), [A(3, 130), A(3, 7)]),
    ("cat_legacy_empty", lambda m, x, y: m.cat([x, y]), lambda x, y: y, [A(0), A(2, 3)]),
    ("concat", lambda m, x, y: m.concat([x, y], 1), lambda x, y: np.concatenate([x, y], 1), [A(2, 1), A(2, 2)]),
    ("stack0", lambda m, x, y: m.stack([x, y]), lambda x, y: np.stack([x, y]), [A(2, 3), A(2, 3)]),
    ("stack_last", lambda m, x, y, z: m.stack([x, y, z], -1), lambda x, y, z: np.stack([x, y, z], -1),
     [A(2, 3), A(2, 3), A(2, 3)]),
    ("stack_1d", lambda m, x: m.stack([x], 0), lambda x: x[None], [A(4)]),
    ("split_mid", lambda m, x: m.split(x, 2, 1)[1], lambda x: x[:, 2:4], [A(3, 5)]),
    ("split_last", lambda m, x: x.split(2, 1)[2], lambda x: x[:, 4:5], [A(3, 5)]),
    ("split_dim0", lambda m, x: x.split(2)[1], lambda x: x[2:4], [A(5, 3)]),
    ("split_sections", lambda m, x: x.split([1, 3], 0)[1], lambda x: x[1:4], [A(4, 2)]),
    ("chunk", lambda m, x: m.chunk(x, 3, 1)[2], lambda x: x[:, 6:7], [A(2, 7)]),
    ("chunk_first", lambda m, x: x.chunk(2)[0], lambda x: x[:3], [A(5, 2)]),
    ("unbind", lambda m, x: x.unbind(1)[1], lambda x: x[:, 1], [A(2, 3, 4)]),
    ("unbind_fn", lambda m, x: m.unbind(x)[0], lambda x: x[0], [A(2, 3)]),
    ("get_int", lambda m, x: x[1], lambda x: x[1], [A(3, 4)]),
    ("get_neg_ints", lambda m, x: x[-1, 2], lambda x: x[-1, 2], [A(3, 4)]),
    ("get_slices", lambda m, x: x[:, 1:, ::2], lambda x: x[:, 1:, ::2], [A(2, 3, 5)]),
    ("get_steps", lambda m, x: x[1::3, 2:9:2], lambda x: x[1::3, 2:9:2], [A(10, 11)]),
    ("get_clipped", lambda m, x: x[-10:2, 5:], lambda x: x[-10:2, 5:], [A(3, 4)]),
    ("get_empty_slice", lambda m, x: x[2:1], lambda x: x[2:1], [A(3, 4)]),
    ("get_none_ellipsis", lambda m, x: x[None, ..., 1], lambda x: x[None, ..., 1], [A(2, 3, 4)]),
    ("get_ellipsis_mid", lambda m, x: x[0, ..., None, 1:], lambda x: x[0, ..., None, 1:], [A(2, 3, 4)]),
    ("get_list", lambda m, x: x[[2, 0, 2]], lambda x: x[[2, 0, 2]], [A(3, 4)]),
    ("get_rows_labels", lambda m, x, i, j: x[i, j], lambda x, i, j: x[i, j], [_lab_x, I([0, 1, 2, 3]), I([4, 0, 0, 2])]),
    ("get_tensor_mid", lambda m, x, i: x[:, i], lambda x, i: x[:, i], [A(2, 5, 3), I([[0, 4], [1, 1]])]),
    ("get_tensor_last", lambda m, x, i: x[..., i], lambda x, i: x[..., i], [A(2, 3, 4), I([3, -1])]),
    ("get_nonadjacent", lambda m, x, i, j: x[i, :, j], lambda x, i, j: x[i, :, j], [A(2, 3, 4), I([0, 1]), I([1, 3])]),
    ("get_adjacent_mid", lambda m, x, i, j: x[:, i, j], lambda x, i, j: x[:, i, j], [A(2, 3, 4), I([0, 2]), I([1, 3])]),
    ("get_broadcast", lambda m, x, i, j: x[i, j], lambda x, i, j: x[i, j], [A(3, 4), I([[0], [2]]), I([1, 3, 0])]),
    ("get_tensor_slice", lambda m, x, i: x[i, 1:], lambda x, i: x[i, 1:], [A(4, 3), I([3, 0])]),
    ("get_mask", lambda m, x, k: x[k], lambda x, k: x[k], [_mask_x, M(_mask_x > 0)]),
    ("get_mask_rows", lambda m, x, k: x[k], lambda x, k: x[k], [A(3, 2), M([True, False, True])]),
    ("index_select", lambda m, x, i: m.index_select(x, 1, i), lambda x, i: np.take(x, i, axis=1), [A(3, 4, 2), I([3, 0, 3])]),
    ("index_select0", lambda m, x, i: x.index_select(0, i), lambda x, i: x[i], [A(5, 3), I([4, 4, 1, 0])]),
    ("index_select_empty", lambda m, x, i: m.index_select(x, 0, i), lambda x, i: x[i], [A(5, 3), I(np.zeros(0))]),
    ("gather", lambda m, x, i: m.gather(x, 1, i), lambda x, i: np.take_along_axis(x, i, 1),
     [A(3, 4), I([[0, 3], [1, 1], [2, 0]])]),
    ("gather0_small", lambda m, x, i: x.gather(0, i), lambda x, i: np.take_along_axis(x[:, :2], i, 0),
     [A(3, 4), I([[2, 0], [1, 1], [0, 2], [2, 2]])]),
    ("gather_3d", lambda m, x, i: m.gather(x, 2, i), lambda x, i: np.take_along_axis(x, i, 2),
     [A(2, 3, 4), I(_rng.integers(0, 4, (2, 3, 5)))]),
    ("scatter_add", lambda m, x, i, s: m.scatter_add(x, 1, i, s), lambda x, i, s: _scatter_add_ref(x, 1, i, s),
     [A(3, 4), I([[0, 3], [1, 1], [2, 0]]), A(3, 2)]),
    ("scatter_add0", lambda m, x, i, s: x.scatter_add(0, i, s), lambda x, i, s: _scatter_add_ref(x, 0, i, s),
     [A(3, 4), I([[2, 0, 1, 2], [2, 0, 1, 2]]), A(2, 4)]),
    ("index_add", lambda m, x, i, s: m.index_add(x, 0, i, s), lambda x, i, s: _index_add_ref(x, 0, i, s),
     [A(4, 3), I([0, 2, 0]), A(3, 3)]),
    ("index_add_dim1_alpha", lambda m, x, i, s: x.index_add(1, i, s, alpha=2.5),
     lambda x, i, s: _index_add_ref(x, 1, i, s, 2.5), [A(2, 4), I([3, 3, 1]), A(2, 3)]),
]
# scatter_add with src larger than index: torch's backward rejects it, ours pads with zeros.
FD_ONLY = [
    ("scatter_add_big_src", lambda m, x, i, s: m.scatter_add(x, 1, i, s), lambda x, i, s: _scatter_add_ref(x, 1, i, s[:, :2]),
     [A(3, 4), I([[0, 3], [1, 1], [2, 0]]), A(3, 3)]),
]
IDS = [c[0] for c in CASES]


def _kfn(case):
    return lambda *a: case[1](kernels, *a)


def _tfn(case):
    import torch

    return lambda *a: case[1](torch, *a)


def _ref_args(args):
    return [a.value if isinstance(a, Const) else a for a in args]



@pytest.mark.parametrize("case", CASES + FD_ONLY, ids=IDS + [c[0] for c in FD_ONLY])
@pytest.mark.parametrize("dtype", [kernels.float64, kernels.float32], ids=["f64", "f32"])
def test_forward_numpy(case, dtype):
    out, _, _ = run(_kfn(case), case[3], dtype, backward=False)
    args = [a.astype(np.float32) if isinstance(a, np.ndarray) and a.dtype.kind == "f" and dtype == kernels.float32
            else a for a in _ref_args(case[3])]
    want = case[2](*args)
    assert out.shape == np.shape(want)
    tol = 1e-6 if dtype == kernels.float32 else 1e-12
    np.testing.assert_allclose(out, want, rtol=tol, atol=tol)


@pytest.mark.filterwarnings("ignore:The use of `x.T`")
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_torch(case):
    pytest.importorskip("torch")
    check_torch(_kfn(case), _tfn(case), case[3])


@pytest.mark.parametrize("case", CASES + FD_ONLY, ids=IDS + [c[0] for c in FD_ONLY])
def test_backward_fd(case):
    args = case[3]
    if not any(isinstance(a, np.ndarray) and a.size for a in args):
        # Nothing to perturb: the gradient must still come back, empty and of the input's shape.
        _, grads, _ = run(_kfn(case), args)
        for a, g in zip(args, grads):
            if isinstance(a, np.ndarray) and a.dtype.kind == "f":
                assert g is not None and g.shape == a.shape
        return
    gradcheck(_kfn(case), args)


@pytest.mark.parametrize("case", CASES + FD_ONLY, ids=IDS + [c[0] for c in FD_ONLY])
def test_cuda_vs_cpu(case):
    check_cuda_vs_cpu(_kfn(case), case[3])


# ------------------------------------------------------------------ multi-output backward


@pytest.mark.parametrize("name,fn", [
    ("split", lambda m, x: m.split(x, 2, 1)),
    ("split_dim0", lambda m, x: m.split(x, [1, 0, 2], 0)),
    ("chunk", lambda m, x: m.chunk(x, 2, 1)),
    ("unbind", lambda m, x: m.unbind(x, 1)),
])
def test_multi_output_backward(name, fn):
    torch = pytest.importorskip("torch")
    a = A(3, 5)
    x = kernels.tensor(a, requires_grad=True)
    outs = fn(kernels, x)
    tx = torch.tensor(a, requires_grad=True)
    touts = fn(torch, tx)
    assert len(outs) == len(touts)
    ws = [np.random.default_rng(i).standard_normal(tuple(o.shape)) for i, o in enumerate(touts)]
    for o, to in zip(outs, touts):
        np.testing.assert_array_equal(to_numpy(o), to.detach().numpy())
    # one backward per piece (the engine fills zeros for the other pieces); summed here, since
    # summing into .grad across calls needs the elementwise add; the second piece gets none
    total = np.zeros(a.shape)
    for k, (o, w) in enumerate(zip(outs, ws)):
        if k != 1 or len(outs) == 1:
            x.grad = None
            o.backward(kernels.tensor(w), retain_graph=True)
            total += to_numpy(x.grad)
    loss = sum((to * torch.tensor(w)).sum() for k, (to, w) in enumerate(zip(touts, ws)) if k != 1 or len(touts) == 1)
    loss.backward()
    np.testing.assert_allclose(total, tx.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_cat_of_same_tensor_backward():
    a = A(2, 3)
    x = kernels.tensor(a, requires_grad=True)
    y = kernels.cat([x, x], 0)
    y.backward(kernels.ones(4, 3, dtype=kernels.float64))
    np.testing.assert_allclose(to_numpy(x.grad), 2 * np.ones((2, 3)))


# ------------------------------------------------------------------ memory sharing


def test_views_share_memory():
    x = kernels.tensor(np.arange(12.0).reshape(3, 4))
    assert x.reshape(4, 3)._same_storage(x)
    assert x[1]._same_storage(x)
    assert x[1:3]._same_storage(x)
    assert x.narrow(0, 1, 1)._same_storage(x)
    assert x.split(1)[2]._same_storage(x)
    r = x[1]
    r[2] = 100.0
    assert x.numpy()[1, 2] == 100.0
    assert x[:, 1]._same_storage(x) and x.t()._same_storage(x)  # strided: views too
    y = x.contiguous()
    assert y is not x and y._same_storage(x)


# ------------------------------------------------------------------ __setitem__

SET_CASES = [
    ("int_scalar", lambda: 1, lambda s: 5.0),
    ("neg_int_row", lambda: -1, lambda s: A(4)),
    ("slice_col", lambda: (slice(None), 1), lambda s: A(3)),
    ("step_bcast", lambda: (Ellipsis, slice(None, None, 2)), lambda s: A(1)),
    ("none", lambda: (None, 0, slice(1, 3)), lambda s: [[1.5, 2.5]]),
    ("leading_ones", lambda: 0, lambda s: A(1, 4)),
    ("list_rows", lambda: [0, 2], lambda s: A(2, 4)),
    ("list_rows_bcast", lambda: [2, 0], lambda s: A(4)),
    ("rows_labels", lambda: ([0, 1, 2], [3, 0, 1]), lambda s: -1.0),
    ("tensor_mid", lambda: (slice(None), np.array([1, 3])), lambda s: A(3, 2)),
    ("mask", lambda: "mask", lambda s: 0.0),
    ("numpy_value", lambda: slice(0, 2), lambda s: np.ones((2, 4), dtype=np.float32)),
]


def _key_for(name, key, base, module):
    if key == "mask":
        return module_mask(base, module)
    if isinstance(key, tuple):
        return tuple(_conv_item(k, module) for k in key)
    return _conv_item(key, module)


def module_mask(base, module):
    m = base > 0
    if module == "kernels":
        return kernels.tensor(m)
    if module == "torch":
        import torch

        return torch.tensor(m)
    return m


def _conv_item(k, module):
    if isinstance(k, (list, np.ndarray)) and module == "torch":
        import torch

        return torch.tensor(np.asarray(k))
    return k


@pytest.mark.parametrize("name,key,value", SET_CASES, ids=[c[0] for c in SET_CASES])
@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_setitem(name, key, value, device):
    if device == "cuda" and not HAS_CUDA:
        pytest.skip("no CUDA device, or kernels built without CUDA")
    base = A(3, 4)
    k, v = key(), value(None)
    ref = base.copy()
    ref[_key_for(name, k, base, "numpy")] = v
    x = kernels.tensor(base, device=device)
    vk = kernels.tensor(v, device=device) if isinstance(v, np.ndarray) and v.dtype == np.float64 else v
    x[_key_for(name, k, base, "kernels")] = vk
    np.testing.assert_allclose(to_numpy(x), ref, rtol=1e-12)
    torch = pytest.importorskip("torch")
    t = torch.tensor(base)
    tv = torch.tensor(v) if isinstance(v, (np.ndarray, list)) else v
    t[_key_for(name, k, base, "torch")] = tv
    np.testing.assert_allclose(to_numpy(x), t.numpy(), rtol=1e-6)


def test_setitem_int_tensor_and_dtype_cast():
    x = kernels.tensor(np.zeros((2, 3), dtype=np.int64))
    x[:, 1] = 7
    x[1] = kernels.tensor(np.array([1.9, 2.0, 3.0]))  # cast to int64, as torch
    np.testing.assert_array_equal(to_numpy(x), [[0, 7, 0], [1, 2, 3]])


def test_setitem_overlapping_self():
    a = np.arange(6.0)
    x = kernels.tensor(a)
    x[1:] = x[:-1]
    a[1:] = a[:-1].copy()
    np.testing.assert_array_equal(to_numpy(x), a)


def test_setitem_requires_grad_errors():
    x = kernels.tensor(A(2, 3), requires_grad=True)
    with pytest.raises(RuntimeError, match="setitem"):
        x[0] = 1.0
    with kernels.no_grad():
        x[0] = 1.0  # allowed, as in torch
    assert np.all(to_numpy(x)[0] == 1.0)
    y = kernels.tensor(A(2, 3))
    with pytest.raises(RuntimeError, match="setitem"):
        y[0] = kernels.tensor(A(3), requires_grad=True)


# ------------------------------------------------------------------ bad inputs


def _x(*shape):
    return kernels.tensor(A(*shape))


def _i(a):
    return kernels.tensor(np.asarray(a, dtype=np.int64))


BAD = [
    ("reshape_size", lambda: _x(2, 3, 4).reshape(5, 5), ValueError, r"reshape: shape \(5,5\) .*\(2,3,4\)"),
    ("reshape_two_infer", lambda: _x(2, 3).reshape(-1, -1), ValueError, "reshape"),
    ("reshape_infer_bad", lambda: _x(2, 3).reshape(4, -1), ValueError, r"reshape.*\(4,-1\).*\(2,3\)"),
    ("reshape_negative", lambda: _x(2, 3).reshape(-2, 3), ValueError, "reshape"),
    ("view_bad", lambda: _x(2, 3).view(7), ValueError, r"view.*\(7,\).*\(2,3\)"),
    ("flatten_order", lambda: _x(2, 3, 4).flatten(2, 1), ValueError, "flatten"),
    ("flatten_dim", lambda: _x(2, 3).flatten(0, 5), IndexError, "flatten"),
    ("squeeze_dim", lambda: _x(2, 3).squeeze(3), IndexError, "squeeze"),
    ("unsqueeze_dim", lambda: _x(2, 3).unsqueeze(4), IndexError, "unsqueeze"),
    ("transpose_dim", lambda: _x(2, 3).transpose(0, 2), IndexError, "transpose"),
    ("permute_count", lambda: _x(2, 3, 4).permute(0, 1), ValueError, r"permute.*\(2,3,4\)"),
    ("permute_repeat", lambda: _x(2, 3, 4).permute(0, 1, 1), ValueError, "permute.*not a permutation"),
    ("permute_range", lambda: _x(2, 3).permute(0, 3), IndexError, "permute"),
    ("T_3d", lambda: _x(2, 3, 4).T, ValueError, "T"),
    ("mT_1d", lambda: _x(3).mT, ValueError, "mT"),
    ("t_3d", lambda: _x(2, 3, 4).t(), ValueError, "t: "),
    ("expand_mismatch", lambda: _x(3, 2).expand(3, 4), ValueError, r"expand.*\(3,4\).*\(3,2\)"),
    ("expand_too_few", lambda: _x(3, 2).expand(2), ValueError, "expand"),
    ("expand_new_neg1", lambda: _x(3).expand(-1, 3), ValueError, "expand"),
    ("cat_shapes", lambda: kernels.cat([_x(2, 3), _x(2, 4)]), ValueError, r"cat.*\(2,3\).*\(2,4\)"),
    ("cat_rank", lambda: kernels.cat([_x(2, 3), _x(2, 3, 1)]), ValueError, "cat"),
    ("cat_dtypes", lambda: kernels.cat([_x(2, 3), kernels.tensor(np.zeros((2, 3), np.float32))]), TypeError, "cat.*float64.*float32"),
    ("cat_empty_list", lambda: kernels.cat([]), ValueError, "cat"),
    ("cat_0d", lambda: kernels.cat([_x(), _x()]), ValueError, "cat.*zero-dim"),
    ("cat_dim", lambda: kernels.cat([_x(2, 3), _x(2, 3)], 2), IndexError, "cat"),
    ("cat_not_list", lambda: kernels.cat(_x(2, 3)), TypeError, "cat"),
    ("stack_shapes", lambda: kernels.stack([_x(2, 3), _x(3, 2)]), ValueError, r"stack.*\(2,3\).*\(3,2\)"),
    ("stack_dim", lambda: kernels.stack([_x(2, 3)], 4), IndexError, "stack"),
    ("split_sum", lambda: _x(4, 2).split([1, 2]), ValueError, "split"),
    ("split_zero", lambda: _x(4, 2).split(0), ValueError, "split"),
    ("chunk_zero", lambda: _x(4, 2).chunk(0), ValueError, "chunk"),
    ("narrow_len", lambda: _x(4, 2).narrow(0, 3, 2), ValueError, "narrow"),
    ("narrow_start", lambda: _x(4, 2).narrow(0, 6, 0), IndexError, "narrow"),
    ("get_int", lambda: _x(2, 3)[:, 3], IndexError, "index.*dim 1.*size 3"),
    ("get_neg_int", lambda: _x(2, 3)[-3], IndexError, "index.*-3.*dim 0"),
    ("get_list", lambda: _x(2, 3)[[0, 2]], IndexError, "index.*2.*dim 0.*size 2"),
    ("get_tensor_neg", lambda: _x(2, 3)[:, _i([-4])], IndexError, "index.*-4.*dim 1.*size 3"),
    ("get_two_tensors", lambda: _x(2, 3)[_i([0, 1]), _i([0, 3])], IndexError, "index.*3.*dim 1"),
    ("get_too_many", lambda: _x(2, 3)[0, 0, 0], IndexError, "too many indices"),
    ("get_too_many_lists", lambda: _x(2)[[0], [0]], IndexError, "too many indices"),
    ("get_float", lambda: _x(2, 3)[1.0], IndexError, "index"),
    ("get_float_tensor", lambda: _x(2, 3)[_x(2)], IndexError, "index.*int64"),
    ("get_float_list", lambda: _x(2, 3)[[0.5]], IndexError, "index"),
    ("get_neg_step", lambda: _x(4)[::-1], ValueError, "step"),
    ("get_two_ellipsis", lambda: _x(2, 3)[..., ...], IndexError, "ellipsis"),
    ("get_broadcast", lambda: _x(3, 3)[_i([0, 1]), _i([0, 1, 2])], IndexError, "broadcast"),
    ("get_mask_shape", lambda: _x(3, 3)[kernels.tensor(np.ones(2, bool))], IndexError, "mask"),
    ("get_empty_dim", lambda: _x(0, 3)[_i([0])], IndexError, "index.*size 0"),
    ("index_select_range", lambda: _x(3, 4).index_select(1, _i([0, 5])), IndexError, "index_select.*5.*dim 1.*size 4"),
    ("index_select_neg", lambda: _x(3, 4).index_select(0, _i([-1])), IndexError, "index_select.*-1"),
    ("index_select_float", lambda: _x(3, 4).index_select(0, _x(2)), TypeError, "index_select.*int64"),
    ("index_select_2d", lambda: _x(3, 4).index_select(0, _i([[0]])), ValueError, r"index_select.*\(1,1\)"),
    ("index_select_dim", lambda: _x(3, 4).index_select(2, _i([0])), IndexError, "index_select"),
    ("gather_range", lambda: _x(3, 4).gather(1, _i([[0], [4], [1]])), IndexError, "gather.*4.*dim 1.*size 4"),
    ("gather_neg", lambda: _x(3, 4).gather(0, _i([[-1]])), IndexError, "gather.*-1"),
    ("gather_rank", lambda: _x(3, 4).gather(1, _i([0, 1])), ValueError, r"gather.*\(2,\).*\(3,4\)"),
    ("gather_size", lambda: _x(3, 4).gather(1, _i(np.zeros((4, 1)))), ValueError, "gather.*larger"),
    ("gather_float", lambda: _x(3, 4).gather(1, _x(3, 1)), TypeError, "gather.*int64"),
    ("scatter_add_range", lambda: kernels.scatter_add(_x(3, 4), 0, _i([[3]]), _x(1, 1)), IndexError, "scatter_add.*3"),
    ("scatter_add_dtype", lambda: kernels.scatter_add(_x(3, 4), 0, _i([[0]]), kernels.tensor(np.ones((1, 1), np.float32))),
     TypeError, "scatter_add"),
    ("scatter_add_src", lambda: kernels.scatter_add(_x(3, 4), 0, _i([[0, 1]]), _x(1, 1)), ValueError, "scatter_add.*src"),
    ("index_add_range", lambda: kernels.index_add(_x(3, 4), 0, _i([3]), _x(1, 4)), IndexError, "index_add.*3.*size 3"),
    ("index_add_shape", lambda: kernels.index_add(_x(3, 4), 0, _i([0]), _x(2, 4)), ValueError, r"index_add.*\(2,4\)"),
    ("set_range", lambda: _x(2, 3).__setitem__((0, 5), 1.0), IndexError, "index.*5"),
    ("set_list_range", lambda: _x(2, 3).__setitem__([0, 2], 1.0), IndexError, "index.*2"),
    ("set_shape", lambda: _x(2, 3).__setitem__(0, _x(4)), ValueError, r"setitem.*\(4,\)"),
    ("set_adv_shape", lambda: _x(2, 3).__setitem__([0, 1], _x(3, 3)), ValueError, r"setitem.*\(3,3\)"),
    ("set_bad_value", lambda: _x(2, 3).__setitem__(0, "a"), TypeError, "setitem"),
]


@pytest.mark.parametrize("name,fn,exc,match", BAD, ids=[b[0] for b in BAD])
def test_bad_input(name, fn, exc, match):
    with pytest.raises(exc, match=match):
        fn()


@pytest.mark.skipif(not HAS_CUDA, reason="no CUDA device, or kernels built without CUDA")
@pytest.mark.parametrize("name,fn,exc,match", [
    ("index_select_range", lambda x, i: x.index_select(1, i([0, 5])), IndexError, "index_select.*5"),
    ("gather_range", lambda x, i: x.gather(1, i([[0], [4], [1]])), IndexError, "gather.*4"),
    ("scatter_add_range", lambda x, i: kernels.scatter_add(x, 1, i([[9]]), x[:1, :1]), IndexError, "scatter_add.*9"),
    ("index_add_range", lambda x, i: kernels.index_add(x, 0, i([7]), x[:1]), IndexError, "index_add.*7"),
    ("getitem_range", lambda x, i: x[i([0, 2]), i([-5, 0])], IndexError, "index.*-5"),
    ("cat_device", lambda x, i: kernels.cat([x, x.cpu()]), RuntimeError, "cat.*device"),
])
def test_bad_index_cuda(name, fn, exc, match):
    x = kernels.tensor(A(3, 4), device="cuda")
    with pytest.raises(exc, match=match):
        fn(x, lambda a: kernels.tensor(np.asarray(a, dtype=np.int64), device="cuda"))
    # the device is still usable after the error
    np.testing.assert_allclose(to_numpy(x[1:2]), to_numpy(x)[1:2])


def test_large_gather_and_index_add_match_numpy():
    # sizes above the CPU threading grain
    rng = np.random.default_rng(3)
    a = rng.standard_normal((300, 257))
    idx = rng.integers(0, 257, (300, 200))
    out = to_numpy(kernels.gather(kernels.tensor(a), 1, kernels.tensor(idx)))
    np.testing.assert_array_equal(out, np.take_along_axis(a, idx, 1))
    src = rng.standard_normal((200, 257))
    rows = rng.integers(0, 300, 200)
    got = to_numpy(kernels.index_add(kernels.tensor(a), 0, kernels.tensor(rows), kernels.tensor(src)))
    np.testing.assert_allclose(got, _index_add_ref(a, 0, rows, src), rtol=1e-12, atol=1e-12)
