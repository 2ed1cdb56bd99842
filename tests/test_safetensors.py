"""kernels.safetensors: round trips, the file layout, hostile headers, and cross-checks with the
safetensors package and torch (skipped when they are not installed)."""
import io
import json
import os
import struct

import numpy as np
import pytest

import kernels
import kernels.nn as knn
from kernels import safetensors as st


def _tensors():
    kernels.manual_seed(0)
    return {"f32": kernels.randn(3, 4), "f64": kernels.randn(2, dtype=kernels.float64),
            "i64": kernels.tensor([[1, -2], [3, 2**40]]), "bool": kernels.tensor([True, False]),
            "scalar": kernels.tensor(1.5), "empty": kernels.zeros(0, 5)}


def _same(a, b):
    assert list(a) == list(b) or set(a) == set(b)
    for k in a:
        assert a[k].dtype == b[k].dtype and tuple(a[k].shape) == tuple(b[k].shape), k
        np.testing.assert_array_equal(a[k].numpy(), b[k].numpy(), err_msg=k)


def _file(path, header, data=b"", raw_header=None):
    """A safetensors file with the given header (dict, or raw bytes) and data."""
    text = raw_header if raw_header is not None else json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + data)
    return path


def _refused(path, what):
    with pytest.raises(ValueError) as e:
        st.load_file(path)
    msg = str(e.value)
    assert type(e.value) is ValueError and str(path) in msg and what in msg, msg


def test_round_trip_file_bytes_and_metadata(tmp_path):
    t = _tensors()
    path = tmp_path / "m.safetensors"
    st.save_file(t, path, metadata={"format": "pt", "step": "3"})
    _same(t, st.load_file(path))
    _same(t, st.load(st.save(t)))
    assert st.save(t, {"format": "pt"}) == st.save(t, {"format": "pt"})  # deterministic
    with st.safe_open(path, framework="pt") as f:
        assert set(f.keys()) == set(t) and f.metadata() == {"format": "pt", "step": "3"}
        np.testing.assert_array_equal(f.get_tensor("i64").numpy(), t["i64"].numpy())
        with pytest.raises(KeyError, match="nope"):
            f.get_tensor("nope")
    assert os.listdir(tmp_path) == ["m.safetensors"]  # no temporary left behind


def test_layout_is_the_documented_one(tmp_path):
    raw = st.save({"b": kernels.tensor([1.0, 2.0]), "a": kernels.tensor([7])}, {"k": "v"})
    n = struct.unpack("<Q", raw[:8])[0]
    assert n % 8 == 0
    header = json.loads(raw[8:8 + n])
    assert header["__metadata__"] == {"k": "v"}
    assert header["a"] == {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}
    assert header["b"] == {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}
    assert raw[8 + n:] == np.int64(7).tobytes() + np.array([1, 2], "<f4").tobytes()


def test_model_state_dict_round_trip(tmp_path):
    kernels.manual_seed(2)
    m = knn.Sequential(knn.Linear(3, 4), knn.ReLU(), knn.Linear(4, 2))
    st.save_file(m.state_dict(), tmp_path / "m.safetensors")
    m2 = knn.Sequential(knn.Linear(3, 4), knn.ReLU(), knn.Linear(4, 2))
    m2.load_state_dict(st.load_file(tmp_path / "m.safetensors"))
    x = kernels.randn(5, 3)
    np.testing.assert_array_equal(m2(x).detach().numpy(), m(x).detach().numpy())


def test_save_refuses_bad_arguments(tmp_path):
    w = kernels.ones(2)
    for tensors, err, what in [
            ({"a": w, "b": w}, ValueError, "share memory"),
            ({"__metadata__": w}, ValueError, "reserved"),
            ({1: w}, TypeError, "names must be str"),
            ({"a": np.ones(2)}, TypeError, "not a kernels.Tensor"),
            ([w], TypeError, "must be a dict")]:
        with pytest.raises(err, match=what):
            st.save_file(tensors, tmp_path / "x")
    with pytest.raises(TypeError, match="metadata"):
        st.save({"a": w}, metadata={"a": 1})
    assert not (tmp_path / "x").exists()


F32_2 = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}


