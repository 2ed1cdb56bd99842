"""``kernels.save`` / ``kernels.load`` (what ``torch.save`` / ``torch.load`` map onto).

Three file formats, told apart by content when loading:

1. The pickle-free checkpoint (the default for state_dicts and nested containers of tensors): a
   NumPy ``.npz`` (zip) archive holding one ``.npy`` member per tensor / NumPy array (``a0``,
   ``a1``, ...); a member ``__kernels_structure__``, a uint8 array of UTF-8 JSON describing the
   nested object and recording each array member's size and CRC-32; and the zip comment
   ``kernels.checkpoint crc32=XXXXXXXX``, the CRC-32 of every byte before it, so a flipped bit
   anywhere is caught. ``np.load(path)`` reads it; loading it never runs code.
2. kernels' pickled checkpoint, written when ``obj`` holds something format 1 cannot (an
   ``nn.Module``, a custom class...), as torch.save pickles anything: see
   ``kernels._pickle_format`` (zip comment ``kernels.pickle crc32=...``). As in torch 2.6+,
   ``load`` unpickles it only through a restricted unpickler by default (``weights_only=True``:
   plain containers and the classes registered with :func:`add_safe_globals` /
   :class:`safe_globals`), and fully only with ``weights_only=False``.
3. PyTorch's zip format (``torch.save``'s files, and ``save(obj, f, format="torch")``, which
   real ``torch.load(f, weights_only=True)`` reads): see ``kernels.torch_format``.

The bytes of format 1 (writing and validating the archive) are ``kernels._checkpoint_format``'s;
this module turns objects into its structure and back. ``load`` refuses, with one ValueError
naming the file and the problem, anything it cannot load intact: other zips and ``.npy`` files,
truncated or altered files, object arrays, unknown dtypes, member names other than ``a<N>.npy`` /
the structure, disallowed globals in pickles, torch's legacy non-zip format, and archives whose
declared (uncompressed) size exceeds a limit, checked before anything is inflated: by default
16 GiB, or ``load(..., max_bytes=N)``, or the environment variable ``KERNELS_LOAD_MAX_BYTES``
(bytes, or with a K/M/G/T suffix, powers of 1024). Files of format version 1 (no checksums; the
zip's own per-member CRC-32 still applies) are still read.

Writes (every format) are atomic: the file goes to a temporary ``.<name>.tmp-<pid>-<random>`` in
the destination folder, is flushed and ``fsync``-ed, then ``os.replace``-d over the destination
and the folder is ``fsync``-ed. A crash mid-write leaves the previous file intact; a temporary
left by a process that was killed outright (SIGKILL, power loss) is removed by the next save to
the same name once that process is gone. ``f`` may also be a binary file object (BytesIO...),
written in place.

Values format 1 holds: ``kernels.Tensor`` (incl. ``nn.Parameter``; CUDA tensors are saved from
the host copy and come back on the same device unless ``map_location`` says otherwise),
``numpy.ndarray`` (not of Python objects) and NumPy scalars, ``bool``, ``int`` (any size),
``float`` (incl. nan/inf), ``complex``, ``str``, ``bytes``, ``None``, ``kernels.dtype``,
``kernels.device``, and ``dict`` (incl. ``OrderedDict``; keys may be str, int, float, bool, None
or tuples of those), ``list``, ``tuple`` nesting them. A tensor or array that appears several
times is stored once and comes back as one shared object (in every format).
"""
from __future__ import annotations

import collections
import os
import pickle
import re
import zipfile

import numpy as np

from . import _C
from ._checkpoint_format import MAX_BYTES_ENV, Refused, foreign, read_archive, write_archive
from ._checkpoint_format import _COMMENT_RE, _fsync_dir, _pid_alive, _temp_prefix  # noqa: F401
from ._checkpoint_format import atomic_write, open_for_reading, remove_stale_temporaries
from ._pickle_format import (  # noqa: F401  (the safe-globals registry is public here, as in torch)
    Disallowed, Unsupported, add_safe_globals, clear_safe_globals, disallowed_message,
    get_safe_globals, has_pickle_comment, read_pickled, safe_globals, write_pickled,
)
from ._checkpoint_format import write_array as _write_array
# The format's pieces under their old names here, for code that crafts or checks files by hand.
from ._checkpoint_format import (  # noqa: F401
    COMMENT_LEN as _COMMENT_LEN, COMMENT_PREFIX as _COMMENT_PREFIX, ChecksumWriter as _ChecksumWriter,
)
from ._device import as_device, numpy_dtype
from .nn.parameter import Parameter
from .tensor import tensor as make_tensor

