"""safetensors files, read and written in pure Python, with the API of ``safetensors.torch``.

The format: an 8-byte little-endian unsigned header length N, N bytes of UTF-8 JSON
``{name: {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
"__metadata__": {str: str}}`` (padded with spaces), then the tensors' raw little-endian bytes,
C-contiguous; offsets count from the end of the header. There is no code in it to run.

Reading validates the header hard before allocating anything -- size bounded
(:data:`MAX_HEADER_BYTES`), JSON object, known dtypes, shapes of non-negative ints whose product
matches the byte count, offsets inside the data, not overlapping and covering it exactly -- and
raises one ValueError naming the file and the problem. Writing is atomic (a temporary file in the
destination folder, fsync-ed, then renamed over the destination).

    from kernels.safetensors import save_file, load_file
    save_file(model.state_dict(), "model.safetensors", metadata={"format": "pt"})
    model.load_state_dict(load_file("model.safetensors"))
"""
from __future__ import annotations

import json
import math
import os

import numpy as np

from . import _C
from ._checkpoint_format import atomic_write, open_for_reading
from ._device import as_device, numpy_dtype

__all__ = ["save", "save_file", "load", "load_file", "safe_open", "MAX_HEADER_BYTES"]

#: The largest JSON header accepted (the reference implementation's limit, 100 MB).
MAX_HEADER_BYTES = 100_000_000

# safetensors dtype codes -> NumPy dtype (BF16 and the float8 codes have no NumPy dtype)
_CODES = {"F64": "float64", "F32": "float32", "F16": "float16", "I64": "int64", "I32": "int32",
          "I16": "int16", "I8": "int8", "U64": "uint64", "U32": "uint32", "U16": "uint16",
          "U8": "uint8", "BOOL": "bool", "C64": "complex64"}
_NO_NUMPY = {"BF16": 2, "F8_E4M3": 1, "F8_E5M2": 1}  # known codes kernels cannot hold: itemsize
_CODE_FOR = {v: k for k, v in _CODES.items()}


def _err(source, what):
    return ValueError(f"safetensors: {source}: {what}")


# ---------------------------------------------------------------- writing


def _serialize(tensors, metadata, op):
    """-> (header bytes incl. the length prefix, [contiguous little-endian arrays in order])."""
    if not isinstance(tensors, dict):
        raise TypeError(f"{op}: tensors must be a dict of str -> kernels.Tensor, got "
                        f"{type(tensors).__name__}")
    if metadata is not None and (not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())):
        raise TypeError(f"{op}: metadata must be a dict of str -> str, got {metadata!r:.80}")
    items = []
    for name, t in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"{op}: tensor names must be str, got {type(name).__name__} {name!r:.40}")
        if name == "__metadata__":
            raise ValueError(f"{op}: '__metadata__' is reserved and cannot name a tensor")
        if not isinstance(t, _C.Tensor):
            raise TypeError(f"{op}: tensors[{name!r}] is a {type(t).__name__}, not a kernels.Tensor")
        items.append((name, t))
    # tensors sharing memory would come back as separate copies; safetensors.torch refuses them too
    for i, (a, ta) in enumerate(items):
        for b, tb in items[i + 1:]:
            if ta is tb or ta._same_storage(tb):
                raise ValueError(f"{op}: tensors {a!r} and {b!r} share memory; safetensors stores "
                                 f"each name separately: save a .clone() of one of them")
    arrays = []
    for name, t in items:
        host = t.detach()
        if host.is_cuda:
            host = _C.to_device(host, _C.device("cpu"))
        arr = np.array(host.numpy(), order="C", copy=True)  # 0-d stays 0-d (unlike ascontiguousarray)
        if arr.dtype.name not in _CODE_FOR:
            raise TypeError(f"{op}: tensors[{name!r}] has dtype {arr.dtype}, which safetensors "
                            "has no code for")
        arrays.append((name, arr.astype(arr.dtype.newbyteorder("<"), copy=False)))
    # widest elements first, then by name, so every tensor starts aligned to its element size
    arrays.sort(key=lambda p: (-p[1].dtype.itemsize, p[0]))
    header, offset = {}, 0
    if metadata is not None:
        header["__metadata__"] = dict(metadata)
    for name, arr in arrays:
        header[name] = {"dtype": _CODE_FOR[arr.dtype.name], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + arr.nbytes]}
        offset += arr.nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the data then starts 8-byte aligned
    return len(text).to_bytes(8, "little") + text, [arr for _, arr in arrays]


