"""torch.backends.cudnn's switches. kernels uses no cuDNN (every convolution is its own kernel), so
is_available() is False and the flags are kept only so that scripts setting them run; they change
nothing. Run-to-run determinism is kernels.use_deterministic_algorithms."""
from __future__ import annotations

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    return False


def version():
    return None
