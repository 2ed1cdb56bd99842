"""The GPU cases, one section per family, each the CUDA twin of a family in bench/cases and built
from that family's shape list: GEMM (4096^3 and the networks' products), conv2d fwd+bwd at
LeNet-5 / ResNet shapes (batch 256), LSTM / GRU layers (T=100, B=64), batchnorm in training,
softmax + cross-entropy, and a LeNet-5 training step at batch 256.

Every case is a bench.harness.Case whose setup() puts the same inputs (and weights) on the GPU
for both libraries and returns (ours, peer, check); nothing here touches torch or the GPU until
setup() runs, so the list can be printed on a machine without either.
"""
from __future__ import annotations

import numpy as np

from bench.cases import conv2d as cpu_conv2d
from bench.cases import gemm as cpu_gemm
from bench.cases import loss as cpu_loss
from bench.cases import norm as cpu_norm
from bench.cases import rnn as cpu_rnn
from bench.cases import step as cpu_step
from bench.harness import Case, rel_err

FAMILIES = ["gemm", "conv2d", "rnn", "norm", "loss", "step"]
GEMM_SQUARE = [4096]
CONV_BATCH = 256
RNN_T, RNN_B, RNN_HIDDEN = 100, 64, (256, 512)
STEP_BATCH = 256
# Where both libraries' tensors go. Only a test changes it (to "cpu"), to run every setup and
# check on a machine without a GPU.
DEVICE = "cuda"


def _np(t):
    """Either library's tensor (or a Python float) as a NumPy array on the host."""
    if isinstance(t, float):
        return np.asarray(t)
    return np.asarray(t.detach().cpu().numpy())


# ------------------------------------------------------------------ gemm


def _gemm(name, form, M, N, K, size):
    def setup():
        from bench.gpu.harness import peer_torch

        torch = peer_torch()
        import kernels
        from kernels import _C

        rng = np.random.default_rng(0)

        def both(shape):
            a = rng.standard_normal(shape, dtype=np.float32)
            return kernels.tensor(a, device=DEVICE), torch.from_numpy(a).to(DEVICE)

        if form == "nn":  # C = A @ B
            (ka, ta), (kb, tb) = both((M, K)), both((K, N))
            ours = lambda: _C.matmul_forward(ka, kb)  # noqa: E731
            peer = lambda: ta @ tb  # noqa: E731
        elif form == "nt":  # a linear layer's forward, C = X @ W^T
            (kx, tx), (kw, tw) = both((M, K)), both((N, K))
            ours = lambda: _C.linear_forward(kx, kw, None)  # noqa: E731
            peer = lambda: tx @ tw.T  # noqa: E731
        else:  # "tn": a linear layer's weight gradient, dW (M,N) = dY^T @ X with dY (K,M), X (K,N)
            (kdy, tdy), (kx, tx) = both((K, M)), both((K, N))
            kw = kernels.zeros(M, N, device=DEVICE)
            ours = lambda: _C.linear_backward(kdy, kx, kw, False, [False, True, False])[1]  # noqa: E731
            peer = lambda: tdy.T @ tx  # noqa: E731
        check = lambda: rel_err(_np(ours()), _np(peer()))  # noqa: E731
        return ours, peer, check

    return Case("gemm", name, "torch (cuBLAS)", setup, flops=2.0 * M * N * K, size=size, tol=1e-4)


def gemm_cases():
    out = [_gemm(f"{n}^3", "nn", n, n, n, n) for n in GEMM_SQUARE]
    out += [_gemm(f"{name} ({form} {M}x{N}x{K})", form, M, N, K, 0) for name, form, M, N, K in cpu_gemm.NETWORK]
    return out


# ------------------------------------------------------------------ fwd+bwd through the Python API


