"""Ready-made networks, built from ``kernels.nn`` layers with torch-compatible state_dict keys.

* :class:`LeNet5` - LeCun et al. (1998): 32x32 input, tanh, average pooling (optionally C3's
  original partial connection table);
* :class:`ModernLeNet` - the same shape with ReLU, max pooling and batch normalisation;
* :class:`ResNet` / :func:`resnet_small` - basic residual blocks (identity and 1x1-projection
  skips), batch norm, global average pooling; :class:`BasicBlock` mirrors torchvision's.
"""
from .lenet import LeNet5, ModernLeNet
from .resnet import BasicBlock, ResNet, resnet_small

__all__ = ["LeNet5", "ModernLeNet", "BasicBlock", "ResNet", "resnet_small"]
