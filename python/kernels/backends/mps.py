"""torch.backends.mps: kernels has no Apple-GPU (Metal) backend."""


def is_available() -> bool:
    return False


def is_built() -> bool:
    return False
