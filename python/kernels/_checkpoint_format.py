"""The checkpoint file format: a NumPy ``.npz`` (zip) archive of ``.npy`` members ``a0``, ``a1``,
... plus the structure member ``__kernels_structure__`` (UTF-8 JSON in a uint8 array: the nested
object, each array member's size and CRC-32), closed by the zip comment
``kernels.checkpoint crc32=XXXXXXXX`` (the CRC-32 of every byte before it).

``write_archive`` streams such a file; ``read_archive`` validates one and returns its structure
document and arrays, raising ``Refused`` (which ``kernels.load`` turns into one ValueError naming
the file) for anything that is not an intact checkpoint. What the structure means (tensors,
dicts, numbers...) is ``kernels.serialization``'s business; this module only knows the bytes.
"""
from __future__ import annotations

import json
import math
import os
import re
import struct
import tempfile
import zipfile
import zlib

import numpy as np

_STRUCT = "__kernels_structure__"
_FORMAT = "kernels.checkpoint"
_VERSION = 2
# The zip comment: CRC-32 of all bytes before it. Fixed length, so the writer can stream the
# archive and fill the value in last.
COMMENT_PREFIX = b"kernels.checkpoint crc32="
_COMMENT_RE = re.compile(rb"kernels\.checkpoint crc32=([0-9a-f]{8})\Z")
COMMENT_LEN = len(COMMENT_PREFIX) + 8
_MEMBER_RE = re.compile(r"(a(?:0|[1-9][0-9]{0,8})|__kernels_structure__)\.npy\Z")
_CHUNK = 16 << 20
#: The environment variable that raises the bound on what ``load`` inflates.
MAX_BYTES_ENV = "KERNELS_LOAD_MAX_BYTES"


# ---------------------------------------------------------------- writing


def _structure_array(root, members):
    doc = {"format": _FORMAT, "version": _VERSION, "arrays": len(members), "members": members,
           "root": root}
    return np.frombuffer(json.dumps(doc, separators=(",", ":")).encode("utf-8"), dtype=np.uint8)


def write_array(zf, name, arr):
    """Write one array as the member ``name.npy`` (what np.savez does, one member at a time)."""
    with zf.open(name + ".npy", "w", force_zip64=True) as member:
        np.lib.format.write_array(member, np.ascontiguousarray(arr) if arr.ndim else arr,
                                  allow_pickle=False)


class ChecksumWriter:
    """A write-only stream in front of ``raw`` that keeps the CRC-32 of everything but the last
    ``COMMENT_LEN`` bytes written (held back: they are the zip comment, filled in at the end).

    It has ``tell`` but no ``seek``, so ZipFile streams the archive (sizes and CRCs go in data
    descriptors after each member) and every byte passes through here exactly once, in order."""

    def __init__(self, raw, prefix=None):
        self.raw = raw
        self.prefix = COMMENT_PREFIX if prefix is None else prefix  # which kind of file it seals
        self.crc = 0
        self.pos = 0
        self.tail = b""

    def write(self, data):
        data = memoryview(data).cast("B")
        n = len(self.prefix) + 8  # the comment's length: held back until finish()
        self.pos += len(data)
        if len(data) >= n:
            self._emit(self.tail)
            self._emit(data[:len(data) - n])
            self.tail = bytes(data[len(data) - n:])
        else:
            joined = self.tail + bytes(data)
            self._emit(joined[:len(joined) - n] if len(joined) > n else b"")
            self.tail = joined[-n:]
        return len(data)

    def _emit(self, data):
        if len(data):
            self.crc = zlib.crc32(data, self.crc)
            self.raw.write(data)

    def tell(self):
        return self.pos

    def flush(self):
        if hasattr(self.raw, "flush"):
            self.raw.flush()

    def finish(self):
        """Write the real comment in place of the placeholder ZipFile wrote last."""
        if self.tail != self.prefix + b"0" * 8:  # ZipFile always ends with the comment
            raise RuntimeError("save: internal error: the archive does not end with its comment")
        self.raw.write(self.prefix + b"%08x" % self.crc)
        self.tail = b""


