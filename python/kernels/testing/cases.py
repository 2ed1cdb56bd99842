"""The networks' shapes, per op family, defined once for the tests and the benchmarks (in the
spirit of ggml's test-backend-ops table): the benchmarks (bench/cases) time each at its own
batch, the tests (tests/test_<family>.py) check the same layers at a small batch.

The networks: LeNet-5 (32x32 input; c1 6@5x5, c3 16@5x5, c5 120@5x5, f6 84, output 10), a ResNet
basic block's 3x3 convolution (64 channels at 32x32), an MLP 784-256-128-10, and the character
LSTM (embedding 64, T=100, B=64, hidden 256 / 512, vocabulary 65).
"""
from __future__ import annotations

import dataclasses

BATCH = 64  # the batch every network shape below is given at


def with_batch(shape, batch):
    """`shape` with its first (batch) dimension replaced."""
    return (batch,) + tuple(shape[1:])


# ------------------------------------------------------------------ conv2d


@dataclasses.dataclass(frozen=True)
class Conv2d:
    """One convolution layer: input (batch, in_channels, height, width), weight (out_channels,
    in_channels, kernel_size, kernel_size), stride 1, `padding` on every side, with bias.
    input_grad: whether training computes the input's gradient (not for a network's first layer)."""

    name: str
    batch: int
    in_channels: int
    height: int
    width: int
    out_channels: int
    kernel_size: int
    padding: int = 0
    input_grad: bool = True

    def input_shape(self, batch=None):
        return (batch or self.batch, self.in_channels, self.height, self.width)

    def weight_shape(self):
        return (self.out_channels, self.in_channels, self.kernel_size, self.kernel_size)

    def output_hw(self):
        k, p = self.kernel_size, self.padding
        return self.height + 2 * p - k + 1, self.width + 2 * p - k + 1

    def forward_flops(self, batch=None):
        oh, ow = self.output_hw()
        return 2.0 * (batch or self.batch) * self.out_channels * oh * ow * self.in_channels * self.kernel_size ** 2


CONV2D = (
    Conv2d("lenet.c1", BATCH, 1, 32, 32, 6, 5, input_grad=False),
    Conv2d("lenet.c3", BATCH, 6, 14, 14, 16, 5),
    Conv2d("lenet.c5", BATCH, 16, 5, 5, 120, 5),
    Conv2d("resnet.3x3", BATCH, 64, 32, 32, 64, 3, padding=1),
)


def conv2d(name) -> Conv2d:
    """The CONV2D layer called `name` ("lenet.c1", ..., "resnet.3x3")."""
    for layer in CONV2D:
        if layer.name == name:
            return layer
    raise KeyError(f"no conv2d layer named {name!r}; the layers: {[c.name for c in CONV2D]}")


# ------------------------------------------------------------------ feature maps: activation, pool, norm

# What the convolutions above produce: LeNet-5's c1 output (6@28x28) and the ResNet block's
# (64@32x32). The activations and the 2x2 pooling run on them, batchnorm normalises them.
FEATURE_MAPS = {"lenet": (BATCH, 6, 28, 28), "resnet": (BATCH, 64, 32, 32)}

ACTIVATION = tuple(FEATURE_MAPS.items())  # (tag, shape): tanh, sigmoid, relu, gelu, silu, softplus
POOL = tuple(FEATURE_MAPS.items())  # (tag, shape): max_pool2d and avg_pool2d, 2x2, stride 2
POOL_KERNEL = 2
# batch_norm (training) and layer_norm: the feature maps, and the MLP's first hidden layer
NORM = tuple(FEATURE_MAPS.values()) + ((BATCH, 256),)


# ------------------------------------------------------------------ loss

# softmax + cross-entropy (batch, classes): MNIST / CIFAR-10 classifiers at batch 64 and 256,
# ImageNet's 1000 classes, and the character LSTM's logits (T*B = 6400 rows, vocabulary 65)
CROSS_ENTROPY = ((BATCH, 10), (256, 10), (BATCH, 1000), (100 * BATCH, 65))


# ------------------------------------------------------------------ rnn

# One recurrent layer over a whole sequence (input size = hidden size): (mode, T, B, H)
RNN = tuple((mode, 100, BATCH, H) for mode in ("LSTM", "GRU") for H in (256, 512))
RNN_GATES = {"LSTM": 4, "GRU": 3}


# ------------------------------------------------------------------ matmul (GEMM)

MATMUL_SQUARE = (256, 512, 1024, 2048)

# name, form, M, N, K. Forms (how the layers call the GEMM): "nn" C = A @ B (matmul, a linear
# layer's dX), "nt" C = X @ W^T (a linear layer's forward, an LSTM's gate projections), "tn"
# C = dY^T @ X (a linear layer's weight gradient). Sources: the MLP 784-256-128-10 at batch 64;
# LeNet-5's im2col products per image (c1, c3) and its c5 / f6 as linear layers at batch 64; the
# LSTM's gates at batch 64 (the hidden projection per step; the input projection of all T=100
# steps at once; the W_hh gradient).
MATMUL_NETWORK = (
    ("mlp.fc1 fwd", "nt", 64, 256, 784),
    ("mlp.fc1 dX", "nn", 64, 784, 256),
    ("mlp.fc1 dW", "tn", 256, 784, 64),
    ("mlp.fc2 fwd", "nt", 64, 128, 256),
    ("mlp.fc3 fwd", "nt", 64, 10, 128),
    ("lenet.c1 im2col", "nn", 6, 784, 25),
    ("lenet.c3 im2col", "nn", 16, 100, 150),
    ("lenet.c5 fwd", "nt", 64, 120, 400),
    ("lenet.c5 dX", "nn", 64, 400, 120),
    ("lenet.c5 dW", "tn", 120, 400, 64),
    ("lenet.f6 fwd", "nt", 64, 84, 120),
    ("lenet.f6 dX", "nn", 64, 120, 84),
    ("lstm256 W_hh", "nt", 64, 1024, 256),
    ("lstm512 W_hh", "nt", 64, 2048, 512),
    ("lstm256 W_ih x T", "nt", 6400, 1024, 256),
    ("lstm256 dW_hh", "tn", 1024, 256, 6400),
    ("lstm512 W_ih x T", "nt", 6400, 2048, 512),
    ("lstm512 dW_hh", "tn", 2048, 512, 6400),
)


def matmul_operands(form, M, N, K):
    """The operand shapes of a MATMUL_NETWORK product: "nn" A (M,K) @ B (K,N); "nt" X (M,K) @ W^T
    with W (N,K); "tn" dY^T @ X with dY (K,M), X (K,N). The result is (M, N) in each form."""
    return {"nn": ((M, K), (K, N)), "nt": ((M, K), (N, K)), "tn": ((K, M), (K, N))}[form]


# ------------------------------------------------------------------ whole networks (training steps)

MLP = (784, 256, 128, 10)
CHAR_LSTM = dict(vocab=65, embedding_dim=64, num_layers=2, T=100, B=BATCH, hidden_sizes=(256, 512))
