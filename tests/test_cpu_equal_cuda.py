"""CUDA gives the CPU's numbers to the bit where the README promises it: random fills used by
nn.init and dropout (uniform(-b, b) and normal with a scale and shift, where a fused multiply-add
would round once instead of twice), and the backward of embedding, index_select, gather and
nearest upsampling, which add in the CPU's order instead of with atomics, so they also repeat
from run to run. These need a GPU; the CPU halves (repeatability, the flag) run everywhere."""
import numpy as np
import pytest

import kernels
import kernels.nn.functional as F
from kernels import nn
from opcheck import requires_cuda


def on(device, seed, make):
    kernels.manual_seed(seed)
    return make(device).cpu().numpy()


RANDOM = {
    "uniform(-b, b)": lambda d: kernels.uniform(-0.37, 0.37, (4096,), device=d),
    "uniform float64": lambda d: kernels.uniform(-3.0, 5.0, (4096,), dtype=kernels.float64, device=d),
    "normal(mean, std)": lambda d: kernels.normal(0.3, 1.7, (4096,), device=d),
    "bernoulli mask": lambda d: F.dropout(kernels.ones(4096, device=d), p=0.3),
    "kaiming_uniform_": lambda d: nn.init.kaiming_uniform_(kernels.empty(64, 75, device=d), a=5 ** 0.5),
    "xavier_normal_": lambda d: nn.init.xavier_normal_(kernels.empty(64, 75, device=d)),
    "Linear weights": lambda d: nn.Linear(75, 64).to(d).weight.detach(),
}


@requires_cuda
@pytest.mark.parametrize("name", list(RANDOM))
def test_random_fills_are_bitwise_equal(name):
    cpu, gpu = on("cpu", 11, RANDOM[name]), on("cuda", 11, RANDOM[name])
    if name.startswith("normal") or name.startswith("xavier_normal"):
        # float32 results of a float64 Box-Muller: device log/sin/cos may differ in a double's
        # last bit, which rounds to the same float32 but for rare ties
        assert np.mean(cpu != gpu) < 1e-3
        np.testing.assert_allclose(gpu, cpu, rtol=1e-6, atol=1e-7)
    else:
        np.testing.assert_array_equal(gpu, cpu)


GRADS = {   # (weight (50, 16), ids (3000,)) -> output
    "embedding": lambda w, ids: F.embedding(ids, w),
    "index_select": lambda w, ids: kernels.index_select(w, 0, ids),
    "gather": lambda w, ids: kernels.gather(w, 0, ids[:, None].expand(ids.shape[0], 16).contiguous()),
}


def grad_of(name, device):
    kernels.manual_seed(3)
    w = kernels.randn(50, 16, device=device).requires_grad_()
    ids = kernels.randint(0, 50, (3000,), device=device)   # many repeats of every row
    out = GRADS[name](w, ids)
    kernels.manual_seed(5)
    out.backward(kernels.randn(*out.shape, device=device))
    return w.grad.cpu().numpy()


@pytest.mark.parametrize("name", list(GRADS))
def test_scatter_type_gradients_repeat_exactly(name, device):
    np.testing.assert_array_equal(grad_of(name, device), grad_of(name, device))


@requires_cuda
@pytest.mark.parametrize("name", list(GRADS))
def test_scatter_type_gradients_equal_the_cpu(name):
    np.testing.assert_array_equal(grad_of(name, "cuda"), grad_of(name, "cpu"))


@requires_cuda
@pytest.mark.parametrize("size", [(14, 14), (20, 33)])
def test_nearest_upsample_gradient_equals_the_cpu(size):
    def grad(device):
        kernels.manual_seed(6)
        x = kernels.randn(2, 3, 7, 11, device=device).requires_grad_()
        y = F.interpolate(x, size=size, mode="nearest")
        kernels.manual_seed(7)
        y.backward(kernels.randn(*y.shape, device=device))
        return x.grad.cpu().numpy()
    np.testing.assert_array_equal(grad("cuda"), grad("cpu"))


def test_deterministic_flag_round_trips():
    assert not kernels.are_deterministic_algorithms_enabled()
    kernels.use_deterministic_algorithms(True)
    try:
        assert kernels.are_deterministic_algorithms_enabled()
        x = kernels.randn(1, 1, 4, 4, requires_grad=True)   # every CPU kernel is deterministic
        F.interpolate(x, scale_factor=2, mode="bilinear").sum().backward()
        F.pad(x.detach().requires_grad_(), (1, 1, 1, 1), mode="reflect").sum().backward()
    finally:
        kernels.use_deterministic_algorithms(False)


@requires_cuda
def test_deterministic_mode_refuses_the_atomic_cuda_backwards():
    kernels.use_deterministic_algorithms(True)
    try:
        x = kernels.randn(1, 1, 4, 4, device="cuda", requires_grad=True)
        with pytest.raises(RuntimeError, match="no deterministic implementation"):
            F.interpolate(x, scale_factor=2, mode="bilinear").sum().backward()
    finally:
        kernels.use_deterministic_algorithms(False)
