"""batchnorm in training mode (batch statistics, running stats updated) and layer_norm, forward +
backward against torch, at the feature maps of LeNet-5 and ResNet and the MLP's hidden layer
(kernels.testing.cases.NORM)."""
from __future__ import annotations

import numpy as np

from bench.cases._autograd import fwd_bwd_case
from kernels.testing.cases import NORM as SHAPES


def cases(opts, device="cpu", layer_norm=True):
    """layer_norm=False: batchnorm only (the GPU suite measures no layer_norm)."""
    out = []
    rng = np.random.default_rng(0)
    for shape in SHAPES:
        C = shape[1]
        inputs = {"x": rng.standard_normal(shape).astype(np.float32),
                  "w": rng.standard_normal(C).astype(np.float32),
                  "b": rng.standard_normal(C).astype(np.float32)}
        stats = {}

        def ours_op(kernels, F, x, w, b, C=C, stats=stats):
            if "k" not in stats:
                stats["k"] = (kernels.zeros(C, device=device), kernels.ones(C, device=device))
            rm, rv = stats["k"]
            return F.batch_norm(x, rm, rv, w, b, training=True)

        def torch_op(torch, TF, x, w, b, C=C, stats=stats):
            if "t" not in stats:
                stats["t"] = (torch.zeros(C, device=device), torch.ones(C, device=device))
            rm, rv = stats["t"]
            return TF.batch_norm(x, rm, rv, w, b, training=True)

        n = int(np.prod(shape))
        out.append(fwd_bwd_case(
            "norm", f"batch_norm train fwd+bwd {shape}", inputs, ("x", "w", "b"), ours_op,
            torch_op, nbytes=4.0 * 5 * n, target=1.0, size=shape[0], tol=2e-3, device=device))
        if not layer_norm:
            continue
        # layer_norm over everything but the batch dimension: not a target, measured alongside.
        normalized = shape[1:]
        lw = {"x": inputs["x"], "w": rng.standard_normal(normalized).astype(np.float32),
              "b": rng.standard_normal(normalized).astype(np.float32)}
        out.append(fwd_bwd_case(
            "norm", f"layer_norm fwd+bwd {shape}", lw, ("x", "w", "b"),
            lambda kernels, F, x, w, b, s=normalized: F.layer_norm(x, s, w, b),
            lambda torch, TF, x, w, b, s=normalized: TF.layer_norm(x, s, w, b),
            nbytes=4.0 * 5 * n, size=shape[0], tol=2e-3, device=device))
    return out