@pytest.mark.parametrize("header, data, what", [
    ({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8, "span 8 bytes"),
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 16]}}, b"\0" * 8, "outside the 8 bytes"),
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}, b"\0" * 8, "outside"),
    ({"a": F32_2, "b": F32_2}, b"\0" * 8, "overlaps"),
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 12, "leaves bytes 0..4 unused"),
    ({"a": F32_2}, b"\0" * 12, "cover 8 of the 12 bytes"),
    ({"a": {"dtype": "Q7", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8, "unknown dtype 'Q7'"),
    ({"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, b"\0" * 8, "bad shape"),
    ({"a": {"dtype": "F32", "shape": [True, 2], "data_offsets": [0, 8]}}, b"\0" * 8, "bad shape"),
    ({"a": {"dtype": "F32", "shape": "2", "data_offsets": [0, 8]}}, b"\0" * 8, "bad shape"),
    ({"a": {"dtype": "F32", "shape": [2]}}, b"\0" * 8, "needs exactly dtype, shape and data_offsets"),
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8.0]}}, b"\0" * 8, "data_offsets"),
    ({"a": F32_2, "__metadata__": {"k": 1}}, b"\0" * 8, "__metadata__ must be an object of strings"),
    ([1, 2], b"", "does not start with"),
])
def test_hostile_headers(tmp_path, header, data, what):
    _refused(_file(tmp_path / "bad.safetensors", header, data), what)


def test_hostile_framing(tmp_path):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(b"\1\0")
    _refused(path, "too short")
    path.write_bytes(struct.pack("<Q", 1 << 40) + b"{}")
    _refused(path, "more than the limit")
    path.write_bytes(struct.pack("<Q", 1000) + b"{}")
    _refused(path, "truncated")
    _refused(_file(path, None, raw_header=b'{"a": '), "not valid UTF-8 JSON")
    _refused(_file(path, None, raw_header=b"\xff\xfe{}"), "does not start with '{'")
    _refused(_file(path, None, raw_header=b'{"a":' * 100000 + b"1" + b"}" * 100000), "JSON")
    good = st.save({"w": kernels.ones(4)})
    for n in range(0, len(good)):
        path.write_bytes(good[:n])
        with pytest.raises(ValueError, match=str(path)):
            st.load_file(path)
    with pytest.raises(FileNotFoundError, match="missing"):
        st.load_file(tmp_path / "missing")
    with pytest.raises(ValueError, match="<bytes>"):
        st.load(b"\0" * 4)


def test_dtypes_kernels_lacks_are_refused_by_name(tmp_path):
    header = {"h": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]},
              "b": {"dtype": "BF16", "shape": [1], "data_offsets": [4, 6]}}
    path = _file(tmp_path / "h.safetensors", header, b"\0" * 6)
    if "float16" not in kernels._C.dtype.__members__:
        _refused(path, "tensor 'h' has dtype F16, which kernels does not have")
    with st.safe_open(path) as f:  # the header itself is fine: BF16 is a known code
        assert set(f.keys()) == {"h", "b"}
        with pytest.raises(ValueError, match="tensor 'b' has dtype BF16"):
            f.get_tensor("b")


def test_kernels_global_load_points_at_safetensors(tmp_path):
    st.save_file({"w": kernels.ones(1)}, tmp_path / "m.safetensors")
    with pytest.raises(ValueError, match="is a safetensors file: read it with kernels.safetensors"):
        kernels.load(tmp_path / "m.safetensors")


# ---------------------------------------------------------------- cross-checks

def test_against_the_safetensors_package(tmp_path):
    stnp = pytest.importorskip("safetensors.numpy")
    t = _tensors()
    path = tmp_path / "k.safetensors"
    st.save_file(t, path, metadata={"who": "kernels"})
    theirs = stnp.load_file(str(path))
    for k in t:
        np.testing.assert_array_equal(theirs[k], t[k].numpy(), err_msg=k)
        assert theirs[k].dtype == t[k].numpy().dtype
    arrays = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.array([True]),
              "c": np.array(-3, dtype=np.int64), "d": np.zeros((0,), np.float64)}
    other = tmp_path / "np.safetensors"
    stnp.save_file(arrays, str(other), metadata={"x": "y"})
    mine = st.load_file(other)
    for k, v in arrays.items():
        np.testing.assert_array_equal(mine[k].numpy(), v, err_msg=k)
    with st.safe_open(other) as f:
        assert f.metadata() == {"x": "y"}
    assert st.load(stnp.save(arrays))["a"].tolist() == arrays["a"].tolist()


def test_against_safetensors_torch():
    pytest.importorskip("safetensors")
    torch = pytest.importorskip("torch")
    from safetensors.torch import load as tload, save as tsave
    t = _tensors()
    back = tload(st.save(t))
    for k in t:
        np.testing.assert_array_equal(back[k].numpy(), t[k].numpy(), err_msg=k)
    torch.manual_seed(0)
    lin = torch.nn.Linear(3, 2)
    mine = st.load(tsave(lin.state_dict()))
    km = knn.Linear(3, 2)
    km.load_state_dict(mine)
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    with torch.no_grad():
        want = lin(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(km(kernels.tensor(x)).detach().numpy(), want, rtol=1e-6, atol=1e-6)


def test_file_objects():
    buf = io.BytesIO()
    st.save_file({"w": kernels.ones(3)}, buf)
    buf.seek(0)
    assert st.load_file(buf)["w"].tolist() == [1.0] * 3
