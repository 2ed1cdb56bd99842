"""CUDA device queries; all answer sensibly on a build without CUDA or a machine without a GPU."""
from __future__ import annotations

from . import _C


_warned_unavailable = False


def is_available() -> bool:
    """True when CUDA was compiled in and a device answers. A broken setup (a driver too old for
    this build's CUDA runtime, say) is not the same as no GPU: it warns once, with the reason,
    which ``kernels.build_info()["cuda_unavailable"]`` also reports."""
    global _warned_unavailable
    cfg = _C.build_config()
    if not cfg["cuda_compiled"]:
        return False
    if _C.cuda_device_count() > 0:
        return True
    if cfg["cuda_unavailable_is_error"] and not _warned_unavailable:
        _warned_unavailable = True
        import warnings
        warnings.warn(f"kernels: CUDA was compiled in but is unusable: {cfg['cuda_unavailable']}",
                      RuntimeWarning, stacklevel=2)
    return False


def device_count() -> int:
    return _C.cuda_device_count()


def synchronize(device=None) -> None:
    """Wait for every queued kernel on ``device`` (an int, 'cuda:N' or None for all)."""
    if device is None:
        _C.cuda_synchronize(-1)
    else:
        _C.cuda_synchronize(_index(device))


def _index(device) -> int:
    if isinstance(device, int):
        return device
    d = device if isinstance(device, _C.device) else _C.device(str(device))
    return d.index or 0


def get_device_name(device=0) -> str:
    devs = _C.cuda_devices()
    i = _index(device)
    if not 0 <= i < len(devs):
        raise RuntimeError(f"get_device_name: no CUDA device {i} ({len(devs)} found)")
    return devs[i]["name"]


def empty_cache() -> None:
    """Return the cached allocator's free blocks to the driver."""
    _C.cuda_empty_cache()


def memory_allocated(device=0) -> int:
    return _C.cuda_memory_allocated(_index(device))


def memory_reserved(device=0) -> int:
    return _C.cuda_memory_reserved(_index(device))
