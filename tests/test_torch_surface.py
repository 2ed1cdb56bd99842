"""Small pieces of torch's surface that PyTorch scripts use: randint's keyword forms, format specs
on 0-d tensors, range / list indices (read and assignment), pixel_shuffle / pixel_unshuffle,
nn.init.orthogonal_, nn.parallel, torch.backends flags, the attention placeholders."""
import numpy as np
import pytest

import kernels
from kernels import nn
from opcheck import DEVICES


@pytest.mark.parametrize("args,kwargs,low,high,shape", [
    ((5, (40,)), {}, 0, 5, (40,)),
    ((2, 5, (40,)), {}, 2, 5, (40,)),
    ((5,), {"size": (40,)}, 0, 5, (40,)),
    ((), {"high": 5, "size": (4, 10)}, 0, 5, (4, 10)),
    ((), {"low": 3, "high": 6, "size": (40,)}, 3, 6, (40,)),
    ((3, 6), {"size": (40,)}, 3, 6, (40,)),
    ((3,), {"high": 6, "size": (40,)}, 3, 6, (40,)),
])
def test_randint_forms(args, kwargs, low, high, shape):
    kernels.manual_seed(0)
    x = kernels.randint(*args, **kwargs)
    assert x.dtype == kernels.int64 and tuple(x.shape) == shape
    v = x.numpy()
    assert v.min() >= low and v.max() < high and len(np.unique(v)) > 1


def test_randint_dtype_and_bad_forms():
    assert kernels.randint(0, 4, (3,), dtype=kernels.float32).dtype == kernels.float32
    with pytest.raises(TypeError, match="randint: expected randint"):
        kernels.randint(5)
    with pytest.raises(TypeError, match="at most 3 positional"):
        kernels.randint(1, 2, (3,), 4)
    with pytest.raises(TypeError, match="both as a positional and a keyword"):
        kernels.randint(1, 2, (3,), size=(2,))


def test_format_spec_on_zero_dim_tensors(torch):
    for value in (3.14159, 2.0):
        k, t = kernels.tensor(value), torch.tensor(value)
        for spec in (".2f", "+.3e", "8.1f", ""):
            assert format(k, spec) == format(t, spec)
    assert f"{kernels.tensor(7):04d}" == f"{torch.tensor(7):04d}"
    assert "{}".format(kernels.tensor([1.0, 2.0])) == str(kernels.tensor([1.0, 2.0]))
    with pytest.raises(TypeError):
        format(kernels.tensor([1.0, 2.0]), ".2f")
    with pytest.raises(TypeError):
        format(torch.tensor([1.0, 2.0]), ".2f")


def test_range_and_list_indices_read_and_write(torch):
    base = np.arange(24.0).reshape(4, 6)
    k, t = kernels.tensor(base), torch.tensor(base)
    for key in (range(1, 3), [0, 2], (range(2), slice(None)), (slice(None), range(0, 6, 2)), [3, 1, 3]):
        np.testing.assert_array_equal(k[key].numpy(), t[key].numpy())
    for key, value in ((range(1, 3), -1.0), ([0, 2], 5.0), ((slice(None), [1, 4]), 9.0)):
        k[key] = value
        t[key] = value
    k[[1, 3]] = kernels.tensor(np.ones((2, 6)) * 7)
    t[[1, 3]] = torch.ones(2, 6, dtype=torch.float64) * 7
    np.testing.assert_array_equal(k.numpy(), t.numpy())


@pytest.mark.parametrize("shape,r", [((1, 8, 3, 3), 2), ((2, 9, 2, 4), 3), ((3, 2, 4, 5, 5), 1), ((4, 3, 2), 1)])
def test_pixel_shuffle_matches_torch_and_inverts(shape, r, rng, torch):
    x = rng.standard_normal(shape)
    k = kernels.tensor(x, requires_grad=True)
    t = torch.tensor(x, requires_grad=True)
    out, ref = nn.PixelShuffle(r)(k), torch.nn.PixelShuffle(r)(t)
    np.testing.assert_array_equal(out.detach().numpy(), ref.detach().numpy())
    w = rng.standard_normal(tuple(ref.shape))
    (out * kernels.tensor(w)).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    np.testing.assert_array_equal(k.grad.numpy(), t.grad.numpy())
    back = nn.PixelUnshuffle(r)(out)
    np.testing.assert_array_equal(back.detach().numpy(), x)
    np.testing.assert_array_equal(back.detach().numpy(), torch.nn.PixelUnshuffle(r)(ref).detach().numpy())


