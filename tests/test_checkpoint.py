"""kernels.save / kernels.load: round trips, atomic writes, corrupt and foreign files."""
import collections
import json
import os
import zipfile

import numpy as np
import pytest

import kernels
from kernels import serialization


def _everything():
    kernels.manual_seed(0)
    t32 = kernels.randn(3, 4)
    return {
        "f32": t32,
        "f64": kernels.randn(2, 2, dtype=kernels.float64),
        "i64": kernels.tensor([[1, -2], [3, 2**40]]),
        "bool": kernels.tensor([True, False, True]),
        "scalar_t": kernels.tensor(3.5),
        "empty": kernels.zeros(0, 3),
        "grad_leaf": kernels.ones(2, requires_grad=True),
        "np_f16": np.arange(6, dtype=np.float16).reshape(2, 3),
        "np_u8": np.array([0, 255], dtype=np.uint8),
        "np_i32_0d": np.array(7, dtype=np.int32),
        "np_scalar": np.float32(1.25),
        "np_int": np.int64(-3),
        "int": 5,
        "big": 2**64 - 1,
        "neg": -(2**70),
        "float": 0.1,
        "inf": float("-inf"),
        "nan": float("nan"),
        "complex": 1 + 2j,
        "str": "héllo\n\"quoted\"",
        "bytes": b"\x00\xff",
        "none": None,
        "true": True,
        "list": [1, [2.5, "x"], (None, 3)],
        "tuple": (1, (2,), []),
        "empty_dict": {},
        "int_keys": {0: {"step": 3, "exp_avg": t32}, 1: {"step": 3}},
        "odd_keys": {None: 1, 2.5: 2, True: 3, (1, "a"): 4},
        "odict": collections.OrderedDict([("b", 1), ("a", 2)]),
        "dtype": kernels.float64,
        "device": kernels.device("cpu"),
        "rng": kernels.get_rng_state(),
        "shared": t32,
    }


def _assert_same(a, b, path="obj"):
    if isinstance(a, kernels.Tensor):
        assert isinstance(b, kernels.Tensor), path
        assert a.dtype == b.dtype and tuple(a.shape) == tuple(b.shape), path
        assert a.requires_grad == b.requires_grad, path
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy(), err_msg=path)
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape, path
        np.testing.assert_array_equal(a, b, err_msg=path)
    elif isinstance(a, np.generic):
        assert type(a) is type(b) and a == b, path
    elif isinstance(a, dict):
        assert type(a) is type(b) and list(a.keys()) == list(b.keys()), path
        for k in a:
            _assert_same(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and a != a:
        assert isinstance(b, float) and b != b, path
    else:
        assert type(a) is type(b) and a == b, path


def test_round_trip_every_supported_type(tmp_path):
    obj = _everything()
    path = tmp_path / "all.ckpt"
    kernels.save(obj, path)
    assert os.listdir(tmp_path) == ["all.ckpt"]  # exactly that name, no temp files
    back = kernels.load(path)
    _assert_same(obj, back)
    assert back["shared"] is back["f32"]  # one tensor saved twice comes back as one object
    assert back["int_keys"][0]["exp_avg"] is back["f32"]
    assert not back["f32"]._same_storage(obj["f32"])  # a copy, not the caller's memory
    # compressed files read back the same; and file objects work too
    kernels.save(obj, str(tmp_path / "c.ckpt"), compress=True)
    _assert_same(obj, kernels.load(str(tmp_path / "c.ckpt")))
    with open(tmp_path / "f.ckpt", "wb") as fh:
        kernels.save(obj, fh)
    with open(tmp_path / "f.ckpt", "rb") as fh:
        _assert_same(obj, kernels.load(fh))


def test_file_is_plain_npz_without_pickle(tmp_path):
    path = tmp_path / "x.npz"
    kernels.save({"w": kernels.ones(2, 3), "step": 4}, path)
    with np.load(path, allow_pickle=False) as z:
        names = set(z.files)
        doc = json.loads(z["__kernels_structure__"].tobytes())
        assert z["__kernels_structure__"].dtype == np.uint8
        assert z["a0"].shape == (2, 3) and z["a0"].dtype == np.float32
    assert names == {"a0", "__kernels_structure__"}
    assert doc["format"] == "kernels.checkpoint" and doc["version"] == 2
    assert set(doc["members"]) == {"a0"} and set(doc["members"]["a0"]) == {"bytes", "crc32"}
    with zipfile.ZipFile(path) as zf:
        assert zf.comment.startswith(b"kernels.checkpoint crc32=")
        assert doc["members"]["a0"]["crc32"] == f"{zf.getinfo('a0.npy').CRC:08x}"


def test_saved_tensor_is_a_snapshot(tmp_path):
    w = kernels.zeros(3)
    kernels.save({"w": w}, tmp_path / "a")
    w.add_(1.0)
    assert kernels.load(tmp_path / "a")["w"].tolist() == [0.0, 0.0, 0.0]


def test_map_location_and_unsupported_types(tmp_path):
    kernels.save({"w": kernels.ones(2)}, tmp_path / "a")
    for loc in (None, "cpu", kernels.device("cpu"), {"cpu": "cpu"}, lambda d: "cpu"):
        assert str(kernels.load(tmp_path / "a", map_location=loc)["w"].device) == "cpu"
    with pytest.raises(TypeError, match=r"save: obj\['f'\] has type function"):
        kernels.save({"f": lambda: 0}, tmp_path / "b")
    assert not (tmp_path / "b").exists()
    # what the pickle-free format cannot hold is pickled (as torch.save does); load opens that
    # with weights_only=True only if it names no global beyond plain containers
    kernels.save(np.array([1, "x"], dtype=object), tmp_path / "p0")
    with pytest.raises(ValueError, match=r"holds pickled Python objects: .*'numpy\."):
        kernels.load(tmp_path / "p0")
    assert kernels.load(tmp_path / "p0", weights_only=False).tolist() == [1, "x"]
    kernels.save({frozenset([1]): kernels.ones(2)}, tmp_path / "p1")
    assert zipfile.ZipFile(tmp_path / "p1").comment.startswith(b"kernels.pickle crc32=")
    assert kernels.load(tmp_path / "p1")[frozenset([1])].tolist() == [1.0, 1.0]


def test_crash_mid_write_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "model.ckpt"
    old = {"w": kernels.full((4,), 1.0), "epoch": 1}
    kernels.save(old, path)
    before = path.read_bytes()

    real = serialization._write_array
    written = []

    def crash_halfway(zf, name, arr):
        if len(written) == 2:
            raise OSError("disk full (simulated)")
        written.append(name)
        real(zf, name, arr)

    monkeypatch.setattr(serialization, "_write_array", crash_halfway)
    new = {"a": kernels.zeros(1000), "b": kernels.zeros(1000), "c": kernels.zeros(1000), "epoch": 2}
    with pytest.raises(OSError, match="simulated"):
        kernels.save(new, path)
    assert written == ["a0", "a1"]  # it really stopped halfway
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.ckpt"]  # no temporary file left behind
    back = kernels.load(path)
    assert back["epoch"] == 1 and back["w"].tolist() == [1.0] * 4

    # a crash while writing a brand-new file leaves nothing at all
    with pytest.raises(OSError):
        kernels.save(new, tmp_path / "fresh.ckpt")
    assert os.listdir(tmp_path) == ["model.ckpt"]

    # KeyboardInterrupt too
    def interrupt(zf, name, arr):
        raise KeyboardInterrupt

    monkeypatch.setattr(serialization, "_write_array", interrupt)
    with pytest.raises(KeyboardInterrupt):
        kernels.save(new, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["model.ckpt"]


def test_atomic_write_fsyncs_then_replaces(tmp_path, monkeypatch):
    calls = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (calls.append("replace"), real_replace(a, b))[1])
    kernels.save({"x": 1}, tmp_path / "a")
    assert calls[0] == "fsync" and "replace" in calls
    assert calls.index("replace") > 0 and calls[-1] == "fsync"  # file, rename, then the folder


@pytest.mark.parametrize("cut", [0.5, 0.9, 40])
def test_truncated_file_raises_value_error_naming_path(tmp_path, cut):
    path = tmp_path / "t.ckpt"
    kernels.save({"w": kernels.randn(64, 64), "b": kernels.randn(64)}, path)
    raw = path.read_bytes()
    n = int(len(raw) * cut) if isinstance(cut, float) else cut
    path.write_bytes(raw[:n])
    with pytest.raises(ValueError, match="t.ckpt"):
        kernels.load(path)


def test_corrupted_bytes_raise_value_error(tmp_path):
    path = tmp_path / "c.ckpt"
    kernels.save({"w": kernels.zeros(256)}, path)
    raw = bytearray(path.read_bytes())
    i = raw.index(b"\x00" * 64)  # inside the array payload
    raw[i:i + 8] = b"\xff" * 8
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="c.ckpt"):
        kernels.load(path)


