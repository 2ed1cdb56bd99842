"""softmax + cross-entropy (mean over the batch) forward + backward against torch
(kernels.testing.cases.CROSS_ENTROPY: classifiers' logits and the char-LSTM's, T*B x vocab)."""
from __future__ import annotations

import numpy as np

from bench.cases._autograd import fwd_bwd_case
from kernels.testing.cases import CROSS_ENTROPY as SHAPES


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
