"""Integer fills stay exact (a double holds 53 bits), CUDA's availability comes with a reason,
and DLPack views carry the allocation's base and a byte offset."""
import numpy as np
import pytest

import kernels


@pytest.mark.parametrize("value", [2**62 + 1, 2**63 - 1, -(2**63), 9007199254740993])
def test_int64_fills_are_exact(value, device):
    assert kernels.full((3,), value, dtype=kernels.int64, device=device).tolist() == [value] * 3
    x = kernels.zeros(2, 2, dtype=kernels.int64, device=device)
    x.fill_(value)
    assert x.tolist() == [[value] * 2] * 2
    x[0, 1] = value - 1 if value > -(2**63) else value + 1
    assert x[0, 1].item() == (value - 1 if value > -(2**63) else value + 1)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 2.0**63, 2**64])
def test_int64_fills_refuse_what_int64_cannot_hold(value):
    with pytest.raises(RuntimeError, match="cannot be converted to int64"):
        kernels.full((2,), value, dtype=kernels.int64)
    x = kernels.zeros(2, dtype=kernels.int64)
    with pytest.raises(RuntimeError, match="cannot be converted to int64"):
        x[0] = value
    assert x.tolist() == [0, 0]


def test_float32_fill_out_of_range_raises_but_inf_is_fine():
    with pytest.raises(RuntimeError, match="cannot be converted to float32"):
        kernels.full((1,), 1e300)
    assert kernels.full((1,), float("inf")).tolist() == [float("inf")]


def test_build_info_says_why_cuda_is_unavailable():
    info = kernels.build_info()
    if info["cuda_devices"]:
        assert info["cuda_unavailable"] == ""
    else:
        assert info["cuda_unavailable"]           # a reason, never an empty string
        assert not kernels.cuda.is_available()


def test_dlpack_view_exports_base_and_byte_offset():
    base = kernels.arange(12.0)
    view = base[4:9]
    arr = np.from_dlpack(view)
    assert arr.tolist() == [4.0, 5.0, 6.0, 7.0, 8.0]
    torch = pytest.importorskip("torch")
    t = torch.from_dlpack(view)
    assert t.tolist() == [4.0, 5.0, 6.0, 7.0, 8.0]
    t[0] = 40.0                                   # shared memory, at the right place
    assert base[4].item() == 40.0 and base[3].item() == 3.0
