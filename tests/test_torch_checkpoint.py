"""PyTorch's checkpoint format: torch.save files read by kernels.load, kernels.save(format="torch")
files read by torch.load(weights_only=True), and hostile or damaged torch-format files refused.

The torch-dependent tests skip without torch; the format and hostile tests build their zips and
pickles by hand (protocol-2 opcodes below), so they run without it."""
import io
import os
import pickle
import struct
import zipfile

import numpy as np
import pytest

import kernels
import kernels.nn as knn
from kernels import serialization, torch_format
from kernels.nn.parameter import Parameter


@pytest.fixture(autouse=True)
def _no_registered_globals():
    serialization.clear_safe_globals()
    yield
    serialization.clear_safe_globals()


def _torch():
    return pytest.importorskip("torch")


# ---------------------------------------------------------------- hand-written torch files

def _g(module, name):  # GLOBAL
    return b"c" + f"{module}\n{name}\n".encode()


def _s(text):  # BINUNICODE
    b = text.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def _i(n):  # BININT
    return b"J" + struct.pack("<i", n)


def _tup(*items):  # MARK ... TUPLE
    return b"(" + b"".join(items) + b"t"


_EMPTY_ODICT = _g("collections", "OrderedDict") + b")R"


def _tensor(key, numel, offset, size, stride, storage="FloatStorage", requires_grad=False,
            location="cpu"):
    pid = _tup(_s("storage"), _g("torch", storage), _s(key), _s(location), _i(numel)) + b"Q"
    args = _tup(pid, _i(offset), _tup(*map(_i, size)), _tup(*map(_i, stride)),
                b"\x88" if requires_grad else b"\x89", _EMPTY_ODICT)
    return _g("torch._utils", "_rebuild_tensor_v2") + args + b"R"


def _parameter(tensor, requires_grad=True):
    return (_g("torch._utils", "_rebuild_parameter")
            + _tup(tensor, b"\x88" if requires_grad else b"\x89", _EMPTY_ODICT) + b"R")


def _dict(**items):
    return b"}(" + b"".join(_s(k) + v for k, v in items.items()) + b"u"


def _pickle(body):
    return b"\x80\x02" + body + b"."


def _torch_zip(path, pkl, storages=(), byteorder=b"little", prefix="archive"):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{prefix}/data.pkl", pkl)
        if byteorder is not None:
            zf.writestr(f"{prefix}/byteorder", byteorder)
        for key, data in dict(storages).items():
            zf.writestr(f"{prefix}/data/{key}", data)
        zf.writestr(f"{prefix}/version", b"3\n")
    return path


def _refused(path, *patterns, **kw):
    with pytest.raises(ValueError) as e:
        kernels.load(path, **kw)
    msg = str(e.value)
    assert type(e.value) is ValueError and msg.startswith(f"load: {path} "), msg
    for p in patterns:
        assert p in msg, msg
    return msg


# ---------------------------------------------------------------- format, without torch

def test_hand_built_file_with_views_offsets_and_shared_storage(tmp_path):
    base = np.arange(12, dtype=np.float32)
    pkl = _pickle(_dict(
        whole=_tensor("0", 12, 0, (3, 4), (4, 1)),
        transposed=_tensor("0", 12, 1, (3, 3), (1, 4)),  # t()[1:] of a (3,4): non-contiguous
        expanded=_tensor("0", 12, 5, (2, 3), (0, 1)),  # stride 0, as expand() makes
        same_view=_tensor("0", 12, 1, (3, 3), (1, 4)),  # the same bytes viewed the same way
        scalar=_tensor("1", 1, 0, (), ()),
        empty=_tensor("2", 0, 0, (0, 3), (3, 1)),
        p=_parameter(_tensor("3", 2, 0, (2,), (1,), storage="DoubleStorage")),
        frozen=_parameter(_tensor("4", 1, 0, (1,), (1,), storage="LongStorage"), False),
    ))
    path = _torch_zip(tmp_path / "views.pt", pkl, {
        "0": base.tobytes(), "1": np.float32(2.5).tobytes(), "2": b"",
        "3": np.array([7, -8], dtype=np.float64).tobytes(), "4": np.int64(9).tobytes()})
    out = kernels.load(path)
    strided = np.lib.stride_tricks.as_strided
    np.testing.assert_array_equal(out["whole"].numpy(), base.reshape(3, 4))
    np.testing.assert_array_equal(out["transposed"].numpy(), base.reshape(3, 4).T[1:])
    np.testing.assert_array_equal(out["expanded"].numpy(), strided(base[5:], (2, 3), (0, 4)))
    assert out["same_view"] is out["transposed"]  # tied tensors stay tied
    assert out["scalar"].tolist() == 2.5 and out["scalar"].dtype == kernels.float32
    assert tuple(out["empty"].shape) == (0, 3)
    assert type(out["p"]) is Parameter and out["p"].requires_grad and out["p"].tolist() == [7, -8]
    assert out["p"].dtype == kernels.float64
    assert type(out["frozen"]) is Parameter and not out["frozen"].requires_grad
    assert out["frozen"].dtype == kernels.int64 and out["frozen"].tolist() == [9]


