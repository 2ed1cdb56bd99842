"""The named CPU conv2d plans (csrc/cpu/conv2d_plan.h): which path each direction of the networks'
convolutions takes, that the choice follows the capability level, and that every path forced by
the override gives the same numbers as torch."""
import numpy as np
import pytest

import kernels
import kernels.functional as F
from kernels import _C
from kernels.backends import cpu
from kernels.testing.cases import CONV2D, conv2d

PATHS = ("dense", "small_avx2", "direct_avx2", "direct_avx512", "packed_gemm", "im2col_gemm")
HAS_AVX512 = cpu.supported_cpu_capability() == "AVX512"
needs_avx2 = pytest.mark.skipif(cpu.supported_cpu_capability() not in ("AVX2", "AVX512"), reason="needs an AVX2+FMA CPU")


def plan_of(case, dtype=np.float32, batch=None):
    x = kernels.zeros(case.input_shape(batch), dtype=kernels.float32 if dtype == np.float32 else kernels.float64)
    w = kernels.zeros(case.weight_shape(), dtype=x.dtype)
    p = case.padding
    return _C.conv2d_plan(x, w, [1, 1], [p, p], [1, 1], 1)


@needs_avx2
@pytest.mark.parametrize("name,want", [
    ("lenet.c1", ("small_avx2", "small_avx2", "small_avx2")),
    ("lenet.c3", ("small_avx2", "small_avx2", "small_avx2")),
    ("lenet.c5", ("dense", "dense", "dense")),
    ("resnet.3x3", ("direct_avx512", "direct_avx512", "small_avx2") if HAS_AVX512
     else ("direct_avx2", "direct_avx2", "small_avx2")),
])
def test_network_plans(name, want):
    p = plan_of(conv2d(name))
    assert (p["forward"], p["input_grad"], p["weight_grad"]) == want


@needs_avx2
def test_direct_tiles_follow_the_level_and_the_row_width():
    with cpu.cpu_capability("avx2"):
        p = plan_of(conv2d("resnet.3x3"))
        assert (p["forward"], p["input_grad"]) == ("direct_avx2", "direct_avx2")
    if HAS_AVX512:
        # a 16-wide map would leave half of every 32-lane tile empty: it keeps the 16-lane tiles
        x, w = kernels.zeros(2, 64, 16, 16), kernels.zeros(64, 64, 3, 3)
        p = _C.conv2d_plan(x, w, [1, 1], [1, 1], [1, 1], 1)
        assert (p["forward"], p["input_grad"]) == ("direct_avx2", "direct_avx2")
        x = kernels.zeros(2, 64, 28, 28)  # 28 of 32 lanes: the wide tiles, with an edge
        p = _C.conv2d_plan(x, w, [1, 1], [1, 1], [1, 1], 1)
        assert (p["forward"], p["input_grad"]) == ("direct_avx512", "direct_avx512")


@pytest.mark.skipif(not HAS_AVX512, reason="this CPU has no AVX-512F: the 32-lane tiles cannot run here")
@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("hw", [(28, 28), (32, 32), (35, 56)])
def test_direct_avx512_edges_match_avx2(hw, threads):
    """32-lane rows with edges (28 and 56 columns; 56 = one full tile and a 24-lane edge), the
    forward and the input gradient, against the 16-lane tiles."""
    rng = np.random.default_rng(1)
    H, W = hw
    x = rng.standard_normal((2, 24, H, W)).astype(np.float32)  # 40 = 6 x 6 + 4 output channels
    w = (0.1 * rng.standard_normal((40, 24, 3, 3))).astype(np.float32)
    b = rng.standard_normal(40).astype(np.float32)
    got = {}
    prev = kernels.get_num_threads()
    kernels.set_num_threads(threads)
    try:
        for level in ("avx512", "avx2"):
            with cpu.cpu_capability(level):
                p = _C.conv2d_plan(kernels.tensor(x), kernels.tensor(w), [1, 1], [1, 1], [1, 1], 1)
                got[level] = (p["forward"], _fwd_bwd(x, w, b, 1))
    finally:
        kernels.set_num_threads(prev)
    assert got["avx512"][0] == "direct_avx512" and got["avx2"][0] == "direct_avx2"
    for a, c in zip(got["avx512"][1], got["avx2"][1]):
        np.testing.assert_allclose(a, c, rtol=1e-4, atol=1e-4)


