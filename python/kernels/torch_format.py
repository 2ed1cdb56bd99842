"""PyTorch's checkpoint format (what ``torch.save`` writes since 1.6), read and written without
torch installed.

The format: a zip whose members all sit under one folder ``<name>/`` (torch writes
``archive/``): ``data.pkl`` (a protocol-2 pickle of the object), ``data/<key>`` (the raw
little-endian bytes of each storage), ``byteorder`` (``little``/``big``), ``version`` and a few
bookkeeping records. In the pickle a tensor is
``torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks)``
where ``storage`` is the persistent id ``("storage", torch.FloatStorage, key, location, numel)``;
a parameter wraps that in ``torch._utils._rebuild_parameter(tensor, requires_grad, hooks)``.

``kernels.load`` (through :func:`read`) rebuilds those as kernels tensors (Parameters stay Parameters) through the restricted
unpickler of ``kernels._pickle_format``: it admits only what ``torch.load(weights_only=True)``
admits (the rebuild functions, storage and dtype names, ``torch.device``, ``torch.Size``,
``collections.OrderedDict`` and plain containers) plus what ``add_safe_globals`` registered, and
refuses any other global by name, never importing it. A tensor that views part of a storage
(offset, strides) is copied out of it; tensors viewing the same bytes the same way come back as
one shared tensor, other views of a shared storage as separate copies (kernels tensors cannot
alias a storage at arbitrary strides). dtypes kernels does not have are refused naming the entry.

:func:`save` writes a file real ``torch.load(f, weights_only=True)`` opens: the pickle is written
by the pure-Python ``pickle._Pickler`` because the torch globals it must name (``torch._utils
._rebuild_tensor_v2``...) cannot be imported here, and the C pickler insists on importing every
global it writes. Records are 64-byte aligned (torch's ``mmap=True`` relies on that).
"""
from __future__ import annotations

import collections
import io
import math
import pickle
import re
import struct
import zipfile

import numpy as np

from . import _C
from ._checkpoint_format import _ARCHIVE_ERRORS, Refused, atomic_write, damaged
from ._device import as_device, numpy_dtype
from ._pickle_format import BASE_ALLOWED, Unsupported, unpickle

__all__ = ["save", "write", "read", "is_torch_archive"]

_ALIGN = 64
_DEVICE_RE = re.compile(r"(cpu|cuda(:[0-9]{1,4})?)\Z")

# torch's legacy storage class names -> the element dtype (NumPy name)
_STORAGE_DTYPES = {
    "FloatStorage": "float32", "DoubleStorage": "float64", "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32",
    "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8", "BoolStorage": "bool",
    "ComplexFloatStorage": "complex64", "ComplexDoubleStorage": "complex128",
}
_STORAGE_FOR = {v: k for k, v in _STORAGE_DTYPES.items()}
_TORCH_DTYPES = ("float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8",
                 "uint8", "bool", "complex64", "complex128")


def _kernels_dtype(name):
    """kernels' dtype called ``name``, or None (asked at run time: dtypes get added)."""
    return _C.dtype.__members__.get(name)


class _StorageType:
    """Stands for ``torch.FloatStorage`` & co. inside a pickle; only a persistent id may use it."""

    def __init__(self, name, dtype):
        self.name, self.dtype = name, dtype

    def __repr__(self):
        return f"torch.{self.name}"


class _TypeMarker:
    """Stands for ``torch.Tensor`` / ``torch.nn.parameter.Parameter`` as ``_rebuild_from_type_v2``'s
    ``new_type``."""

    def __init__(self, name):
        self.name = name


class _Storage:
    def __init__(self, key, array, location, dtype):
        self.key, self.array, self.location, self.dtype = key, array, location, dtype


class _Missing:
    """A tensor whose dtype kernels lacks; reported, with where it sits, after unpickling."""

    def __init__(self, dtype, shape, parameter=False):
        self.dtype, self.shape, self.parameter = dtype, shape, parameter


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


