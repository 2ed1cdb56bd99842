"""Switches of the compute backends, under torch.backends' names."""
from . import cpu

__all__ = ["cpu"]