@pytest.mark.parametrize("dev", [d for d in DEVICES if d != "cpu"])
def test_pixel_shuffle_cpu_equals_cuda(dev, rng):
    x = rng.standard_normal((2, 8, 3, 5)).astype(np.float32)
    c = kernels.functional.pixel_shuffle(kernels.tensor(x), 2).numpy()
    g = kernels.functional.pixel_shuffle(kernels.tensor(x, device=dev), 2).cpu().numpy()
    np.testing.assert_array_equal(c, g)


def test_pixel_shuffle_bad_input():
    with pytest.raises(ValueError, match=r"pixel_shuffle: the channel dim 6.*upscale_factor\^2 = 4"):
        kernels.functional.pixel_shuffle(kernels.ones(1, 6, 2, 2), 2)
    with pytest.raises(ValueError, match="pixel_unshuffle: the spatial size 3x4"):
        kernels.functional.pixel_unshuffle(kernels.ones(1, 1, 3, 4), 2)
    with pytest.raises(ValueError, match="greater than 0"):
        nn.PixelShuffle(0)(kernels.ones(1, 1, 2, 2))
    with pytest.raises(ValueError, match="at least 3 dims"):
        kernels.functional.pixel_shuffle(kernels.ones(4, 4), 2)


@pytest.mark.parametrize("shape", [(6, 6), (3, 8), (8, 3), (4, 2, 3, 3)])
def test_orthogonal_init(shape):
    kernels.manual_seed(1)
    w = kernels.empty(*shape, dtype=kernels.float64)
    nn.init.orthogonal_(w, gain=2.0)
    m = w.numpy().reshape(shape[0], -1)
    small = min(m.shape)
    gram = m @ m.T if m.shape[0] == small else m.T @ m
    np.testing.assert_allclose(gram, 4.0 * np.eye(small), atol=1e-12)
    kernels.manual_seed(1)
    w2 = nn.init.orthogonal_(kernels.empty(*shape, dtype=kernels.float64), gain=2.0)
    np.testing.assert_array_equal(w.numpy(), w2.numpy())  # seeded: reproducible


def test_orthogonal_init_bad_input():
    with pytest.raises(ValueError, match="2 or more dimensions"):
        nn.init.orthogonal_(kernels.empty(3))
    with pytest.raises(TypeError, match="floating point"):
        nn.init.orthogonal_(kernels.zeros(2, 2, dtype=kernels.int64))


def test_data_parallel_is_a_pass_through_with_torch_keys(torch):
    kernels.manual_seed(0)
    inner = nn.Linear(3, 2)
    dp = nn.parallel.DataParallel(inner)
    x = kernels.randn(4, 3)
    np.testing.assert_array_equal(dp(x).detach().numpy(), inner(x).detach().numpy())
    np.testing.assert_array_equal(nn.parallel.data_parallel(inner, x, range(1)).detach().numpy(),
                                  inner(x).detach().numpy())
    ref_keys = list(torch.nn.DataParallel(torch.nn.Linear(3, 2)).state_dict())
    assert list(dp.state_dict()) == ref_keys == ["module.weight", "module.bias"]
    with pytest.raises(NotImplementedError, match="one device"):
        nn.parallel.data_parallel(inner, x, range(2))
    with pytest.raises(NotImplementedError, match="DistributedDataParallel yet"):
        nn.parallel.DistributedDataParallel(inner)


def test_backends_flags():
    from kernels.backends import cudnn, mps
    assert cudnn.is_available() is False and mps.is_available() is False and mps.is_built() is False
    cudnn.benchmark = True  # accepted, changes nothing
    cudnn.deterministic = True
    cudnn.benchmark, cudnn.deterministic = False, False


@pytest.mark.parametrize("name", ["Transformer", "TransformerEncoder", "TransformerEncoderLayer",
                                  "TransformerDecoder", "TransformerDecoderLayer", "MultiheadAttention"])
def test_attention_placeholders_subclass_but_refuse_to_construct(name):
    cls = getattr(nn, name)

    class Mine(cls):
        pass

    with pytest.raises(NotImplementedError, match=f"kernels does not support torch.nn.{name} yet"):
        Mine(d_model=8)