def _fwd_bwd(family, name, inputs, grads, ours_op, torch_op, flops=None, nbytes=None, size=None,
             tol=1e-3, peer="torch (cuDNN)"):
    """bench.cases._autograd.fwd_bwd_case on the GPU: inputs (name -> NumPy array) become CUDA
    tensors of both libraries, `grads` name the ones that need a gradient; ours_op(kernels, F,
    **tensors) and torch_op(torch, TF, **tensors) return the output, backward() takes a fixed
    upstream gradient."""

    def setup():
        from bench.gpu.harness import peer_torch

        torch = peer_torch()
        import torch.nn.functional as TF

        import kernels
        import kernels.functional as F

        kt = {k: kernels.tensor(v, device=DEVICE, requires_grad=k in grads) for k, v in inputs.items()}
        tt = {k: torch.tensor(v, device=DEVICE, requires_grad=k in grads) for k, v in inputs.items()}
        out = ours_op(kernels, F, **kt)
        scalar = out.ndim == 0
        g = None if scalar else np.random.default_rng(1).standard_normal(tuple(out.shape)).astype(np.float32)
        kg = None if scalar else kernels.tensor(g, device=DEVICE)
        tg = None if scalar else torch.tensor(g, device=DEVICE)

        def fwd_bwd(op, lib, functional, tensors, upstream):
            def run():
                for k in grads:
                    tensors[k].grad = None
                y = op(lib, functional, **tensors)
                y.backward(upstream)
                return y

            return run

        ours, peer_fn = fwd_bwd(ours_op, kernels, F, kt, kg), fwd_bwd(torch_op, torch, TF, tt, tg)

        def check():
            yo, yt = ours(), peer_fn()
            errs = [rel_err(_np(yo), _np(yt))]
            errs += [rel_err(_np(kt[k].grad), _np(tt[k].grad)) for k in grads]
            return max(errs)

        return ours, peer_fn, check

    return Case(family, name, peer, setup, flops=flops, nbytes=nbytes, size=size, tol=tol)


def conv2d_cases():
    out = []
    rng = np.random.default_rng(0)
    for name, _, C, H, W, O, k, pad, x_grad, _target in cpu_conv2d.SHAPES:
        B = CONV_BATCH
        OH, OW = H + 2 * pad - k + 1, W + 2 * pad - k + 1
        fwd = 2.0 * B * O * OH * OW * C * k * k
        inputs = {
            "x": rng.standard_normal((B, C, H, W)).astype(np.float32),
            "w": (rng.standard_normal((O, C, k, k)) / np.sqrt(C * k * k)).astype(np.float32),
            "b": rng.standard_normal(O).astype(np.float32),
        }
        grads = ("x", "w", "b") if x_grad else ("w", "b")
        out.append(_fwd_bwd(
            "conv2d", f"{name} fwd+bwd ({B},{C},{H},{W})->{O} {k}x{k}", inputs, grads,
            lambda kernels, F, x, w, b, pad=pad: F.conv2d(x, w, b, padding=pad),
            lambda torch, TF, x, w, b, pad=pad: TF.conv2d(x, w, b, padding=pad),
            flops=fwd * (3 if x_grad else 2), size=B))
    return out


def norm_cases():
    out = []
    rng = np.random.default_rng(0)
    for shape in cpu_norm.SHAPES:
        C = shape[1]
        inputs = {"x": rng.standard_normal(shape).astype(np.float32),
                  "w": rng.standard_normal(C).astype(np.float32),
                  "b": rng.standard_normal(C).astype(np.float32)}
        stats = {}

        def ours_op(kernels, F, x, w, b, C=C, stats=stats):
            if "k" not in stats:
                stats["k"] = (kernels.zeros(C, device=DEVICE), kernels.ones(C, device=DEVICE))
            rm, rv = stats["k"]
            return F.batch_norm(x, rm, rv, w, b, training=True)

        def torch_op(torch, TF, x, w, b, C=C, stats=stats):
            if "t" not in stats:
                stats["t"] = (torch.zeros(C, device=DEVICE), torch.ones(C, device=DEVICE))
            rm, rv = stats["t"]
            return TF.batch_norm(x, rm, rv, w, b, training=True)

        out.append(_fwd_bwd("norm", f"batch_norm train fwd+bwd {shape}", inputs, ("x", "w", "b"), ours_op,
                            torch_op, nbytes=4.0 * 5 * int(np.prod(shape)), size=shape[0], tol=2e-3))
    return out


