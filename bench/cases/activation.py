"""The pointwise activations forward + backward against torch, at LeNet-5's and ResNet's
activation sizes (kernels.testing.cases.ACTIVATION), each through the functional API a training
step calls (kernels.nn.functional / torch.nn.functional, or the Tensor method for tanh/sigmoid)."""
from __future__ import annotations

import numpy as np

from bench.cases._autograd import fwd_bwd_case
from kernels.testing.cases import ACTIVATION as SHAPES

# label: (ours(F, x), torch's(TF, x), target ratio or None)
FNS = {
    "tanh": (lambda F, x: x.tanh(), lambda TF, x: x.tanh(), None),
    "sigmoid": (lambda F, x: x.sigmoid(), lambda TF, x: x.sigmoid(), 1.0),
    "relu": (lambda F, x: F.relu(x), lambda TF, x: TF.relu(x), 1.0),
    "gelu": (lambda F, x: F.gelu(x), lambda TF, x: TF.gelu(x), 1.0),
    "gelu tanh": (lambda F, x: F.gelu(x, approximate="tanh"),
                  lambda TF, x: TF.gelu(x, approximate="tanh"), 1.0),
    "silu": (lambda F, x: F.silu(x), lambda TF, x: TF.silu(x), 1.0),
    "softplus": (lambda F, x: F.softplus(x), lambda TF, x: TF.softplus(x), 1.0),
}


def cases(opts):
    out = []
    rng = np.random.default_rng(0)
    for tag, shape in SHAPES:
        x = (2 * rng.standard_normal(shape)).astype(np.float32)
        for label, (ours, theirs, target) in FNS.items():
            out.append(fwd_bwd_case(
                "activation", f"{label} fwd+bwd {tag} {shape}", {"x": x}, ("x",),
                lambda kernels, F, x, f=ours: f(F, x),
                lambda torch, TF, x, f=theirs: f(TF, x),
                # forward reads x and writes y; backward reads y (or x) and dy, writes dx
                nbytes=4.0 * 5 * x.size, target=target, size=shape[0]))
    return out
