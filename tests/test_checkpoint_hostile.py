"""kernels.load on files it did not write intact: every one is refused with one ValueError that
names the file; kernels.save cleans up temporaries of killed writers."""
import io
import json
import os
import re
import signal
import subprocess
import sys
import tracemalloc
import zipfile

import numpy as np
import pytest

import kernels
from kernels import serialization


def _refused(path, what, **kw):
    """Assert kernels.load(path) raises exactly ValueError naming the path and matching what."""
    with pytest.raises(ValueError) as e:
        kernels.load(path, **kw)
    assert type(e.value) is ValueError, repr(e.value)
    msg = str(e.value)
    assert msg.startswith(f"load: {path} "), msg
    assert re.search(what, msg), msg
    assert "\n" not in msg
    return msg


def _small_checkpoint(path, compress=False):
    kernels.manual_seed(0)
    obj = {"w": kernels.randn(4, 3), "b": kernels.zeros(3, dtype=kernels.float64), "step": 7,
           "name": "x", "np": np.arange(3, dtype=np.int32)}
    kernels.save(obj, path, compress=compress)
    return path.read_bytes()


def _archive(path, members, comment=b""):
    """A zip with the given {name: bytes} members (what a foreign tool might write)."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        zf.comment = comment
    return path


def _npy(arr):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, allow_pickle=True)
    return buf.getvalue()


def _structure(doc):
    return _npy(np.frombuffer(json.dumps(doc).encode(), dtype=np.uint8))


def _seal(path):
    """Give a comment-less zip a valid file checksum, as if save had written it."""
    body = path.read_bytes()
    assert body[-22:-18] == b"PK\x05\x06" and body[-2:] == b"\0\0"  # end record, no comment
    with open(path, "wb") as fh:
        out = serialization._ChecksumWriter(fh)
        out.write(body[:-2] + serialization._COMMENT_LEN.to_bytes(2, "little"))
        out.write(serialization._COMMENT_PREFIX + b"0" * 8)
        out.finish()
    return path


def _with_checksums(path, arrays, root):
    """A file with valid checksums around an arbitrary structure root: only the structure's
    content can be wrong, so these test the decoder's own checks."""
    with open(path, "wb") as fh:
        serialization._write_archive(fh, arrays, root, False)
    return path


def _version1(path, arrays, root):
    """A checkpoint as format version 1 wrote it (no member table, no file checksum)."""
    doc = {"format": "kernels.checkpoint", "version": 1, "arrays": len(arrays), "root": root}
    members = {name + ".npy": _npy(arr) for name, arr in arrays.items()}
    members["__kernels_structure__.npy"] = _structure(doc)
    return _archive(path, members)


# ---------------------------------------------------------------- damaged files


@pytest.mark.parametrize("compress", [False, True])
def test_every_single_bit_flip_is_detected(tmp_path, compress):
    good = _small_checkpoint(tmp_path / "good.ckpt", compress)
    path = tmp_path / "flipped.ckpt"
    for i in range(len(good)):
        raw = bytearray(good)
        raw[i] ^= 1 << (i % 8)
        path.write_bytes(bytes(raw))
        with pytest.raises(ValueError) as e:
            kernels.load(path)
        assert type(e.value) is ValueError and str(path) in str(e.value), (i, e.value)


@pytest.mark.parametrize("compress", [False, True])
def test_every_truncation_is_detected(tmp_path, compress):
    good = _small_checkpoint(tmp_path / "good.ckpt", compress)
    path = tmp_path / "cut.ckpt"
    for n in sorted(set(range(0, len(good), 5)) | set(range(len(good) - 100, len(good)))):  # the tail: zip directory
        path.write_bytes(good[:n])
        with pytest.raises(ValueError) as e:
            kernels.load(path)
        assert type(e.value) is ValueError and str(path) in str(e.value), (n, e.value)
    # appended bytes are refused too
    path.write_bytes(good + b"\0")
    _refused(path, "")


def test_checksum_mismatch_names_the_problem(tmp_path):
    path = tmp_path / "c.ckpt"
    raw = bytearray(_small_checkpoint(path))
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    _refused(path, r"is damaged \(file checksum mismatch")


