"""``kernels.save`` / ``kernels.load``: checkpoints in one ``.npz`` file, without pickle.

A checkpoint is a NumPy ``.npz`` (zip) archive holding

* one ``.npy`` member per tensor / NumPy array (``a0``, ``a1``, ...), dtype and shape preserved;
* a member ``__kernels_structure__``: a uint8 array holding UTF-8 JSON that describes the nested
  object (dicts, lists, tuples, numbers, strings, None, and where each array goes).

Loading uses ``np.load(..., allow_pickle=False)``: opening a checkpoint never runs code.

Writes are atomic: the archive goes to a temporary file in the destination folder, is flushed and
``fsync``-ed, then ``os.replace``-d over the destination and the folder is ``fsync``-ed. A crash
mid-write leaves the previous file intact and no half-written checkpoint behind.

Supported values: ``kernels.Tensor`` (incl. ``nn.Parameter``; CUDA tensors are saved from the host
copy and come back on the same device unless ``map_location`` says otherwise), ``numpy.ndarray``
and NumPy scalars, ``bool``, ``int`` (any size), ``float`` (incl. nan/inf), ``complex``, ``str``,
``bytes``, ``None``, ``kernels.dtype``, ``kernels.device``, and ``dict`` (incl. ``OrderedDict``;
keys may be str, int, float, bool, None or tuples of those), ``list``, ``tuple`` nesting them. A
tensor or array that appears several times is stored once and comes back as one shared object.
"""
from __future__ import annotations

import collections
import json
import os
import tempfile
import zipfile

import numpy as np

from . import _C
from ._device import as_device, numpy_dtype

__all__ = ["save", "load"]

_STRUCT = "__kernels_structure__"
_FORMAT = "kernels.checkpoint"
_VERSION = 1


# ---------------------------------------------------------------- encoding


class _Encoder:
    def __init__(self):
        self.arrays = {}  # member name -> np.ndarray
        self._memo = {}  # id(obj) -> member name (shared tensors stored once)
        self._keep = []  # keep memoised objects alive while encoding so ids stay unique

    def _array_key(self, obj, arr):
        key = self._memo.get(id(obj))
        if key is None:
            key = f"a{len(self.arrays)}"
            self.arrays[key] = arr
            self._memo[id(obj)] = key
            self._keep.append(obj)
        return key

    def encode(self, obj, where="obj"):
        if obj is None:
            return {"t": "none"}
        if isinstance(obj, bool):
            return {"t": "bool", "v": obj}
        if isinstance(obj, int):
            return {"t": "int", "v": str(obj)}  # str: JSON readers elsewhere lose ints above 2**53
        if isinstance(obj, float):
            return {"t": "float", "v": obj.hex()}  # hex is exact, and covers nan / inf
        if isinstance(obj, complex):
            return {"t": "complex", "v": [obj.real.hex(), obj.imag.hex()]}
        if isinstance(obj, str):
            return {"t": "str", "v": obj}
        if isinstance(obj, bytes):
            return {"t": "bytes", "v": obj.hex()}
        if isinstance(obj, _C.Tensor):
            return self._tensor(obj, where)
        if isinstance(obj, np.ndarray):
            self._check_array(obj, where)
            return {"t": "ndarray", "k": self._array_key(obj, obj)}
        if isinstance(obj, np.generic):
            arr = np.asarray(obj)
            self._check_array(arr, where)
            return {"t": "npscalar", "k": self._array_key(obj, arr)}
        if isinstance(obj, _C.dtype):
            return {"t": "dtype", "v": obj.name}
        if isinstance(obj, _C.device):
            return {"t": "device", "v": str(obj)}
        if isinstance(obj, dict):
            kind = "odict" if isinstance(obj, collections.OrderedDict) else "dict"
            items = [[self._key(k, where), self.encode(v, f"{where}[{k!r}]")] for k, v in obj.items()]
            return {"t": kind, "items": items}
        if isinstance(obj, (list, tuple)):
            kind = "list" if isinstance(obj, list) else "tuple"
            return {"t": kind, "items": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]}
        raise TypeError(
            f"save: {where} has type {type(obj).__name__}, which a checkpoint cannot hold "
            "(tensors, NumPy arrays, numbers, strings, None and dicts/lists/tuples of them)"
        )

    def _key(self, k, where):
        if k is None or isinstance(k, (bool, int, float, str)):
            return self.encode(k, where)
        if isinstance(k, tuple):
            return {"t": "tuple", "items": [self._key(v, where) for v in k]}
        raise TypeError(f"save: {where} has a dict key of type {type(k).__name__}; "
                        "keys must be str, int, float, bool, None or tuples of them")

    @staticmethod
    def _check_array(arr, where):
        if arr.dtype.hasobject:
            raise TypeError(f"save: {where} is a NumPy array of Python objects, which would need pickle")

    def _tensor(self, t, where):
        host = t.detach()
        dev = str(host.device)
        if host.is_cuda:
            host = _C.to_device(host, _C.device("cpu"))
        arr = np.array(host.numpy(), copy=True)  # own the bytes: the tensor may change later
        out = {"t": "tensor", "k": self._array_key(t, arr), "dtype": t.dtype.name, "device": dev}
        if t.requires_grad:
            out["requires_grad"] = True
        if type(t).__name__ == "Parameter":
            out["parameter"] = True
        return out


