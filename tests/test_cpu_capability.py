"""The CPU capability switch (csrc/cpu/isa.h, kernels.backends.cpu): one setting that every family
with an AVX2 path reads (AVX512 adds the GEMM's AVX-512 micro-kernels on top of every AVX2 path), changed in-process, validated, restored, and set at import by
KERNELS_CPU_CAPABILITY."""
import os
import subprocess
import sys

import numpy as np
import pytest

import kernels
import kernels.functional as F
from kernels.backends import cpu

LEVELS = ("AVX512", "AVX2", "DEFAULT", "SCALAR")


def test_get_and_supported():
    assert cpu.get_cpu_capability() in LEVELS
    assert cpu.supported_cpu_capability() in ("AVX512", "AVX2", "DEFAULT")
    assert kernels.build_info()["cpu_capability"] == cpu.get_cpu_capability().lower()


def test_set_returns_previous_and_context_restores():
    start = cpu.get_cpu_capability()
    with cpu.cpu_capability("scalar"):
        assert cpu.get_cpu_capability() == "SCALAR"
        with cpu.cpu_capability("Default"):
            assert cpu.get_cpu_capability() == "DEFAULT"
        assert cpu.get_cpu_capability() == "SCALAR"
    assert cpu.get_cpu_capability() == start
    prev = cpu.set_cpu_capability("default")
    try:
        assert prev == start
    finally:
        cpu.set_cpu_capability(prev)


def test_context_restores_after_an_error():
    start = cpu.get_cpu_capability()
    with pytest.raises(RuntimeError, match="inside"):
        with cpu.cpu_capability("scalar"):
            raise RuntimeError("inside")
    assert cpu.get_cpu_capability() == start


@pytest.mark.parametrize("bad", ["sse9", "", "AVX1024"])
def test_unknown_level(bad):
    with pytest.raises(ValueError, match="expected 'avx512', 'avx2', 'default' or 'scalar'"):
        cpu.set_cpu_capability(bad)


def test_not_a_string():
    with pytest.raises(TypeError, match="set_cpu_capability: expected a str"):
        cpu.set_cpu_capability(2)


def test_level_above_the_cpu_is_refused():
    if cpu.supported_cpu_capability() == "AVX512":
        pytest.skip("this CPU runs every level")
    with pytest.raises(ValueError, match="this CPU does not run 'avx512'"):
        cpu.set_cpu_capability("avx512")


def _run(env_value):
    env = dict(os.environ)
    env.pop("KERNELS_CPU_CAPABILITY", None)
    if env_value is not None:
        env["KERNELS_CPU_CAPABILITY"] = env_value
    pkg_parent = os.path.dirname(os.path.dirname(os.path.abspath(kernels.__file__)))
    env["PYTHONPATH"] = pkg_parent + os.pathsep + env.get("PYTHONPATH", "")
    r = subprocess.run([sys.executable, "-c", "from kernels.backends import cpu; print(cpu.get_cpu_capability())"],
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_environment_sets_the_starting_level():
    supported = cpu.supported_cpu_capability()
    assert _run(None) == supported
    assert _run("scalar") == "SCALAR"
    assert _run("default") == "DEFAULT"
    assert _run("avx512") == supported  # never above what the CPU runs
    if supported == "AVX512":
        assert _run("avx2") == "AVX2"
    assert _run("nonsense") == supported  # an unknown name must not break the import


@pytest.mark.parametrize("level", ["avx2", "default", "scalar"])
def test_every_family_gives_the_same_numbers_at_each_level(level):
    """One op per family with an AVX2 path: GEMM, conv2d, tanh, cross_entropy, pooling, LSTM."""
    rng = np.random.default_rng(3)

    def run():
        kernels.manual_seed(0)
        x = kernels.tensor(rng.standard_normal((8, 6, 14, 14)).astype(np.float32), requires_grad=True)
        w = kernels.tensor(rng.standard_normal((16, 6, 5, 5)).astype(np.float32), requires_grad=True)
        y = F.max_pool2d(F.conv2d(x, w).tanh(), 2)
        logits = y.reshape(8, -1) @ kernels.tensor(rng.standard_normal((400, 10)).astype(np.float32))
        loss = F.cross_entropy(logits, kernels.tensor(rng.integers(0, 10, 8)))
        lstm = kernels.nn.LSTM(10, 12)
        h, _ = lstm(logits.reshape(2, 4, 10))
        (loss + h.sum()).backward()
        return [loss.item(), h.detach().numpy(), x.grad.numpy(), w.grad.numpy()]

    state = rng.bit_generator.state
    fast = run()
    rng.bit_generator.state = state
    with cpu.cpu_capability(level):
        slow = run()
    for a, b in zip(fast, slow):
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-4)