class _Reader:
    """The state of one torch-format load: its records, storages and tensors."""

    def __init__(self, zf, prefix, where_to, limit):
        self.zf, self.prefix, self.where_to, self.limit = zf, prefix, where_to, limit
        self.storages = {}  # key -> _Storage
        self.tensors = {}  # (key, offset, size, stride, requires_grad) -> tensor
        self.materialised = 0  # bytes of tensors built so far, bounded by limit
        self.big_endian = False

    # -- persistent ids: ("storage", storage type, key, location, numel)
    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise damaged(f"malformed persistent id {str(pid)[:80]!r}")
        _, stype, key, location, numel = pid
        if not isinstance(stype, _StorageType):
            raise damaged(f"persistent id with storage type {str(stype)[:60]!r}")
        if not isinstance(key, str) or not re.fullmatch(r"[0-9A-Za-z_.-]{1,64}", key):
            raise damaged(f"bad storage key {str(key)[:60]!r}")
        if not isinstance(location, str) or not _DEVICE_RE.match(location):
            raise Unsupported(f"storage {key} lives on {str(location)[:40]!r}; kernels loads "
                              "cpu and cuda storages only (pass map_location='cpu' in torch)")
        if not _is_int(numel) or numel < 0:
            raise damaged(f"storage {key} has the bad element count {numel!r}")
        if key in self.storages:
            if self.storages[key].dtype != stype.dtype:
                raise damaged(f"storage {key} is used both as {self.storages[key].dtype} and "
                              f"{stype.dtype}")
            return self.storages[key]
        if stype.dtype == "bfloat16":  # NumPy has no bfloat16; keep the raw bits
            np_dtype = np.dtype("<u2")
        else:
            np_dtype = np.dtype(stype.dtype).newbyteorder(">" if self.big_endian else "<")
        name = f"{self.prefix}data/{key}"
        try:
            info = self.zf.getinfo(name)
        except KeyError:
            raise damaged(f"storage {key} has no record {name!r}") from None
        if info.file_size != numel * np_dtype.itemsize:
            raise damaged(f"storage {key} declares {numel:,} elements of {stype.dtype} "
                          f"({numel * np_dtype.itemsize:,} bytes) but its record holds "
                          f"{info.file_size:,} bytes")
        raw = self.zf.read(info)
        arr = np.frombuffer(raw, dtype=np_dtype)
        if not arr.dtype.isnative:
            arr = arr.astype(arr.dtype.newbyteorder("="))
        self.storages[key] = _Storage(key, arr, location, stype.dtype)
        return self.storages[key]

    # -- torch._utils._rebuild_tensor_v2
    def rebuild_tensor(self, storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None):
        if not isinstance(storage, _Storage):
            raise damaged(f"_rebuild_tensor_v2 got {type(storage).__name__}, not a storage")
        size, stride = tuple(size) if isinstance(size, (tuple, list)) else size, \
            tuple(stride) if isinstance(stride, (tuple, list)) else stride
        if not (isinstance(size, tuple) and isinstance(stride, tuple) and len(size) == len(stride)
                and all(_is_int(s) and s >= 0 for s in size + stride) and _is_int(storage_offset)
                and storage_offset >= 0 and isinstance(requires_grad, bool)):
            raise damaged(f"tensor on storage {storage.key} has malformed geometry: size "
                          f"{str(size)[:60]}, stride {str(stride)[:60]}, offset {storage_offset!r}")
        memo = (storage.key, storage_offset, size, stride, requires_grad)
        if memo in self.tensors:
            return self.tensors[memo]
        arr = storage.array
        count = math.prod(size)
        if count:
            last = storage_offset + sum((n - 1) * s for n, s in zip(size, stride))
            if last >= arr.size:
                raise damaged(f"tensor of size {size}, stride {stride}, offset {storage_offset} "
                              f"reaches element {last:,} of storage {storage.key}, which has "
                              f"{arr.size:,}")
        self.materialised += count * arr.itemsize
        if self.materialised > self.limit:
            raise Refused(f"its tensors need more than the limit of {self.limit:,} bytes (pass "
                          "max_bytes= to kernels.load to allow more)")
        dtype = storage.dtype  # the storage type's, not NumPy's (bfloat16 is held as uint16)
        kdtype = _kernels_dtype(dtype) if dtype != "bfloat16" else None
        if kdtype is None:
            out = _Missing(dtype, size)
        else:
            view = np.lib.stride_tricks.as_strided(
                arr[storage_offset:] if count else arr[:0], shape=size,
                strides=tuple(s * arr.itemsize for s in stride)) if count else np.empty(size, arr.dtype)
            data = np.array(view, dtype=numpy_dtype(kdtype), copy=True)
            from .tensor import tensor as make_tensor
            try:
                out = make_tensor(data, device=self.where_to(storage.location))
            except RuntimeError as e:  # e.g. a CUDA checkpoint on a build without CUDA
                raise Unsupported(f"a tensor saved on {storage.location!r} that cannot go there: "
                                  f"{e} (pass map_location='cpu' to load it on the CPU)") from None
            if requires_grad:
                out.requires_grad_(True)
        self.tensors[memo] = out
        return out

    # -- torch._utils._rebuild_parameter(_with_state)
    def rebuild_parameter(self, data, requires_grad, backward_hooks=None, state=None):
        from .nn.parameter import Parameter
        if state:
            raise Unsupported("a Parameter with extra Python attributes (_rebuild_parameter_with_"
                              "state): kernels does not rebuild those")
        if isinstance(data, _Missing):
            return _Missing(data.dtype, data.shape, parameter=True)
        if not isinstance(data, _C.Tensor) or not isinstance(requires_grad, bool):
            raise damaged("_rebuild_parameter got something other than (tensor, bool, hooks)")
        return Parameter(data, requires_grad)

    # -- torch._tensor._rebuild_from_type_v2(func, new_type, args, state)
    def rebuild_from_type(self, func, new_type, args, state):
        if func not in (self.rebuild_tensor, self.rebuild_parameter) \
                or not isinstance(new_type, _TypeMarker) or not isinstance(args, tuple):
            raise Unsupported("a tensor subclass (_rebuild_from_type_v2 with "
                              f"{getattr(new_type, 'name', type(new_type).__name__)}); kernels "
                              "rebuilds plain tensors and Parameters only")
        if state:
            raise Unsupported("a tensor with extra Python attributes; kernels does not rebuild those")
        out = func(*args)
        if new_type.name == "Parameter" and not isinstance(out, _Missing):
            from .nn.parameter import Parameter
            if not isinstance(out, Parameter):
                out = Parameter(out, out.requires_grad)
        return out

    def allowed(self):
        table = dict(BASE_ALLOWED)
        table.update({
            "torch._utils._rebuild_tensor_v2": self.rebuild_tensor,
            "torch._utils._rebuild_parameter": self.rebuild_parameter,
            "torch._utils._rebuild_parameter_with_state": self.rebuild_parameter,
            "torch._tensor._rebuild_from_type_v2": self.rebuild_from_type,
            "torch.Tensor": _TypeMarker("Tensor"),
            "torch.nn.parameter.Parameter": _TypeMarker("Parameter"),
            "torch.Size": _size,
            "torch.device": _device,
            "torch.storage.UntypedStorage": _StorageType("UntypedStorage", "uint8"),
        })
        for name, dtype in _STORAGE_DTYPES.items():
            table[f"torch.{name}"] = _StorageType(name, dtype)
        for name in _TORCH_DTYPES:
            table[f"torch.{name}"] = _DtypeValue(name)
        return table


