"""What the Python layer costs per op: ``a + b`` on 1-element tensors, where the kernel itself is
negligible, against torch; with and without recording the autograd graph."""
from __future__ import annotations

from bench.harness import Case, rel_err


def _case(record):
    def setup():
        import torch

        import kernels

        a, b = kernels.ones(1, requires_grad=record), kernels.ones(1)
        ta, tb = torch.ones(1, requires_grad=record), torch.ones(1)
        ours = lambda: a + b  # noqa: E731
        peer = lambda: ta + tb  # noqa: E731
        check = lambda: rel_err(ours().detach().numpy(), peer().detach().numpy())  # noqa: E731
        return ours, peer, check

    what = "recording the graph" if record else "no graph"
    return Case("overhead", f"a + b on 1-element tensors, {what}", "torch", setup, size=1, target=1.0)


def cases(opts):
    return [_case(False), _case(True)]
