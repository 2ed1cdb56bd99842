"""A tensor over a read-only NumPy array (np.frombuffer over bytes, a read-only mmap, any array
with flags.writeable False) can be read but every in-place write raises instead of faulting."""
import mmap

import numpy as np
import pytest

import kernels
from kernels import nn


def readonly(values=(1.0, 2.0, 3.0, 4.0)):
    a = np.array(values, dtype=np.float32)
    a.setflags(write=False)
    return kernels.from_numpy(a)


WRITES = {
    "add_": lambda t: t.add_(1.0),
    "add_ tensor": lambda t: t.add_(kernels.ones(4)),
    "mul_": lambda t: t.mul_(2.0),
    "fill_": lambda t: t.fill_(0.0),
    "zero_": lambda t: t.zero_(),
    "copy_": lambda t: t.copy_(kernels.zeros(4)),
    "setitem": lambda t: t.__setitem__(0, 5.0),
    "setitem slice": lambda t: t.__setitem__(slice(1, 3), kernels.zeros(2)),
    "setitem mask": lambda t: t.__setitem__(t > 2, 0.0),
    "iadd": lambda t: t.__iadd__(1.0),
    "relu_": lambda t: nn.functional.relu(t, inplace=True),
}


@pytest.mark.parametrize("name", list(WRITES))
def test_in_place_writes_raise(name):
    t = readonly()
    with kernels.no_grad(), pytest.raises(ValueError, match="read-only NumPy array"):
        WRITES[name](t)
    assert t.tolist() == [1.0, 2.0, 3.0, 4.0]


def test_views_keep_the_flag_and_reads_work():
    t = readonly()
    v = t.reshape(2, 2)[1:]
    with pytest.raises(ValueError, match="read-only"):
        v.fill_(0.0)
    assert (t * 2).tolist() == [2.0, 4.0, 6.0, 8.0]
    assert t.clone().add_(1.0).tolist() == [2.0, 3.0, 4.0, 5.0]   # a copy is writable
    assert not t.numpy().flags.writeable
    assert memoryview(t).readonly


def test_frombuffer_over_bytes_and_readonly_mmap(tmp_path):
    t = kernels.from_numpy(np.frombuffer(b"\x00" * 16, dtype=np.float32))
    with pytest.raises(ValueError, match="read-only"):
        t.add_(1.0)
    path = tmp_path / "data.bin"
    np.arange(8, dtype=np.float32).tofile(path)
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        t = kernels.from_numpy(np.frombuffer(m, dtype=np.float32))
        assert t.sum().item() == 28.0
        with pytest.raises(ValueError, match="read-only"):
            t[0] = 1.0
        del t


def test_optimizer_step_on_a_readonly_parameter_raises():
    p = nn.Parameter(readonly())
    p.grad = kernels.ones(4)
    opt = kernels.optim.SGD([p], lr=0.1)
    with pytest.raises(ValueError, match="sgd_step: cannot write into .* read-only"):
        opt.step()
    assert p.tolist() == [1.0, 2.0, 3.0, 4.0]