def _structure_array(root, n_arrays):
    doc = {"format": _FORMAT, "version": _VERSION, "arrays": n_arrays, "root": root}
    return np.frombuffer(json.dumps(doc, separators=(",", ":")).encode("utf-8"), dtype=np.uint8)


def _write_array(zf, name, arr):
    """Write one array as the member ``name.npy`` (what np.savez does, one member at a time)."""
    with zf.open(name + ".npy", "w", force_zip64=True) as member:
        np.lib.format.write_array(member, np.ascontiguousarray(arr) if arr.ndim else arr,
                                  allow_pickle=False)


def _write_archive(fileobj, arrays, compress):
    mode = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(fileobj, "w", compression=mode, allowZip64=True) as zf:
        for name, arr in arrays.items():
            _write_array(zf, name, arr)


def _fsync_dir(folder):
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # e.g. Windows cannot open folders; the rename itself is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def save(obj, f, *, compress=False) -> None:
    """Save ``obj`` (see the module docstring for what it may contain) to the path ``f``.

    ``f`` is a path (str or os.PathLike), written exactly as named (no suffix is added) and
    atomically, or a writable binary file object (then written in place, not atomically).
    ``compress=True`` deflates the arrays (smaller, slower).
    """
    enc = _Encoder()
    root = enc.encode(obj)
    arrays = dict(enc.arrays)
    arrays[_STRUCT] = _structure_array(root, len(enc.arrays))

    if hasattr(f, "write"):
        _write_archive(f, arrays, compress)
        return
    path = os.fspath(f)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            _write_archive(fh, arrays, compress)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(folder)


# ---------------------------------------------------------------- decoding


def _resolve_map_location(map_location):
    """-> function(saved_device_str) -> kernels.device."""
    if map_location is None:
        return lambda dev: as_device(dev)
    if callable(map_location) and not isinstance(map_location, (_C.device, str)):
        return lambda dev: as_device(map_location(dev))
    if isinstance(map_location, dict):
        return lambda dev: as_device(map_location.get(dev, dev))
    target = as_device(map_location)
    return lambda dev: target