def _size(*args):
    if len(args) != 1 or not isinstance(args[0], (tuple, list)) or not all(_is_int(v) for v in args[0]):
        raise damaged("torch.Size called with something other than a tuple of ints")
    return tuple(args[0])


def _device(*args):
    if len(args) == 1 and isinstance(args[0], str):
        text = args[0]
    elif len(args) == 2 and isinstance(args[0], str) and (_is_int(args[1]) or args[1] is None):
        text = args[0] if args[1] is None else f"{args[0]}:{args[1]}"
    else:
        raise damaged(f"torch.device called with {str(args)[:60]}")
    if not _DEVICE_RE.match(text):
        raise Unsupported(f"the device {text[:40]!r}; kernels has cpu and cuda devices only")
    return as_device(text)


class _DtypeValue:
    """``torch.float32`` & co. as a value (not a storage): kernels' dtype once the pickle is done."""

    def __init__(self, name):
        self.name = name


def _refuse_torch(full):
    if full.startswith(("torch.", "__torch__.")):
        return (f"the torch object {full!r}, which kernels cannot rebuild (kernels reads "
                "tensors, Parameters and containers; save model.state_dict() in torch rather "
                "than the whole model)")
    return None


def _finish(obj, path="obj"):
    """Replace dtype stand-ins by kernels dtypes and refuse tensors of dtypes kernels lacks,
    naming where they sit. Containers are rebuilt in place (pickle may share or nest them)."""
    seen = set()

    def walk(o, where):
        if isinstance(o, _Missing):
            have = ", ".join(_C.dtype.__members__)
            raise Unsupported(f"the {'parameter' if o.parameter else 'tensor'} {where} has dtype "
                              f"{o.dtype} (shape {tuple(o.shape)}), which kernels does not have "
                              f"(it has {have}); convert it in torch (e.g. .float()) before saving")
        if isinstance(o, _DtypeValue):
            d = _kernels_dtype(o.name)
            if d is None:
                raise Unsupported(f"{where} is the dtype torch.{o.name}, which kernels does not have")
            return d
        if id(o) in seen or not isinstance(o, (dict, list, set)):
            if isinstance(o, tuple):
                return tuple(walk(v, f"{where}[{i}]") for i, v in enumerate(o))
            return o
        seen.add(id(o))
        if isinstance(o, dict):
            for k in list(o):
                o[k] = walk(o[k], f"{where}[{k!r}]")
        elif isinstance(o, list):
            for i, v in enumerate(o):
                o[i] = walk(v, f"{where}[{i}]")
        return o

    return walk(obj, path)