def test_member_checksums_are_checked_against_the_structure(tmp_path):
    # the zip member holds other bytes than the structure recorded (e.g. swapped in by a tool
    # that rewrote the archive and its checksums)
    good = tmp_path / "good.ckpt"
    kernels.save({"w": kernels.ones(3)}, good)
    with zipfile.ZipFile(good) as zf:
        structure = zf.read("__kernels_structure__.npy")
    path = _seal(_archive(tmp_path / "swapped.ckpt", {"a0.npy": _npy(np.zeros(3, np.float32)),
                                                      "__kernels_structure__.npy": structure}))
    _refused(path, r"member a0 is not the one the structure recorded")


# ---------------------------------------------------------------- foreign files


def test_foreign_files(tmp_path):
    (tmp_path / "empty").write_bytes(b"")
    _refused(tmp_path / "empty", r"not a kernels checkpoint \(the file is empty\)")
    (tmp_path / "text").write_text("hello")
    _refused(tmp_path / "text", r"not a zip archive")
    np.save(tmp_path / "one.npy", np.zeros(3))
    _refused(tmp_path / "one.npy", r"a single \.npy array")
    with zipfile.ZipFile(tmp_path / "empty.zip", "w"):
        pass
    _refused(tmp_path / "empty.zip", r"an empty zip archive")
    _refused(_archive(tmp_path / "readme.zip", {"readme.txt": b"hi"}), r"unexpected member 'readme.txt'")
    np.savez(tmp_path / "plain.npz", a=np.zeros(3))
    _refused(tmp_path / "plain.npz", r"unexpected member 'a.npy'")
    np.savez(tmp_path / "a0.npz", a0=np.zeros(3))
    _refused(tmp_path / "a0.npz", r"an \.npz without the __kernels_structure__ member")
    np.savez(tmp_path / "pickled.npz", __kernels_structure__=np.array([{"a": 1}], dtype=object))
    _refused(tmp_path / "pickled.npz", r"holds Python objects, which would need pickle")
    np.savez(tmp_path / "other.npz", __kernels_structure__=np.frombuffer(b'{"format": "x"}', np.uint8))
    _refused(tmp_path / "other.npz", r"unknown structure format")
    np.savez(tmp_path / "json.npz", __kernels_structure__=np.frombuffer(b"{not json", np.uint8))
    _refused(tmp_path / "json.npz", r"unreadable structure description")
    np.savez(tmp_path / "f32.npz", __kernels_structure__=np.zeros(3, np.float32))
    _refused(tmp_path / "f32.npz", r"structure member is float32")


@pytest.mark.parametrize("name", ["../a0.npy", "/etc/a0.npy", "a0.npy/../../x", "sub/a0.npy",
                                  "..\\a0.npy", "a00.npy", "A0.npy", "a0.npy "])
def test_member_names_other_than_ours_are_refused(tmp_path, name):
    doc = {"format": "kernels.checkpoint", "version": 1, "arrays": 1, "root": {"t": "ndarray", "k": "a0"}}
    path = _archive(tmp_path / "names.zip", {name: _npy(np.zeros(2)),
                                             "__kernels_structure__.npy": _structure(doc)})
    _refused(path, r"unexpected member")


def test_duplicate_and_missing_members(tmp_path):
    doc = {"format": "kernels.checkpoint", "version": 1, "arrays": 1, "root": {"t": "ndarray", "k": "a0"}}
    path = tmp_path / "dup.zip"
    with zipfile.ZipFile(path, "w") as zf, pytest.warns(UserWarning):
        zf.writestr("a0.npy", _npy(np.zeros(2)))
        zf.writestr("a0.npy", _npy(np.ones(2)))
        zf.writestr("__kernels_structure__.npy", _structure(doc))
    _refused(path, r"member 'a0.npy' appears twice")
    path = _archive(tmp_path / "missing.zip", {"__kernels_structure__.npy": _structure(dict(doc, arrays=2))})
    _refused(path, r"the structure names 2 arrays but the archive holds 0")


