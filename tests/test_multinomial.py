"""kernels.multinomial / Tensor.multinomial: shapes and dtype as torch, frequencies against the
probabilities by a chi-square bound (fixed seed), draws without replacement (distinct, the
sequential-draw distribution), zero-weight categories, seeds reproduce, torch's errors."""
import numpy as np
import pytest

import kernels
from opcheck import raises_with, requires_cuda

CHI2_999 = {2: 13.8, 3: 16.3, 4: 18.5, 5: 20.5, 7: 24.3}  # chi-square quantile 0.999 by degrees of freedom


def _chi2(counts, p):
    keep = p > 0
    e = p[keep] / p[keep].sum() * counts.sum()
    return float(((counts[keep] - e) ** 2 / e).sum())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_with_replacement_frequencies(dtype):
    w = np.array([[1.0, 0.0, 2.0, 5.0, 0.5, 1.5], [1.0] * 6])
    out = kernels.multinomial(kernels.tensor(w, dtype=getattr(kernels, dtype)), 30_000, replacement=True)
    assert out.dtype == kernels.int64 and tuple(out.shape) == (2, 30_000)
    a = out.numpy()
    for row, p in zip(a, w):
        counts = np.bincount(row, minlength=6)
        assert counts[p == 0].sum() == 0
        assert _chi2(counts, p) < CHI2_999[int((p > 0).sum()) - 1]


def test_one_dim_and_method(torch):
    p = kernels.tensor([0.2, 0.3, 0.5])
    assert tuple(kernels.multinomial(p, 4, True).shape) == tuple(torch.multinomial(torch.tensor([0.2, 0.3, 0.5]), 4, True).shape)
    assert tuple(p.multinomial(2).shape) == (2,)
    counts = np.bincount(p.multinomial(20_000, replacement=True).numpy(), minlength=3)
    assert _chi2(counts, p.numpy()) < CHI2_999[2]


def test_without_replacement_is_sequential_drawing():
    p = np.array([0.5, 0.3, 0.2])
    rows = kernels.tensor(np.tile(p, (20_000, 1)))
    out = kernels.multinomial(rows, 2).numpy()
    assert np.all(out[:, 0] != out[:, 1])
    first = np.bincount(out[:, 0], minlength=3)
    assert _chi2(first, p) < CHI2_999[2]
    # P(second = j) = sum_i p_i p_j / (1 - p_i)
    second_p = np.array([sum(p[i] * p[j] / (1 - p[i]) for i in range(3) if i != j) for j in range(3)])
    assert _chi2(np.bincount(out[:, 1], minlength=3), second_p) < CHI2_999[2]
    full = kernels.multinomial(kernels.tensor([[1.0, 2, 3, 4, 5]] * 50), 5).numpy()
    assert all(sorted(r) == [0, 1, 2, 3, 4] for r in full)


def test_zero_weights_come_last_without_replacement(torch):
    out = kernels.multinomial(kernels.tensor([0.0, 1.0, 0.0]), 2).tolist()
    assert out[0] == 1 and out[1] in (0, 2)
    assert torch.multinomial(torch.tensor([0.0, 1.0, 0.0]), 2).tolist()[0] == 1
    assert kernels.multinomial(kernels.tensor([0.0, 1.0, 0.0]), 3, True).tolist() == [1, 1, 1]


def test_seed_reproduces_and_unnormalised_weights():
    w = kernels.tensor([3.0, 1.0, 6.0])
    kernels.manual_seed(11)
    a = kernels.multinomial(w, 50, True).tolist()
    kernels.manual_seed(11)
    assert kernels.multinomial(w, 50, True).tolist() == a
    kernels.manual_seed(11)
    assert kernels.multinomial(w * 1000, 50, True).tolist() == a  # the scale does not matter


@requires_cuda
def test_cuda_equals_cpu():
    w = kernels.tensor([[0.1, 0.2, 0.7], [1.0, 1.0, 0.0]])
    for rep in (True, False):
        kernels.manual_seed(2)
        c = kernels.multinomial(w, 3, rep).tolist()
        kernels.manual_seed(2)
        assert kernels.multinomial(w.cuda(), 3, rep).cpu().tolist() == c


@pytest.mark.parametrize("probs,n,rep,msg", [
    ([0.0, 1.0, -1.0], 1, False, "probability tensor contains either `inf`, `nan` or element < 0"),
    ([1.0, float("nan")], 1, True, "probability tensor contains either `inf`, `nan` or element < 0"),
    ([1.0, float("inf")], 1, True, "probability tensor contains either `inf`, `nan` or element < 0"),
    ([[0.0, 0.0], [1.0, 1.0]], 1, True, "invalid multinomial distribution (sum of probabilities <= 0)"),
    ([1.0, 1.0], 3, False, "cannot sample n_sample > prob_dist.size(-1) samples without replacement"),
    ([1.0, 1.0], 0, True, "cannot sample n_sample <= 0 samples"),
    ([[[1.0]]], 1, True, "prob_dist must be 1 or 2 dim"),
])
def test_errors_as_torch(torch, probs, n, rep, msg):
    raises_with(RuntimeError, "multinomial: " + msg, lambda: kernels.multinomial(kernels.tensor(probs), n, rep))
    with pytest.raises(RuntimeError) as info:
        torch.multinomial(torch.tensor(probs), n, rep)
    assert msg in str(info.value)


def test_type_errors():
    raises_with(RuntimeError, "multinomial only supports floating-point dtypes for input",
                lambda: kernels.multinomial(kernels.tensor([1, 2]), 1))
    raises_with(TypeError, "multinomial: num_samples must be an int", lambda: kernels.multinomial(kernels.ones(2), 1.0))
    raises_with(TypeError, "multinomial: replacement must be a bool", lambda: kernels.multinomial(kernels.ones(2), 1, 1))
