"""conv2d forward + backward against torch (oneDNN): LeNet-5's layers and a ResNet 3x3 layer at
batch 64. The first layer (c1) computes no input gradient, as in training."""
from __future__ import annotations

import numpy as np

from bench.cases._autograd import fwd_bwd_case

# name, B, C_in, H, W, C_out, k, padding, input needs grad, target
SHAPES = [
    ("lenet.c1", 64, 1, 32, 32, 6, 5, 0, False, 2.0),
    ("lenet.c3", 64, 6, 14, 14, 16, 5, 0, True, 2.0),
    ("lenet.c5", 64, 16, 5, 5, 120, 5, 0, True, 2.0),
    ("resnet.3x3", 64, 64, 32, 32, 64, 3, 1, True, 1.1),
]


def cases(opts, device="cpu", batch=None):
    """batch: instead of each shape's own (the GPU runs these at 256)."""
    out = []
    rng = np.random.default_rng(0)
    for name, B, C, H, W, O, k, pad, x_grad, target in SHAPES:
        B = batch or B
        OH, OW = H + 2 * pad - k + 1, W + 2 * pad - k + 1
        fwd = 2.0 * B * O * OH * OW * C * k * k
        inputs = {
            "x": rng.standard_normal((B, C, H, W)).astype(np.float32),
            "w": (rng.standard_normal((O, C, k, k)) / np.sqrt(C * k * k)).astype(np.float32),
            "b": rng.standard_normal(O).astype(np.float32),
        }
        grads = ("x", "w", "b") if x_grad else ("w", "b")
        out.append(fwd_bwd_case(
            "conv2d", f"{name} fwd+bwd ({B},{C},{H},{W})->{O} {k}x{k}", inputs, grads,
            lambda kernels, F, x, w, b, pad=pad: F.conv2d(x, w, b, padding=pad),
            lambda torch, TF, x, w, b, pad=pad: TF.conv2d(x, w, b, padding=pad),
            flops=fwd * (3 if x_grad else 2), target=target, size=B, device=device))
    return out