def test_object_arrays_inside_a_checkpoint_are_never_unpickled(tmp_path):
    doc = {"format": "kernels.checkpoint", "version": 1, "arrays": 1, "root": {"t": "ndarray", "k": "a0"}}
    path = _archive(tmp_path / "obj.zip", {"a0.npy": _npy(np.array([print], dtype=object)),
                                           "__kernels_structure__.npy": _structure(doc)})
    _refused(path, r"member a0.npy holds Python objects")


def test_enormous_declared_shapes_are_refused_before_allocating(tmp_path):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False,
                                                  "shape": (10**12, 10**6)})
    doc = {"format": "kernels.checkpoint", "version": 1, "arrays": 1, "root": {"t": "ndarray", "k": "a0"}}
    path = _archive(tmp_path / "huge.zip", {"a0.npy": header.getvalue() + b"\0" * 64,
                                            "__kernels_structure__.npy": _structure(doc)})
    tracemalloc.start()
    try:
        _refused(path, r"member a0.npy declares shape \(1000000000000, 1000000\) of float64")
        assert tracemalloc.get_traced_memory()[1] < 16 << 20
    finally:
        tracemalloc.stop()
    path = _archive(tmp_path / "neg.zip", {"a0.npy": _npy(np.zeros(2)).replace(b"(2,)", b"(-2,)"),
                                           "__kernels_structure__.npy": _structure(doc)})
    _refused(path, r"member a0.npy declares the negative shape")


def test_zip_bomb_is_refused_before_inflating(tmp_path, monkeypatch):
    path = tmp_path / "bomb.ckpt"
    kernels.save({"w": np.zeros(16 << 20, dtype=np.float32)}, path, compress=True)  # 64 MiB of zeros
    assert path.stat().st_size < 1 << 20
    tracemalloc.start()
    try:
        msg = _refused(path, r"declares 67,1\d\d,\d\d\d bytes of uncompressed data, more than the limit "
                             r"of 1,048,576 bytes", max_bytes=1 << 20)
        assert tracemalloc.get_traced_memory()[1] < 8 << 20  # nothing was inflated
    finally:
        tracemalloc.stop()
    assert "max_bytes=" in msg and "KERNELS_LOAD_MAX_BYTES" in msg
    monkeypatch.setenv("KERNELS_LOAD_MAX_BYTES", "16M")
    _refused(path, r"more than the limit of 16,777,216 bytes")
    monkeypatch.setenv("KERNELS_LOAD_MAX_BYTES", "1G")
    assert kernels.load(path)["w"].shape == (16 << 20,)
    assert kernels.load(path, max_bytes=100 << 20)["w"].shape == (16 << 20,)
    monkeypatch.setenv("KERNELS_LOAD_MAX_BYTES", "lots")
    with pytest.raises(ValueError, match="KERNELS_LOAD_MAX_BYTES='lots' is not a size"):
        kernels.load(path)
    monkeypatch.delenv("KERNELS_LOAD_MAX_BYTES")
    assert serialization.DEFAULT_MAX_BYTES == 16 << 30
    with pytest.raises(ValueError, match="max_bytes must be >= 0"):
        kernels.load(path, max_bytes=-1)
    with pytest.raises(TypeError, match="max_bytes must be an int"):
        kernels.load(path, max_bytes=1.5)


# ---------------------------------------------------------------- structures behind valid checksums