class _Decoder:
    def __init__(self, arrays, map_location, path):
        self.arrays = arrays
        self.where_to = _resolve_map_location(map_location)
        self.path = path
        self._done = {}  # member -> decoded object (shared objects come back shared)

    def bad(self, msg):
        return ValueError(f"load: {self.path} is not a valid kernels checkpoint ({msg})")

    def array(self, node):
        k = node.get("k")
        if k not in self.arrays:
            raise self.bad(f"array member {k!r} is missing")
        return self.arrays[k]

    def decode(self, node):
        if not isinstance(node, dict) or "t" not in node:
            raise self.bad(f"malformed structure entry {str(node)[:60]!r}")
        t = node["t"]
        if t == "none":
            return None
        if t == "bool":
            return bool(node["v"])
        if t == "int":
            return int(node["v"])
        if t == "float":
            return float.fromhex(node["v"])
        if t == "complex":
            return complex(float.fromhex(node["v"][0]), float.fromhex(node["v"][1]))
        if t == "str":
            return str(node["v"])
        if t == "bytes":
            return bytes.fromhex(node["v"])
        if t == "dtype":
            return getattr(_C.dtype, node["v"])
        if t == "device":
            return as_device(node["v"])
        if t in ("dict", "odict"):
            out = collections.OrderedDict() if t == "odict" else {}
            for k, v in node["items"]:
                out[self.decode(k)] = self.decode(v)
            return out
        if t == "list":
            return [self.decode(v) for v in node["items"]]
        if t == "tuple":
            return tuple(self.decode(v) for v in node["items"])
        if t in ("ndarray", "npscalar", "tensor"):
            key = node.get("k")
            if key in self._done:
                return self._done[key]
            arr = self.array(node)
            if t == "ndarray":
                out = arr
            elif t == "npscalar":
                out = arr[()]
            else:
                out = self.tensor(node, arr)
            self._done[key] = out
            return out
        raise self.bad(f"unknown entry type {t!r}")

    def tensor(self, node, arr):
        from .tensor import tensor as make_tensor

        want = node.get("dtype")
        if want is not None and np.dtype(arr.dtype).name != numpy_dtype(getattr(_C.dtype, want)).name:
            raise self.bad(f"tensor stored as {arr.dtype} but described as {want}")
        out = make_tensor(arr if arr.flags.c_contiguous else np.array(arr, order="C"), device=self.where_to(node.get("device", "cpu")))
        if node.get("parameter"):
            try:
                from .nn import Parameter
            except ImportError:
                Parameter = None
            if Parameter is not None:
                return Parameter(out, requires_grad=bool(node.get("requires_grad", False)))
        if node.get("requires_grad"):
            out.requires_grad_(True)
        return out


def load(f, map_location=None):
    """Load an object written by :func:`save`.

    ``map_location`` moves every tensor: None keeps each on the device it was saved from;
    a device or string (``"cpu"``, ``"cuda:0"``) sends all there; a dict maps saved device
    strings to new ones; a callable gets the saved device string and returns the device.

    Raises FileNotFoundError when the path does not exist and ValueError naming the path when the
    file is truncated, corrupt, or not a kernels checkpoint.
    """
    path = f if not hasattr(f, "read") else getattr(f, "name", "<file object>")
    path = os.fspath(path) if isinstance(path, os.PathLike) else path
    if not hasattr(f, "read"):
        f = os.fspath(f)
        if not os.path.exists(f):
            raise FileNotFoundError(f"load: no such file: {f!r}")
    try:
        npz = np.load(f, allow_pickle=False)
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise ValueError(f"load: {path} is not a kernels checkpoint (a single .npy array, "
                             "not an .npz archive)")
        with npz:
            if _STRUCT not in npz.files:
                raise ValueError(f"load: {path} is not a kernels checkpoint "
                                 f"(an .npz without the {_STRUCT} member)")
            arrays = {name: npz[name] for name in npz.files}
    except ValueError as e:
        if str(e).startswith("load: "):
            raise
        raise ValueError(f"load: {path} is not a kernels checkpoint or is corrupt ({e})") from None
    except (zipfile.BadZipFile, EOFError, OSError, KeyError, RuntimeError) as e:
        raise ValueError(f"load: {path} is truncated or corrupt ({type(e).__name__}: {e})") from None

    try:
        doc = json.loads(arrays.pop(_STRUCT).tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"load: {path} has an unreadable structure description ({e})") from None
    if not isinstance(doc, dict) or doc.get("format") != _FORMAT or "root" not in doc:
        raise ValueError(f"load: {path} is not a kernels checkpoint (unknown structure format)")
    if int(doc.get("version", 0)) > _VERSION:
        raise ValueError(f"load: {path} was written by a newer format version {doc.get('version')} "
                         f"(this version reads up to {_VERSION})")
    if doc.get("arrays") is not None and int(doc["arrays"]) != len(arrays):
        raise ValueError(f"load: {path} is incomplete: the structure names {doc['arrays']} arrays "
                         f"but the file holds {len(arrays)}")
    dec = _Decoder(arrays, map_location, path)
    try:
        return dec.decode(doc["root"])
    except (KeyError, TypeError, AttributeError) as e:
        raise dec.bad(f"{type(e).__name__}: {e}") from None
