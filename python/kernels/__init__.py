"""kernels: a deep-learning library whose every compute kernel is hand-written.

C++ for the CPU, CUDA for NVIDIA GPUs; forward and backward of every op are exposed through
pybind11 (``kernels._C``) to this thin Python layer, whose API mirrors PyTorch's.
"""
import builtins

from . import _C
from ._device import bool_ as bool  # noqa: A001 - mirrors torch.bool
from ._device import device, double, dtype, float, float32, float64, int64, long  # noqa: A001
from ._device import int_ as int  # noqa: A001 - mirrors torch.int (int32)
from ._device import finfo, iinfo, int8, int16, int32, short, uint8
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .grad_modes import inference_mode, is_inference_mode_enabled
from .tensor import (
    Tensor,
    arange,
    as_tensor,
    empty,
    empty_like,
    from_dlpack,
    from_numpy,
    full,
    full_like,
    ones,
    ones_like,
    tensor,
    zeros,
    zeros_like,
)
from .random import (
    get_rng_state,
    initial_seed,
    set_rng_state,
    manual_seed,
    normal,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    uniform,
)
from . import backends, cuda, ops
from .ranges import linspace, logspace
from .build import __version__, build_info
from .tensor import install_tensor_methods

install_tensor_methods()
for _mod in ops.modules:  # kernels.add, kernels.cat, ... (each family's __all__)
    globals().update({_name: getattr(_mod, _name) for _name in _mod.__all__})
del _mod

from . import functional, nn, optim  # noqa: E402

set_num_threads = _C.set_num_threads
get_num_threads = _C.get_num_threads


def use_deterministic_algorithms(mode: bool) -> None:
    """As torch: with True, an op whose result could change from run to run raises instead of
    running. Every CPU kernel is deterministic; on CUDA only the backward of bilinear
    interpolation and of reflect/replicate/circular padding add with atomics and are refused."""
    _C.set_deterministic(builtins.bool(mode))


def are_deterministic_algorithms_enabled() -> bool:
    return _C.deterministic()


# ---------------------------------------------------------------- data, training, checkpoints
from .serialization import load, save  # noqa: E402
from . import data, train  # noqa: E402