def test_big_endian_file(tmp_path):
    pkl = _pickle(_dict(w=_tensor("0", 3, 0, (3,), (1,), storage="DoubleStorage")))
    path = _torch_zip(tmp_path / "be.pt", pkl, {"0": np.array([1.5, -2, 3], ">f8").tobytes()},
                      byteorder=b"big")
    w = kernels.load(path)["w"]
    assert w.dtype == kernels.float64 and w.tolist() == [1.5, -2.0, 3.0]


def test_other_folder_names_and_requires_grad(tmp_path):
    pkl = _pickle(_dict(w=_tensor("0", 1, 0, (1,), (1,), requires_grad=True)))
    path = _torch_zip(tmp_path / "m.pt", pkl, {"0": np.float32(1).tobytes()}, prefix="mnist_cnn",
                      byteorder=None)
    w = kernels.load(path)["w"]
    assert w.requires_grad and type(w) is not Parameter


@pytest.mark.parametrize("storage, dtype", [("HalfStorage", "float16"), ("IntStorage", "int32"),
                                            ("BFloat16Storage", "bfloat16"), ("ByteStorage", "uint8")])
def test_dtypes_kernels_lacks_are_refused_naming_the_key(tmp_path, storage, dtype):
    itemsize = {"float16": 2, "int32": 4, "bfloat16": 2, "uint8": 1}[dtype]
    pkl = _pickle(_dict(ok=_tensor("0", 1, 0, (1,), (1,)),
                        h=_tensor("1", 2, 0, (2,), (1,), storage=storage)))
    path = _torch_zip(tmp_path / "h.pt", pkl, {"0": b"\0" * 4, "1": b"\1" * 2 * itemsize})
    if dtype in kernels._C.dtype.__members__ and dtype != "bfloat16":  # kernels grew it: converted
        h = kernels.load(path)["h"]
        assert h.dtype.name == dtype
        np.testing.assert_array_equal(h.numpy(), np.frombuffer(b"\1" * 2 * itemsize, dtype))
    else:
        _refused(path, "tensor obj['h'] has dtype " + dtype, "kernels does not have")


@pytest.mark.parametrize("case, what", [
    ("stride past the end", "reaches element"),
    ("record size", "declares 5 elements of float32"),
    ("missing record", "has no record 'archive/data/9'"),
    ("negative stride", "malformed geometry"),
    ("storage type", "torch.QInt8Storage"),
    ("dtype clash", "used both as float32 and int64"),
    ("location", "lives on 'xla:0'"),
])
def test_malformed_torch_files(tmp_path, case, what):
    four = np.arange(4, dtype=np.float32).tobytes()
    body, storages = {
        "stride past the end": (_tensor("0", 4, 1, (2, 2), (2, 1)), {"0": four}),
        "record size": (_tensor("0", 5, 0, (4,), (1,)), {"0": four}),
        "missing record": (_tensor("9", 4, 0, (4,), (1,)), {"0": four}),
        "negative stride": (_tensor("0", 4, 3, (4,), (-1,)), {"0": four}),
        "storage type": (_tensor("0", 4, 0, (4,), (1,), storage="QInt8Storage"), {"0": four}),
        "dtype clash": (_tup(_tensor("0", 4, 0, (4,), (1,)),
                             _tensor("0", 2, 0, (2,), (1,), storage="LongStorage")), {"0": four}),
        "location": (_tensor("0", 4, 0, (4,), (1,), location="xla:0"), {"0": four}),
    }[case]
    _refused(_torch_zip(tmp_path / "bad.pt", _pickle(body), storages), what)


