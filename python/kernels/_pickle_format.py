"""Pickle, kept on a leash: the safe-globals registry, the restricted unpickler that both pickled
formats ``kernels.load`` reads share (kernels' own pickled checkpoints and PyTorch's ``.pt``
files), and kernels' pickled checkpoint format itself.

Why a restricted unpickler: unpickling calls whatever callables the file names (``os.system``
included). ``weights_only=True`` (the default, as in torch 2.6+) therefore resolves each global
the file names through an explicit table -- the handful of container types torch itself admits,
plus whatever the user registered with :func:`add_safe_globals` -- and refuses anything else by
name before it is ever imported or called.

kernels' pickled checkpoint (what ``kernels.save`` writes for an object the pickle-free ``.npz``
format cannot hold, e.g. a whole ``nn.Module``) is a zip of

* ``a0.npy``, ``a1.npy``, ...: the tensors' and NumPy arrays' bytes, one ``.npy`` each;
* ``__kernels_pickle__.pkl``: the pickle, in which each tensor, array, dtype and device is a
  persistent id (so tensors' bytes never pass through pickle and tensors need no global);
* the zip comment ``kernels.pickle crc32=XXXXXXXX`` (CRC-32 of every byte before it), which is
  also what tells it apart from the pickle-free format (``kernels.checkpoint crc32=...``).
"""
from __future__ import annotations

import codecs
import collections
import io
import pickle
import re
import zipfile

import numpy as np

from . import _C
from ._checkpoint_format import (
    _ARCHIVE_ERRORS, ChecksumWriter, Refused, _file_crc, _read_npy, damaged, write_array,
)
from ._device import as_device

__all__ = ["add_safe_globals", "get_safe_globals", "clear_safe_globals", "safe_globals"]

PICKLE_MEMBER = "__kernels_pickle__.pkl"
PICKLE_COMMENT_PREFIX = b"kernels.pickle crc32="
PICKLE_COMMENT_LEN = len(PICKLE_COMMENT_PREFIX) + 8
_PICKLE_COMMENT_RE = re.compile(rb"kernels\.pickle crc32=([0-9a-f]{8})\Z")
_MEMBER_RE = re.compile(r"(a(?:0|[1-9][0-9]{0,8})\.npy|__kernels_pickle__\.pkl)\Z")

# ---------------------------------------------------------------- the safe-globals registry

_SAFE = {}  # "module.qualname" -> what was registered (an object, or an (object, name) pair)


def _registered_name(item):
    if isinstance(item, tuple):
        if len(item) != 2 or not isinstance(item[1], str):
            raise TypeError(f"add_safe_globals: a tuple entry must be (object, 'module.name'), got {item!r}")
        return item[1]
    module, qual = getattr(item, "__module__", None), getattr(item, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qual, str):
        raise TypeError(f"add_safe_globals: {item!r} has no __module__/__qualname__; pass it as "
                        "(object, 'module.name')")
    return f"{module}.{qual}"


def add_safe_globals(safe_globals: list) -> None:
    """Allow ``kernels.load(..., weights_only=True)`` to unpickle these classes / functions (as
    ``torch.serialization.add_safe_globals``). Each entry is an object (found under its
    ``__module__.__qualname__``) or an ``(object, "module.name")`` pair for one saved elsewhere."""
    if not isinstance(safe_globals, (list, tuple, set)):
        raise TypeError(f"add_safe_globals: expected a list, got {type(safe_globals).__name__}")
    for item in safe_globals:
        _SAFE[_registered_name(item)] = item


def get_safe_globals() -> list:
    """The entries :func:`add_safe_globals` registered, in order."""
    return list(_SAFE.values())


def clear_safe_globals() -> None:
    """Forget every entry :func:`add_safe_globals` registered."""
    _SAFE.clear()


class safe_globals:
    """``with safe_globals([Cls, ...]):`` -- the entries are allowed inside the block only."""

    def __init__(self, safe_globals: list):
        self.safe_globals = safe_globals
        self._saved = None

    def __enter__(self):
        self._saved = dict(_SAFE)
        add_safe_globals(self.safe_globals)
        return self

    def __exit__(self, *exc):
        _SAFE.clear()
        _SAFE.update(self._saved)
        return False


def _lookup_registered(full):
    item = _SAFE.get(full)
    if item is None:
        return None
    return item[0] if isinstance(item, tuple) else item


# ---------------------------------------------------------------- the restricted unpickler


class Disallowed(Exception):
    """The pickle names a global that weights_only=True does not admit (``args[0]``: its name)."""


class Unsupported(Exception):
    """The pickle holds something this library cannot rebuild (message in ``args[0]``)."""


def _bytes_from_latin1(obj, encoding="latin1", errors="strict"):
    # protocol 2 pickles bytes as _codecs.encode(str, "latin1"); admit exactly that use
    if not isinstance(obj, str) or encoding not in ("latin1", "latin-1") or errors != "strict":
        raise Unsupported(f"_codecs.encode called with {type(obj).__name__}, {encoding!r}: only "
                          "encode(str, 'latin1') (how pickle writes bytes) is allowed")
    return codecs.encode(obj, "latin1")


