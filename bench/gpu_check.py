"""The JSON record behind bench/gpu_check.sh, and the parsers that fill it.

The shell script runs the stages; after each one it calls a subcommand here that reads the
stage's log (or result files), decides the stage's status and rewrites the one JSON file
atomically, with the summary recomputed, so a run cut short still leaves a complete record of
what finished. Standard library only: it runs before anything is built.

    python bench/gpu_check.py --json F init --mode dry-run
    python bench/gpu_check.py --json F stage NAME STATUS [--set k=v] [--json-file k=FILE] [--tail k=FILE]
    python bench/gpu_check.py --json F machine
    python bench/gpu_check.py --json F configure|build --log LOG --rc RC --seconds S --cmd CMD
    python bench/gpu_check.py --json F collect --log LOG --rc RC --seconds S --work DIR --shards N
    python bench/gpu_check.py --json F tests --work DIR --seconds S
    python bench/gpu_check.py rerun_split --work DIR
    python bench/gpu_check.py --json F rerun --work DIR --seconds S
    python bench/gpu_check.py smoke --ids FILE --out FILE
    python bench/gpu_check.py --json F sanitizer TOOL --log LOG --rc RC --seconds S --cmd CMD
    python bench/gpu_check.py edge-selections
    python bench/gpu_check.py --json F edge --work DIR --seconds S
    python bench/gpu_check.py --json F bench --results FILE --log LOG --rc RC --seconds S
    python bench/gpu_check.py --json F summary [--final]
"""
from __future__ import annotations

import argparse
import collections
import datetime
import fcntl
import heapq
import json
import os
import re
import subprocess
import sys
import time
import traceback

STAGES = ["machine", "configure", "build", "import", "cuda_available", "collect", "tests",
          "rerun_failures", "memcheck", "racecheck", "edge_cases", "bench_list", "bench"]
# Stages that need a GPU (or the CUDA build): a dry run marks them "skipped (dry run)".
GPU_STAGES = {"build", "cuda_available", "tests", "rerun_failures", "memcheck", "racecheck",
              "edge_cases", "bench"}
TAIL_CHARS = 4000
MAX_RERUN = 60  # failing tests rerun with KERNELS_CUDA_SYNC=1; beyond that more say little more

# The sanitizer's smoke set: in each file, the CUDA-vs-CPU tests (ids containing "cuda"),
# SMOKE_PER_FILE distinct test functions, first parametrization of each. Cheap and covering
# every kernel family once; the full suite runs without the sanitizer's 10-100x slowdown.
SMOKE_FILES = ["matmul", "conv2d", "pool", "norm", "rnn", "loss", "elementwise", "reduce", "shape",
               "embedding", "random"]
SMOKE_PER_FILE = 3

# Edge-case selections (pytest -k over the whole suite): label -> expression. Some may select
# nothing on a given commit; that is recorded, not failed.
EDGE_SELECTIONS = {
    "over_2_31_elements": "large or huge or 2_31",
    "grid_limits": "grid",
    "aliasing_inplace": "overlap or alias",
    "cpu_equal_random": "bitwise or cpu_numbers or same_mask or cpu_equal or equal_the_cpu",
    "repeatable_gradients": "determin or repeat",
}


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def tail(path, n=TAIL_CHARS) -> str:
    try:
        with open(path, errors="replace") as f:
            text = f.read()
    except OSError:
        return ""
    return text[-n:]


# ------------------------------------------------------------------ the record


def load(path) -> dict:
    with open(path) as f:
        return json.load(f)


def save(path, doc):
    doc["updated"] = now()
    doc["summary"] = summarize(doc)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=False)
        f.write("\n")
    os.replace(tmp, path)  # a reader (or a kill) never sees half a file


