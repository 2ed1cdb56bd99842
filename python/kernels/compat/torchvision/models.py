"""torchvision.models for kernels.compat: the ResNets of basic blocks (resnet18, resnet34), built
as torchvision builds them (7x7 stride-2 stem, 3x3 max pool, four stages of 64-512 channels,
global average pool, fc), with torchvision's module names and child order, so its state_dicts
load and `list(model.children())[:-1]` drops the classifier as with torchvision. There is no
network here: `weights` must be None (load a saved state_dict instead)."""
from __future__ import annotations

from ... import nn
from ...models.resnet import BasicBlock
from .. import NotSupportedError

__all__ = ["ResNet", "resnet18", "resnet34"]


class ResNet(nn.Module):
    def __init__(self, layers, num_classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        chans = 64
        for i, (n, width) in enumerate(zip(layers, (64, 128, 256, 512)), 1):
            blocks = []
            for j in range(n):
                blocks.append(BasicBlock(chans, width, stride=2 if i > 1 and j == 0 else 1))
                chans = width
            setattr(self, f"layer{i}", nn.Sequential(*blocks))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * BasicBlock.expansion, num_classes)
        for m in self.modules():  # torchvision's initialisation
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


def _build(name, layers, weights, progress, kwargs):
    if weights is not None or kwargs.pop("pretrained", False):
        raise NotSupportedError(f"kernels does not support torchvision.models.{name} with pretrained weights yet "
                                "(they need a download); build it with weights=None and load a saved state_dict")
    return ResNet(layers, **kwargs)


def resnet18(*, weights=None, progress=True, **kwargs):
    return _build("resnet18", [2, 2, 2, 2], weights, progress, kwargs)


def resnet34(*, weights=None, progress=True, **kwargs):
    return _build("resnet34", [3, 4, 6, 3], weights, progress, kwargs)