def write_archive(fileobj, arrays, root, compress, write_member=write_array):
    """Stream the archive of ``arrays`` (member name -> ndarray) and the structure ``root`` to
    ``fileobj``, then its file checksum; ``write_member(zf, name, arr)`` writes each array."""
    mode = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    out = ChecksumWriter(fileobj)
    with zipfile.ZipFile(out, "w", compression=mode, allowZip64=True) as zf:
        members = {}
        for name, arr in arrays.items():
            write_member(zf, name, arr)
            info = zf.getinfo(name + ".npy")
            members[name] = {"bytes": info.file_size, "crc32": f"{info.CRC:08x}"}
        write_member(zf, _STRUCT, _structure_array(root, members))
        zf.comment = COMMENT_PREFIX + b"0" * 8
    out.finish()
    out.flush()


# ---------------------------------------------------------------- reading

# what zipfile (and numpy, reading a member) raise on malformed input
_ARCHIVE_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError,
                   KeyError, IndexError, TypeError, NotImplementedError, OverflowError, zlib.error,
                   struct.error)


class Refused(Exception):
    """A problem found in the file; ``load`` turns it into one ValueError naming the file."""


def foreign(what):
    return Refused(f"is not a kernels checkpoint ({what})")


def damaged(what):
    return Refused(f"is damaged ({what})")


class _Reader:
    """Wraps a zip member stream: counts the bytes read."""

    def __init__(self, raw):
        self.raw = raw
        self.pos = 0

    def read(self, n=-1):
        data = self.raw.read(n)
        self.pos += len(data)
        return data


def _read_npy(zf, info):
    """One ``.npy`` member -> ndarray (the file's dtype, byte order included). The header's
    shape and dtype must account for exactly the member's declared size, so a forged shape is
    refused before anything is allocated; zipfile checks the member's CRC-32 at its end."""
    name = info.filename
    with zf.open(info) as raw:
        fh = _Reader(raw)
        try:
            version = np.lib.format.read_magic(fh)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
            else:
                raise ValueError(f".npy format version {version} is not supported")
        except (zipfile.BadZipFile, OSError, zlib.error):
            raise  # the member's bytes (e.g. its CRC-32), not its header: reported as such
        except Exception as e:  # numpy's header parser raises many kinds (even tokenize errors)
            raise damaged(f"member {name} has no valid .npy header: {type(e).__name__}: {e}") from None
        if dtype.hasobject:
            raise foreign(f"member {name} holds Python objects, which would need pickle")
        if fortran:
            raise foreign(f"member {name} is in Fortran order, which this library never writes")
        if dtype.itemsize == 0:
            raise foreign(f"member {name} has the zero-size dtype {dtype}")
        if any(s < 0 for s in shape):
            raise damaged(f"member {name} declares the negative shape {shape}")
        count = math.prod(shape)
        nbytes = count * dtype.itemsize
        if fh.pos + nbytes != info.file_size:
            raise damaged(f"member {name} declares shape {shape} of {dtype} ({nbytes:,} bytes) but "
                           f"holds {info.file_size - fh.pos:,} bytes of data")
        buf = bytearray(nbytes)
        view = memoryview(buf)
        done = 0
        while done < nbytes:
            chunk = fh.read(min(_CHUNK, nbytes - done))
            if not chunk:
                raise damaged(f"member {name} ends early")
            view[done:done + len(chunk)] = chunk
            done += len(chunk)
        if fh.read(1):  # also makes zipfile verify the member's CRC-32
            raise damaged(f"member {name} is longer than declared")
    if count == 0:
        return np.empty(shape, dtype=dtype)
    return np.frombuffer(buf, dtype=dtype, count=count).reshape(shape)


def _file_crc(fh, start, stop):
    fh.seek(start)
    crc, left = 0, stop - start
    while left > 0:
        chunk = fh.read(min(_CHUNK, left))
        if not chunk:
            raise damaged("the file ends early")
        crc = zlib.crc32(chunk, crc)
        left -= len(chunk)
    return crc