def test_cuda_checkpoints_and_map_location(tmp_path):
    pkl = _pickle(_dict(w=_tensor("0", 2, 0, (2,), (1,), location="cuda:0")))
    path = _torch_zip(tmp_path / "cuda.pt", pkl, {"0": np.array([1, 2], np.float32).tobytes()})
    w = kernels.load(path, map_location="cpu")["w"]
    assert str(w.device) == "cpu" and w.tolist() == [1.0, 2.0]
    assert kernels.load(path, map_location={"cuda:0": "cpu"})["w"].tolist() == [1.0, 2.0]
    if not kernels.cuda.is_available():
        _refused(path, "saved on 'cuda:0'", "map_location='cpu'")
    else:
        assert kernels.load(path)["w"].is_cuda


def test_zip_bomb_by_strides_is_refused(tmp_path):
    # a 4-byte storage viewed with stride 0 as 2**40 elements: refused before allocating
    pkl = _pickle(_tensor("0", 1, 0, (1 << 20, 1 << 20), (0, 0)))
    path = _torch_zip(tmp_path / "bomb.pt", pkl, {"0": b"\0" * 4})
    _refused(path, "more than the limit")


def test_legacy_and_plain_pickles_are_refused(tmp_path):
    legacy = tmp_path / "legacy.pt"
    legacy.write_bytes(pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2) + b"\x80\x02}q\x00.")
    _refused(legacy, "legacy (pre-1.6, non-zip) format")
    plain = tmp_path / "plain.pkl"
    plain.write_bytes(pickle.dumps({"a": 1}))
    _refused(plain, "is a plain pickle file")


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


class Point:
    def __init__(self, x=0, y=0):
        self.x, self.y = x, y

    def __eq__(self, other):
        return isinstance(other, Point) and (self.x, self.y) == (other.x, other.y)


@pytest.mark.parametrize("body, name", [
    (_g("os", "system") + _tup(_s("touch {marker}")) + b"R", "os.system"),
    (_g("posix", "system") + _tup(_s("touch {marker}")) + b"R", "posix.system"),
    (_g("builtins", "eval") + _tup(_s("open({marker!r}, 'w')")) + b"R", "builtins.eval"),
    (_g("__builtin__", "getattr") + _tup(_g("os", "path"), _s("join")) + b"R", "builtins.getattr"),
    (_g("subprocess", "Popen") + _tup(_s("true")) + b"R", "subprocess.Popen"),
    (_g("torch.nn.modules.linear", "Linear") + b")\x81", "torch.nn.modules.linear.Linear"),
])
def test_hostile_globals_are_refused_and_never_run(tmp_path, body, name):
    marker = tmp_path / "ran"
    body = body.replace(b"{marker}", str(marker).encode()).replace(b"{marker!r}",
                                                                   repr(str(marker)).encode())
    path = _torch_zip(tmp_path / "evil.pt", _pickle(_dict(x=body)))
    if name.startswith("torch."):  # torch's own classes: kernels cannot rebuild them at all
        _refused(path, f"the torch object '{name}'", "save model.state_dict()")
    else:
        _refused(path, f"'{name}'", "weights_only=False only if you trust")
    assert not marker.exists()


def test_custom_classes_need_add_safe_globals(tmp_path):
    path = tmp_path / "point.pt"
    _torch_zip(path, pickle.dumps({"p": Point(1, 2)}, protocol=2))
    name = f"{Point.__module__}.Point"
    _refused(path, f"'{name}'", "add_safe_globals([Point])")
    with serialization.safe_globals([Point]):
        assert serialization.get_safe_globals() == [Point]
        assert kernels.load(path)["p"] == Point(1, 2)
    assert serialization.get_safe_globals() == []
    _refused(path, f"'{name}'")
    assert kernels.load(path, weights_only=False)["p"] == Point(1, 2)  # trusted: plain pickle
    serialization.add_safe_globals([(Point, name)])
    assert kernels.load(path)["p"] == Point(1, 2)
    serialization.clear_safe_globals()
    _refused(path, f"'{name}'")
    with pytest.raises(TypeError, match="add_safe_globals"):
        serialization.add_safe_globals(Point)


