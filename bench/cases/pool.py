"""max and average pooling 2x2 forward + backward against torch, at LeNet's and ResNet's sizes
(kernels.testing.cases.POOL)."""
from __future__ import annotations

import numpy as np

from bench.cases._autograd import fwd_bwd_case
from kernels.testing.cases import POOL as SHAPES, POOL_KERNEL as K


def cases(opts):
    out = []
    rng = np.random.default_rng(0)
    for tag, shape in SHAPES:
        x = rng.standard_normal(shape).astype(np.float32)
        n = x.size
        for kind in ("max_pool2d", "avg_pool2d"):
            out.append(fwd_bwd_case(
                "pool", f"{kind} {K}x{K} fwd+bwd {tag} {shape}", {"x": x}, ("x",),
                lambda kernels, F, x, kind=kind: getattr(F, kind)(x, K),
                lambda torch, TF, x, kind=kind: getattr(TF, kind)(x, K),
                # x read twice (forward, backward) and dx written; y and dy are a quarter each.
                nbytes=4.0 * (3 * n + n), target=1.0, size=shape[0]))
    return out
