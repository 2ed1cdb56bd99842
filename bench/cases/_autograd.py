"""Forward + backward of one op through each library's Python API, the way a training step runs
it: the forward records the graph, backward() starts from a fixed upstream gradient, and the
gradients of every input that needs one are computed. The runner is the tests' own
(kernels.testing.runner.ForwardBackward); shared by the conv2d, activation, pool, norm and loss
families, on the CPU and (bench/gpu) on CUDA.
"""
from __future__ import annotations

from bench.harness import Case, rel_err


def fwd_bwd_case(family, name, inputs, grads, ours_op, torch_op, flops=None, nbytes=None,
                 target=None, size=None, tol=1e-3, device="cpu", describe=None):
    """inputs: name -> numpy array (float32, or int64 for targets), placed on `device` for both
    libraries; grads: the names that need a gradient. ours_op(kernels, F, **tensors) /
    torch_op(torch, TF, **tensors) return the output."""

    def setup():
        import torch
        import torch.nn.functional as TF

        import kernels
        import kernels.functional as F
        from kernels.testing.runner import Const, ForwardBackward, is_differentiable, tensors, to_numpy

        args = {k: v if is_differentiable(v) else Const(v) for k, v in inputs.items()}
        kt = tensors(kernels, args, device=device, requires_grad=grads)
        tt = tensors(torch, args, device=device, requires_grad=grads)
        ours = ForwardBackward(kernels, lambda: ours_op(kernels, F, **kt), [kt[k] for k in grads],
                               upstream_seed=1, device=device)
        peer = ForwardBackward(torch, lambda: torch_op(torch, TF, **tt), [tt[k] for k in grads],
                               upstream_seed=1, device=device)

        def check():
            yo, yt = ours(), peer()
            errs = [rel_err(to_numpy(yo), to_numpy(yt))]
            errs += [rel_err(go, gt) for go, gt in zip(ours.grads(), peer.grads())]
            return max(errs)

        return ours, peer, check

    return Case(family, name, "torch", setup, flops=flops, nbytes=nbytes, target=target, size=size,
                tol=tol, describe=describe)
