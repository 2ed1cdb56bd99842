"""In-place ops whose operand overlaps the tensor they update (x -= x[0], x[1:] += x[:-1]) read
the operand as it was before the op, as torch does; the identical view (x += x) needs no copy."""
import operator

import numpy as np
import pytest

import kernels

OPS = {"add_": operator.add, "sub_": operator.sub, "mul_": operator.mul, "div_": operator.truediv}


def reference(base, name, case):
    """NumPy on a copy of the operand: what torch computes too."""
    out = base.copy()
    f = OPS[name]
    if case == "row0":
        out = f(out, base[0])
    elif case == "shifted":
        out[1:] = f(out[1:], base[:-1])
    elif case == "self":
        out = f(out, base)
    else:
        out = f(out, base[:, 1:2])
    return out


@pytest.mark.parametrize("name", list(OPS))
@pytest.mark.parametrize("case", ["row0", "shifted", "self", "column"])
def test_overlapping_operand_reads_the_old_values(name, case, device):
    base = np.arange(1.0, 13.0, dtype=np.float32).reshape(3, 4)
    k = kernels.tensor(base, device=device)
    with kernels.no_grad():
        if case == "row0":
            getattr(k, name)(k[0])
        elif case == "shifted":
            getattr(k[1:], name)(k[:-1])
        elif case == "self":
            getattr(k, name)(k)
        else:
            getattr(k, name)(k[:, 1:2])
    np.testing.assert_allclose(k.cpu().numpy(), reference(base, name, case), rtol=1e-6)


def test_augmented_assignment_with_an_overlapping_view(device):
    k = kernels.arange(12.0, device=device).reshape(3, 4)
    with kernels.no_grad():
        k -= k[0]
    assert k.cpu().tolist() == [[0.0] * 4, [4.0] * 4, [8.0] * 4]
    x = kernels.ones(5, device=device)
    with kernels.no_grad():
        x[1:].add_(x[:-1])
    assert x.cpu().tolist() == [1.0, 2.0, 2.0, 2.0, 2.0]   # not a running sum


def test_matches_torch():
    torch = pytest.importorskip("torch")
    t = torch.arange(12.0).reshape(3, 4)
    t -= t[0].clone()
    k = kernels.arange(12.0).reshape(3, 4)
    with kernels.no_grad():
        k -= k[0]
    assert k.tolist() == t.tolist()
