"""softmax + cross-entropy (mean over the batch) forward + backward against torch."""
from __future__ import annotations

import numpy as np

from bench.cases._autograd import fwd_bwd_case

SHAPES = [(64, 10), (256, 10), (64, 1000), (6400, 65)]  # the last: char-LSTM logits, T*B x vocab


def cases(opts, device="cpu"):
    out = []
    rng = np.random.default_rng(0)
    for B, C in SHAPES:
        inputs = {"x": (3 * rng.standard_normal((B, C))).astype(np.float32),
                  "y": rng.integers(0, C, B).astype(np.int64)}
        out.append(fwd_bwd_case(
            "loss", f"cross_entropy fwd+bwd ({B},{C})", inputs, ("x",),
            lambda kernels, F, x, y: F.cross_entropy(x, y),
            lambda torch, TF, x, y: TF.cross_entropy(x, y),
            nbytes=4.0 * 3 * B * C, target=1.0, size=B, device=device))
    return out