def _check_doc(doc, infos, has_checksum):
    """Validate the structure document against the archive's members; -> member names."""
    if not isinstance(doc, dict) or doc.get("format") != _FORMAT or "root" not in doc:
        raise foreign("unknown structure format")
    version = doc.get("version")
    if type(version) is not int or version < 1:
        raise foreign(f"bad format version {version!r}")
    if version > _VERSION:
        raise Refused(f"was written by a newer format version {version} (this version reads up "
                       f"to {_VERSION})")
    n = doc.get("arrays")
    arrays = {k[:-4] for k in infos} - {_STRUCT}
    if type(n) is not int or n != len(arrays) or arrays != {f"a{i}" for i in range(n)}:
        raise damaged(f"the structure names {n!r} arrays but the archive holds "
                       f"{len(arrays)}: {', '.join(sorted(arrays)[:8]) or 'none'}")
    if version >= 2:
        if not has_checksum:
            raise damaged("the file checksum in the zip comment is missing")
        members = doc.get("members")
        if not isinstance(members, dict) or set(members) != arrays:
            raise damaged("the structure's member table does not list the archive's arrays")
        for k, rec in members.items():
            info = infos[k + ".npy"]
            if not isinstance(rec, dict) or type(rec.get("bytes")) is not int \
                    or not isinstance(rec.get("crc32"), str) \
                    or not re.fullmatch(r"[0-9a-f]{8}", rec["crc32"]):
                raise damaged(f"the structure's record of member {k} is malformed")
            if rec["bytes"] != info.file_size or int(rec["crc32"], 16) != info.CRC:
                raise damaged(f"member {k} is not the one the structure recorded (size "
                               f"{info.file_size:,} / crc32 {info.CRC:08x}, recorded "
                               f"{rec['bytes']:,} / {rec['crc32']})")
    return sorted(arrays, key=lambda k: int(k[1:]))


