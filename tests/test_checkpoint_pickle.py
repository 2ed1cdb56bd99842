"""kernels.save of objects the pickle-free format cannot hold (whole modules, custom classes):
kernels' pickled checkpoint, refused by load(weights_only=True) unless every global it names is
allowed, unpickled by load(weights_only=False); its integrity checks and atomic writes."""
import io
import os
import pickle
import zipfile

import numpy as np
import pytest

import kernels
import kernels.nn as knn
from kernels import serialization
from kernels.nn.parameter import Parameter


@pytest.fixture(autouse=True)
def _no_registered_globals():
    serialization.clear_safe_globals()
    yield
    serialization.clear_safe_globals()


class Config:
    def __init__(self, lr, sizes):
        self.lr, self.sizes = lr, sizes


def _model():
    kernels.manual_seed(0)
    m = knn.Sequential(knn.Conv2d(1, 2, 3), knn.BatchNorm2d(2), knn.ReLU(), knn.Flatten(),
                       knn.Linear(2 * 2 * 2, 3))
    m.train()
    m(kernels.randn(4, 1, 4, 4))  # running statistics that differ from the defaults
    return m.eval()


def test_whole_module_round_trip_needs_weights_only_false(tmp_path):
    m = _model()
    path = tmp_path / "model.pt"
    kernels.save(m, path)
    with zipfile.ZipFile(path) as zf:
        assert zf.comment.startswith(b"kernels.pickle crc32=")
        assert "__kernels_pickle__.pkl" in zf.namelist()
    with pytest.raises(ValueError) as e:
        kernels.load(path)
    msg = str(e.value)
    assert msg.startswith(f"load: {path} holds pickled Python objects: it names the global "
                          "'kernels.nn.modules."), msg
    assert "weights_only=False only if you trust the file" in msg and "\n" not in msg
    back = kernels.load(path, weights_only=False)
    assert type(back) is type(m) and not back.training
    x = kernels.randn(2, 1, 4, 4)
    np.testing.assert_array_equal(back(x).detach().numpy(), m(x).detach().numpy())
    assert all(type(p) is Parameter for p in back.parameters())
    np.testing.assert_array_equal(back[1].running_mean.numpy(), m[1].running_mean.numpy())


def test_lstm_tied_parameters_and_file_objects():
    kernels.manual_seed(1)
    lstm = knn.LSTM(3, 4, batch_first=True)
    head = knn.Linear(4, 4)
    obj = {"lstm": lstm, "head": head, "tied": head.weight, "epoch": 5, "cfg": Config(0.1, [1, 2])}
    buf = io.BytesIO()
    kernels.save(obj, buf)
    buf.seek(0)
    back = kernels.load(buf, weights_only=False)
    assert back["tied"] is back["head"].weight and back["epoch"] == 5
    assert back["cfg"].lr == 0.1 and back["cfg"].sizes == [1, 2]
    x = kernels.randn(2, 5, 3)
    np.testing.assert_array_equal(back["lstm"](x)[0].detach().numpy(), lstm(x)[0].detach().numpy())


def test_safe_globals_admit_custom_classes(tmp_path):
    path = tmp_path / "cfg.pt"
    kernels.save({"cfg": Config(0.5, (3,)), "w": kernels.ones(2)}, path)
    with pytest.raises(ValueError, match=r"'test_checkpoint_pickle\.Config'|Config'"):
        kernels.load(path)
    with serialization.safe_globals([Config]):
        back = kernels.load(path)
    assert back["cfg"].lr == 0.5 and back["w"].tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="add_safe_globals"):
        kernels.load(path)
    serialization.add_safe_globals([Config])
    assert serialization.get_safe_globals() == [Config]
    assert kernels.load(path)["cfg"].sizes == (3,)


def test_tensors_never_go_through_pickle_and_keep_their_kinds(tmp_path):
    path = tmp_path / "t.pt"
    p = Parameter(kernels.ones(3), requires_grad=False)
    g = kernels.zeros(2, requires_grad=True)
    obj = {"set": {1, 2}, "p": p, "g": g, "a": np.arange(3, dtype=np.int32), "d": kernels.float64,
           "dev": kernels.device("cpu"), "i": kernels.tensor([1, 2**40]), "s": kernels.tensor(2.5)}
    kernels.save(obj, path, pickle_protocol=2)
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["__kernels_pickle__.pkl"] + [f"a{i}.npy" for i in range(5)]
    back = kernels.load(path)  # sets, tensors, arrays, dtypes, devices need no global
    assert back["set"] == {1, 2} and back["d"] == kernels.float64 and str(back["dev"]) == "cpu"
    assert type(back["p"]) is Parameter and not back["p"].requires_grad
    assert type(back["g"]) is not Parameter and back["g"].requires_grad
    assert back["a"].dtype == np.int32 and back["i"].tolist() == [1, 2**40]
    assert back["s"].tolist() == 2.5
    assert str(kernels.load(path, map_location="cpu")["g"].device) == "cpu"


def test_every_bit_flip_and_truncation_is_detected(tmp_path):
    path = tmp_path / "good.pt"
    kernels.save({"m": knn.Linear(2, 2)}, path)
    good = path.read_bytes()
    bad = tmp_path / "bad.pt"
    for i in range(0, len(good)):
        raw = bytearray(good)
        raw[i] ^= 1 << (i % 8)
        bad.write_bytes(bytes(raw))
        with pytest.raises(ValueError) as e:
            kernels.load(bad, weights_only=False)
        assert type(e.value) is ValueError and str(bad) in str(e.value), (i, e.value)
    for n in range(0, len(good), 7):
        bad.write_bytes(good[:n])
        with pytest.raises(ValueError) as e:
            kernels.load(bad, weights_only=False)
        assert type(e.value) is ValueError and str(bad) in str(e.value), (n, e.value)


def test_crash_mid_write_keeps_old_file_and_unpicklable_objects_write_nothing(tmp_path, monkeypatch):
    path = tmp_path / "model.pt"
    kernels.save({"m": knn.Linear(2, 2), "epoch": 1}, path)
    before = path.read_bytes()
    real = serialization._write_array

    def crash(zf, name, arr):
        if name == "a1":
            raise OSError("disk full (simulated)")
        real(zf, name, arr)

    monkeypatch.setattr(serialization, "_write_array", crash)
    with pytest.raises(OSError, match="simulated"):
        kernels.save({"m": knn.Linear(3, 3), "epoch": 2}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["model.pt"]
    m = knn.Linear(2, 2)
    m.hook = lambda x: x  # pickle cannot hold a lambda
    with pytest.raises(TypeError, match=r"save: obj\['m'\] has type Linear.*pickling it failed too"):
        kernels.save({"m": m}, tmp_path / "new.pt")
    assert os.listdir(tmp_path) == ["model.pt"]


def test_bad_arguments(tmp_path):
    kernels.save({"w": kernels.ones(1)}, tmp_path / "a")
    with pytest.raises(TypeError, match="weights_only must be a bool"):
        kernels.load(tmp_path / "a", weights_only="yes")
    with pytest.raises(TypeError, match="pickle_module"):
        kernels.load(tmp_path / "a", pickle_module=np)
    with pytest.raises(TypeError, match="pickle_module"):
        kernels.save({}, tmp_path / "b", np)
    with pytest.raises(ValueError, match="legacy format"):
        kernels.save({}, tmp_path / "b", _use_new_zipfile_serialization=False)
    # torch's signature: load(f, map_location, pickle_module, *, weights_only, mmap)
    assert kernels.load(tmp_path / "a", None, pickle, weights_only=None, mmap=True)["w"].tolist() == [1.0]