def is_torch_archive(names):
    """The folder prefix (``"archive/"``) if zip member ``names`` look like torch.save's, else None."""
    for name in names:
        m = re.fullmatch(r"([^/]{1,255}/)data\.pkl", name)
        if m:
            return m.group(1)
    return None


def read(fh, where_to, limit, weights_only=True):
    """Read a torch-format zip from the binary file ``fh`` (``kernels.load`` calls this when it
    finds one; use that); raises Refused / Disallowed / Unsupported, which ``kernels.load`` turns
    into one ValueError naming the file.
    ``where_to(location string)`` -> the kernels device for a storage saved at that location."""
    try:
        zf = zipfile.ZipFile(fh)
    except _ARCHIVE_ERRORS as e:
        raise damaged(f"truncated or corrupt zip archive: {type(e).__name__}: {e}") from None
    with zf:
        infos = zf.infolist()
        prefix = is_torch_archive(i.filename for i in infos)
        total = 0
        for info in infos:
            if not info.filename.startswith(prefix):
                raise damaged(f"member {info.filename[:80]!r} is outside the archive's folder {prefix!r}")
            if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise damaged(f"member {info.filename[:80]} is encrypted or oddly compressed")
            total += info.file_size
        if total > limit:
            raise Refused(f"declares {total:,} bytes of uncompressed data, more than the limit of "
                          f"{limit:,} bytes (pass max_bytes= to kernels.load to allow more)")
        reader = _Reader(zf, prefix, where_to, limit)
        try:
            names = {i.filename for i in infos}
            if prefix + "byteorder" in names:
                order = zf.read(prefix + "byteorder")
                if order not in (b"little", b"big"):
                    raise damaged(f"unknown byteorder record {order[:20]!r}")
                reader.big_endian = order == b"big"
            data = zf.read(prefix + "data.pkl")
            obj = unpickle(data, reader.allowed(), reader.persistent_load, weights_only,
                           refuse=_refuse_torch)
        except _ARCHIVE_ERRORS as e:
            raise damaged(f"{type(e).__name__}: {e}") from None
    try:
        return _finish(obj)
    except RecursionError:
        raise damaged("its pickle is nested too deeply") from None


# ---------------------------------------------------------------- writing


class _Global:
    """A global that pickle writes by name (``GLOBAL module name``) without importing it."""

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args):  # pickle's save_reduce insists on a callable
        raise RuntimeError(f"{self.module}.{self.name} is a stand-in for writing torch files")


_GLOBALS = {}


def _global(module, name):
    # one object per name, so pickle's memo writes each global once
    return _GLOBALS.setdefault((module, name), _Global(module, name))


class _StorageRef:
    def __init__(self, key, dtype, numel, location):
        self.key, self.dtype, self.numel, self.location = key, dtype, numel, location


class _TorchPickler(pickle._Pickler):
    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file, storages):
        super().__init__(file, protocol=2)
        self.storages = storages  # key -> little-endian contiguous ndarray

    def _save_global_standin(self, obj):
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("ascii"))
        self.memoize(obj)

    dispatch[_Global] = _save_global_standin

    def _save_dtype(self, obj):
        self.save(_global("torch", obj.name))
        self.memoize(obj)

    dispatch[_C.dtype] = _save_dtype

    def persistent_id(self, obj):
        if isinstance(obj, _StorageRef):
            return ("storage", _global("torch", _STORAGE_FOR[obj.dtype]), obj.key, obj.location,
                    obj.numel)
        return None

    def reducer_override(self, obj):
        from .nn.parameter import Parameter
        if isinstance(obj, _C.Tensor):
            if isinstance(obj, Parameter):
                inner = self._tensor_reduce(obj, False)
                return (_global("torch._utils", "_rebuild_parameter"),
                        (_Rebuilt(inner), bool(obj.requires_grad), collections.OrderedDict()))
            return self._tensor_reduce(obj, bool(obj.requires_grad))
        if isinstance(obj, _Rebuilt):
            return obj.reduce
        if isinstance(obj, _C.device):
            return (_global("torch", "device"), (str(obj),))
        return NotImplemented

    def _tensor_reduce(self, t, requires_grad):
        host = t.detach()
        location = str(host.device)
        if host.is_cuda:
            host = _C.to_device(host, _C.device("cpu"))
        arr = host.numpy()
        name = arr.dtype.name
        if name not in _STORAGE_FOR:
            raise TypeError(f"save(format='torch'): a tensor of dtype {name} has no torch storage type")
        # own the bytes (the tensor may change later), C order, little-endian; 0-d stays 0-d
        arr = np.array(arr, dtype=arr.dtype.newbyteorder("<"), order="C", copy=True)
        key = str(len(self.storages))
        self.storages[key] = arr
        shape = tuple(arr.shape)
        stride = tuple(math.prod(shape[i + 1:]) for i in range(len(shape)))
        ref = _StorageRef(key, name, arr.size, location)
        return (_global("torch._utils", "_rebuild_tensor_v2"),
                (ref, 0, shape, stride, requires_grad, collections.OrderedDict()))