def _bytearray(*args):
    # bytearray(n) would let a 20-byte pickle ask for any amount of memory: only copies allowed
    if len(args) > 1 or (args and not isinstance(args[0], (bytes, bytearray, list, str))):
        raise Unsupported("builtins.bytearray is only allowed on bytes or lists of ints")
    if args and isinstance(args[0], str):
        return bytearray(args[0], "latin1")
    return bytearray(*args)


#: What weights_only=True admits in any pickled file (torch admits the same containers).
BASE_ALLOWED = {
    "collections.OrderedDict": collections.OrderedDict,
    "collections.Counter": collections.Counter,
    "builtins.set": set,
    "builtins.frozenset": frozenset,
    "builtins.complex": complex,
    "builtins.bytearray": _bytearray,
    "_codecs.encode": _bytes_from_latin1,
}
_PY2_MODULES = {"__builtin__": "builtins", "copy_reg": "copyreg"}


def _registered_type(t):
    return any(item is t or (isinstance(item, tuple) and item[0] is t) for item in _SAFE.values())


class RestrictedUnpickler(pickle._Unpickler):
    """``find_class`` answers from ``allowed`` and the registry; anything else raises Disallowed
    (``weights_only``) or is imported as plain pickle would (``weights_only=False``, for trusted
    files; ``refuse(full)`` may still veto a name there, returning a message).

    The pure-Python unpickler, because with ``weights_only`` the BUILD opcode (which sets an
    object's state, calling its ``__setstate__``) must be restricted too, as torch does: only
    OrderedDict / Counter (a state_dict's ``_metadata``) and registered classes may be BUILT.
    The C unpickler offers no hook for that. The pickles are small (tensor bytes live outside)."""

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file, allowed, persistent_load, weights_only=True, refuse=None):
        super().__init__(file, encoding="utf-8")
        self._allowed = allowed
        self._persistent = persistent_load
        self._weights_only = weights_only
        self._refuse = refuse

    def find_class(self, module, name):
        module = _PY2_MODULES.get(module, module)
        full = f"{module}.{name}"
        if full in self._allowed:
            return self._allowed[full]
        found = _lookup_registered(full)
        if found is not None:
            return found
        if self._refuse is not None:
            why = self._refuse(full)
            if why:
                raise Unsupported(why)
        if self._weights_only:
            raise Disallowed(full)
        return super().find_class(module, name)

    def persistent_load(self, pid):
        return self._persistent(pid)

    def _load_build(self):
        inst, state = self.stack[-2], self.stack[-1]
        t = type(inst)
        if not self._weights_only or _registered_type(t):
            return pickle._Unpickler.load_build(self)
        if t in (collections.OrderedDict, collections.Counter) and isinstance(state, dict) \
                and all(isinstance(k, str) for k in state):
            self.stack.pop()
            inst.__dict__.update(state)
            return
        raise Unsupported(f"a pickle BUILD (set-state) on a {t.__name__}, which weights_only=True "
                          "allows only on OrderedDict and registered safe globals")

    dispatch[pickle.BUILD[0]] = _load_build


def unpickle(data, allowed, persistent_load, weights_only, refuse=None):
    """Unpickle ``data`` (bytes); problems come back as Refused, Disallowed or Unsupported."""
    up = RestrictedUnpickler(io.BytesIO(data), allowed, persistent_load, weights_only, refuse)
    try:
        return up.load()
    except (Disallowed, Unsupported, Refused):
        raise
    except RecursionError:  # the unpickler is iterative, but rebuilding nested objects is not
        raise damaged("its pickle is nested too deeply") from None
    except Exception as e:  # truncated / malformed pickles raise many kinds
        if not weights_only and not isinstance(e, (pickle.UnpicklingError, EOFError)):
            raise  # a trusted file's own classes failing to rebuild: the user's error, as is
        raise damaged(f"its pickle is malformed: {type(e).__name__}: {e}") from None


def disallowed_message(full, hint=""):
    return (f"holds pickled Python objects: it names the global {full!r}, which weights_only=True "
            f"does not allow, because unpickling can run arbitrary code{hint}. Pass "
            f"weights_only=False only if you trust the file, or allow the class with "
            f"kernels.serialization.add_safe_globals([{full.rsplit('.', 1)[-1]}])")


# ---------------------------------------------------------------- kernels' pickled checkpoints


class _KernelsPickler(pickle.Pickler):
    """Tensors, arrays, dtypes and devices leave the pickle as persistent ids; the rest pickles."""

    def __init__(self, file, protocol, arrays):
        super().__init__(file, protocol=protocol)
        self.arrays = arrays  # member name -> ndarray
        self._memo = {}  # id(obj) -> member (shared tensors stored once)
        self._keep = []  # keep memoised objects alive so ids stay unique

    def _member(self, obj, make):
        key = self._memo.get(id(obj))
        if key is None:
            key = f"a{len(self.arrays)}"
            self.arrays[key] = make()
            self._memo[id(obj)] = key
            self._keep.append(obj)
        return key

    def persistent_id(self, obj):
        from .nn.parameter import Parameter
        t = type(obj)
        if t is _C.Tensor or t is Parameter:
            key = self._member(obj, lambda: _host_array(obj))
            return ("tensor", key, obj.dtype.name, str(obj.device), t is Parameter,
                    bool(obj.requires_grad))
        if t is np.ndarray and not obj.dtype.hasobject:
            return ("ndarray", self._member(obj, lambda: np.array(obj, copy=True)))
        if t is _C.dtype:
            return ("dtype", obj.name)
        if t is _C.device:
            return ("device", str(obj))
        return None