def set_stage(path, name, status, **fields):
    # Stages that run side by side (the two sanitizers) write in turn, never over each other.
    with open(os.environ.get("GPU_CHECK_LOCK") or path + ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        doc = load(path)
        stage = doc["stages"].setdefault(name, {})
        stage.clear()
        stage["status"] = status
        stage.update({k: v for k, v in fields.items() if v is not None})
        save(path, doc)
    print(f"gpu_check: {name}: {status}" + (f" ({fields['seconds']:.1f} s)" if fields.get("seconds") else ""),
          flush=True)
    return stage


def summarize(doc) -> dict:
    st = {name: s.get("status", "pending") for name, s in doc["stages"].items()}
    failed = [n for n, s in st.items() if s in ("failed", "timed out")]
    # Not run, and not by choice (a dry run, GPU_CHECK_SKIP): the check is incomplete.
    pending = [n for n, s in st.items() if s in ("pending", "running")
               or (s.startswith("skipped") and s not in ("skipped (dry run)", "skipped (GPU_CHECK_SKIP)"))]
    passed = [n for n, s in st.items() if s == "passed"]
    if failed:
        status = "failed"
    elif pending:
        status = "incomplete"
    else:
        status = "passed (dry run)" if doc.get("mode") == "dry-run" else "passed"
    out = {"status": status, "failed_stages": failed, "not_run_stages": pending,
           "passed_stages": passed,
           "skipped_stages": [n for n, s in st.items() if s.startswith("skipped")]}
    tests = doc["stages"].get("tests", {})
    if "counts" in tests:
        out["tests"] = tests["counts"]
    for tool in ("memcheck", "racecheck"):
        if "errors" in doc["stages"].get(tool, {}):
            out[f"{tool}_errors"] = doc["stages"][tool]["errors"]
    bench = doc["stages"].get("bench", {})
    if bench.get("rows"):
        ratios = [r["ratio"] for r in bench["rows"] if r.get("ratio")]
        out["bench"] = {"cases": len(bench["rows"]), "errors": sum(1 for r in bench["rows"] if r.get("error")),
                        "ratio_min": min(ratios, default=None), "ratio_max": max(ratios, default=None)}
    return out


def status_of(rc) -> str:
    """A command's exit status as a stage status; 124/137 are timeout(1)'s."""
    rc = int(rc)
    if rc == 0:
        return "passed"
    return "timed out" if rc in (124, 137) else "failed"


# ------------------------------------------------------------------ stages


def _run(cmd, timeout=30):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        return (r.stdout + r.stderr).strip() if r.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def cmd_machine(a):
    """Machine and toolchain; every probe tolerates its tool being absent (a dry run has no GPU)."""
    t0 = time.perf_counter()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    smi = _run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total,compute_cap",
                "--format=csv,noheader"])
    gpus = [dict(zip(("name", "driver", "memory", "compute_cap"), (v.strip() for v in line.split(","))))
            for line in (smi or "").splitlines() if line.strip()]
    nvcc = _run(["nvcc", "--version"])
    nvcc_release = re.search(r"release ([\d.]+), (V[\d.]+)", nvcc or "")
    torch_info = _run([a.python, "-c", "import json, torch; print(json.dumps({'version': torch.__version__, "
                       "'cuda': torch.version.cuda, 'cuda_available': torch.cuda.is_available()}))"], timeout=120)
    try:
        torch_info = json.loads(torch_info.splitlines()[-1]) if torch_info else None
    except ValueError:
        torch_info = {"error": torch_info[-500:]}
    commit = _run(["git", "-C", root, "rev-parse", "HEAD"])
    dirty = _run(["git", "-C", root, "status", "--porcelain", "--untracked-files=no"])
    sanitizer = _run(["compute-sanitizer", "--version"])
    ncu = _run(["ncu", "--version"])
    info = {
        "gpus": gpus,
        "nvidia_smi": "found" if smi is not None else "not found or no GPU",
        "nvcc": f"{nvcc_release.group(1)} ({nvcc_release.group(2)})" if nvcc_release else None,
        "torch": torch_info,
        "python": _run([a.python, "-c", "import sys; print(sys.version.split()[0])"]),
        "cmake": (_run(["cmake", "--version"]) or "").splitlines()[0:1] or None,
        "ninja": _run(["ninja", "--version"]),
        "compute_sanitizer": (sanitizer or "").splitlines()[-1:] or None,
        "ncu": (ncu or "").splitlines()[-1:] or None,
        "cpus": os.cpu_count(),
        "commit": commit,
        "dirty": bool(dirty),
        "date": now(),
    }
    for k in ("cmake", "compute_sanitizer", "ncu"):
        if isinstance(info[k], list):
            info[k] = info[k][0] if info[k] else None
    set_stage(a.json, "machine", "passed", seconds=round(time.perf_counter() - t0, 2), **info)


