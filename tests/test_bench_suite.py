"""The benchmark suite's plumbing (bench/): case selection, the correctness gate before timing,
the JSON / Markdown / PNG outputs, and the FMA-peak probe. No timing is asserted."""
import json
import os
import platform
import subprocess
import sys

import numpy as np
import pytest

import kernels

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench import report, run  # noqa: E402
from bench.harness import Case, Timing, rel_err  # noqa: E402


def all_cases():
    import importlib

    from bench.cases import FAMILIES

    return [c for fam in FAMILIES for c in importlib.import_module(f"bench.cases.{fam}").cases(None)]


def test_every_family_has_cases_with_unique_names():
    cases = all_cases()
    from bench.cases import FAMILIES

    assert {c.family for c in cases} == set(FAMILIES)
    names = [(c.family, c.name) for c in cases]
    assert len(names) == len(set(names))


def test_families_are_the_op_families_with_tests():
    """A family's name is its op family's: the name of its tests, tests/test_<family>.py."""
    from bench.cases import FAMILIES

    for fam in FAMILIES:
        if fam != "overhead":  # the Python layer's cost per op: no op family
            assert os.path.exists(os.path.join(ROOT, "tests", f"test_{fam}.py")), fam


def test_select_by_family_word_and_size():
    cases = all_cases()
    chosen = run.select(cases, ["matmul"], [1024])
    assert [c.name for c in chosen] == ["1024^3"]
    rnn = run.select(cases, ["rnn"], None)
    assert {c.family for c in rnn} == {"rnn"} and len(rnn) == 4  # LSTM and GRU, H 256 and 512
    lstm = run.select(cases, ["lstm"], None)  # a word of case names, in any family
    assert {c.family for c in lstm} == {"rnn", "train", "matmul"}
    assert all("lstm" in c.name.lower() for c in lstm)
    assert len([c for c in lstm if c.family == "rnn"]) == 2
    assert run.select(cases, ["gemm"], None) == run.select(cases, ["matmul"], None)  # the old names
    assert run.select(cases, ["step"], None) == run.select(cases, ["train"], None)
    assert run.select(cases, ["no-such-op"], None) == []


def test_list_names_the_families_without_torch():
    """--list builds and prints the cases without timing anything, and needs no torch."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.dirname(os.path.dirname(kernels.__file__)), ROOT]))
    res = subprocess.run([sys.executable, "-m", "bench", "--list", "--op", "rnn", "gemm"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    lines = res.stdout.splitlines()
    assert {line.split()[0] for line in lines} == {"matmul", "rnn"}
    assert sum(line.startswith("rnn ") for line in lines) == 4
    assert any(line.split()[1] == "1024^3" for line in lines)


def test_result_names_follow_filters():
    args = run.parse(["--op", "conv2d", "--size", "64", "--threads", "1"])
    assert run.result_name(args) == "cpu_1threads_conv2d-64"
    assert run.result_name(run.parse([])) == "cpu_2threads"


def test_timing_statistics():
    t = Timing.of([3.0, 1.0, 2.0, 4.0, 5.0])
    assert t.median == 3.0 and t.best == 1.0 and t.n == 5
    assert t.q1 <= t.median <= t.q3
    assert t.spread == pytest.approx((t.q3 - t.q1) / 3.0)


def test_rel_err_and_shape_mismatch():
    assert rel_err(np.array([1.0, 2.0]), np.array([1.0, 2.5])) == pytest.approx(0.2)
    with pytest.raises(AssertionError, match="shapes differ"):
        rel_err(np.zeros(3), np.zeros(4))


def test_a_wrong_result_is_reported_and_not_timed():
    calls = []

    def setup():
        return (lambda: calls.append("ours")), (lambda: calls.append("peer")), (lambda: 0.5)

    args = run.parse(["--repeats", "1", "--rounds", "1"])
    row = run.run_case(Case("matmul", "broken", "numpy", setup, tol=1e-3), args, 100.0)
    assert "differs from the peer" in row["error"]
    assert calls == []
    md = report.markdown({"cpu": "x", "threads": 1, "fma_peak_gflops": 1, "commit": "c", "date": "d",
                          "torch": "t", "numpy": "n", "load_average": [0]}, [row])
    assert "ERROR" in md and "broken" in md


def test_suite_end_to_end(tmp_path):
    pytest.importorskip("torch")
    cmd = [sys.executable, "-m", "bench", "--op", "lenet.f6 fwd", "cross_entropy fwd+bwd (64,10)",
           "--repeats", "2", "--rounds", "1", "--warmup", "0", "--min-time", "0", "--threads", "1",
           "--out", str(tmp_path), "--name", "t"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [os.path.dirname(os.path.dirname(kernels.__file__)), ROOT]))
    res = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    data = json.loads((tmp_path / "t.json").read_text())
    assert data["machine"]["threads"] == 1 and data["machine"]["fma_peak_gflops"] > 0
    rows = data["results"]
    assert [r["family"] for r in rows] == ["matmul", "loss"]
    for r in rows:
        assert r["max_rel_err"] <= 1e-3
        assert r["ratio"] > 0 and r["ours"]["n"] >= 2 and r["peer_t"]["n"] >= 2
    assert rows[0]["ours_gflops"] > 0 and rows[0]["pct_peak"] > 0
    md = (tmp_path / "t.md").read_text()
    assert "lenet.f6" in md and "| matmul |" in md
    if (tmp_path / "t.png").exists():
        assert (tmp_path / "t.png").read_bytes()[:4] == b"\x89PNG"


def test_fma_peak_probe():
    p = kernels._C.fma_peak(1, 0.02)
    assert p["gflops"] > 0.1 and p["threads"] == 1 and p["isa"] in ("AVX-512F", "AVX2+FMA", "portable")
    assert p["lanes"] == (16 if p["isa"] == "AVX-512F" else 8)
    with pytest.raises(ValueError, match="fma_peak"):
        kernels._C.fma_peak(0, 0.1)
    with pytest.raises(ValueError, match="fma_peak"):
        kernels._C.fma_peak(1, -1.0)


def test_core_clock_probe_checks_the_peak():
    c = kernels._C.core_clock(0.02)
    if platform.machine() in ("x86_64", "AMD64"):
        # Loose bounds: a clock between 0.3 and 10 GHz, and an FMA latency that reads as a few
        # cycles (4-5 on current cores), so a miscounted chain shows up as a wild number.
        assert 0.3 < c["ghz"] < 10
        if c["fma_latency_cycles"]:  # 0 on CPUs without AVX2/FMA
            assert 2 <= c["fma_latency_cycles"] <= 12
    else:
        assert c["ghz"] == 0
    with pytest.raises(ValueError, match="core_clock"):
        kernels._C.core_clock(0.0)
    from bench.harness import clock_check, peak_line
    meta = {"fma_peak_gflops": 100.0, "threads": 2, **clock_check(2, 100.0, 8)}
    line = peak_line(meta)
    assert line.startswith("FMA peak 100.0 GFLOP/s measured")
    if meta["clock_ghz"]:
        assert meta["fma_per_cycle"] == round(100.0 / (meta["clock_ghz"] * 32), 2)
        assert "FMA latency" in line
