"""embedding and one_hot: forward against NumPy and torch, backward (duplicates summed, no gradient
for padding_idx) against torch and finite differences, the Embedding module (init, padding row,
from_pretrained, state_dict with torch), CPU against CUDA, and bad inputs."""
import numpy as np
import pytest

import kernels
import kernels.functional as F
import kernels.nn as knn
from kernels import _C
from opcheck import Const, check_cuda_vs_cpu, check_torch, gradcheck, requires_cuda

R = np.random.default_rng(3)


def _np(t):
    return np.asarray(t.detach().cpu().numpy())


# (ids shape, num_embeddings, dim, padding_idx)
CASES = [
    ((), 5, 3, None),
    ((7,), 5, 3, None),
    ((4, 6), 10, 4, 2),
    ((2, 3, 4), 6, 5, -1),
    ((0,), 4, 3, None),
    ((3, 0), 4, 3, 1),
    ((40,), 3, 33, 0),  # many duplicates, a dim that is not a multiple of 16
]


def _ids(shape, n):
    ids = R.integers(0, n, shape)
    if ids.size > 1:
        ids.flat[0] = ids.flat[-1]  # at least one duplicate
    return np.asarray(ids, dtype=np.int64)


@pytest.mark.parametrize("shape,N,D,pad", CASES)
def test_embedding_forward_backward(shape, N, D, pad):
    ids = _ids(shape, N)
    w = R.standard_normal((N, D))
    out = F.embedding(kernels.tensor(ids), kernels.tensor(w), pad)
    np.testing.assert_array_equal(_np(out), w[ids])
    torch = pytest.importorskip("torch")
    check_torch(lambda w_, i: F.embedding(i, w_, pad),
                lambda w_, i: torch.nn.functional.embedding(i, w_, pad), [w, Const(ids)], atol=0, rtol=0)


def test_embedding_backward_sums_duplicates_and_skips_padding():
    ids = np.array([[1, 2, 1], [3, 1, 2]])
    w = kernels.tensor(R.standard_normal((5, 2)), requires_grad=True)
    g = R.standard_normal((2, 3, 2))
    F.embedding(kernels.tensor(ids), w, padding_idx=2).backward(kernels.tensor(g))
    want = np.zeros((5, 2))
    for k, i in np.ndenumerate(ids):
        if i != 2:
            want[i] += g[k]
    np.testing.assert_allclose(_np(w.grad), want, atol=1e-15)
    assert not _np(w.grad)[2].any() and not _np(w.grad)[[0, 4]].any()


def test_embedding_gradcheck():
    ids = np.array([[0, 3, 3], [2, 0, 1]])  # no padding_idx: it drops a gradient on purpose
    gradcheck(lambda w, i: F.embedding(i, w), [R.standard_normal((4, 3)), Const(ids)])


@pytest.mark.parametrize("shape,N,D,pad", CASES[1:4])
def test_embedding_cuda_vs_cpu(shape, N, D, pad):
    check_cuda_vs_cpu(lambda w, i: F.embedding(i, w, pad), [R.standard_normal((N, D)), Const(_ids(shape, N))])


@requires_cuda
def test_embedding_cuda_bad_id_raises():
    w = kernels.zeros(4, 3, device="cuda")
    with pytest.raises(IndexError, match="index 9 is out of range for num_embeddings=4"):
        F.embedding(kernels.tensor([1, 9, 2], device="cuda"), w)
    with pytest.raises(IndexError, match="class value 5"):
        F.one_hot(kernels.tensor([1, 5], device="cuda"), 3)


# ------------------------------------------------------------------ module


def test_embedding_module_init_and_torch_state_dict():
    kernels.manual_seed(0)
    e = knn.Embedding(400, 50, padding_idx=3)
    vals = _np(e.weight)
    assert not vals[3].any()
    rest = np.delete(vals, 3, 0)
    assert abs(rest.mean()) < 0.02 and abs(rest.std() - 1) < 0.02  # N(0, 1)
    torch = pytest.importorskip("torch")
    t = torch.nn.Embedding(10, 4, padding_idx=-2)
    k = knn.Embedding(10, 4, padding_idx=-2)
    assert repr(k) == repr(t) and k.padding_idx == 8
    assert list(k.state_dict()) == ["weight"]
    k.load_state_dict(t.state_dict())
    ids = _ids((3, 5), 10)
    np.testing.assert_array_equal(_np(k(kernels.tensor(ids))), t(torch.tensor(ids)).detach().numpy())