def save(tensors: dict, metadata: dict | None = None) -> bytes:
    """The safetensors bytes of ``tensors`` (str -> kernels.Tensor), with optional str metadata."""
    head, arrays = _serialize(tensors, metadata, "save")
    return head + b"".join(arr.tobytes() for arr in arrays)


def save_file(tensors: dict, filename, metadata: dict | None = None) -> None:
    """Write ``tensors`` (str -> kernels.Tensor) to ``filename`` atomically (or to a writable
    binary file object, in place)."""
    head, arrays = _serialize(tensors, metadata, "save_file")

    def write(fh):
        fh.write(head)
        for arr in arrays:
            if arr.size:
                fh.write(memoryview(arr.reshape(-1)).cast("B"))

    atomic_write(filename, write)


# ---------------------------------------------------------------- reading


def _parse_header(head_bytes, data_size, source):
    """Validate the JSON header against ``data_size`` bytes of data; -> (metadata, entries) with
    entries {name: (code, shape, begin, end)} in file order."""
    try:
        header = json.loads(head_bytes.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise _err(source, f"the header is not valid UTF-8 JSON: {e}") from None
    if not isinstance(header, dict):
        raise _err(source, f"the header is a JSON {type(header).__name__}, not an object")
    metadata = header.pop("__metadata__", None)
    if metadata is not None and (not isinstance(metadata, dict) or not all(
            isinstance(v, str) for v in metadata.values())):
        raise _err(source, "__metadata__ must be an object of strings")
    entries = {}
    for name, e in header.items():
        if not isinstance(e, dict) or set(e) != {"dtype", "shape", "data_offsets"}:
            raise _err(source, f"tensor {name!r:.60} needs exactly dtype, shape and data_offsets")
        code, shape, offs = e["dtype"], e["shape"], e["data_offsets"]
        if not isinstance(code, str) or (code not in _CODES and code not in _NO_NUMPY):
            raise _err(source, f"tensor {name!r:.60} has the unknown dtype {str(code)!r:.20}")
        if not isinstance(shape, list) or not all(
                type(s) is int and s >= 0 for s in shape) or len(shape) > 64:
            raise _err(source, f"tensor {name!r:.60} has the bad shape {str(shape):.60}")
        if not isinstance(offs, list) or len(offs) != 2 or not all(type(o) is int for o in offs) \
                or not 0 <= offs[0] <= offs[1] <= data_size:
            raise _err(source, f"tensor {name!r:.60} has data_offsets {str(offs):.60} outside the "
                               f"{data_size:,} bytes of data")
        itemsize = np.dtype(_CODES[code]).itemsize if code in _CODES else _NO_NUMPY[code]
        nbytes = math.prod(shape) * itemsize
        if offs[1] - offs[0] != nbytes:
            raise _err(source, f"tensor {name!r:.60} has shape {shape} of {code} ({nbytes:,} "
                               f"bytes) but data_offsets {offs} span {offs[1] - offs[0]:,} bytes")
        entries[name] = (code, tuple(shape), offs[0], offs[1])
    pos = 0
    for name, (_, _, begin, end) in sorted(entries.items(), key=lambda kv: kv[1][2:]):
        if begin != pos:
            what = "overlaps the one before" if begin < pos else f"leaves bytes {pos:,}..{begin:,} unused"
            raise _err(source, f"tensor {name!r:.60} at data_offsets [{begin}, {end}] {what}")
        pos = end
    if pos != data_size:
        raise _err(source, f"the tensors cover {pos:,} of the {data_size:,} bytes of data")
    return metadata, entries


class _Source:
    """The header and data of one safetensors file or buffer."""

    def __init__(self, fh, source):
        self.source = source
        try:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(0)
        except (OSError, ValueError, AttributeError) as e:
            raise _err(source, f"must be a readable, seekable binary file ({e})") from None
        prefix = fh.read(8)
        if not isinstance(prefix, bytes):
            raise _err(source, "the file object is not opened in binary mode")
        if len(prefix) < 8:
            raise _err(source, f"is {size} bytes long, too short for the 8-byte header length")
        n = int.from_bytes(prefix, "little")
        if n > MAX_HEADER_BYTES:
            raise _err(source, f"declares a {n:,}-byte header, more than the limit of "
                               f"{MAX_HEADER_BYTES:,}")
        if 8 + n > size:
            raise _err(source, f"declares a {n:,}-byte header but the file has {size - 8:,} "
                               "bytes after the length (truncated?)")
        head = fh.read(n)
        if not head.startswith(b"{"):
            raise _err(source, "the header does not start with '{'")
        self.fh, self.start = fh, 8 + n
        self.metadata, self.entries = _parse_header(head, size - 8 - n, source)

    def tensor(self, name, device):
        code, shape, begin, end = self.entries[name]
        kdtype = _C.dtype.__members__.get(_CODES.get(code, ""))
        if kdtype is None:
            have = ", ".join(_C.dtype.__members__)
            raise _err(self.source, f"tensor {name!r} has dtype {code}, which kernels does not "
                                    f"have (it has {have})")
        self.fh.seek(self.start + begin)
        raw = self.fh.read(end - begin)
        if len(raw) != end - begin:
            raise _err(self.source, f"tensor {name!r} ends early (the file was cut short)")
        arr = np.frombuffer(raw, dtype=np.dtype(_CODES[code]).newbyteorder("<")).reshape(shape)
        from .tensor import tensor as make_tensor
        return make_tensor(arr.astype(numpy_dtype(kdtype)), device=device)


def _device(device):
    return as_device(f"cuda:{device}" if isinstance(device, int) and not isinstance(device, bool)
                     else device)


def load_file(filename, device="cpu") -> dict:
    """Read a safetensors file -> {name: kernels.Tensor} (in file order) on ``device``."""
    dev = _device(device)
    opened, source = open_for_reading(filename, "load_file")
    with opened as fh:
        src = _Source(fh, source)
        return {name: src.tensor(name, dev) for name in src.entries}


def load(data: bytes) -> dict:
    """Read safetensors bytes -> {name: kernels.Tensor} on the CPU."""
    import io
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"load: data must be bytes, got {type(data).__name__}")
    src = _Source(io.BytesIO(bytes(data)), "<bytes>")
    dev = as_device("cpu")
    return {name: src.tensor(name, dev) for name in src.entries}


class safe_open:
    """``with safe_open(filename, framework="pt", device="cpu") as f:`` -- ``f.keys()``,
    ``f.get_tensor(name)``, ``f.metadata()``, reading only the tensors asked for."""

    def __init__(self, filename, framework="pt", device="cpu"):
        if framework not in ("pt", "torch", "kernels", "np", "numpy"):
            raise ValueError(f"safe_open: framework {framework!r} is not supported")
        self._device = _device(device)
        opened, source = open_for_reading(filename, "safe_open")
        self._cm = opened
        fh = opened.__enter__()
        try:
            self._src = _Source(fh, source)
        except BaseException:
            opened.__exit__(None, None, None)
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._cm.__exit__(*exc)
        return False

    def keys(self):
        return list(self._src.entries)

    def metadata(self):
        return self._src.metadata

    def get_tensor(self, name):
        if name not in self._src.entries:
            raise KeyError(f"safe_open: no tensor named {name!r} in {self._src.source}")
        return self._src.tensor(name, self._device)
