"""Switches of the compute backends, under torch.backends' names: cpu (the instruction-set
switch), and cudnn / mps as torch scripts query them (kernels uses neither)."""
from . import cpu, cudnn, mps

__all__ = ["cpu", "cudnn", "mps"]
