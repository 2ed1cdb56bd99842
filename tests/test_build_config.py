"""The build's configure step: KERNELS_CUDA is validated and ON without nvcc stops with a clear
message (these run CMake's configure only, which fails before anything is compiled)."""
import os
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(
    shutil.which("cmake") is None or not (ROOT / "CMakeLists.txt").exists(),
    reason="needs cmake and the source tree",
)


def configure(tmp_path, *defines, env=None):
    return subprocess.run(
        ["cmake", "-S", str(ROOT), "-B", str(tmp_path / "build"), *defines],
        capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=120,
    )


def test_cuda_on_without_nvcc_stops_with_a_clear_message(tmp_path):
    r = configure(tmp_path, "-DKERNELS_CUDA=ON", env={"CUDACXX": str(tmp_path / "no-such-nvcc")})
    assert r.returncode != 0
    assert "KERNELS_CUDA=ON but no CUDA compiler (nvcc) was found" in r.stdout + r.stderr


def test_bad_kernels_cuda_value_is_rejected(tmp_path):
    r = configure(tmp_path, "-DKERNELS_CUDA=maybe")
    assert r.returncode != 0
    assert "KERNELS_CUDA must be AUTO, ON or OFF, got 'MAYBE'" in r.stdout + r.stderr
