"""The GPU cases: the families of bench/cases built by their own builders with device="cuda":
matmul (4096^3 and the networks' products), conv2d fwd+bwd at LeNet-5 / ResNet shapes (batch 256),
LSTM / GRU layers (T=100, B=64), batchnorm in training, softmax + cross-entropy, and a LeNet-5
training step at batch 256.

Every case is a bench.harness.Case whose setup() puts the same inputs (and weights) on the GPU
for both libraries and returns (ours, peer, check); nothing here touches torch or the GPU until
setup() runs, so the list can be printed on a machine without either.
"""
from __future__ import annotations

import dataclasses

from bench.cases import conv2d as cpu_conv2d
from bench.cases import loss as cpu_loss
from bench.cases import matmul as cpu_matmul
from bench.cases import norm as cpu_norm
from bench.cases import rnn as cpu_rnn
from bench.cases import train as cpu_train
from bench.gpu import harness

FAMILIES = ["matmul", "conv2d", "rnn", "norm", "loss", "train"]
MATMUL_SQUARE = [4096]
CONV_BATCH = 256
TRAIN_BATCH = 256
# Where both libraries' tensors go. Only a test changes it (to "cpu"), to run every setup and
# check on a machine without a GPU.
DEVICE = "cuda"


def _on_gpu(cases, peer):
    """The CPU builders' cases as GPU cases: torch made the GPU peer (a CUDA device, TF32 off,
    cuDNN autotuning) before each setup, the peer named by the library torch calls there, and no
    target (the targets are the CPU suite's)."""

    def guarded(setup):
        def run():
            harness.peer_torch()  # looked up at each call: a test replaces it
            return setup()

        return run

    return [dataclasses.replace(c, peer=peer, target=None, setup=guarded(c.setup)) for c in cases]


def cases(opts=None):
    return (_on_gpu(cpu_matmul.cases(opts, device=DEVICE, peer="torch", square=MATMUL_SQUARE), "torch (cuBLAS)")
            + _on_gpu(cpu_conv2d.cases(opts, device=DEVICE, batch=CONV_BATCH), "torch (cuDNN)")
            + _on_gpu(cpu_rnn.cases(opts, device=DEVICE), "torch (cuDNN)")
            + _on_gpu(cpu_norm.cases(opts, device=DEVICE, layer_norm=False), "torch (cuDNN)")
            + _on_gpu(cpu_loss.cases(opts, device=DEVICE), "torch")
            + _on_gpu([cpu_train._lenet(TRAIN_BATCH, device=DEVICE)], "torch (cuDNN)"))
