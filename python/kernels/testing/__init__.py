"""Helpers shared by the test suite (tests/) and the benchmarks (bench/), installed with the
package like torch.testing:

    kernels.testing.cases    the networks' shapes per op family (LeNet-5, ResNet 3x3, the MLP,
                             the character LSTM, their GEMM products), defined once
    kernels.testing.runner   one forward + backward runner for kernels and torch alike

Nothing here is imported by ``import kernels``; import it by name.
"""
from . import cases, runner

__all__ = ["cases", "runner"]