def record_command(a, stage, fields, missing=None):
    """Record a stage that is one command (exit status a.rc, output in a.log): passed if it exited
    0 and its output has what it should (else `missing` says what it lacks); anything but a pass
    keeps the log's tail. 0 if it passed, else 1."""
    status = status_of(a.rc)
    if status == "passed" and missing:
        status, fields["error"] = "failed", missing
    if status != "passed":
        fields["log_tail"] = tail(a.log)
    set_stage(a.json, stage, status, **fields)
    return 0 if status == "passed" else 1


def cmd_configure(a):
    log = tail(a.log, 200_000)
    m = re.search(r"-- kernels: (.*)$", log, re.M)
    fields = {"seconds": a.seconds, "command": a.cmd, "summary": m.group(1) if m else None}
    cuda = re.search(r"CUDA (yes.*|no.*)$", m.group(1)) if m else None
    fields["cuda"] = cuda.group(1) if cuda else None
    cuda_on = cuda and cuda.group(1).startswith("yes")
    return record_command(a, "configure", fields, None if cuda_on else "configure did not enable the CUDA kernels")


def cmd_build(a):
    fields = {"seconds": a.seconds, "command": a.cmd, "jobs": a.jobs, "module": a.module or None}
    warnings = len(re.findall(r"warning", tail(a.log, 10_000_000), re.I))
    fields["warning_lines"] = warnings
    return record_command(a, "build", fields, None if a.module else "no _C*.so in the build directory")