__all__ = ["save", "load", "DEFAULT_MAX_BYTES", "add_safe_globals", "get_safe_globals",
           "clear_safe_globals", "safe_globals"]

#: The default bound on the uncompressed bytes a checkpoint may declare (16 GiB); see ``load``.
DEFAULT_MAX_BYTES = 16 << 30

# dtype names a structure may use: an explicit table, never an attribute lookup on _C.dtype
_DTYPES = {
    "float32": _C.dtype.float32,
    "float64": _C.dtype.float64,
    "int64": _C.dtype.int64,
    "int32": _C.dtype.int32,
    "int16": _C.dtype.int16,
    "int8": _C.dtype.int8,
    "uint8": _C.dtype.uint8,
    "bool": _C.dtype.bool,
}
_DEVICE_RE = re.compile(r"(cpu|cuda(:[0-9]{1,4})?)\Z")
_INT_RE = re.compile(r"-?[0-9]+\Z")


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


def _write_archive(fileobj, arrays, root, compress):
    # Each member goes through this module's _write_array, so that it can be replaced to stop a
    # save halfway (the crash tests do).
    write_archive(fileobj, arrays, root, compress, _write_array)


# the atomic-write helpers live with the format now (every format's writer shares them); the
# old names stay importable from here
_remove_stale_temporaries = remove_stale_temporaries

_FORMATS = ("kernels", "torch")


def save(obj, f, pickle_module=None, pickle_protocol=None, *, format="kernels", compress=False,
         _use_new_zipfile_serialization=True) -> None:
    """Save ``obj`` to ``f``: a path (str or os.PathLike), written exactly as named (no suffix is
    added) and atomically, or a writable binary file object (written in place, not atomically).

    ``format="kernels"`` (the default): an object made only of the values listed in the module
    docstring (a ``state_dict``, an optimizer's, nested dicts/lists of tensors and numbers) goes
    into the pickle-free ``.npz`` checkpoint, which ``load`` reads with ``weights_only=True``;
    anything else (an ``nn.Module``, a custom class...) is pickled instead (kernels' pickled
    checkpoint, see ``kernels._pickle_format``), which ``load`` opens only with
    ``weights_only=False``, as torch 2.6+ does. ``pickle_protocol`` sets that pickle's protocol.
    ``compress=True`` deflates the ``.npz`` arrays (smaller, slower).

    ``format="torch"``: PyTorch's own zip format, which real ``torch.load(f, weights_only=True)``
    reads (see ``kernels.torch_format``); ``obj`` may hold tensors, Parameters, numbers, strings,
    None, dtypes, devices and dicts/lists/tuples/sets of them.

    ``pickle_module`` may only be None or the standard ``pickle`` module (as torch's default).
    """
    if pickle_module is not None and pickle_module is not pickle:
        raise TypeError(f"save: pickle_module={getattr(pickle_module, '__name__', pickle_module)!r} "
                        "is not supported; only the standard pickle module is")
    if not _use_new_zipfile_serialization:
        raise ValueError("save: _use_new_zipfile_serialization=False (torch's legacy format) is "
                         "not supported; kernels writes zip files only")
    if format not in _FORMATS:
        raise ValueError(f"save: format must be one of {', '.join(map(repr, _FORMATS))}, got {format!r}")
    if format == "torch":
        from . import torch_format
        atomic_write(f, lambda fh: torch_format.write(fh, obj))
        return
    try:
        enc = _Encoder()
        root = enc.encode(obj)
    except TypeError as e:  # a value the pickle-free format cannot hold: pickle the object
        why = e
    else:
        arrays = dict(enc.arrays)
        atomic_write(f, lambda fh: _write_archive(fh, arrays, root, compress))
        return
    protocol = pickle.DEFAULT_PROTOCOL if pickle_protocol is None else pickle_protocol
    try:
        atomic_write(f, lambda fh: write_pickled(fh, obj, protocol, _write_array))
    except (pickle.PicklingError, TypeError, AttributeError) as e:
        raise TypeError(f"{why}; and pickling it failed too: {type(e).__name__}: {e}") from e


