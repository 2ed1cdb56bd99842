"""The GPU check (bench/gpu_check.sh) and the GPU benchmarks (bench/gpu), as far as a machine
without a GPU can take them: the dry run end to end, the record's parsers on planted logs, the
pytest plugin that shards the suite, and every GPU benchmark case's setup and check run on the
CPU. Nothing is timed against anything."""
import glob
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
import types

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench import gpu_check  # noqa: E402


# kernels from the source tree where a module was built there (tools/dev_build.sh), else the
# installed package (a clean clone after pip install, as in CI).
_SOURCE_MODULE = bool(glob.glob(os.path.join(ROOT, "python", "kernels", "_C*.so")))


def _env(**extra):
    # Not the settings of a check this test may itself be running under (its shards set these).
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GPU_CHECK_", "KERNELS_TEST_"))}
    paths = ([os.path.join(ROOT, "python")] if _SOURCE_MODULE else []) + [ROOT, env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.update(extra)
    return env


# ------------------------------------------------------------------ the dry run

HAS_NVCC = shutil.which(os.environ.get("CUDACXX", "nvcc")) is not None


@pytest.fixture(scope="module")
def dry_run(tmp_path_factory):
    if shutil.which("cmake") is None:
        pytest.skip("the dry run configures the CUDA build with cmake")
    out = tmp_path_factory.mktemp("gpu_check")
    r = subprocess.run(["bash", os.path.join(ROOT, "bench", "gpu_check.sh"), "--dry-run"], cwd=ROOT,
                       env=_env(OUT=str(out), TMPDIR=str(out), OMP_NUM_THREADS="1", PYTHON=sys.executable),
                       capture_output=True, text=True, timeout=240)
    with open(out / "gpu_check.json") as f:
        return r, json.load(f)


def test_dry_run_records_every_stage(dry_run):
    r, doc = dry_run
    assert doc["mode"] == "dry-run"
    assert list(doc["stages"]) == gpu_check.STAGES
    for name, stage in doc["stages"].items():
        if name in gpu_check.GPU_STAGES:
            assert stage["status"] == "skipped (dry run)", (name, stage)
            assert stage.get("command"), name  # what it would have run
        elif name != "configure" or HAS_NVCC:
            assert stage["status"] == "passed", (name, stage)
    if HAS_NVCC:
        assert r.returncode == 0, r.stdout + r.stderr
        assert doc["summary"]["status"] == "passed (dry run)"
    else:  # the CUDA build cannot be configured here, and the record says so
        assert r.returncode == 1 and doc["summary"]["failed_stages"] == ["configure"]
    assert set(doc["summary"]["skipped_stages"]) == gpu_check.GPU_STAGES


def test_dry_run_configures_cuda_and_collects_the_suite(dry_run):
    _, doc = dry_run
    st = doc["stages"]
    assert "-DKERNELS_CUDA=ON" in st["configure"]["command"]
    if HAS_NVCC:
        assert st["configure"]["status"] == "passed"
        assert st["configure"]["cuda"].startswith("yes"), st["configure"]
        assert "archs 90" in st["configure"]["cuda"]
    else:
        assert st["configure"]["status"] == "failed"
        assert "no CUDA compiler" in st["configure"]["log_tail"]
    collect = st["collect"]
    assert collect["collected"] > 1000 and collect["collected"] == collect["pytest_says"]
    assert sum(collect["shard_sizes"]) == collect["collected"]
    assert collect["collection_errors"] == 0
    assert st["import"]["build_info"]["version"]
    assert st["machine"]["commit"] and st["machine"]["date"]
    assert st["bench_list"]["cases"] > 30
    for tool in ("memcheck", "racecheck"):
        cmd = st[tool]["command"]
        assert f"compute-sanitizer --tool {tool}" in cmd and "KERNELS_CUDA_ALLOC_EXACT=1" in cmd


# ------------------------------------------------------------------ the record's parsers


def test_shards_keep_module_fixture_files_whole_and_balance(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("@pytest.fixture(scope='module')\n")
    (tmp_path / "tests" / "test_b.py").write_text("")
    ids = [f"tests/test_a.py::t{i}" for i in range(5)] + [f"tests/test_b.py::t{i}" for i in range(11)]
    shards = gpu_check.shard(ids, 4, str(tmp_path))
    assert sorted(i for s in shards for i in s) == sorted(ids)
    holding_a = [s for s in shards if any(i.startswith("tests/test_a.py") for i in s)]
    assert len(holding_a) == 1
    assert max(map(len, shards)) - min(map(len, shards)) <= 2
    for s in shards:  # in the order pytest runs them, so "the first unreported" means something
        assert s == sorted(s, key=ids.index)


def _record(tmp_path):
    path = str(tmp_path / "record.json")
    gpu_check.main(["--json", path, "init", "--mode", "full", "--budget", "540"])
    return path


def test_tests_stage_counts_failures_and_names_the_test_a_crash_stopped_in(tmp_path, monkeypatch):
    monkeypatch.setenv("GPU_CHECK_LOCK", str(tmp_path / "lock"))
    path, work = _record(tmp_path), tmp_path
    (work / "shard0.ids").write_text("t.py::a\nt.py::b\nt.py::c\n")
    (work / "shard0.jsonl").write_text(
        '{"id": "t.py::a", "when": "call", "outcome": "passed", "seconds": 0.1}\n'
        '{"id": "t.py::b", "when": "call", "outcome": "failed", "seconds": 0.2, "tail": "boom"}\n'
        '{"id": "t.py::c", "when": "setup", "outcome": "skipped", "seconds": 0}\n')
    (work / "shard0.rc").write_text("1\n")
    (work / "shard1.ids").write_text("t.py::d\nt.py::e\n")
    (work / "shard1.jsonl").write_text('{"id": "t.py::d", "when": "call", "outcome": "passed", "seconds": 1}\n'
                                       '{"id": "t.py::d", "when": "teardown", "outcome": "error", "seconds": 0}\n')
    (work / "shard1.rc").write_text("134\n")  # aborted inside t.py::e
    gpu_check.main(["--json", path, "tests", "--work", str(work), "--seconds", "3"])
    st = gpu_check.load(path)["stages"]["tests"]
    assert st["status"] == "failed"
    assert st["counts"] == {"passed": 1, "failed": 1, "skipped": 1, "error": 1, "not_run": 1}
    assert st["failing"] == ["t.py::b", "t.py::d", "t.py::e"]
    assert st["stopped_shards"][0]["stopped_at"] == "t.py::e"
    assert (work / "failing.ids").read_text().split() == ["t.py::b", "t.py::d", "t.py::e"]
    doc = gpu_check.load(path)
    assert doc["summary"]["status"] == "failed" and doc["summary"]["tests"] == st["counts"]


@pytest.mark.parametrize("tool,log,rc,status,errors", [
    ("memcheck", "1 passed\n========= ERROR SUMMARY: 0 errors\n", 0, "passed", 0),
    ("memcheck", "========= Invalid __global__ write of size 4 bytes\n========= ERROR SUMMARY: 3 errors\n",
     86, "failed", 3),
    ("racecheck", "========= RACECHECK SUMMARY: 2 hazards displayed (1 error, 1 warning)\n", 86, "failed", 1),
    ("racecheck", "========= RACECHECK SUMMARY: 0 hazards displayed (0 errors, 0 warnings)\n", 1, "passed", 0),
    ("memcheck", "env: 'compute-sanitizer': No such file or directory\n", 127, "failed", None),
    ("memcheck", "collected 3 items\n", 124, "timed out", None),
])
def test_sanitizer_verdicts(tmp_path, monkeypatch, tool, log, rc, status, errors):
    monkeypatch.setenv("GPU_CHECK_LOCK", str(tmp_path / "lock"))
    path = _record(tmp_path)
    (tmp_path / "san.log").write_text(log)
    gpu_check.main(["--json", path, "sanitizer", tool, "--log", str(tmp_path / "san.log"), "--rc", str(rc),
                    "--seconds", "1", "--outcomes", str(tmp_path / "none.jsonl")])
    st = gpu_check.load(path)["stages"][tool]
    assert st["status"] == status
    assert st.get("errors") == errors
    if errors:
        assert gpu_check.load(path)["summary"][f"{tool}_errors"] == errors


def test_record_survives_every_stage_pending_and_is_rewritten_whole(tmp_path, monkeypatch):
    monkeypatch.setenv("GPU_CHECK_LOCK", str(tmp_path / "lock"))
    path = _record(tmp_path)
    doc = gpu_check.load(path)
    assert all(s["status"] == "pending" for s in doc["stages"].values())
    assert doc["summary"]["status"] == "incomplete"
    gpu_check.main(["--json", path, "stage", "build", "passed", "--set", "jobs=16", "--seconds", "61.5"])
    doc = gpu_check.load(path)
    assert doc["stages"]["build"] == {"status": "passed", "jobs": 16, "seconds": 61.5}
    assert not [p for p in os.listdir(tmp_path) if ".tmp" in p]  # written by rename


# ------------------------------------------------------------------ the pytest plugin


def test_outcomes_plugin_runs_only_the_listed_ids_and_reports_each(tmp_path):
    (tmp_path / "test_planted.py").write_text(textwrap.dedent("""
        import pytest

        @pytest.fixture
        def broken():
            raise RuntimeError("setup fails")

        def test_pass(): pass
        def test_fail(): assert 1 == 2, "planted"
        def test_skip(): pytest.skip("planted")
        def test_error(broken): pass
        @pytest.mark.xfail
        def test_xfail(): assert 0
        def test_not_listed(): pass
    """))
    listed = ["pass", "fail", "skip", "error", "xfail"]
    (tmp_path / "ids").write_text("".join(f"test_planted.py::test_{n}\n" for n in listed))
    outcomes = tmp_path / "out.jsonl"
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p",
                        "bench.gpu.pytest_outcomes", "--rootdir", str(tmp_path), "test_planted.py"],
                       cwd=tmp_path, env=_env(KERNELS_TEST_IDS=str(tmp_path / "ids"), KERNELS_TEST_OUTCOMES=str(outcomes)),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stdout + r.stderr
    got = {i.split("::test_")[1]: o for i, (o, _) in gpu_check.read_outcomes(str(outcomes)).items()}
    assert got == {"pass": "passed", "fail": "failed", "skip": "skipped", "error": "error", "xfail": "xfailed"}
    assert "planted" in gpu_check.read_outcomes(str(outcomes))["test_planted.py::test_fail"][1]["tail"]
    assert "1 deselected" in r.stdout


# ------------------------------------------------------------------ the GPU benchmarks


def test_bench_lists_the_gpu_cases_without_a_gpu():
    r = subprocess.run([sys.executable, "-m", "bench", "--device", "cuda", "--list"], cwd=ROOT, env=_env(),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    from bench.gpu import cases
    from kernels.testing.cases import MATMUL_NETWORK

    assert {line.split()[0] for line in lines} == set(cases.FAMILIES)
    assert any(line.split()[1] == "4096^3" for line in lines)
    for name, *_ in MATMUL_NETWORK:  # the networks' GEMM shapes, from the one case table
        assert any(name in line for line in lines), name
    assert sum("conv2d" in line and "(256," in line for line in lines) == 4
    assert any("LSTM layer fwd+bwd T=100 B=64 H=512" in line for line in lines)
    assert any("LeNet-5 training step, batch 256" in line for line in lines)


def test_gpu_result_names_and_peak():
    from bench import run
    from bench.gpu.harness import fp32_peak_gflops

    assert run.result_name(run.parse(["--device", "cuda"])) == "cuda"
    assert run.result_name(run.parse(["--device", "cuda", "--op", "lstm"])) == "cuda_lstm"
    h200 = types.SimpleNamespace(major=9, minor=0, multi_processor_count=132)
    assert fp32_peak_gflops(h200, 1980) == pytest.approx(66908.16)
    assert fp32_peak_gflops(h200, None) is None


class _WallEvent:
    """torch.cuda.Event's interface on the host clock."""

    def __init__(self, enable_timing=False):
        self.t = None

    def record(self):
        self.t = time.perf_counter()

    def elapsed_time(self, other):
        return (other.t - self.t) * 1e3


# One case per family, the cheapest of each on a CPU.
CPU_RUNNABLE = ["lenet.c5 fwd (nt", "lenet.c5 dW (tn", "lenet.c1 im2col (nn", "lenet.c5 fwd+bwd",
                "LSTM layer fwd+bwd T=100 B=64 H=256", "batch_norm train fwd+bwd (64, 256)",
                "cross_entropy fwd+bwd (64,10)", "LeNet-5 training step"]


def test_gpu_cases_set_up_check_and_time_on_the_cpu(monkeypatch):
    """The GPU cases' code paths on the CPU: tensors of both libraries placed by cases.DEVICE,
    results checked against torch's, then the event timing loop with a host-clock stand-in."""
    torch = pytest.importorskip("torch")
    from bench import run
    from bench.gpu import cases, harness
    from bench.gpu.run import run_case

    monkeypatch.setattr(cases, "DEVICE", "cpu")
    monkeypatch.setattr(harness, "peer_torch", lambda: torch)
    monkeypatch.setattr(harness, "synchronize", lambda: None)
    fake_torch = types.SimpleNamespace(cuda=types.SimpleNamespace(Event=_WallEvent))
    args = run.parse(["--device", "cuda", "--repeats", "2", "--warmup", "0", "--rounds", "1"])
    flushes = []
    chosen = [c for c in cases.cases() if any(c.name.startswith(p) for p in CPU_RUNNABLE)]
    assert {c.family for c in chosen} == set(cases.FAMILIES)
    prev = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for case in chosen:
            row = run_case(fake_torch, case, args, lambda: flushes.append(1), 1000.0)
            assert "error" not in row, (case.name, row["error"])
            assert row["max_rel_err"] <= case.tol
            assert row["ours"]["n"] == row["peer_t"]["n"] == 2 and row["ratio"] > 0
    finally:
        torch.set_num_threads(prev)
    assert len(flushes) == 4 * len(chosen)  # before every timed call, both libraries
