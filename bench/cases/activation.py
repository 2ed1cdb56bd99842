"""tanh, sigmoid and relu forward + backward against torch, at LeNet-5's and ResNet's activation
sizes (kernels.testing.cases.ACTIVATION)."""
from __future__ import annotations

import numpy as np

from bench.cases._autograd import fwd_bwd_case
from kernels.testing.cases import ACTIVATION as SHAPES


def cases(opts):
    out = []
    rng = np.random.default_rng(0)
    for tag, shape in SHAPES:
        x = (2 * rng.standard_normal(shape)).astype(np.float32)
        for fn in ("tanh", "sigmoid", "relu"):
            out.append(fwd_bwd_case(
                "activation", f"{fn} fwd+bwd {tag} {shape}", {"x": x}, ("x",),
                lambda kernels, F, x, fn=fn: getattr(x, fn)(),
                lambda torch, TF, x, fn=fn: getattr(x, fn)(),
                # forward reads x and writes y; backward reads y (or x) and dy, writes dx
                nbytes=4.0 * 5 * x.size, size=shape[0]))
    return out
