"""A pytest plugin for bench/gpu_check.sh (`-p bench.gpu.pytest_outcomes`), standing in for
pytest-xdist and a report-log plugin, neither of which the GPU machine may have:

    KERNELS_TEST_IDS=FILE       run only the test ids listed in FILE (one per line): a shard
    KERNELS_TEST_OUTCOMES=FILE  append one JSON line per finished test, as it finishes, so a shard
                                that crashes or is killed still leaves what it ran
"""
from __future__ import annotations

import json
import os

TAIL_CHARS = 3000  # of a failure's report: enough for the assertion and the kernel's error


def pytest_collection_modifyitems(session, config, items):
    path = os.environ.get("KERNELS_TEST_IDS")
    if not path:
        return
    with open(path) as f:
        wanted = {line.strip() for line in f if line.strip()}
    keep = [it for it in items if it.nodeid in wanted]
    drop = [it for it in items if it.nodeid not in wanted]
    if drop:
        config.hook.pytest_deselected(items=drop)
    items[:] = keep


def _outcome(report):
    """One word per test: passed / failed / skipped / error (setup or teardown) / xfailed / xpassed;
    None for the phases that add nothing (a passing setup or teardown)."""
    xfail = hasattr(report, "wasxfail")
    if report.when == "call":
        if xfail:
            return "xfailed" if report.skipped else "xpassed"
        return report.outcome
    if report.when == "setup" and not report.passed:
        return "skipped" if report.skipped else "error"
    if report.when == "teardown" and report.failed:
        return "error"
    return None


def pytest_runtest_logreport(report):
    path = os.environ.get("KERNELS_TEST_OUTCOMES")
    outcome = _outcome(report)
    if not path or outcome is None:
        return
    rec = {"id": report.nodeid, "when": report.when, "outcome": outcome,
           "seconds": round(report.duration, 3)}
    if outcome in ("failed", "error"):
        rec["tail"] = str(report.longrepr)[-TAIL_CHARS:]
    with open(path, "a") as f:
        f.write(json.dumps(rec) + "\n")
