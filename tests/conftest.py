import numpy as np
import pytest

import kernels
from opcheck import DEVICES


@pytest.fixture(params=DEVICES)
def device(request):
    """Every test taking `device` runs on the CPU and, when present, on CUDA."""
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture(autouse=True)
def _seed():
    kernels.manual_seed(0)


@pytest.fixture(scope="session")
def torch():
    """torch, the reference library, for the tests that compare against it: they skip where torch
    is not installed, and the rest of their module (NumPy references, CPU against CUDA) still runs."""
    return pytest.importorskip("torch")


@pytest.fixture(scope="module")
def torch_one_thread():
    """One torch thread for a module's references: torch's own OpenMP pool spins against ours on a
    small machine, turning milliseconds into tenths of seconds. Use with
    ``pytestmark = pytest.mark.usefixtures("torch_one_thread")``."""
    try:
        import torch
    except ImportError:
        yield
        return
    prev = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(prev)


# The fast paths that split work over threads, at 1 and 2 threads (restored afterwards).
@pytest.fixture(params=[1, 2], ids=["1thread", "2threads"])
def threads(request):
    prev = kernels.get_num_threads()
    kernels.set_num_threads(request.param)
    yield request.param
    kernels.set_num_threads(prev)