def _parse_size(text):
    m = re.fullmatch(r"\s*([0-9]+)\s*([kmgt]?)(?:i?b)?\s*", text, re.IGNORECASE)
    if m is None:
        raise ValueError(f"load: {MAX_BYTES_ENV}={text!r} is not a size (bytes, or a number with "
                         "a K, M, G or T suffix)")
    return int(m.group(1)) << (10 * "kmgt".find(m.group(2).lower()) + 10 if m.group(2) else 0)


def _resolve_max_bytes(max_bytes):
    if max_bytes is None:
        env = os.environ.get(MAX_BYTES_ENV, "").strip()
        return _parse_size(env) if env else DEFAULT_MAX_BYTES
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, (int, np.integer)):
        raise TypeError(f"load: max_bytes must be an int, got {type(max_bytes).__name__}")
    if max_bytes < 0:
        raise ValueError(f"load: max_bytes must be >= 0, got {max_bytes}")
    return int(max_bytes)


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


_KEY_KINDS = ("none", "bool", "int", "float", "str", "tuple")
_ARRAY_KINDS = ("ndarray", "npscalar", "tensor")


class _Decoder:
    def __init__(self, arrays, map_location):
        self.arrays = arrays
        self.where_to = _resolve_map_location(map_location)
        self._done = {}  # member -> decoded object (shared objects come back shared)
        self._kind = {}  # member -> the entry type that first used it

    @staticmethod
    def bad(msg):
        return foreign(msg)

    def field(self, node, name, kind):
        v = node.get(name)
        if not isinstance(v, kind) or (isinstance(v, bool) and kind is not bool):  # True is an int
            raise self.bad(f"entry {_short(node)} has a malformed {name!r} field")
        return v

    def decode(self, node, key=False):
        if not isinstance(node, dict) or not isinstance(node.get("t"), str):
            raise self.bad(f"malformed structure entry {_short(node)}")
        t = node["t"]
        if key and t not in _KEY_KINDS:
            raise self.bad(f"a dict key of type {t[:20]!r}")
        if t == "none":
            return None
        if t == "bool":
            return self.field(node, "v", bool)
        if t in ("int", "float", "complex", "bytes"):
            return self.number(node, t)
        if t == "str":
            return self.field(node, "v", str)
        if t == "dtype":
            name = self.field(node, "v", str)
            if name not in _DTYPES:
                raise self.bad(f"unknown dtype {name[:40]!r}")
            return _DTYPES[name]
        if t == "device":
            return as_device(self.device_string(node.get("v")))
        if t in ("dict", "odict"):
            out = collections.OrderedDict() if t == "odict" else {}
            for pair in self.field(node, "items", list):
                if not isinstance(pair, list) or len(pair) != 2:
                    raise self.bad(f"malformed dict item {_short(pair)}")
                out[self.decode(pair[0], key=True)] = self.decode(pair[1])
            return out
        if t in ("list", "tuple"):
            items = [self.decode(v, key=key) for v in self.field(node, "items", list)]
            return items if t == "list" else tuple(items)
        if t in _ARRAY_KINDS:
            return self.array_entry(node, t)
        raise self.bad(f"unknown entry type {t[:40]!r}")

    def number(self, node, t):
        try:
            if t == "int":
                v = self.field(node, "v", str)
                if not _INT_RE.match(v):
                    raise ValueError(f"{v[:40]!r} is not an integer")
                return int(v)
            if t == "float":
                return float.fromhex(self.field(node, "v", str))
            if t == "bytes":
                return bytes.fromhex(self.field(node, "v", str))
            v = self.field(node, "v", list)
            if len(v) != 2 or not all(isinstance(x, str) for x in v):
                raise ValueError("a complex number needs two hex strings")
            return complex(float.fromhex(v[0]), float.fromhex(v[1]))
        except (ValueError, OverflowError) as e:
            raise self.bad(f"bad {t} value: {e}") from None

    def device_string(self, v):
        if not isinstance(v, str) or not _DEVICE_RE.match(v):
            raise self.bad(f"bad device {_short(v)}")
        return v

    def array_entry(self, node, t):
        k = node.get("k")
        if not isinstance(k, str) or k not in self.arrays:
            raise self.bad(f"array member {_short(k)} is missing")
        if self._kind.setdefault(k, t) != t:
            raise self.bad(f"array member {k} is used both as {self._kind[k]} and {t}")
        if k in self._done:
            return self._done[k]
        arr = self.arrays[k]
        if t == "ndarray":
            out = arr
        elif t == "npscalar":
            if arr.ndim != 0:
                raise self.bad(f"the NumPy scalar in member {k} has shape {arr.shape}")
            out = arr[()]
        else:
            out = self.tensor(node, k, arr)
        self._done[k] = out
        return out

    def tensor(self, node, k, arr):
        name = self.field(node, "dtype", str)
        if name not in _DTYPES:
            raise self.bad(f"tensor {k} has the unknown dtype {name[:40]!r}")
        want = numpy_dtype(_DTYPES[name])
        if arr.dtype != want:
            if arr.dtype.newbyteorder("=") != want:
                raise self.bad(f"tensor {k} is stored as {arr.dtype} but described as {name}")
            arr = arr.astype(want)  # other byte order: same values, native layout
        device = self.device_string(node.get("device", "cpu"))
        for flag in ("parameter", "requires_grad"):
            if not isinstance(node.get(flag, False), bool):
                raise self.bad(f"tensor {k} has a malformed {flag!r} flag")
        out = make_tensor(arr, device=self.where_to(device))
        if node.get("parameter"):
            return Parameter(out, requires_grad=bool(node.get("requires_grad", False)))
        if node.get("requires_grad"):
            out.requires_grad_(True)
        return out