def test_plan_reports_the_walk():
    p = plan_of(conv2d("lenet.c3"))
    assert set(p) == {"forward", "input_grad", "weight_grad", "images_per_gemm", "chunks", "threads"}
    assert int(p["chunks"]) >= 1 and int(p["images_per_gemm"]) >= 1 and int(p["threads"]) >= 1


@pytest.mark.parametrize("case", CONV2D, ids=lambda c: c.name)
def test_default_level_uses_no_avx2_path(case):
    with cpu.cpu_capability("default"):
        p = plan_of(case)
    for direction in ("forward", "input_grad", "weight_grad"):
        assert p[direction] in ("dense", "im2col_gemm")


@needs_avx2
def test_float64_takes_no_float32_kernel():
    p = plan_of(conv2d("lenet.c3"), np.float64)
    assert "small_avx2" not in (p["forward"], p["input_grad"], p["weight_grad"])


@pytest.fixture
def override(request):
    prev = _C._set_conv2d_path_override(request.param)
    yield request.param
    _C._set_conv2d_path_override(prev)


@pytest.mark.parametrize("override", ["im2col_gemm"], indirect=True)
@pytest.mark.parametrize("case", CONV2D, ids=lambda c: c.name)
def test_override_im2col_applies_everywhere(case, override):
    p = plan_of(case)
    assert (p["forward"], p["input_grad"], p["weight_grad"]) == ("im2col_gemm",) * 3


@needs_avx2
@pytest.mark.parametrize("override", ["packed_gemm"], indirect=True)
def test_override_packed_where_it_applies(override):
    p = plan_of(conv2d("resnet.3x3"), batch=8)
    assert (p["forward"], p["input_grad"], p["weight_grad"]) == ("packed_gemm",) * 3


def test_override_bad_name():
    with pytest.raises(ValueError, match="expected 'dense', 'small_avx2', 'direct_avx2', 'direct_avx512'"):
        _C._set_conv2d_path_override("winograd")


def test_plan_checks_arguments_as_conv2d():
    with pytest.raises(ValueError, match="conv2d_plan: input"):
        _C.conv2d_plan(kernels.zeros(2, 3, 8, 8), kernels.zeros(4, 5, 3, 3), [1, 1], [0, 0], [1, 1], 1)


def _fwd_bwd(x, w, b, padding):
    kx, kw, kb = (kernels.tensor(a, requires_grad=True) for a in (x, w, b))
    y = F.conv2d(kx, kw, kb, padding=padding)
    y.backward(kernels.tensor(np.cos(np.arange(y.numel())).reshape(y.shape).astype(x.dtype)))
    return [y.detach().numpy(), kx.grad.numpy(), kw.grad.numpy(), kb.grad.numpy()]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("case", CONV2D, ids=lambda c: c.name)
def test_every_path_matches_torch(case, path):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    batch = 3
    x = rng.standard_normal(case.input_shape(batch)).astype(np.float32)
    w = (rng.standard_normal(case.weight_shape()) * 0.2).astype(np.float32)
    b = rng.standard_normal(case.out_channels).astype(np.float32)
    prev = _C._set_conv2d_path_override(path)
    try:
        got = _fwd_bwd(x, w, b, case.padding)
    finally:
        _C._set_conv2d_path_override(prev)
    tx, tw, tb = (torch.tensor(a.astype(np.float64), requires_grad=True) for a in (x, w, b))
    ty = torch.nn.functional.conv2d(tx, tw, tb, padding=case.padding)
    ty.backward(torch.tensor(np.cos(np.arange(ty.numel())).reshape(ty.shape)))
    want = [ty.detach().numpy(), tx.grad.numpy(), tw.grad.numpy(), tb.grad.numpy()]
    for g, r in zip(got, want):
        scale = max(1.0, float(np.abs(r).max()))
        np.testing.assert_allclose(g, r, rtol=0, atol=2e-5 * scale * case.in_channels ** 0.5)