def test_reduce_of_an_unlisted_callable_is_refused(tmp_path):
    path = _torch_zip(tmp_path / "evil.pt", pickle.dumps({"e": Evil()}, protocol=2))
    _refused(path, "'posix.system'" if os.name == "posix" else "system")
    bytearray_bomb = _g("__builtin__", "bytearray") + _tup(_i(1 << 30)) + b"R"
    _refused(_torch_zip(tmp_path / "ba.pt", _pickle(bytearray_bomb)), "bytearray is only allowed")


def test_build_is_restricted_and_deep_nesting_is_refused(tmp_path):
    four = {"0": b"\0" * 4}
    # BUILD (set-state) on a tensor could plant attributes on it: refused, as torch refuses it
    body = _tensor("0", 1, 0, (1,), (1,)) + b"}" + _s("numpy") + _i(1) + b"sb"
    _refused(_torch_zip(tmp_path / "b.pt", _pickle(body), four), "BUILD (set-state) on a Tensor")
    # BUILD on an OrderedDict (a state_dict's _metadata) is what torch writes: allowed
    body = _EMPTY_ODICT + b"}" + _s("_metadata") + b"}" + b"sb"
    assert kernels.load(_torch_zip(tmp_path / "o.pt", _pickle(body)))._metadata == {}
    deep = _pickle(b"]" * 200_000 + b"a" * 199_999)
    _refused(_torch_zip(tmp_path / "deep.pt", deep), "nested too deeply")