@pytest.mark.parametrize("root,what", [
    ({"t": "dtype", "v": "__class__"}, r"unknown dtype '__class__'"),
    ({"t": "dtype", "v": "name"}, r"unknown dtype 'name'"),
    ({"t": "tensor", "k": "a0", "dtype": "__class__"}, r"tensor a0 has the unknown dtype '__class__'"),
    ({"t": "tensor", "k": "a0", "dtype": "int64"}, r"tensor a0 is stored as float32 but described as int64"),
    ({"t": "tensor", "k": "a0", "dtype": "float32", "device": "tpu"}, r"bad device 'tpu'"),
    ({"t": "device", "v": 3}, r"bad device '3'"),
    ({"t": "ndarray", "k": "a7"}, r"array member 'a7' is missing"),
    ({"t": "ndarray", "k": ["a0"]}, r"array member \"\['a0'\]\" is missing"),
    ({"t": "npscalar", "k": "a0"}, r"the NumPy scalar in member a0 has shape \(2,\)"),
    ({"t": "list", "items": [{"t": "ndarray", "k": "a0"}, {"t": "tensor", "k": "a0", "dtype": "float32"}]},
     r"used both as ndarray and tensor"),
    ({"t": "int", "v": "1" * 5000}, r"bad int value"),
    ({"t": "int", "v": "0x10"}, r"bad int value"),
    ({"t": "int", "v": 5}, r"malformed 'v' field"),
    ({"t": "bool", "v": 1}, r"malformed 'v' field"),
    ({"t": "float", "v": "zz"}, r"bad float value"),
    ({"t": "bytes", "v": "0g"}, r"bad bytes value"),
    ({"t": "complex", "v": ["0x1p0"]}, r"bad complex value"),
    ({"t": "dict", "items": [[{"t": "list", "items": []}, {"t": "none"}]]}, r"a dict key of type 'list'"),
    ({"t": "dict", "items": [[{"t": "none"}]]}, r"malformed dict item"),
    ({"t": "dict", "items": {"a": 1}}, r"malformed 'items' field"),
    ({"t": "tuple", "items": None}, r"malformed 'items' field"),
    ({"t": "eval", "v": "__import__('os')"}, r"unknown entry type 'eval'"),
    ({"v": 1}, r"malformed structure entry"),
    ([1, 2], r"malformed structure entry"),
    ({"t": "tensor", "k": "a0", "dtype": "float32", "parameter": "yes"}, r"malformed 'parameter' flag"),
])
def test_malformed_structures(tmp_path, root, what):
    path = _with_checksums(tmp_path / "s.ckpt", {"a0": np.zeros(2, np.float32)}, root)
    _refused(path, r"is not a kernels checkpoint \(.*" + what)


def test_deeply_nested_structure(tmp_path):
    root = {"t": "none"}
    for _ in range(5000):
        root = {"t": "list", "items": [root]}
    sys_limit = sys.getrecursionlimit()
    try:
        sys.setrecursionlimit(max(sys_limit, 20000))  # let json build it; the decoder must refuse
        path = _with_checksums(tmp_path / "deep.ckpt", {}, root)
    finally:
        sys.setrecursionlimit(sys_limit)
    _refused(path, r"nested too deeply|unreadable structure description")


def test_structure_versions(tmp_path):
    doc = {"format": "kernels.checkpoint", "version": 3, "arrays": 0, "root": {"t": "none"}}
    path = _archive(tmp_path / "v3.ckpt", {"__kernels_structure__.npy": _structure(doc)})
    _refused(path, r"newer format version 3 \(this version reads up to 2\)")
    for v in (0, "2", True, None):
        path = _archive(tmp_path / "v.ckpt", {"__kernels_structure__.npy": _structure(dict(doc, version=v))})
        _refused(path, r"bad format version")
    # version 2 without its file checksum (e.g. the zip was rewritten by another tool)
    good = tmp_path / "good.ckpt"
    kernels.save({"w": kernels.ones(2)}, good)
    with zipfile.ZipFile(good) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    _refused(_archive(tmp_path / "rezipped.ckpt", members), r"file checksum in the zip comment is missing")
    _refused(_archive(tmp_path / "comment.ckpt", members, comment=b"hello"), r"an unexpected zip comment|missing")


