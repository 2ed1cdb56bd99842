"""conv2d forward + backward against torch (oneDNN): LeNet-5's layers and a ResNet 3x3 layer at
batch 64 (kernels.testing.cases.CONV2D). The first layer (c1) computes no input gradient, as in
training."""
from __future__ import annotations

import numpy as np

from bench.cases._autograd import fwd_bwd_case
from kernels.testing.cases import CONV2D

TARGETS = {"lenet.c1": 2.0, "lenet.c3": 2.5, "lenet.c5": 2.0, "resnet.3x3": 1.5}


def _plan(layer, batch):
    """The CPU conv2d plan (csrc/cpu/conv2d_plan.h) this layer runs, as forward/input_grad/weight_grad."""

    def describe():
        import kernels

        x, w = kernels.zeros(*layer.input_shape(batch)), kernels.zeros(*layer.weight_shape())
        p = kernels._C.conv2d_plan(x, w, [1, 1], [layer.padding] * 2, [1, 1], 1)
        dx = p["input_grad"] if layer.input_grad else "-"
        return f"plan {p['forward']} / {dx} / {p['weight_grad']}"

    return describe


def cases(opts, device="cpu", batch=None):
    """batch: instead of each layer's own (the GPU runs these at 256)."""
    out = []
    rng = np.random.default_rng(0)
    for layer in CONV2D:
        B, C, H, W = layer.input_shape(batch)
        O, k, pad = layer.out_channels, layer.kernel_size, layer.padding
        inputs = {
            "x": rng.standard_normal((B, C, H, W)).astype(np.float32),
            "w": (rng.standard_normal(layer.weight_shape()) / np.sqrt(C * k * k)).astype(np.float32),
            "b": rng.standard_normal(O).astype(np.float32),
        }
        grads = ("x", "w", "b") if layer.input_grad else ("w", "b")
        out.append(fwd_bwd_case(
            "conv2d", f"{layer.name} fwd+bwd ({B},{C},{H},{W})->{O} {k}x{k}", inputs, grads,
            lambda kernels, F, x, w, b, pad=pad: F.conv2d(x, w, b, padding=pad),
            lambda torch, TF, x, w, b, pad=pad: TF.conv2d(x, w, b, padding=pad),
            flops=layer.forward_flops(B) * (3 if layer.input_grad else 2), target=TARGETS[layer.name],
            size=B, device=device, describe=_plan(layer, B) if device == "cpu" else None))
    return out