def read_archive(fh, limit):
    """-> (structure document, {member: ndarray}); raises Refused."""
    try:
        start = fh.tell()
        head = fh.read(8)
        fh.seek(0, os.SEEK_END)
        end = fh.tell()
    except (OSError, ValueError, AttributeError) as e:
        raise Refused(f"cannot be read as a checkpoint: it must be a readable, seekable binary "
                       f"file ({e})") from None
    if not isinstance(head, bytes):
        raise Refused("cannot be read as a checkpoint: the file object is not opened in binary mode")
    if not head:
        raise foreign("the file is empty")
    if head.startswith(b"\x93NUMPY"):
        raise foreign("a single .npy array, not an .npz archive")
    if head.startswith(b"PK\x05\x06"):
        raise foreign("an empty zip archive")
    if not head.startswith(b"PK\x03\x04"):
        raise foreign("not a zip archive")

    has_checksum = False
    if end - start > COMMENT_LEN:
        fh.seek(end - COMMENT_LEN)
        m = _COMMENT_RE.match(fh.read(COMMENT_LEN))
        if m is not None:
            has_checksum = True
            got = _file_crc(fh, start, end - COMMENT_LEN)
            if got != int(m.group(1), 16):
                raise damaged(f"file checksum mismatch: crc32 {got:08x}, recorded "
                               f"{m.group(1).decode()}: the file was altered after it was written")
    fh.seek(start)
    try:
        zf = zipfile.ZipFile(fh)
    except _ARCHIVE_ERRORS as e:
        raise damaged(f"truncated or corrupt zip archive: {type(e).__name__}: {e}") from None
    with zf:
        if has_checksum and len(zf.comment) != COMMENT_LEN:
            raise damaged("the zip directory does not end where the file checksum says")
        infos = {}
        for info in zf.infolist():
            name = info.filename
            if not _MEMBER_RE.match(name):
                raise foreign(f"unexpected member {name[:80]!r}")
            if name in infos:
                raise foreign(f"member {name!r} appears twice")
            if info.flag_bits & 0x1:
                raise foreign(f"member {name} is encrypted")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise foreign(f"member {name} uses compression method {info.compress_type}")
            if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
                raise damaged(f"member {name} is stored with inconsistent sizes")
            infos[name] = info
        if _STRUCT + ".npy" not in infos:
            raise foreign(f"an .npz without the {_STRUCT} member")
        if not has_checksum and zf.comment.startswith(_FORMAT.encode()):
            raise damaged("its checksum comment is malformed")
        if not has_checksum and zf.comment:
            raise foreign("an unexpected zip comment")
        total = sum(info.file_size for info in infos.values())
        if total > limit:
            raise Refused(f"declares {total:,} bytes of uncompressed data, more than the limit of "
                           f"{limit:,} bytes (pass max_bytes= to kernels.load or set "
                           f"{MAX_BYTES_ENV} to allow more)")
        try:
            raw = _read_npy(zf, infos[_STRUCT + ".npy"])
            if raw.dtype != np.uint8 or raw.ndim != 1:
                raise foreign(f"its structure member is {raw.dtype} {raw.shape}, not UTF-8 bytes")
            try:
                doc = json.loads(raw.tobytes().decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
                raise foreign(f"unreadable structure description: {e}") from None
            names = _check_doc(doc, infos, has_checksum)
            arrays = {k: _read_npy(zf, infos[k + ".npy"]) for k in names}
        except _ARCHIVE_ERRORS as e:
            raise damaged(f"{type(e).__name__}: {e}") from None
    return doc, arrays


# ---------------------------------------------------------------- atomic writes
# Shared by every format kernels writes (its own checkpoints, torch's, safetensors).


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


def _temp_prefix(base):
    return f".{base}.tmp-"


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except (OverflowError, OSError):
        return False
    return True


def remove_stale_temporaries(folder, base):
    """Delete ``.<base>.tmp-<pid>-<random>`` files whose writer process no longer exists (it was
    killed before it could clean up). Temporaries of live processes, this one included, stay."""
    if os.name != "posix":  # os.kill(pid, 0) is not a liveness probe elsewhere
        return
    prefix = _temp_prefix(base)
    try:
        names = os.listdir(folder)
    except OSError:
        return
    me = os.getpid()
    for name in names:
        if not name.startswith(prefix):
            continue
        m = re.fullmatch(r"([0-9]{1,10})-[a-z0-9_]{1,32}", name[len(prefix):])
        if m is None:
            continue
        pid = int(m.group(1))
        if pid <= 0 or pid == me or _pid_alive(pid):
            continue
        try:
            os.unlink(os.path.join(folder, name))
        except OSError:
            pass


def atomic_write(f, write):
    """Call ``write(fh)`` with a binary file that ends up at ``f``.

    ``f`` is a path (str or os.PathLike): the bytes go to a temporary ``.<name>.tmp-<pid>-<random>``
    in the destination folder, are flushed and fsync-ed, then ``os.replace``-d over ``f`` and the
    folder is fsync-ed, so a crash leaves the previous file intact. Or ``f`` is a writable binary
    file object, written in place (not atomically)."""
    if hasattr(f, "write"):
        write(f)
        return
    path = os.fsdecode(os.fspath(f))
    folder = os.path.dirname(os.path.abspath(path))
    base = os.path.basename(path)
    remove_stale_temporaries(folder, base)
    fd, tmp = tempfile.mkstemp(prefix=f"{_temp_prefix(base)}{os.getpid()}-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
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


def open_for_reading(f, op="load"):
    """-> (context manager yielding a binary file, display name) for a path or a file object.
    Raises FileNotFoundError / IsADirectoryError naming the path."""
    import contextlib
    if hasattr(f, "read"):
        name = getattr(f, "name", None)
        shown = os.fsdecode(name) if isinstance(name, (str, bytes, os.PathLike)) else "<file object>"
        return contextlib.nullcontext(f), shown
    path = os.fsdecode(os.fspath(f))
    if not os.path.exists(path):
        raise FileNotFoundError(f"{op}: no such file: {path!r}")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{op}: {path!r} is a folder, not a checkpoint file")
    return open(path, "rb"), path