def loss_cases():
    out = []
    rng = np.random.default_rng(0)
    for B, C in cpu_loss.SHAPES:
        inputs = {"x": (3 * rng.standard_normal((B, C))).astype(np.float32),
                  "y": rng.integers(0, C, B).astype(np.int64)}
        out.append(_fwd_bwd(
            "loss", f"cross_entropy fwd+bwd ({B},{C})", inputs, ("x",),
            lambda kernels, F, x, y: F.cross_entropy(x, y),
            lambda torch, TF, x, y: TF.cross_entropy(x, y),
            nbytes=4.0 * 3 * B * C, size=B, peer="torch"))
    return out


# ------------------------------------------------------------------ rnn


def _rnn(mode, T, B, H):
    def setup():
        from bench.gpu.harness import peer_torch

        torch = peer_torch()
        import kernels

        x = np.random.default_rng(0).standard_normal((T, B, H)).astype(np.float32)
        tm = getattr(torch.nn, mode)(H, H)
        km = getattr(kernels.nn, mode)(H, H)
        km.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
        km, tm = km.to(DEVICE), tm.to(DEVICE)
        tx = torch.from_numpy(x).to(DEVICE).requires_grad_(True)
        kx = kernels.tensor(x, device=DEVICE, requires_grad=True)

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
            errs = [rel_err(_np(yo), _np(yt)), rel_err(_np(kx.grad), _np(tx.grad))]
            kp = dict(km.named_parameters())
            errs += [rel_err(_np(kp[n].grad), _np(p.grad)) for n, p in tm.named_parameters()]
            return max(errs)

        return ours, peer, check

    flops = 6 * 2.0 * T * B * cpu_rnn.GATES[mode] * H * H  # as on the CPU: 2 GEMMs fwd, 4 bwd
    return Case("rnn", f"{mode} layer fwd+bwd T={T} B={B} H={H}", "torch (cuDNN)", setup, flops=flops,
                size=H, tol=2e-3)


def rnn_cases():
    return [_rnn(mode, RNN_T, RNN_B, H) for mode in ("LSTM", "GRU") for H in RNN_HIDDEN]


# ------------------------------------------------------------------ training step


def _lenet_step(B):
    def setup():
        from bench.gpu.harness import peer_torch

        torch = peer_torch()
        import kernels
        from kernels.models import LeNet5

        rng = np.random.default_rng(0)
        x = rng.standard_normal((B, 1, 32, 32)).astype(np.float32)
        y = rng.integers(0, 10, B).astype(np.int64)
        kernels.manual_seed(0)
        km, tm = LeNet5(), cpu_step._torch_lenet(torch)
        cpu_step._copy_weights(km, tm)  # on the host, then both models move
        km, tm = km.to(DEVICE), tm.to(DEVICE)
        kx, ky = kernels.tensor(x, device=DEVICE), kernels.tensor(y, device=DEVICE)
        tx, ty = torch.from_numpy(x).to(DEVICE), torch.from_numpy(y).to(DEVICE)
        kopt = kernels.optim.SGD(km.parameters(), lr=0.01, momentum=0.9)
        topt = torch.optim.SGD(tm.parameters(), lr=0.01, momentum=0.9)

        def stepper(model, opt, loss_fn):
            def step():
                opt.zero_grad()
                loss = loss_fn(model)
                loss.backward()
                opt.step()
                return loss

            return step

        ours = stepper(km, kopt, lambda m: kernels.functional.cross_entropy(m(kx), ky))
        peer = stepper(tm, topt, lambda m: torch.nn.functional.cross_entropy(m(tx), ty))

        def check():
            # One step from identical weights: the same loss, then the same gradients.
            lo, lt = ours(), peer()
            errs = [rel_err(lo.item(), lt.item())]
            kp = dict(km.named_parameters())
            errs += [rel_err(_np(kp[n].grad), _np(p.grad)) for n, p in tm.named_parameters()]
            return max(errs)

        return ours, peer, check

    return Case("step", f"LeNet-5 training step, batch {B}", "torch (cuDNN)", setup, size=B, tol=5e-3)


def step_cases():
    return [_lenet_step(STEP_BATCH)]


def cases(opts=None):
    return gemm_cases() + conv2d_cases() + rnn_cases() + norm_cases() + loss_cases() + step_cases()