@pytest.mark.parametrize("where", ["zip", "npy header", "structure"])
def test_mutated_files_without_checksums_raise_only_value_error(where):
    # version-1 files carry no file checksum, so mutations reach the zip, .npy and structure
    # parsers themselves: each either loads or raises ValueError, nothing else
    import random

    rng = random.Random(where)
    arrays = {"a0": np.arange(6, dtype=np.float32).reshape(2, 3), "a1": np.array(3, dtype=np.int64)}
    root = {"t": "dict", "items": [
        [{"t": "str", "v": "w"}, {"t": "tensor", "k": "a0", "dtype": "float32", "device": "cpu"}],
        [{"t": "tuple", "items": [{"t": "int", "v": "1"}, {"t": "float", "v": "0x1p0"}]},
         {"t": "npscalar", "k": "a1"}],
        [{"t": "none"}, {"t": "list", "items": [{"t": "bytes", "v": "00ff"}, {"t": "dtype", "v": "int64"}]}]]}
    doc = json.dumps({"format": "kernels.checkpoint", "version": 1, "arrays": 2, "root": root}).encode()
    npys = {k + ".npy": _npy(v) for k, v in arrays.items()}
    for _ in range(400):
        members, text = dict(npys), bytearray(doc)
        if where == "structure":
            for _ in range(rng.randint(1, 3)):
                text[rng.randrange(len(text))] = rng.choice(b'{}[]",:0123456789tfnakv -.e\\')
        elif where == "npy header":
            k = rng.choice(sorted(npys))
            raw = bytearray(members[k])
            for _ in range(rng.randint(1, 3)):
                raw[rng.randrange(64)] = rng.choice(b"(),'<>|fiubOV0123456789: {}[]")
            members[k] = bytes(raw)
        members["__kernels_structure__.npy"] = _npy(np.frombuffer(bytes(text), np.uint8))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, data in members.items():
                zf.writestr(name, data)
        raw = bytearray(buf.getvalue())
        if where == "zip":
            for _ in range(rng.randint(1, 3)):
                raw[rng.randrange(len(raw))] = rng.randrange(256)
        try:
            kernels.load(io.BytesIO(bytes(raw)))
        except ValueError as e:
            assert type(e) is ValueError and str(e).startswith("load: <file object> "), repr(e)


# ---------------------------------------------------------------- what still loads


def test_version_1_files_still_load(tmp_path):
    w = np.arange(6, dtype=np.float32).reshape(2, 3)
    root = {"t": "dict", "items": [
        [{"t": "str", "v": "w"}, {"t": "tensor", "k": "a0", "dtype": "float32", "device": "cpu",
                                  "requires_grad": True}],
        [{"t": "str", "v": "step"}, {"t": "int", "v": "12"}],
        [{"t": "str", "v": "dtype"}, {"t": "dtype", "v": "int64"}],
    ]}
    back = kernels.load(_version1(tmp_path / "v1.ckpt", {"a0": w}, root))
    assert back["w"].tolist() == w.tolist() and back["w"].requires_grad
    assert back["step"] == 12 and back["dtype"] is kernels.int64
    # ... but their zip CRC still guards the data
    raw = bytearray((tmp_path / "v1.ckpt").read_bytes())
    i = raw.index(w.tobytes())
    raw[i + 5] ^= 0x10
    (tmp_path / "v1.ckpt").write_bytes(bytes(raw))
    _refused(tmp_path / "v1.ckpt", r"is damaged \(BadZipFile: Bad CRC-32")


@pytest.mark.parametrize("kind,values", [(">f8", [0.1, -2.5, 1e300]), (">i8", [1, -2, 2**62])])
def test_big_endian_arrays_keep_value_and_dtype(tmp_path, kind, values):
    arr = np.array(values, dtype=kind)
    dtype = "float64" if kind == ">f8" else "int64"
    root = {"t": "list", "items": [{"t": "tensor", "k": "a0", "dtype": dtype}, {"t": "ndarray", "k": "a1"}]}
    t, a = kernels.load(_with_checksums(tmp_path / "be.ckpt", {"a0": arr, "a1": arr.copy()}, root))
    assert t.dtype == getattr(kernels, dtype) and t.tolist() == values
    assert a.dtype == np.dtype(kind) and a.tolist() == values  # arrays come back as stored
    # the same through save/load of a big-endian NumPy array
    kernels.save({"a": arr}, tmp_path / "np.ckpt")
    back = kernels.load(tmp_path / "np.ckpt")["a"]
    assert back.dtype == arr.dtype and back.tolist() == values
    # a float32 array cannot pass for a float64 tensor, in either byte order
    root = {"t": "tensor", "k": "a0", "dtype": "float64"}
    path = _with_checksums(tmp_path / "bad.ckpt", {"a0": np.zeros(2, ">f4")}, root)
    _refused(path, r"tensor a0 is stored as >f4 but described as float64")


