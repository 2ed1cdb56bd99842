"""Thread settings are bounded, and a process forked after parallel kernels ran (os.fork,
multiprocessing's default 'fork' pools) runs its kernels on one thread instead of hanging in
OpenMP's pool, which does not survive fork()."""
import subprocess
import sys
import textwrap

import pytest

import kernels


@pytest.mark.parametrize("n", [0, -1, 2**31 - 1, 10**6])
def test_set_num_threads_rejects_counts_out_of_range(n):
    before = kernels.get_num_threads()
    with pytest.raises(ValueError, match=r"set_num_threads: expected a thread count in \[1, \d+\]"):
        kernels.set_num_threads(n)
    assert kernels.get_num_threads() == before


def test_set_num_threads_accepts_the_limit():
    before = kernels.get_num_threads()
    try:
        kernels.set_num_threads(64)
        assert kernels.get_num_threads() == 64
    finally:
        kernels.set_num_threads(before)


FORK_SCRIPT = textwrap.dedent("""
    import multiprocessing as mp, os, warnings
    import kernels
    import kernels.nn.functional as F

    def work(seed):
        kernels.manual_seed(seed)
        a = kernels.randn(300, 300)
        x, w = kernels.randn(4, 3, 20, 20), kernels.randn(8, 3, 3, 3)
        return [(a @ a).sum().item(), F.conv2d(x, w).sum().item()]

    kernels.set_num_threads(2)
    expected = [work(s) for s in range(3)]       # the parent runs parallel kernels first
    pid = os.fork()
    if pid == 0:
        ok = work(0) == expected[0] and kernels.get_num_threads() == 1
        grandchild = os.fork()
        if grandchild == 0:
            os._exit(0 if work(1) == expected[1] else 3)
        _, status = os.waitpid(grandchild, 0)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            kernels.set_num_threads(2)
        ok = ok and kernels.get_num_threads() == 1 and any("forked" in str(c.message) for c in caught)
        os._exit(0 if ok and status == 0 else 4)
    _, status = os.waitpid(pid, 0)
    assert status == 0, status
    with mp.get_context("fork").Pool(2) as pool:
        assert pool.map(work, range(3)) == expected
    assert kernels.get_num_threads() == 2
    print("fork ok")
""")


def test_forked_children_and_fork_pools_run_kernels():
    r = subprocess.run([sys.executable, "-c", FORK_SCRIPT], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "fork ok" in r.stdout
