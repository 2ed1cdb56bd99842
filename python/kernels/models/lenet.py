"""LeNet-5 as LeCun et al. (1998) describe it, and a modern variant of the same shape.

LeNet5 (input (N,1,32,32)):
    C1 conv 1->6 5x5      -> (N,6,28,28), tanh
    S2 avg pool 2x2       -> (N,6,14,14)
    C3 conv 6->16 5x5     -> (N,16,10,10), tanh   (lecun_c3=True: the paper's partial table)
    S4 avg pool 2x2       -> (N,16,5,5)
    C5 conv 16->120 5x5   -> (N,120,1,1), tanh
    F6 linear 120->84, tanh
    output linear 84->10  (the paper's RBF output units are replaced by a linear layer, as in
                           every modern re-implementation; train it with cross-entropy)
The paper's subsampling layers also scale each map by a trainable coefficient and bias; that is
an affine map the next layer absorbs, so plain average pooling is used.
"""
from __future__ import annotations

import numpy as np

from .. import nn
from ..functional import conv2d
from ..tensor import tensor as _tensor

__all__ = ["LeNet5", "ModernLeNet", "LECUN_C3_TABLE"]

# Table I of LeCun et al. (1998): which of S2's 6 maps (rows) feed each of C3's 16 maps (columns).
LECUN_C3_TABLE = np.array([
    [1, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1],
    [1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1],
    [1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 1, 1],
    [0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 0, 1, 1],
    [0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1, 0, 1],
    [0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1, 1],
], dtype=bool)


class _MaskedConv2d(nn.Conv2d):
    """A Conv2d whose weight is multiplied by a fixed 0/1 connection mask (a buffer) on every
    forward, so the masked-out connections stay exactly zero and get zero gradient."""

    def __init__(self, in_channels, out_channels, kernel_size, connections):
        super().__init__(in_channels, out_channels, kernel_size)
        mask = np.asarray(connections, dtype=np.float32).T[:, :, None, None]  # (out, in, 1, 1)
        self.register_buffer("mask", _tensor(np.ascontiguousarray(np.broadcast_to(
            mask, tuple(self.weight.shape)))))

    def forward(self, x):
        return conv2d(x, self.weight * self.mask, self.bias, self.stride, self.padding,
                      self.dilation, self.groups)


class LeNet5(nn.Module):
    """LeCun's LeNet-5 for (N,1,32,32) input (MNIST padded by 2 pixels), 10 classes.

    ``lecun_c3=True`` connects C3 to S2 by the paper's Table I (60 of the 96 map pairs);
    the default connects every pair, as most re-implementations do. Submodule names follow the
    paper's layer names (c1, s2, c3, s4, c5, f6, output)."""

    def __init__(self, num_classes=10, in_channels=1, lecun_c3=False):
        super().__init__()
        self.c1 = nn.Conv2d(in_channels, 6, 5)
        self.s2 = nn.AvgPool2d(2)
        self.c3 = _MaskedConv2d(6, 16, 5, LECUN_C3_TABLE) if lecun_c3 else nn.Conv2d(6, 16, 5)
        self.s4 = nn.AvgPool2d(2)
        self.c5 = nn.Conv2d(16, 120, 5)
        self.f6 = nn.Linear(120, 84)
        self.output = nn.Linear(84, num_classes)
        self.act = nn.Tanh()
        self.flatten = nn.Flatten()

    def forward(self, x):
        x = self.s2(self.act(self.c1(x)))
        x = self.s4(self.act(self.c3(x)))
        x = self.flatten(self.act(self.c5(x)))
        return self.output(self.act(self.f6(x)))


class ModernLeNet(nn.Module):
    """LeNet-5's shape with today's habits: conv-batchnorm-ReLU-max-pool blocks, batchnorm and
    dropout in the classifier. Input (N,1,32,32)."""

    def __init__(self, num_classes=10, in_channels=1, dropout=0.25):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5, bias=False), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5, bias=False), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120, bias=False), nn.BatchNorm1d(120), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))