class _Rebuilt:
    """A tensor's reduce tuple nested as an argument (a Parameter's data)."""

    def __init__(self, reduce):
        self.reduce = reduce


def _check_savable(obj, where="obj", seen=None):
    """TypeError naming the first value real torch.load(weights_only=True) could not read."""
    seen = set() if seen is None else seen
    if obj is None or isinstance(obj, (bool, int, float, complex, str, bytes, bytearray,
                                       _C.dtype, _C.device, _C.Tensor)):
        return
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if type(obj) in (dict, collections.OrderedDict):
        for k, v in obj.items():
            _check_savable(k, f"{where} key {k!r}", seen)
            _check_savable(v, f"{where}[{k!r}]", seen)
        for k, v in getattr(obj, "__dict__", {}).items():  # a state_dict's _metadata
            _check_savable(v, f"{where}.{k}", seen)
        return
    if type(obj) in (list, tuple, set):
        for i, v in enumerate(obj):
            _check_savable(v, f"{where}[{i}]", seen)
        return
    raise TypeError(f"save(format='torch'): {where} has type {type(obj).__name__}, which "
                    "torch.load(weights_only=True) cannot read (tensors, numbers, strings, None, "
                    "dtypes, devices and dicts/lists/tuples/sets of them)")


def _record(zf, out, name, data, align):
    """One stored member; its data starts at a multiple of ``_ALIGN`` in the file if ``align``."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    data = memoryview(data).cast("B")
    info.file_size = len(data)
    zip64 = info.file_size * 1.05 > zipfile.ZIP64_LIMIT  # zipfile's own rule
    if align:
        # local header: 30 fixed bytes + name + extra (+ 20 for zip64); pad with an extra field
        # of id "FB" (what torch's writer uses) so the data lands on the boundary
        head = 30 + len(name.encode("utf-8")) + 4 + (20 if zip64 else 0)
        pad = -(out.tell() + head) % _ALIGN
        info.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
    with zf.open(info, "w", force_zip64=zip64) as m:
        for i in range(0, len(data), 16 << 20):
            m.write(data[i:i + (16 << 20)])


class _Counting:
    """A write-only stream with tell() and no seek(): zipfile streams (data descriptors), so the
    position is known exactly before each header."""

    def __init__(self, raw):
        self.raw, self.pos = raw, 0

    def write(self, data):
        n = self.raw.write(data)
        self.pos += len(memoryview(data).cast("B")) if n is None else n
        return n

    def tell(self):
        return self.pos

    def flush(self):
        if hasattr(self.raw, "flush"):
            self.raw.flush()


def write(fh, obj, name="archive"):
    """Stream the torch-format zip of ``obj`` to the binary file ``fh``."""
    _check_savable(obj)
    storages = {}
    buf = io.BytesIO()
    _TorchPickler(buf, storages).dump(obj)
    out = _Counting(fh)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        _record(zf, out, f"{name}/data.pkl", buf.getbuffer(), False)
        _record(zf, out, f"{name}/.format_version", b"1", False)
        _record(zf, out, f"{name}/.storage_alignment", str(_ALIGN).encode(), False)
        _record(zf, out, f"{name}/byteorder", b"little", False)
        for key, arr in storages.items():
            _record(zf, out, f"{name}/data/{key}", arr.reshape(-1).view(np.uint8) if arr.size
                    else b"", True)
        _record(zf, out, f"{name}/version", b"3\n", False)
    out.flush()


def save(obj, f):
    """Write ``obj`` (tensors, Parameters, numbers, strings, None, dtypes, devices and
    dicts/lists/tuples/sets of them, e.g. ``model.state_dict()``) to ``f`` (a path, written
    atomically, or a writable binary file object) in PyTorch's format, so that
    ``torch.load(f, weights_only=True)`` reads it. Same as ``kernels.save(obj, f, format="torch")``."""
    atomic_write(f, lambda fh: write(fh, obj))
