"""torch.accelerator for kernels.compat: the current accelerator is CUDA when kernels can use a
GPU, else there is none (torch returns None then)."""
from .. import cuda
from .._device import device

__all__ = ["is_available", "current_accelerator", "device_count"]


def is_available() -> bool:
    return cuda.is_available()


def current_accelerator(check_available: bool = False):
    return device("cuda") if cuda.is_available() else None


def device_count() -> int:
    return cuda.device_count() if cuda.is_available() else 0