def _host_array(t):
    host = t.detach()
    if host.is_cuda:
        host = _C.to_device(host, _C.device("cpu"))
    return np.array(host.numpy(), copy=True)  # own the bytes: the tensor may change later


def write_pickled(fh, obj, protocol, write_member=write_array):
    """Stream kernels' pickled checkpoint of ``obj`` to ``fh`` (pickling errors propagate before
    anything is written)."""
    arrays = {}
    buf = io.BytesIO()
    _KernelsPickler(buf, protocol, arrays).dump(obj)
    out = ChecksumWriter(fh, PICKLE_COMMENT_PREFIX)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, arr in arrays.items():
            write_member(zf, name, arr)
        with zf.open(PICKLE_MEMBER, "w", force_zip64=True) as m:
            m.write(buf.getbuffer())
        zf.comment = PICKLE_COMMENT_PREFIX + b"0" * 8
    out.finish()
    out.flush()


def has_pickle_comment(fh, start, end):
    if end - start <= PICKLE_COMMENT_LEN:
        return False
    fh.seek(end - PICKLE_COMMENT_LEN)
    return _PICKLE_COMMENT_RE.match(fh.read(PICKLE_COMMENT_LEN)) is not None


def read_pickled(fh, limit, weights_only, make_tensor_from):
    """Load kernels' pickled checkpoint from ``fh``; raises Refused / Disallowed / Unsupported.

    ``make_tensor_from(arr, dtype_name, device_str, is_parameter, requires_grad)`` rebuilds a
    tensor (map_location is the caller's business)."""
    start = fh.tell()
    fh.seek(0, 2)
    end = fh.tell()
    fh.seek(end - PICKLE_COMMENT_LEN)
    recorded = _PICKLE_COMMENT_RE.match(fh.read(PICKLE_COMMENT_LEN)).group(1)
    got = _file_crc(fh, start, end - PICKLE_COMMENT_LEN)
    if got != int(recorded, 16):
        raise damaged(f"file checksum mismatch: crc32 {got:08x}, recorded {recorded.decode()}: "
                      "the file was altered after it was written")
    fh.seek(start)
    try:
        zf = zipfile.ZipFile(fh)
    except _ARCHIVE_ERRORS as e:
        raise damaged(f"truncated or corrupt zip archive: {type(e).__name__}: {e}") from None
    with zf:
        infos = {}
        for info in zf.infolist():
            if not _MEMBER_RE.match(info.filename) or info.filename in infos:
                raise damaged(f"unexpected or repeated member {info.filename[:80]!r}")
            if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:
                raise damaged(f"member {info.filename} is compressed or encrypted")
            infos[info.filename] = info
        if PICKLE_MEMBER not in infos:
            raise damaged(f"the {PICKLE_MEMBER} member is missing")
        total = sum(i.file_size for i in infos.values())
        if total > limit:
            raise Refused(f"declares {total:,} bytes of uncompressed data, more than the limit of "
                          f"{limit:,} bytes (pass max_bytes= to kernels.load to allow more)")
        try:
            data = zf.read(PICKLE_MEMBER)
            arrays = {k[:-4]: _read_npy(zf, i) for k, i in infos.items() if k.endswith(".npy")}
        except _ARCHIVE_ERRORS as e:
            raise damaged(f"{type(e).__name__}: {e}") from None
    done = {}

    def persistent_load(pid):
        if not isinstance(pid, tuple) or not pid or not isinstance(pid[0], str):
            raise damaged(f"malformed persistent id {str(pid)[:60]!r}")
        kind = pid[0]
        if kind == "dtype" and len(pid) == 2 and pid[1] in _C.dtype.__members__:
            return _C.dtype.__members__[pid[1]]
        if kind == "device" and len(pid) == 2 and isinstance(pid[1], str):
            return as_device(pid[1])
        if kind in ("tensor", "ndarray") and len(pid) >= 2 and pid[1] in arrays:
            key = pid[1]
            if key not in done:
                if kind == "ndarray" and len(pid) == 2:
                    done[key] = arrays[key]
                elif kind == "tensor" and len(pid) == 6 and isinstance(pid[2], str) \
                        and isinstance(pid[3], str) and all(isinstance(x, bool) for x in pid[4:]):
                    done[key] = make_tensor_from(arrays[key], *pid[2:])
                else:
                    raise damaged(f"malformed persistent id {str(pid)[:60]!r}")
            return done[key]
        raise damaged(f"unknown persistent id {str(pid)[:60]!r}")

    return unpickle(data, BASE_ALLOWED, persistent_load, weights_only)
