"""max and average pooling 2x2 forward + backward against torch, at LeNet's and ResNet's sizes."""
from __future__ import annotations

import numpy as np

from bench.cases._autograd import fwd_bwd_case

SHAPES = [("lenet", (64, 6, 28, 28)), ("resnet", (64, 64, 32, 32))]


def cases(opts):
    out = []
    rng = np.random.default_rng(0)
    for tag, shape in SHAPES:
        x = rng.standard_normal(shape).astype(np.float32)
        n = x.size
        for kind in ("max_pool2d", "avg_pool2d"):
            out.append(fwd_bwd_case(
                "pool", f"{kind} 2x2 fwd+bwd {tag} {shape}", {"x": x}, ("x",),
                lambda kernels, F, x, kind=kind: getattr(F, kind)(x, 2),
                lambda torch, TF, x, kind=kind: getattr(TF, kind)(x, 2),
                # x read twice (forward, backward) and dx written; y and dy are a quarter each.
                nbytes=4.0 * (3 * n + n), target=1.0, size=shape[0]))
    return out
