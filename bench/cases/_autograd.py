"""Forward + backward of one op through each library's Python API, the way a training step runs
it: the forward records the graph, backward() takes a fixed upstream gradient, and the gradients
of every input that needs one are computed. Shared by the conv2d, pool, norm and loss families,
on the CPU and (bench/gpu) on CUDA.
"""
from __future__ import annotations

import numpy as np

from bench.harness import Case, rel_err, to_numpy


def fwd_bwd_case(family, name, inputs, grads, ours_op, torch_op, flops=None, nbytes=None,
                 target=None, size=None, tol=1e-3, device="cpu"):
    """inputs: name -> numpy array (float32, or int64 for targets), placed on `device` for both
    libraries; grads: the names that need a gradient. ours_op(kernels, F, **tensors) /
    torch_op(torch, TF, **tensors) return the output."""

    def setup():
        import torch
        import torch.nn.functional as TF

        import kernels
        import kernels.functional as F

        kt = {k: kernels.tensor(v, device=device, requires_grad=k in grads) for k, v in inputs.items()}
        tt = {k: torch.tensor(v, device=device, requires_grad=k in grads) for k, v in inputs.items()}
        out = ours_op(kernels, F, **kt)
        scalar = out.ndim == 0
        g = None if scalar else np.random.default_rng(1).standard_normal(tuple(out.shape)).astype(np.float32)
        kg = None if scalar else kernels.tensor(g, device=device)
        tg = None if scalar else torch.tensor(g, device=device)

        def fwd_bwd(op, lib, functional, tensors, upstream):
            def run():
                for k in grads:
                    tensors[k].grad = None
                y = op(lib, functional, **tensors)
                y.backward(upstream)
                return y

            return run

        ours, peer = fwd_bwd(ours_op, kernels, F, kt, kg), fwd_bwd(torch_op, torch, TF, tt, tg)

        def check():
            yo, yt = ours(), peer()
            errs = [rel_err(to_numpy(yo), to_numpy(yt))]
            errs += [rel_err(to_numpy(kt[k].grad), to_numpy(tt[k].grad)) for k in grads]
            return max(errs)

        return ours, peer, check

    return Case(family, name, "torch", setup, flops=flops, nbytes=nbytes, target=target, size=size,
                tol=tol)
