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
