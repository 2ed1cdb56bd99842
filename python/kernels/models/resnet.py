"""A small ResNet (He et al. 2016) of basic blocks, for 28x28 / 32x32 images.

    stem    conv3x3 in->w, BN, ReLU                      (N,w,H,W)
    layer1  blocks[0] BasicBlocks, w channels, stride 1
    layer2  blocks[1] BasicBlocks, 2w channels, first one stride 2 (1x1-projection skip)
    layer3  blocks[2] BasicBlocks, 4w channels, first one stride 2 (1x1-projection skip)
    global average pool -> (N,4w) -> fc -> (N,num_classes)

BasicBlock: out = relu(bn2(conv2(relu(bn1(conv1(x))))) + skip(x)), skip = identity when shape is
kept, else downsample = 1x1 conv (stride s) + BN; skip=False drops the shortcut. Names (conv1, bn1, layerK.i.downsample.0, fc)
follow torchvision, so state_dicts map across.
"""
from __future__ import annotations

from .. import nn

__all__ = ["BasicBlock", "ResNet", "resnet_small"]


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_channels, channels, stride=1, skip=True):
        super().__init__()
        self.skip = skip
        self.conv1 = nn.Conv2d(in_channels, channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        if skip and (stride != 1 or in_channels != channels):
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, channels, 1, stride=stride, bias=False), nn.BatchNorm2d(channels))
        else:
            self.downsample = None

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if not self.skip:
            return self.relu(out)
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.relu(out + shortcut)


class ResNet(nn.Module):
    """Three stages of basic blocks (widths w, 2w, 4w); ``skip=False`` builds the same network
    without its shortcut connections (a "plain" deep network, for comparisons)."""

    def __init__(self, blocks=(2, 2, 2), width=16, num_classes=10, in_channels=1, skip=True):
        super().__init__()
        if len(blocks) != 3 or any(int(b) < 1 for b in blocks):
            raise ValueError(f"ResNet: blocks must be three positive counts, got {blocks!r}")
        if width < 1:
            raise ValueError(f"ResNet: width must be positive, got {width}")
        self.conv1 = nn.Conv2d(in_channels, width, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU()
        chans = width
        for i, (n, w) in enumerate(zip(blocks, (width, 2 * width, 4 * width)), 1):
            layer = []
            for j in range(int(n)):
                layer.append(BasicBlock(chans, w, stride=2 if (i > 1 and j == 0) else 1, skip=skip))
                chans = w
            setattr(self, f"layer{i}", nn.Sequential(*layer))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(chans, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(self.flatten(self.avgpool(x)))


def resnet_small(num_classes=10, in_channels=1, blocks=(1, 1, 1), width=16):
    """The default ResNet of ``kernels-train resnet``: 1 block per stage, widths 16/32/64
    (8 weighted layers, about 78k parameters)."""
    return ResNet(blocks=blocks, width=width, num_classes=num_classes, in_channels=in_channels)
