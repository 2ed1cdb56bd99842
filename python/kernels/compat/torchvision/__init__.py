"""A minimal torchvision for kernels.compat: datasets.MNIST backed by the built-in mnist_5k,
datasets.FakeData, the transforms the examples use (ToTensor, Normalize, Resize, CenterCrop,
Compose, Lambda), models.resnet18 / resnet34 and utils.make_grid / save_image."""
from . import datasets, models, transforms, utils  # noqa: F401

__version__ = "0.0+kernels"