def test_file_objects(tmp_path):
    buf = io.BytesIO()
    kernels.save({"w": kernels.ones(2)}, buf)
    buf.seek(0)
    assert kernels.load(buf)["w"].tolist() == [1.0, 1.0]
    data = bytearray(buf.getvalue())
    data[40] ^= 4
    with pytest.raises(ValueError, match=r"^load: <file object> is damaged"):
        kernels.load(io.BytesIO(bytes(data)))

    class Unseekable(io.RawIOBase):
        def readable(self):
            return True

        def readinto(self, b):
            return 0

    with pytest.raises(ValueError, match=r"must be a readable, seekable binary file"):
        kernels.load(Unseekable())
    with open(tmp_path / "t.txt", "w") as fh:
        fh.write("x")
    with open(tmp_path / "t.txt") as fh, pytest.raises(ValueError, match="binary mode"):
        kernels.load(fh)
    with pytest.raises(IsADirectoryError, match="is a folder"):
        kernels.load(tmp_path)


# ---------------------------------------------------------------- stale temporaries


def _dead_pid():
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_save_removes_temporaries_of_dead_writers_only(tmp_path):
    target = tmp_path / "model.ckpt"
    dead = tmp_path / f".model.ckpt.tmp-{_dead_pid()}-abc123xy"
    dead.write_bytes(b"\0" * 1000)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        alive = tmp_path / f".model.ckpt.tmp-{sleeper.pid}-q1w2e3r4"
        mine = tmp_path / f".model.ckpt.tmp-{os.getpid()}-zz99zz99"
        other_target = tmp_path / f".other.ckpt.tmp-{_dead_pid()}-abc123xy"
        not_ours = tmp_path / ".model.ckpt.tmp-notapid"
        for p in (alive, mine, other_target, not_ours):
            p.write_bytes(b"x")
        kernels.save({"w": kernels.ones(2)}, target)
        left = sorted(os.listdir(tmp_path))
        assert dead.name not in left
        assert {alive.name, mine.name, other_target.name, not_ours.name, "model.ckpt"} == set(left)
    finally:
        sleeper.kill()
        sleeper.wait()


def test_temporary_left_by_sigkill_is_cleaned_by_next_save(tmp_path):
    if os.name != "posix":
        pytest.skip("SIGKILL is POSIX")
    target = tmp_path / "run.ckpt"
    kernels.save({"epoch": 1, "w": kernels.ones(4)}, target)
    pkg_parent = os.path.dirname(os.path.dirname(os.path.abspath(kernels.__file__)))
    child = (
        "import os, signal, sys\n"
        f"sys.path.insert(0, {pkg_parent!r})\n"
        "import numpy as np, kernels\n"
        "from kernels import serialization\n"
        "real = serialization._write_array\n"
        "def write_then_die(zf, name, arr):\n"
        "    real(zf, name, arr)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "serialization._write_array = write_then_die\n"
        f"kernels.save({{'epoch': 2, 'w': np.zeros(1 << 16)}}, {str(target)!r})\n"
    )
    r = subprocess.run([sys.executable, "-c", child], capture_output=True, timeout=120,
                       env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert r.returncode == -signal.SIGKILL, r.stderr
    temps = [n for n in os.listdir(tmp_path) if n.startswith(".run.ckpt.tmp-")]
    assert len(temps) == 1 and (tmp_path / temps[0]).stat().st_size > 1 << 16
    assert kernels.load(target)["epoch"] == 1  # the old checkpoint survived
    kernels.save({"epoch": 3}, target)
    assert os.listdir(tmp_path) == ["run.ckpt"]
    assert kernels.load(target)["epoch"] == 3