def read_ids(collect_log):
    """Test ids from `pytest --collect-only -q`: the lines naming a test (path::name...)."""
    ids = []
    with open(collect_log, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if "::" in line and not line.startswith((" ", "ERROR", "FAILED", "=")):
                ids.append(line)
    return ids


def _whole_file_units(ids, root):
    """Files whose tests share a module- or session-scoped fixture (one expensive setup, e.g. a
    short training run) go to one shard whole, so that setup runs once; other tests spread."""
    by_file = collections.OrderedDict()
    for i in ids:
        by_file.setdefault(i.split("::", 1)[0], []).append(i)
    whole, loose = [], []
    for path, file_ids in by_file.items():
        try:
            with open(os.path.join(root, path), errors="replace") as f:
                text = f.read()
        except OSError:
            text = ""
        if re.search(r"scope\s*=\s*[\"'](module|session|package)[\"']", text):
            whole.append(file_ids)
        else:
            loose.extend(file_ids)
    return whole, loose


def shard(ids, n, root):
    """n lists of ids: whole-file groups first (largest first), then the other tests one at a
    time, each to the shard with the fewest tests: once the shards are level that is round-robin,
    which spreads each file's slow tests apart."""
    shards = [[] for _ in range(n)]
    whole, loose = _whole_file_units(ids, root)
    for group in sorted(whole, key=len, reverse=True):
        min(shards, key=len).extend(group)
    heap = [(len(s), k) for k, s in enumerate(shards)]
    heapq.heapify(heap)
    for test_id in loose:
        size, k = heapq.heappop(heap)
        shards[k].append(test_id)
        heapq.heappush(heap, (size + 1, k))
    index = {test_id: k for k, test_id in enumerate(ids)}
    return [sorted(s, key=index.__getitem__) for s in shards]  # the order pytest runs them in


def cmd_collect(a):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ids = read_ids(a.log)
    text = tail(a.log, 100_000)
    m = re.search(r"(\d+)(?:/\d+)? tests? collected", text)
    errors = re.search(r"(\d+) errors?", text.splitlines()[-1] if text.strip() else "")
    os.makedirs(a.work, exist_ok=True)
    with open(os.path.join(a.work, "ids.txt"), "w") as f:
        f.write("\n".join(ids) + "\n")
    shards = shard(ids, a.shards, root)
    for k, s in enumerate(shards):
        with open(os.path.join(a.work, f"shard{k}.ids"), "w") as f:
            f.write("\n".join(s) + "\n")
    per_file = collections.Counter(i.split("::", 1)[0] for i in ids)
    status = "passed" if ids and int(a.rc) == 0 else (status_of(a.rc) if int(a.rc) else "failed")
    fields = {"seconds": a.seconds, "command": a.cmd, "collected": len(ids),
              "pytest_says": int(m.group(1)) if m else None,
              "collection_errors": int(errors.group(1)) if errors else 0,
              "files": len(per_file), "cuda_ids": sum(1 for i in ids if "cuda" in i.lower()),
              "shards": len(shards), "shard_sizes": [len(s) for s in shards],
              "whole_file_groups": [g[0].split("::", 1)[0] for g in _whole_file_units(ids, root)[0]]}
    if status != "passed":
        fields["log_tail"] = tail(a.log)
    set_stage(a.json, "collect", status, **fields)
    return 0 if ids else 1


def read_outcomes(path):
    """id -> (outcome, record) from a KERNELS_TEST_OUTCOMES file; a failure in any phase wins."""
    rank = {"error": 3, "failed": 3, "xpassed": 1, "passed": 0, "skipped": 0, "xfailed": 0}
    out = {}
    try:
        with open(path, errors="replace") as f:
            lines = f.readlines()
    except OSError:
        return out
    for line in lines:
        try:
            rec = json.loads(line)
        except ValueError:
            continue  # a line cut off by a kill
        prev = out.get(rec["id"])
        if prev is None or rank.get(rec["outcome"], 0) > rank.get(prev[0], 0):
            out[rec["id"]] = (rec["outcome"], rec)
    return out


def _ids_of(path):
    try:
        with open(path) as f:
            return [line.strip() for line in f if line.strip()]
    except OSError:
        return []


def cmd_tests(a):
    counts = collections.Counter()
    failing, crashed, shards, slowest = [], [], [], []
    k = 0
    while os.path.exists(os.path.join(a.work, f"shard{k}.ids")):
        ids = _ids_of(os.path.join(a.work, f"shard{k}.ids"))
        outcomes = read_outcomes(os.path.join(a.work, f"shard{k}.jsonl"))
        log = os.path.join(a.work, f"shard{k}.log")
        rc_text = tail(os.path.join(a.work, f"shard{k}.rc")).strip()
        rc = int(rc_text) if rc_text.lstrip("-").isdigit() else None
        for test_id, (outcome, rec) in outcomes.items():
            counts[outcome] += 1
            slowest.append((rec.get("seconds", 0.0), test_id))
            if outcome in ("failed", "error"):
                failing.append(test_id)
        not_run = [i for i in ids if i not in outcomes]
        last_line = (tail(log, 2000).strip().splitlines() or [""])[-1]
        info = {"shard": k, "tests": len(ids), "reported": len(outcomes), "rc": rc, "pytest_says": last_line}
        # pytest's exit codes: 0 passed, 1 tests failed, 5 none selected; anything else (a signal,
        # timeout's 124, an internal error) means the shard stopped early, inside the first test
        # it did not report (its ids are in the order pytest runs them).
        if rc in (0, 1, 5):
            counts["not_collected"] += len(not_run)  # an id that differs between collections
            if not_run:
                info["not_collected"] = not_run[:10]
        else:
            counts["not_run"] += len(not_run)
            info["stopped_at"] = not_run[0] if not_run else None
            info["log_tail"] = tail(log, 2500)
            crashed.append(info)
            if not_run and rc not in (124, 137):
                failing.append(not_run[0])  # rerun the likely culprit alone
        shards.append(info)
        k += 1
    status = "passed" if not failing and not crashed and shards else "failed"
    if any(s["rc"] in (124, 137) for s in shards):
        status = "timed out"
    for key in ("not_run", "not_collected"):
        if not counts[key]:
            del counts[key]
    with open(os.path.join(a.work, "failing.ids"), "w") as f:
        f.write("\n".join(dict.fromkeys(failing)) + "\n")
    slowest.sort(reverse=True)
    set_stage(a.json, "tests", status, seconds=a.seconds, command=a.cmd, counts=dict(counts),
              failing=list(dict.fromkeys(failing))[:200], failing_total=len(set(failing)),
              stopped_shards=crashed, shards=[{k: v for k, v in s.items() if k != "log_tail"} for s in shards],
              slowest=[{"id": i, "seconds": s} for s, i in slowest[:15]])
    return 0


def cmd_rerun_split(a):
    """The failing ids (at most MAX_RERUN) grouped by file into rerun_K.ids; prints K TAB file.
    One process per file: a kernel that leaves a sticky CUDA error (or aborts) then spoils only
    its own file's reruns."""
    ids = _ids_of(os.path.join(a.work, "failing.ids"))[:MAX_RERUN]
    by_file = collections.OrderedDict()
    for i in ids:
        by_file.setdefault(i.split("::", 1)[0], []).append(i)
    for k, (path, file_ids) in enumerate(by_file.items()):
        with open(os.path.join(a.work, f"rerun_{k}.ids"), "w") as f:
            f.write("\n".join(file_ids) + "\n")
        print(f"{k}\t{path}")


def cmd_rerun(a):
    ids = _ids_of(os.path.join(a.work, "failing.ids"))
    if not ids:
        set_stage(a.json, "rerun_failures", "passed", seconds=a.seconds, note="nothing failed", rerun=0)
        return 0
    outcomes, stopped = {}, []
    k = 0
    while os.path.exists(os.path.join(a.work, f"rerun_{k}.ids")):
        base = os.path.join(a.work, f"rerun_{k}")
        outcomes.update(read_outcomes(base + ".jsonl"))
        rc_text = tail(base + ".rc").strip()
        if rc_text not in ("0", "1", "5"):
            stopped.append({"file": (_ids_of(base + ".ids") or ["?"])[0].split("::", 1)[0], "rc": rc_text,
                            "log_tail": tail(base + ".log", 2500)})
        k += 1
    results = {}
    for test_id in ids[:MAX_RERUN]:
        outcome, rec = outcomes.get(test_id, ("not run", {}))
        results[test_id] = {"outcome": outcome, "seconds": rec.get("seconds"), "tail": rec.get("tail")}
    still = [i for i, r in results.items() if r["outcome"] in ("failed", "error", "not run")]
    status = "failed" if still else "passed"  # all passing now: order- or parallelism-dependent
    if any(s["rc"] in ("124", "137") for s in stopped):
        status = "timed out"
    set_stage(a.json, "rerun_failures", status, seconds=a.seconds, command=a.cmd,
              env="KERNELS_CUDA_SYNC=1", rerun=len(results), still_failing=len(still),
              passed_on_rerun=[i for i, r in results.items() if r["outcome"] == "passed"],
              results=results, stopped_processes=stopped, omitted=max(0, len(ids) - MAX_RERUN))
    return 0


def cmd_smoke(a):
    """Write the sanitizer's smoke ids (see SMOKE_FILES) to --out; print how many per file."""
    ids = _ids_of(a.ids)
    chosen, per_file = [], collections.Counter()
    for name in SMOKE_FILES:
        path = f"tests/test_{name}.py"
        funcs = collections.OrderedDict()
        for i in ids:
            if i.startswith(path + "::") and "cuda" in i.lower():
                funcs.setdefault(i.split("[", 1)[0], i)
        picked = list(funcs.values())[:SMOKE_PER_FILE]
        chosen += picked
        per_file[name] = len(picked)
    with open(a.out, "w") as f:
        f.write("\n".join(chosen) + "\n")
    print(json.dumps(dict(per_file)))


def cmd_sanitizer(a):
    """compute-sanitizer's verdict: 'ERROR SUMMARY: N errors' (memcheck), 'RACECHECK SUMMARY: N
    hazards displayed (E errors, W warnings)' (racecheck); the tests' own outcomes beside it."""
    log = tail(a.log, 50_000_000)
    errors = [int(n) for n in re.findall(r"ERROR SUMMARY: (\d+) errors?", log)]
    race = re.findall(r"RACECHECK SUMMARY: (\d+) hazards? displayed \((\d+) errors?, (\d+) warnings?\)", log)
    fields = {"seconds": a.seconds, "command": a.cmd, "env": "KERNELS_CUDA_ALLOC_EXACT=1", "rc": int(a.rc)}
    if race:  # racecheck's own summary; its errors are the hazards it calls errors
        fields["hazards"] = sum(int(h) for h, _, _ in race)
        fields["errors"] = sum(int(e) for _, e, _ in race)
        fields["warnings"] = sum(int(w) for _, _, w in race)
    elif errors:
        fields["errors"] = sum(errors)
    reports = [r for r in re.findall(r"^========= (?:Invalid|Error|ERROR|Race|Warning).*$", log, re.M)
               if "SUMMARY" not in r]
    fields["first_reports"] = list(dict.fromkeys(reports))[:20]
    outcomes = read_outcomes(a.outcomes) if a.outcomes else {}
    fields["tests"] = dict(collections.Counter(o for o, _ in outcomes.values()))
    fields["failing_tests"] = [i for i, (o, _) in outcomes.items() if o in ("failed", "error")]
    if "Device not supported" in log or "Target application terminated before first instrumented" in log:
        fields["note"] = "the sanitizer could not attach to this device (a gVisor runtime refuses it)"
    # The verdict is the sanitizer's: a test failing under it (rc 1) is recorded, not the verdict.
    if int(a.rc) in (124, 137):
        status = "timed out"
    elif "errors" not in fields:
        status, fields["error"] = "failed", "no sanitizer summary in the output"
    else:
        status = "failed" if fields["errors"] else "passed"
    if status != "passed" or fields["failing_tests"]:
        fields["log_tail"] = tail(a.log)
    set_stage(a.json, a.tool, status, **fields)
    return 0


def cmd_edge(a):
    results, bad = {}, False
    for label, expr in EDGE_SELECTIONS.items():
        base = os.path.join(a.work, f"edge_{label}")
        rc_text = tail(base + ".rc").strip()
        rc = int(rc_text) if rc_text.lstrip("-").isdigit() else None
        outcomes = read_outcomes(base + ".jsonl")
        counts = dict(collections.Counter(o for o, _ in outcomes.values()))
        entry = {"k": expr, "rc": rc, "counts": counts,
                 "pytest_says": (tail(base + ".log", 2000).strip().splitlines() or [""])[-1]}
        if rc == 5:
            entry["note"] = "selected nothing"
        elif rc != 0:
            bad = True
            entry["failing"] = {i: r.get("tail", "")[-1500:] for i, (o, r) in outcomes.items()
                                if o in ("failed", "error")}
            if not outcomes:
                entry["log_tail"] = tail(base + ".log", 2500)
        results[label] = entry
    timed_out = any(r["rc"] in (124, 137) for r in results.values())
    set_stage(a.json, "edge_cases", "timed out" if timed_out else "failed" if bad else "passed",
              seconds=a.seconds, command=a.cmd, selections=results)
    return 0


def cmd_bench(a):
    fields = {"seconds": a.seconds, "command": a.cmd}
    try:
        res = load(a.results)
    except (OSError, ValueError):
        res = None
    if res:
        fields["machine"] = res.get("machine")
        fields["rows"] = [_bench_row(r) for r in res.get("results", [])]
        fields["complete"] = bool(res.get("complete", True))
    md = os.path.splitext(a.results)[0] + ".md"
    if os.path.exists(md):
        fields["table_md"] = tail(md, 30_000)
    record_command(a, "bench", fields, None if res else "no results file")
    return 0


def _bench_row(r):
    row = {k: r.get(k) for k in ("family", "name", "peer", "ratio", "min_ratio", "max_rel_err",
                                 "ours_gflops", "peer_gflops", "pct_peak", "ours_gbs", "peer_gbs", "error")
           if r.get(k) is not None}
    for side, key in (("ours", "ours_ms"), ("peer_t", "peer_ms")):
        if isinstance(r.get(side), dict):
            row[key] = round(r[side]["median"] * 1e3, 4)
            row[key.replace("_ms", "_spread")] = round(r[side]["spread"], 3)
    for k in ("ratio", "min_ratio", "ours_gflops", "peer_gflops", "pct_peak", "ours_gbs", "peer_gbs"):
        if k in row:
            row[k] = round(row[k], 3)
    return row


def cmd_init(a):
    doc = {"check": "kernels GPU check (bench/gpu_check.sh)", "mode": a.mode, "started": now(),
           "budget_s": a.budget, "stages": {s: {"status": "pending"} for s in STAGES}}
    os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
    save(a.json, doc)


def cmd_stage(a):
    fields = {}
    for kv in a.set or []:
        k, _, v = kv.partition("=")
        fields[k] = _number(v)
    for kv in a.json_file or []:
        k, _, path = kv.partition("=")
        try:
            fields[k] = load(path)
        except (OSError, ValueError):
            fields[k] = {"unreadable": tail(path, 2000)}
    for kv in a.tail or []:
        k, _, path = kv.partition("=")
        fields[k] = tail(path)
    if a.seconds is not None:
        fields["seconds"] = a.seconds
    set_stage(a.json, a.name, a.status, **fields)


def _number(v):
    for cast in (int, float):
        try:
            return cast(v)
        except ValueError:
            pass
    return v


def cmd_summary(a):
    doc = load(a.json)
    if a.final:
        doc["finished"] = now()
    save(a.json, doc)
    s = doc["summary"]
    print(f"gpu_check: {s['status']}; failed: {', '.join(s['failed_stages']) or 'none'}; "
          f"skipped: {len(s['skipped_stages'])}; tests: {s.get('tests', '-')}")
    return 1 if s["status"] in ("failed", "incomplete") else 0


def main(argv=None):
    p = argparse.ArgumentParser(prog="bench/gpu_check.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--json", help="the record to update")
    sub = p.add_subparsers(dest="subcommand", required=True)

    def common(name, *extra):
        q = sub.add_parser(name)
        q.add_argument("--seconds", type=float)
        q.add_argument("--cmd", default=None, help="the command line, as recorded")
        for e in extra:
            if e in ("--rc", "--shards", "--jobs"):
                q.add_argument(e, type=int, default=0)
            else:
                q.add_argument(e)
        return q

    q = sub.add_parser("init")
    q.add_argument("--mode", choices=("full", "dry-run"), required=True)
    q.add_argument("--budget", type=int)
    q = common("stage")
    q.add_argument("name")
    q.add_argument("status")
    q.add_argument("--set", action="append")
    q.add_argument("--json-file", action="append")
    q.add_argument("--tail", action="append")
    q = common("machine")
    q.add_argument("--python", default=sys.executable)
    common("configure", "--log", "--rc")
    common("build", "--log", "--rc", "--jobs", "--module")
    common("collect", "--log", "--rc", "--work", "--shards")
    common("tests", "--work")
    common("rerun", "--work")
    common("rerun_split", "--work")
    q = sub.add_parser("smoke")
    q.add_argument("--ids", required=True)
    q.add_argument("--out", required=True)
    q = common("sanitizer", "--log", "--rc", "--outcomes")
    q.add_argument("tool", choices=("memcheck", "racecheck"))
    common("edge", "--work")
    common("bench", "--results", "--log", "--rc")
    q = sub.add_parser("summary")
    q.add_argument("--final", action="store_true")
    sub.add_parser("edge-selections")  # label TAB expression, one a line, for the script
    a = p.parse_args(argv)
    if a.subcommand == "edge-selections":
        print("\n".join(f"{label}\t{expr}" for label, expr in EDGE_SELECTIONS.items()))
        return 0
    fn = globals()["cmd_" + a.subcommand]
    try:
        return fn(a) or 0
    except Exception as e:  # a log it cannot read must not end the check: record it, go on
        traceback.print_exc()
        stage = {"rerun": "rerun_failures", "edge": "edge_cases", "sanitizer": getattr(a, "tool", None)}.get(
            a.subcommand, a.subcommand)
        if a.json and stage in STAGES:
            try:
                set_stage(a.json, stage, "failed", error=f"bench/gpu_check.py {a.subcommand}: {type(e).__name__}: {e}",
                          seconds=getattr(a, "seconds", None))
            except Exception:
                traceback.print_exc()
        return 3


if __name__ == "__main__":
    sys.exit(main())