def test_from_pretrained():
    w = R.standard_normal((4, 3))
    e = knn.Embedding.from_pretrained(kernels.tensor(w), padding_idx=1)
    assert not e.weight.requires_grad and e.padding_idx == 1
    np.testing.assert_array_equal(_np(e.weight), w)  # the padding row is kept as given
    np.testing.assert_array_equal(_np(e(kernels.tensor([1, 3]))), w[[1, 3]])
    e2 = knn.Embedding.from_pretrained(kernels.tensor(w), freeze=False)
    assert e2.weight.requires_grad
    e2(kernels.tensor([[0, 0]])).sum().backward()
    np.testing.assert_array_equal(_np(e2.weight.grad)[0], [2.0, 2.0, 2.0])


# ------------------------------------------------------------------ one_hot


@pytest.mark.parametrize("shape,C", [((5,), -1), ((5,), 7), ((2, 3), -1), ((), 4), ((0,), 3), ((2, 0), 3)])
def test_one_hot_matches_torch(shape, C, torch):
    v = np.asarray(R.integers(0, 4, shape), dtype=np.int64)
    if C == -1:
        v.flat[0] = 5  # the inferred size is max + 1
    got = F.one_hot(kernels.tensor(v), C)
    want = torch.nn.functional.one_hot(torch.tensor(v), C)
    assert got.dtype == kernels.int64
    np.testing.assert_array_equal(_np(got), want.numpy())


# ------------------------------------------------------------------ bad inputs

BAD = [
    ("id too large", lambda: F.embedding(kernels.tensor([0, 7]), kernels.zeros(5, 2)), IndexError,
     r"embedding: index 7 is out of range for num_embeddings=5"),
    ("negative id", lambda: F.embedding(kernels.tensor([[-1]]), kernels.zeros(5, 2)), IndexError,
     r"index -1 is out of range for num_embeddings=5"),
    ("float ids", lambda: F.embedding(kernels.zeros(3), kernels.zeros(5, 2)), TypeError, "int64"),
    ("weight rank", lambda: F.embedding(kernels.tensor([0]), kernels.zeros(5)), ValueError,
     r"weight must have shape \(num_embeddings, embedding_dim\)"),
    ("max_norm", lambda: F.embedding(kernels.tensor([0]), kernels.zeros(5, 2), max_norm=1.0),
     NotImplementedError, "max_norm"),
    ("padding_idx", lambda: F.embedding(kernels.tensor([0]), kernels.zeros(5, 2), padding_idx=5), ValueError,
     "padding_idx 5 must be within num_embeddings"),
    ("module max_norm", lambda: knn.Embedding(5, 2, max_norm=2.0), NotImplementedError, "max_norm"),
    ("module padding_idx", lambda: knn.Embedding(5, 2, padding_idx=-6), ValueError, "padding_idx"),
    ("module bad id", lambda: knn.Embedding(5, 2)(kernels.tensor([5])), IndexError, "num_embeddings=5"),
    ("from_pretrained rank", lambda: knn.Embedding.from_pretrained(kernels.zeros(5)), ValueError,
     "2-dimensional"),
    ("one_hot too large", lambda: F.one_hot(kernels.tensor([0, 3]), 3), IndexError,
     r"one_hot: class value 3 is out of range for num_classes=3"),
    ("one_hot negative", lambda: F.one_hot(kernels.tensor([0, -2]), 3), IndexError, "class value -2"),
    ("one_hot negative inferred", lambda: F.one_hot(kernels.tensor([-3, -2])), IndexError, "class value -3"),
    ("one_hot empty", lambda: F.one_hot(kernels.tensor(np.zeros(0, np.int64))), ValueError, "empty tensor"),
    ("one_hot float", lambda: F.one_hot(kernels.zeros(3), 4), TypeError, "int64"),
    ("one_hot classes", lambda: F.one_hot(kernels.tensor([0]), -4), ValueError, "num_classes"),
    ("backward grad shape", lambda: _C.embedding_backward(kernels.zeros(3, 2), kernels.tensor([[0, 1]]), 4, None),
     ValueError, r"grad \(3,2\) must have shape input \(1,2\)"),
]


@pytest.mark.parametrize("name,call,exc,match", BAD, ids=[b[0] for b in BAD])
def test_bad_inputs(name, call, exc, match):
    with pytest.raises(exc, match=match):
        call()
