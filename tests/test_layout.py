"""The source layout's rules (README "Layout"), checked on the tree so a change cannot quietly
break them: one device-neutral contract per family that both devices implement, no CUDA or
common code reaching into the CPU folder, one place that reads the CPU capability, and files
small enough to read."""
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
CSRC = ROOT / "csrc"
MAX_LINES = 600

if not CSRC.is_dir():
    pytest.skip("the C++ sources are not next to the tests (an installed copy)", allow_module_level=True)


def _sources(*dirs, suffixes=(".h", ".cpp", ".cu", ".cuh")):
    for d in dirs:
        yield from (p for p in sorted(d.rglob("*")) if p.suffix in suffixes)


def test_cuda_common_and_contracts_do_not_include_cpu():
    bad = [f"{p.relative_to(ROOT)}: {line.strip()}"
           for p in _sources(CSRC / "cuda", CSRC / "common", CSRC / "contracts")
           for line in p.read_text().splitlines() if re.match(r'\s*#include\s+"\.\./cpu/', line)]
    assert not bad, "\n".join(bad)


def _contracts():
    return sorted(p for p in (CSRC / "contracts").glob("*.h") if p.name != "entry_points.h")


def test_every_contract_declares_one_entry_list_for_both_devices():
    for p in _contracts():
        text = p.read_text()
        lists = re.findall(r"#define (KERNELS_\w+_ENTRY_POINTS)\b", text)
        assert len(lists) == 1, f"{p.name}: expected one entry-point list, got {lists}"
        assert f"KERNELS_DECLARE_ENTRY_POINTS({lists[0]})" in text, p.name


@pytest.mark.parametrize("device,suffix", [("cpu", ".cpp"), ("cuda", ".cu")])
def test_every_family_has_its_file_on_both_devices(device, suffix):
    missing = [p.stem for p in _contracts() if not (CSRC / device / (p.stem + suffix)).is_file()]
    assert not missing, f"csrc/{device}/ lacks {missing}"


def test_route_names_the_entry_point_once():
    """KERNELS_ROUTE(tensor, op, fn, args...): no call spells out a *_cpu / *_cuda twin."""
    for p in _sources(CSRC / "ops"):
        for m in re.finditer(r"KERNELS_ROUTE\(([^;]*)", p.read_text()):
            assert not re.search(r"\w_(cpu|cuda)\(", m.group(1)), f"{p.name}: {m.group(0)[:80]}"


def test_no_hand_written_device_guards_in_the_kernels():
    for p in _sources(CSRC / "cuda"):
        if p.name == "runtime.cu":  # the runtime's own copies and allocations
            continue
        assert "DeviceGuard" not in p.read_text(), f"{p.name}: KERNELS_ROUTE takes the guard"


def test_one_place_reads_the_cpu_capability():
    readers = [p.name for p in _sources(CSRC) if re.search(r"getenv\(\"KERNELS_(CPU_CAPABILITY|GEMM_PORTABLE)", p.read_text())]
    assert readers == ["isa.cpp"], readers
    detectors = [p.name for p in _sources(CSRC) if "__builtin_cpu_supports" in p.read_text()]
    assert detectors == ["isa.cpp"], detectors


def test_no_source_file_over_the_limit():
    files = list(_sources(CSRC)) + sorted((ROOT / "python").rglob("*.py"))
    long = [f"{p.relative_to(ROOT)}: {n}" for p in files if (n := len(p.read_text().splitlines())) > MAX_LINES]
    assert not long, "\n".join(long)
