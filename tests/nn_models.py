"""Small models and helpers shared by the kernels.nn tests (test_nn_module, test_copy,
test_nn_utils, and the module tests in the per-family files): an MLP with buffers and its torch
twin, a float64 NumPy reference of it, and one nested model built by either library."""
from collections import OrderedDict

import numpy as np
import pytest

import kernels
from kernels import nn


def T(x, dtype=None):
    return kernels.tensor(np.asarray(x), dtype=dtype)


def torch_or_skip():
    return pytest.importorskip("torch")


def to_torch(t):
    import torch

    return torch.from_numpy(np.array(t.detach().numpy(), copy=True))


class MLP(nn.Module):
    def __init__(self, d_in=4, d_hidden=8, d_out=3, act=True):
        super().__init__()
        self.fc1 = nn.Linear(d_in, d_hidden)
        self.act = nn.ReLU() if act else nn.Identity()
        self.fc2 = nn.Linear(d_hidden, d_out)
        self.register_buffer("scale", kernels.ones(d_out))
        self.register_buffer("steps", kernels.zeros(1, dtype=kernels.int64))
        self.register_buffer("cache", kernels.zeros(2), persistent=False)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) * self.scale


def torch_mlp(d_in=4, d_hidden=8, d_out=3, act=True):
    import torch

    class MLP(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = torch.nn.Linear(d_in, d_hidden)
            self.act = torch.nn.ReLU() if act else torch.nn.Identity()
            self.fc2 = torch.nn.Linear(d_hidden, d_out)
            self.register_buffer("scale", torch.ones(d_out))
            self.register_buffer("steps", torch.zeros(1, dtype=torch.int64))
            self.register_buffer("cache", torch.zeros(2), persistent=False)

        def forward(self, x):
            return self.fc2(self.act(self.fc1(x))) * self.scale

    return MLP()


def numpy_mlp(model, x, act=True):
    """float64 NumPy reference of MLP.forward from the model's current values."""
    w1, b1 = model.fc1.weight.detach().numpy(), model.fc1.bias.detach().numpy()
    w2, b2 = model.fc2.weight.detach().numpy(), model.fc2.bias.detach().numpy()
    h = x @ w1.astype(np.float64).T + b1
    if act:
        h = np.maximum(h, 0)
    return (h @ w2.astype(np.float64).T + b2) * model.scale.numpy()


def nested(lib):
    """The same nested model built with kernels.nn or torch.nn."""
    m = lib
    return m.Sequential(OrderedDict([
        ("encoder", m.Sequential(m.Linear(6, 5), m.ReLU(), m.Dropout(0.25))),
        ("blocks", m.ModuleList([m.Linear(5, 5) for _ in range(3)] + [m.Tanh()])),
        ("heads", m.ModuleDict({"cls": m.Linear(5, 2, bias=False), "reg": m.Linear(5, 1)})),
        ("flat", m.Flatten()),
    ]))

