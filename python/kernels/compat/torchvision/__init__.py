"""A minimal torchvision for kernels.compat: datasets.MNIST backed by the built-in mnist_5k and the
transforms the MNIST examples use (ToTensor, Normalize, Compose, Lambda)."""
from . import datasets, transforms  # noqa: F401

__version__ = "0.0+kernels"
