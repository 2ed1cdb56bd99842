"""One LSTM / GRU layer, forward + backward over a whole sequence (kernels.testing.cases.RNN:
T=100, B=64, input = hidden size), against torch.nn.LSTM / nn.GRU with the same weights."""
from __future__ import annotations

import numpy as np

from bench.harness import Case, rel_err
from kernels.testing.cases import RNN, RNN_GATES as GATES
from kernels.testing.runner import to_numpy

TARGETS = {("LSTM", 256): 1.5, ("LSTM", 512): 1.3}


def _case(mode, T, B, H, device="cpu"):
    def setup():
        import torch

        import kernels

        x = np.random.default_rng(0).standard_normal((T, B, H)).astype(np.float32)
        tm = getattr(torch.nn, mode)(H, H)
        km = getattr(kernels.nn, mode)(H, H)
        km.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
        km, tm = km.to(device), tm.to(device)  # the same weights, then both move
        tx = torch.from_numpy(x).to(device).requires_grad_(True)
        kx = kernels.tensor(x, device=device, requires_grad=True)

        def fwd_bwd(model, x):
            def run():
                x.grad = None
                model.zero_grad()
                out, _ = model(x)
                out.sum().backward()
                return out

            return run

        ours, peer = fwd_bwd(km, kx), fwd_bwd(tm, tx)

        def check():
            yo, yt = ours(), peer()
            errs = [rel_err(to_numpy(yo), to_numpy(yt)), rel_err(to_numpy(kx.grad), to_numpy(tx.grad))]
            kp = dict(km.named_parameters())
            errs += [rel_err(to_numpy(kp[n].grad), to_numpy(p.grad)) for n, p in tm.named_parameters()]
            return max(errs)

        return ours, peer, check

    # GEMM work: 2 products (input, hidden) forward, 4 of the same size backward.
    flops = 6 * 2.0 * T * B * GATES[mode] * H * H
    return Case("rnn", f"{mode} layer fwd+bwd T={T} B={B} H={H}", "torch", setup, flops=flops,
                target=TARGETS.get((mode, H)), size=H, tol=2e-3)


def cases(opts, device="cpu"):
    return [_case(mode, T, B, H, device) for mode, T, B, H in RNN]