def _short(v):
    return repr(str(v)[:60])


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         max_bytes=None):
    """Load a checkpoint: one :func:`save` wrote (either format), or one ``torch.save`` wrote
    (PyTorch's zip format, see ``kernels.torch_format``); which one is told from the content.

    ``weights_only`` (default True, as torch 2.6+): pickle-free checkpoints load as they are;
    pickled ones (kernels' pickled checkpoints, torch's ``data.pkl``) go through a restricted
    unpickler that admits tensors, Parameters, dtypes, devices, plain containers and what
    :func:`add_safe_globals` registered, and refuses, naming it, any other global the file names
    (e.g. a whole ``nn.Module``, or ``os.system`` in a hostile file) without importing it.
    ``weights_only=False`` unpickles them fully: only for files you trust, since unpickling can
    run arbitrary code.

    ``map_location`` moves every tensor: None keeps each on the device it was saved from;
    a device or string (``"cpu"``, ``"cuda:0"``) sends all there; a dict maps saved device
    strings to new ones; a callable gets the saved device string and returns the device.
    ``pickle_module`` may only be None or ``pickle``; ``mmap`` is accepted for torch's signature
    and ignored (the file is read into memory).

    ``max_bytes`` bounds the uncompressed size the file may declare, checked before anything is
    inflated (default: the environment variable ``KERNELS_LOAD_MAX_BYTES`` if set, else
    :data:`DEFAULT_MAX_BYTES`, 16 GiB). The whole file is read once to verify its checksum
    before it is parsed.

    Raises FileNotFoundError when the path does not exist, and one ValueError naming the file and
    what is wrong for anything else it cannot load: foreign or empty files, torch's legacy
    (non-zip) format, truncated or altered files, object arrays, unknown dtypes or member names,
    disallowed globals, sizes beyond ``max_bytes``.
    """
    if pickle_module is not None and pickle_module is not pickle:
        raise TypeError(f"load: pickle_module={getattr(pickle_module, '__name__', pickle_module)!r} "
                        "is not supported; only the standard pickle module is")
    if weights_only is None:
        weights_only = True
    if not isinstance(weights_only, bool):
        raise TypeError(f"load: weights_only must be a bool, got {type(weights_only).__name__}")
    limit = _resolve_max_bytes(max_bytes)
    opened, path = open_for_reading(f)
    with opened as fh:
        return _load(fh, path, map_location, limit, weights_only)