def test_foreign_files_raise_value_error(tmp_path):
    np.savez(tmp_path / "plain.npz", a=np.zeros(3))
    with pytest.raises(ValueError, match=r"plain.npz is not a kernels checkpoint"):
        kernels.load(tmp_path / "plain.npz")
    (tmp_path / "text.txt").write_text("hello world, this is not a checkpoint")
    with pytest.raises(ValueError, match="text.txt"):
        kernels.load(tmp_path / "text.txt")
    np.save(tmp_path / "one.npy", np.zeros(3))
    with pytest.raises(ValueError, match="one.npy"):
        kernels.load(tmp_path / "one.npy")
    with zipfile.ZipFile(tmp_path / "z.zip", "w") as zf:
        zf.writestr("readme.txt", "hi")
    with pytest.raises(ValueError, match="z.zip"):
        kernels.load(tmp_path / "z.zip")
    # a pickled object array inside an npz is refused, never unpickled
    np.savez(tmp_path / "pickled.npz", __kernels_structure__=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="pickled.npz"):
        kernels.load(tmp_path / "pickled.npz")
    # a structure that is not ours
    doc = np.frombuffer(json.dumps({"format": "other"}).encode(), dtype=np.uint8)
    np.savez(tmp_path / "other.npz", __kernels_structure__=doc)
    with pytest.raises(ValueError, match="other.npz is not a kernels checkpoint"):
        kernels.load(tmp_path / "other.npz")
    with pytest.raises(FileNotFoundError, match="missing.ckpt"):
        kernels.load(tmp_path / "missing.ckpt")


def test_rng_state_round_trip_continues_stream(tmp_path):
    kernels.manual_seed(42)
    kernels.rand(10)
    kernels.save({"rng": kernels.get_rng_state()}, tmp_path / "r")
    expect = kernels.rand(5).tolist()
    kernels.manual_seed(0)
    kernels.set_rng_state(kernels.load(tmp_path / "r")["rng"])
    assert kernels.rand(5).tolist() == expect