def test_truncated_and_damaged_files_are_refused(tmp_path):
    kernels.manual_seed(0)
    good = tmp_path / "good.pt"
    kernels.save({"w": kernels.randn(64, 64), "b": kernels.zeros(64)}, good, format="torch")
    raw = good.read_bytes()
    cut = tmp_path / "cut.pt"
    for n in (0, 3, 10, 100, len(raw) // 2, len(raw) - 30, len(raw) - 1):
        cut.write_bytes(raw[:n])
        with pytest.raises(ValueError) as e:
            kernels.load(cut)
        assert type(e.value) is ValueError and str(cut) in str(e.value), (n, e.value)
    # a flipped byte inside a tensor record: zip's CRC-32 catches it
    start = raw.index(b"archive/data/0") + len("archive/data/0")
    bad = bytearray(raw)
    bad[start + 200] ^= 0xFF
    cut.write_bytes(bytes(bad))
    _refused(cut, "Bad CRC-32")
    # data.pkl cut short inside the pickle
    _refused(_torch_zip(tmp_path / "p.pt", _pickle(_dict(w=_i(1)))[:-3]), "pickle is malformed")


def test_kernels_writes_torch_format_it_reads_back(tmp_path):
    kernels.manual_seed(1)
    model = knn.Sequential(knn.Linear(3, 4), knn.BatchNorm1d(4) if hasattr(knn, "BatchNorm1d")
                           else knn.ReLU())
    sd = model.state_dict()
    obj = {"model": sd, "epoch": 3, "lr": 0.1, "name": "run", "none": None, "flags": [True, False],
           "dtype": kernels.float64, "device": kernels.device("cpu"), "blob": b"\x00\xff",
           "param": model[0].weight, "again": model[0].weight, "set": {1, 2}, "c": 1 + 2j,
           "i64": kernels.tensor([[1, -2], [3, 2**40]]), "bool": kernels.tensor([True, False]),
           "f64": kernels.randn(2, 2, dtype=kernels.float64), "scalar": kernels.tensor(3.5),
           "empty": kernels.zeros(0, 3)}
    path = tmp_path / "k.pt"
    kernels.save(obj, path, format="torch")
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        assert names[0] == "archive/data.pkl" and "archive/version" in names
        assert zf.read("archive/byteorder") == b"little"
        for info in zf.infolist():  # every tensor record starts 64-byte aligned (torch's mmap)
            if info.filename.startswith("archive/data/") and info.file_size:
                with open(path, "rb") as fh:
                    fh.seek(info.header_offset + 26)
                    n, m = struct.unpack("<HH", fh.read(4))
                assert (info.header_offset + 30 + n + m) % 64 == 0, info.filename
    back = kernels.load(path)
    for k, v in sd.items():
        np.testing.assert_array_equal(back["model"][k].numpy(), v.numpy())
    assert type(back["param"]) is Parameter and back["param"] is back["again"]
    assert back["dtype"] == kernels.float64 and str(back["device"]) == "cpu"
    assert back["blob"] == b"\x00\xff" and back["set"] == {1, 2} and back["c"] == 1 + 2j
    assert back["i64"].tolist() == [[1, -2], [3, 2**40]] and back["bool"].tolist() == [True, False]
    assert back["scalar"].tolist() == 3.5 and tuple(back["empty"].shape) == (0, 3)
    assert (back["epoch"], back["lr"], back["name"], back["none"]) == (3, 0.1, "run", None)
    buf = io.BytesIO()
    torch_format.save(obj, buf)  # the same as kernels.save(obj, buf, format="torch")
    assert buf.getvalue() == path.read_bytes()  # deterministic
    buf.seek(0)
    assert kernels.load(buf)["i64"].tolist() == [[1, -2], [3, 2**40]]


def test_torch_format_refuses_what_torch_weights_only_cannot_read(tmp_path):
    for obj, where in [({"a": np.zeros(2)}, r"obj\['a'\] has type ndarray"),
                       ({"m": knn.Linear(2, 2)}, r"obj\['m'\] has type Linear"),
                       ([lambda: 0], r"obj\[0\] has type function")]:
        with pytest.raises(TypeError, match=where):
            kernels.save(obj, tmp_path / "x.pt", format="torch")
    assert not (tmp_path / "x.pt").exists()
    with pytest.raises(ValueError, match="format must be one of"):
        kernels.save({}, tmp_path / "x.pt", format="onnx")


# ---------------------------------------------------------------- against real torch

def _copy_weights(torch_model, kernels_model):
    """torch -> file (torch.save) -> kernels.load -> kernels_model.load_state_dict."""
    torch = _torch()
    buf = io.BytesIO()
    torch.save(torch_model.state_dict(), buf)
    buf.seek(0)
    sd = kernels.load(buf)
    kernels_model.load_state_dict(sd)
    return sd


def test_torch_state_dicts_load_into_kernels_models(tmp_path):
    torch = _torch()
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.BatchNorm2d(4),
                             torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(4 * 5 * 5, 6))
    tm.train()
    for _ in range(3):  # give BatchNorm real running statistics and num_batches_tracked
        tm(torch.randn(8, 3, 5, 5))
    tm.eval()
    km = knn.Sequential(knn.Conv2d(3, 4, 3, padding=1), knn.BatchNorm2d(4), knn.ReLU(),
                        knn.Flatten(), knn.Linear(4 * 5 * 5, 6))
    path = tmp_path / "cnn.pt"
    torch.save(tm.state_dict(), path)  # the path form scripts use
    sd = kernels.load(path)
    assert sd["1.num_batches_tracked"].dtype == kernels.int64
    assert sd["1.num_batches_tracked"].tolist() == 3
    km.load_state_dict(sd)
    km.eval()
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 5)).astype(np.float32)
    with torch.no_grad():
        want = tm(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(km(kernels.tensor(x)).detach().numpy(), want, rtol=1e-5, atol=1e-5)


def test_torch_lstm_state_dict_loads_into_kernels_lstm():
    torch = _torch()
    torch.manual_seed(0)
    tm = torch.nn.LSTM(3, 5, num_layers=2, batch_first=True)
    km = knn.LSTM(3, 5, num_layers=2, batch_first=True)
    _copy_weights(tm, km)
    x = np.random.default_rng(1).standard_normal((2, 4, 3)).astype(np.float32)
    with torch.no_grad():
        want, (h, c) = tm(torch.from_numpy(x))
    got, (kh, kc) = km(kernels.tensor(x))
    for a, b in ((got, want), (kh, h), (kc, c)):
        np.testing.assert_allclose(a.detach().numpy(), b.numpy(), rtol=1e-5, atol=1e-5)


def test_kernels_models_load_in_torch_with_weights_only(tmp_path):
    torch = _torch()
    kernels.manual_seed(3)
    km = knn.Sequential(knn.Conv2d(2, 3, 3), knn.BatchNorm2d(3), knn.ReLU(), knn.Flatten(),
                        knn.Linear(3 * 2 * 2, 4))
    km.train()
    km(kernels.randn(4, 2, 4, 4))
    km.eval()
    lstm = knn.LSTM(3, 4, batch_first=True)
    path = tmp_path / "k.pt"
    kernels.save({"cnn": km.state_dict(), "lstm": lstm.state_dict(), "epoch": 2,
                  "w": km[0].weight}, path, format="torch")
    for mmap in (False, True):
        ck = torch.load(path, weights_only=True, mmap=mmap)
        assert ck["epoch"] == 2 and isinstance(ck["w"], torch.nn.Parameter)
        assert ck["cnn"]["1.num_batches_tracked"].dtype == torch.int64
    tm = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3), torch.nn.BatchNorm2d(3), torch.nn.ReLU(),
                             torch.nn.Flatten(), torch.nn.Linear(3 * 2 * 2, 4)).eval()
    tm.load_state_dict(ck["cnn"])
    tl = torch.nn.LSTM(3, 4, batch_first=True)
    tl.load_state_dict(ck["lstm"])
    x = np.random.default_rng(2).standard_normal((2, 2, 4, 4)).astype(np.float32)
    with torch.no_grad():
        np.testing.assert_allclose(tm(torch.from_numpy(x)).numpy(),
                                   km(kernels.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-5)
        s = np.random.default_rng(3).standard_normal((1, 3, 3)).astype(np.float32)
        np.testing.assert_allclose(tl(torch.from_numpy(s))[0].numpy(),
                                   lstm(kernels.tensor(s))[0].detach().numpy(), rtol=1e-5, atol=1e-5)
    buf = io.BytesIO()
    kernels.save(km.state_dict(), buf, format="torch")
    buf.seek(0)
    assert set(torch.load(buf, weights_only=True)) == set(km.state_dict())


def test_torch_views_shared_storage_and_parameters():
    torch = _torch()
    base = torch.arange(24, dtype=torch.float64).reshape(4, 6)
    p = torch.nn.Parameter(torch.ones(3))
    obj = {"base": base, "t": base.t()[1:], "narrow": base[1:3, 2:5], "exp": base[0, :2].expand(3, 2),
           "tied": base.t()[1:], "p": p, "frozen": torch.nn.Parameter(torch.zeros(2), requires_grad=False),
           "half": torch.ones(2).half().float(), "size": torch.Size([2, 3]), "dt": torch.int64,
           "dev": torch.device("cpu")}
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    out = kernels.load(buf)
    for k in ("base", "t", "narrow", "exp", "tied"):
        np.testing.assert_array_equal(out[k].numpy(), obj[k].numpy(), err_msg=k)
        assert out[k].dtype == kernels.float64
    assert type(out["p"]) is Parameter and out["p"].requires_grad
    assert type(out["frozen"]) is Parameter and not out["frozen"].requires_grad
    assert out["size"] == (2, 3) and out["dt"] == kernels.int64 and str(out["dev"]) == "cpu"


def test_torch_whole_module_and_half_tensors_are_refused(tmp_path):
    torch = _torch()
    path = tmp_path / "model.pt"
    torch.save(torch.nn.Linear(2, 2), path)
    _refused(path, "the torch object 'torch.nn.modules.linear.Linear'", "save model.state_dict()")
    _refused(path, "torch.nn.modules.linear.Linear", "save model.state_dict()", weights_only=False)
    torch.save({"h": torch.ones(2, dtype=torch.float16)}, path)
    if "float16" not in kernels._C.dtype.__members__:
        _refused(path, "tensor obj['h'] has dtype float16")
    legacy = tmp_path / "legacy.pt"
    torch.save({"a": torch.ones(1)}, legacy, _use_new_zipfile_serialization=False)
    _refused(legacy, "legacy (pre-1.6, non-zip) format")