# torch.save(..., _use_new_zipfile_serialization=False) starts with the pickled magic number
_LEGACY_TORCH = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2)


def _sniff(fh):
    """-> "torch", "pickled" (kernels' pickled checkpoint) or "npz" (everything else goes to the
    .npz reader, whose checks name what is wrong); refuses the formats recognisably not ours."""
    try:
        start = fh.tell()
        head = fh.read(16)
        fh.seek(0, os.SEEK_END)
        end = fh.tell()
    except Exception:  # the .npz reader reports unreadable / unseekable files
        return "npz"
    try:
        if not isinstance(head, bytes):
            return "npz"
        if head.startswith(_LEGACY_TORCH[:4]) and head.startswith(_LEGACY_TORCH[:14]):
            raise Refused("is in PyTorch's legacy (pre-1.6, non-zip) format, which kernels does not "
                          "read; load it in torch and save it again with torch.save (zip format)")
        if len(head) > 1 and head[0] == 0x80 and 2 <= head[1] <= 5:  # pickle's PROTO opcode
            raise Refused("is a plain pickle file; kernels.load reads kernels checkpoints and "
                          "PyTorch zip checkpoints only")
        if len(head) >= 9 and head[8:9] == b"{" and 2 <= int.from_bytes(head[:8], "little") <= end - 8:
            raise Refused("is a safetensors file: read it with kernels.safetensors.load_file")
        if not head.startswith(b"PK\x03\x04"):
            return "npz"
        if has_pickle_comment(fh, start, end):
            return "pickled"
        if end - start > _COMMENT_LEN:
            fh.seek(end - _COMMENT_LEN)
            if _COMMENT_RE.match(fh.read(_COMMENT_LEN)):
                return "npz"
        fh.seek(start)
        try:
            with zipfile.ZipFile(fh) as zf:
                names = zf.namelist()
        except Exception:  # a damaged zip: the .npz reader says how
            return "npz"
        from .torch_format import is_torch_archive
        return "torch" if is_torch_archive(names) else "npz"
    finally:
        fh.seek(start)


def _rebuilder(map_location):
    """-> make(arr, dtype name, device string, is_parameter, requires_grad) for pickled files."""
    where_to = _resolve_map_location(map_location)

    def make(arr, name, device, parameter, requires_grad):
        if name not in _DTYPES or arr.dtype.newbyteorder("=") != numpy_dtype(_DTYPES[name]):
            raise foreign(f"a tensor stored as {arr.dtype} is described as {name[:40]!r}")
        if not _DEVICE_RE.match(device):
            raise foreign(f"bad device {_short(device)}")
        out = make_tensor(arr.astype(numpy_dtype(_DTYPES[name]), copy=False),
                          device=where_to(device))
        if parameter:
            return Parameter(out, requires_grad=requires_grad)
        if requires_grad:
            out.requires_grad_(True)
        return out

    return make


def _load(fh, path, map_location, limit, weights_only=True):
    try:
        kind = _sniff(fh)
        if kind == "torch":
            from . import torch_format
            return torch_format.read(fh, _resolve_map_location(map_location), limit, weights_only)
        if kind == "pickled":
            return read_pickled(fh, limit, weights_only, _rebuilder(map_location))
        doc, arrays = read_archive(fh, limit)
        dec = _Decoder(arrays, map_location)
        try:
            return dec.decode(doc["root"])
        except RecursionError:
            raise foreign("the structure is nested too deeply") from None
        except (KeyError, TypeError, AttributeError, IndexError) as e:
            raise foreign(f"malformed structure: {type(e).__name__}: {e}") from None
    except Refused as e:
        raise ValueError(f"load: {path} {e}") from None
    except Disallowed as e:
        raise ValueError(f"load: {path} {disallowed_message(e.args[0])}") from None
    except Unsupported as e:
        raise ValueError(f"load: {path} cannot be loaded: it holds {e.args[0]}") from None
