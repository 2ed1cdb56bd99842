"""The build's configure rules (CMake configure only, nothing is compiled):

    KERNELS_CUDA=OFF                                  -> CPU
    no nvcc, AUTO                                     -> CPU
    nvcc, no GPU, no architectures, AUTO              -> CPU, with a notice naming KERNELS_CUDA=ON
    nvcc, a GPU visible, AUTO                         -> CUDA for that GPU's architecture
    nvcc, architectures given (any list), AUTO or ON  -> CUDA for that list
    nvcc, no GPU, no architectures, ON                -> CUDA for the multi-architecture default

Whether a GPU is visible is decided by `nvidia-smi`; the tests put a stand-in first on PATH so
the rules are checked the same way on machines with and without a GPU.
"""
import os
import pathlib
import re
import shutil
import stat
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(
    shutil.which("cmake") is None or not (ROOT / "CMakeLists.txt").exists(),
    reason="needs cmake and the source tree",
)
needs_nvcc = pytest.mark.skipif(shutil.which("nvcc") is None and "CUDACXX" not in os.environ,
                                reason="needs nvcc")
DEFAULT_ARCHS = "75-real;80-real;86-real;89-real;90"


def fake_nvidia_smi(tmp_path, compute_cap=None):
    """A directory holding an `nvidia-smi` that reports one GPU of `compute_cap`, or fails as it
    does on a machine with no GPU or no driver."""
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    script = bin_dir / "nvidia-smi"
    body = f"echo {compute_cap}" if compute_cap else "echo 'No devices were found' >&2; exit 9"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return bin_dir


def configure(tmp_path, *defines, env=None, gpu=None):
    pybind11 = pytest.importorskip("pybind11", reason="the configure step needs pybind11's CMake files")
    environ = {k: v for k, v in os.environ.items()
               if k not in ("KERNELS_CUDA", "CMAKE_CUDA_ARCHITECTURES", "CUDAARCHS")}
    environ["PATH"] = f"{fake_nvidia_smi(tmp_path, gpu)}{os.pathsep}{environ.get('PATH', '')}"
    environ.update(env or {})
    r = subprocess.run(
        ["cmake", "-S", str(ROOT), "-B", str(tmp_path / "build"), *defines,
         f"-Dpybind11_DIR={pybind11.get_cmake_dir()}", f"-DPython_EXECUTABLE={sys.executable}"],
        capture_output=True, text=True, env=environ, timeout=300,
    )
    return r, r.stdout + r.stderr


def summary(output):
    """The configure summary line's CUDA part, e.g. 'yes (nvcc 13.0.88, archs 90)'."""
    m = re.search(r"-- kernels: .*, CUDA (.*)$", output, re.M)
    assert m, output
    return m.group(1)


NO_NVCC = {"CUDACXX": "/nonexistent/nvcc"}


def test_off_builds_cpu_only(tmp_path):
    r, out = configure(tmp_path, "-DKERNELS_CUDA=OFF")
    assert r.returncode == 0, out
    assert summary(out) == "no (KERNELS_CUDA=OFF)"


def test_auto_without_nvcc_builds_cpu_only(tmp_path):
    r, out = configure(tmp_path, env=NO_NVCC, gpu="9.0")
    assert r.returncode == 0, out
    assert summary(out) == "no (no nvcc found)"


@needs_nvcc
def test_auto_with_nvcc_but_no_gpu_builds_cpu_only_and_says_how_to_force_cuda(tmp_path):
    r, out = configure(tmp_path)
    assert r.returncode == 0, out
    assert summary(out).startswith("no (nvcc found, but no GPU visible")
    notice = [line for line in out.splitlines() if "kernels: CPU kernels only" in line]
    assert len(notice) == 1, out
    assert "KERNELS_CUDA=ON" in notice[0] and DEFAULT_ARCHS in notice[0]
    assert not (tmp_path / "build" / "generated" / "cuda_archs.h").exists()


@needs_nvcc
def test_auto_with_a_visible_gpu_builds_for_its_architecture(tmp_path):
    r, out = configure(tmp_path, gpu="9.0")
    assert r.returncode == 0, out
    assert re.fullmatch(r"yes \(nvcc [\d.]+, archs 90\)", summary(out)), out


@needs_nvcc
def test_auto_with_architectures_from_the_environment_builds_cuda(tmp_path):
    r, out = configure(tmp_path, env={"CMAKE_CUDA_ARCHITECTURES": "86-real;90"})
    assert r.returncode == 0, out
    assert summary(out).endswith("archs 86-real;90)")


@needs_nvcc
def test_on_with_a_multi_architecture_list_reaches_the_code_whole(tmp_path):
    # A ';'-separated list once reached g++ as several -D arguments; it now travels in a header.
    r, out = configure(tmp_path, "-DKERNELS_CUDA=ON", "-DCMAKE_CUDA_ARCHITECTURES=80-real;90")
    assert r.returncode == 0, out
    assert summary(out).endswith("archs 80-real;90)")
    header = (tmp_path / "build" / "generated" / "cuda_archs.h").read_text()
    assert '#define KERNELS_CUDA_ARCHS "80-real;90"' in header
    flags = "".join(p.read_text() for p in (tmp_path / "build").rglob("*")
                    if p.name in ("build.ninja", "flags.make"))
    assert flags and "KERNELS_CUDA_ARCHS" not in flags and "-D80-real" not in flags


@needs_nvcc
def test_on_without_gpu_or_architectures_uses_the_documented_default(tmp_path):
    r, out = configure(tmp_path, "-DKERNELS_CUDA=ON")
    assert r.returncode == 0, out
    assert summary(out).endswith(f"archs {DEFAULT_ARCHS})")


def test_cuda_on_without_nvcc_stops_with_a_clear_message(tmp_path):
    r, out = configure(tmp_path, "-DKERNELS_CUDA=ON", env=NO_NVCC)
    assert r.returncode != 0
    assert "KERNELS_CUDA=ON but no CUDA compiler (nvcc) was found" in out


def test_bad_kernels_cuda_value_is_rejected(tmp_path):
    r, out = configure(tmp_path, "-DKERNELS_CUDA=maybe")
    assert r.returncode != 0
    assert "KERNELS_CUDA must be AUTO, ON or OFF, got 'MAYBE'" in out
