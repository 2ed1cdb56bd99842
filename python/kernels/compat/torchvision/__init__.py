"""A minimal torchvision for kernels.compat: datasets.MNIST backed by the built-in mnist_5k,
datasets.FakeData, the transforms the examples use (ToTensor, Normalize, Resize, CenterCrop,
Compose, Lambda) and utils.make_grid / save_image."""
from . import datasets, transforms, utils  # noqa: F401

__version__ = "0.0+kernels"
