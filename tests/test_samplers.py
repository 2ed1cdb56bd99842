"""kernels.data samplers and the DataLoader's batch_sampler= and IterableDataset support: the
deterministic samplers exactly as torch's, the random ones by their semantics and distribution
(fixed seeds; kernels' generator, so not torch's orders), torch's argument errors."""
import numpy as np
import pytest

import kernels
from kernels import data
from opcheck import raises_with


def test_sequential_and_batch_samplers_equal_torch(torch):
    tud = torch.utils.data
    for n, bs, drop in ((10, 3, False), (10, 3, True), (9, 3, True), (1, 4, False), (0, 2, False)):
        ours = data.BatchSampler(data.SequentialSampler(range(n)), bs, drop)
        theirs = tud.BatchSampler(tud.SequentialSampler(range(n)), bs, drop)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
    assert list(data.BatchSampler([5, 1, 4, 2], 3, False)) == [[5, 1, 4], [2]]


def test_random_sampler_permutation_and_seed():
    s = data.RandomSampler(range(50))
    order = list(s)
    assert sorted(order) == list(range(50)) and order != list(range(50)) and len(s) == 50
    kernels.manual_seed(5)
    a = list(s)
    kernels.manual_seed(5)
    assert list(s) == a
    g1, g2 = data.Generator(3), data.Generator(3)
    assert list(data.RandomSampler(range(20), generator=g1)) == list(data.RandomSampler(range(20), generator=g2))


def test_random_sampler_num_samples_beyond_n_and_replacement():
    s = data.RandomSampler(range(7), num_samples=17)
    order = list(s)
    assert len(order) == len(s) == 17
    assert sorted(order[:7]) == list(range(7)) and sorted(order[7:14]) == list(range(7))
    assert len(set(order[14:])) == 3
    r = list(data.RandomSampler(range(5), replacement=True, num_samples=20_000))
    counts = np.bincount(r, minlength=5)
    assert len(r) == 20_000 and counts.min() > 3700 and counts.max() < 4300


def test_random_sampler_follows_the_dataset_size():
    d = list(range(4))
    s = data.RandomSampler(d)
    d.append(4)
    assert len(s) == 5 and sorted(s) == list(range(5))


def test_subset_random_sampler():
    idx = [3, 8, 11, 20, 42]
    s = data.SubsetRandomSampler(idx, generator=data.Generator(1))
    got = list(s)
    assert sorted(got) == idx and len(s) == 5


def _chi_square(counts, p):
    expected = p * counts.sum()
    return float(((counts - expected) ** 2 / expected).sum())


def test_weighted_random_sampler_distribution():
    w = [1.0, 0.0, 3.0, 6.0]
    got = list(data.WeightedRandomSampler(w, 40_000))
    counts = np.bincount(got, minlength=4)
    assert counts[1] == 0
    p = np.array([0.1, 0.3, 0.6])  # categories 0, 2, 3
    assert _chi_square(counts[[0, 2, 3]], p) < 13.8  # chi-square, 2 dof, p = 0.001
    no_rep = list(data.WeightedRandomSampler([1, 2, 3, 4, 5], 5, replacement=False))
    assert sorted(no_rep) == [0, 1, 2, 3, 4]


def test_sampler_base_and_custom_sampler_in_the_loader():
    with pytest.raises(NotImplementedError):
        iter(data.Sampler())

    class Evens(data.Sampler):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(0, self.n, 2))

        def __len__(self):
            return (self.n + 1) // 2

    ds = data.TensorDataset(kernels.arange(10))
    batches = [b[0].tolist() for b in data.DataLoader(ds, batch_size=2, sampler=Evens(10))]
    assert batches == [[0, 2], [4, 6], [8]]


def test_dataloader_batch_sampler_equals_torch(torch):
    x = np.arange(20.0).reshape(10, 2)
    ours = data.DataLoader(data.TensorDataset(kernels.tensor(x)),
                           batch_sampler=data.BatchSampler(data.SequentialSampler(range(10)), 4, False))
    theirs = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.tensor(x)),
        batch_sampler=torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(range(10)), 4, False))
    assert len(ours) == len(theirs) == 3 and ours.batch_size is None and theirs.batch_size is None
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a[0].numpy(), b[0].numpy())
    custom = data.DataLoader(list(range(100, 110)), batch_sampler=[[3, 1], [9]])
    assert [b.tolist() for b in custom] == [[103, 101], [109]]


class Stream(data.IterableDataset):
    def __init__(self, n, sized=True):
        self.n, self.sized = n, sized

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        if not self.sized:
            raise TypeError("no len")
        return self.n


@pytest.mark.parametrize("bs,drop", [(3, False), (3, True), (5, False), (1, False)])
def test_iterable_dataset_equals_torch(torch, bs, drop):
    class TStream(torch.utils.data.IterableDataset):
        def __iter__(self):
            return iter(range(10))

        def __len__(self):
            return 10

    ours = data.DataLoader(Stream(10), batch_size=bs, drop_last=drop)
    theirs = torch.utils.data.DataLoader(TStream(), batch_size=bs, drop_last=drop)
    assert [b.tolist() for b in ours] == [b.tolist() for b in theirs]
    assert len(ours) == len(theirs)


def test_iterable_dataset_without_len_and_chain():
    loader = data.DataLoader(Stream(5, sized=False), batch_size=2)
    assert [b.tolist() for b in loader] == [[0, 1], [2, 3], [4]] and "?" in repr(loader)
    chained = Stream(3) + Stream(2)
    assert isinstance(chained, data.ChainDataset) and list(chained) == [0, 1, 2, 0, 1] and len(chained) == 5


def test_bad_arguments(torch):
    raises_with(TypeError, "replacement should be a boolean value, but got replacement=1",
                lambda: data.RandomSampler(range(3), replacement=1))
    raises_with(ValueError, "num_samples should be a positive integer value, but got num_samples=0",
                lambda: data.RandomSampler(range(3), num_samples=0))
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        torch.utils.data.RandomSampler(range(3), num_samples=0)
    raises_with(ValueError, "batch_size should be a positive integer value, but got batch_size=0",
                lambda: data.BatchSampler(range(3), 0, False))
    raises_with(ValueError, "drop_last should be a boolean value, but got drop_last=1",
                lambda: data.BatchSampler(range(3), 2, 1))
    raises_with(ValueError, "weights should be a 1d sequence but given weights have shape (2, 2)",
                lambda: data.WeightedRandomSampler([[1, 2], [3, 4]], 2))
    raises_with(ValueError, "num_samples should be a positive integer value, but got num_samples=True",
                lambda: data.WeightedRandomSampler([1, 2], True))
    raises_with(ValueError, "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last",
                lambda: data.DataLoader(range(4), batch_size=2, batch_sampler=[[0, 1]]))
    raises_with(ValueError, "DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle=True",
                lambda: data.DataLoader(Stream(3), shuffle=True))
    raises_with(ValueError, "expected unspecified sampler option",
                lambda: data.DataLoader(Stream(3), sampler=[0, 1]))
