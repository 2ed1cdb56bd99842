"""LambdaLR and MultiplicativeLR: get_last_lr sequences equal torch's exactly (two param groups,
one lambda or a list), state_dict keeps callable objects' state, torch's errors."""
import pytest

import kernels
from kernels import optim
from kernels.optim import lr_scheduler as ls

torch = pytest.importorskip("torch")


def _pair(lrs=(0.1, 0.05)):
    kg = [{"params": [kernels.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    tg = [{"params": [torch.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    return optim.SGD(kg, lr=0.1, momentum=0.9), torch.optim.SGD(tg, lr=0.1, momentum=0.9)


LAMBDAS = [
    ("LambdaLR", lambda e: 0.95 ** e),
    ("LambdaLR", [lambda e: 1.0 / (e + 1), lambda e: min(1.0, (e + 1) / 10)]),  # warmup
    ("MultiplicativeLR", lambda e: 0.9),
    ("MultiplicativeLR", [lambda e: 0.97, lambda e: 1.0 if e % 3 else 0.5]),
]


@pytest.mark.parametrize("name,fn", LAMBDAS)
def test_sequence_equals_torch(name, fn):
    ko, to = _pair()
    ks, ts = getattr(ls, name)(ko, fn), getattr(torch.optim.lr_scheduler, name)(to, fn)
    seq_k, seq_t = [ks.get_last_lr()], [ts.get_last_lr()]
    for _ in range(30):
        ko.step(), to.step()
        ks.step(), ts.step()
        seq_k.append(ks.get_last_lr()), seq_t.append(ts.get_last_lr())
    assert seq_k == seq_t  # exact: the same float operations in the same order
    assert [g["lr"] for g in ko.param_groups] == [g["lr"] for g in to.param_groups]


class Warmup:
    """A callable object: its __dict__ travels in the state_dict (a lambda's cannot)."""

    def __init__(self, n):
        self.n = n

    def __call__(self, e):
        return min(1.0, (e + 1) / self.n)


def test_state_dict_round_trip():
    ko, _ = _pair()
    s = ls.LambdaLR(ko, [Warmup(4), lambda e: 1.0])
    for _ in range(3):
        ko.step(), s.step()
    state = s.state_dict()
    assert state["lr_lambdas"] == [{"n": 4}, None] and "optimizer" not in state
    ko2, _ = _pair()
    s2 = ls.LambdaLR(ko2, [Warmup(99), lambda e: 1.0])
    s2.load_state_dict(state)
    assert s2.lr_lambdas[0].n == 4 and s2.last_epoch == 3 and "lr_lambdas" in state
    ko2.step(), s2.step(), ko.step(), s.step()
    assert s2.get_last_lr() == s.get_last_lr()


def test_exported_and_initial_lr():
    assert optim.lr_scheduler.LambdaLR is ls.LambdaLR and "MultiplicativeLR" in ls.__all__
    ko, _ = _pair()
    ls.LambdaLR(ko, lambda e: 0.5)
    assert [g["initial_lr"] for g in ko.param_groups] == [0.1, 0.05]
    assert [g["lr"] for g in ko.param_groups] == [0.05, 0.025]


@pytest.mark.parametrize("name", ["LambdaLR", "MultiplicativeLR"])
def test_wrong_number_of_lambdas(name):
    ko, to = _pair()
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 3"):
        getattr(ls, name)(ko, [lambda e: 1.0] * 3)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 3"):
        getattr(torch.optim.lr_scheduler, name)(to, [lambda e: 1.0] * 3)


def test_multiplicative_needs_callables():
    ko, _ = _pair()
    with pytest.raises(TypeError, match="lr_lambda should be a function, but got float"):
        ls.MultiplicativeLR(ko, 0.9)
