"""Whole training steps against the same model in torch, built from the same weights (the
networks of kernels.testing.cases): an MLP 784-256-128-10 (cross-entropy, SGD with momentum) at
batch 1, 64 and 256, LeNet-5 (cross-entropy, SGD with momentum) at batch 64 and 256, and the
character LSTM (embedding 64, 2-layer LSTM, decoder; T=100, B=64; gradient clipping, Adam) at
hidden 256 / 512. A step is zero_grad, forward, loss, backward, (clip,) optimizer step; the
classifiers take the next batch of a pool at each step (see _POOL_SAMPLES)."""
from __future__ import annotations

import numpy as np

from bench.harness import Case, rel_err
from kernels.testing.cases import CHAR_LSTM, MLP
from kernels.testing.runner import to_numpy


def _torch_lenet(torch):
    nn = torch.nn

    class LeNet5(nn.Module):  # kernels.models.LeNet5's layers, names and activations
        def __init__(self):
            super().__init__()
            self.c1, self.c3, self.c5 = nn.Conv2d(1, 6, 5), nn.Conv2d(6, 16, 5), nn.Conv2d(16, 120, 5)
            self.f6, self.output = nn.Linear(120, 84), nn.Linear(84, 10)

        def forward(self, x):
            x = torch.nn.functional.avg_pool2d(torch.tanh(self.c1(x)), 2)
            x = torch.nn.functional.avg_pool2d(torch.tanh(self.c3(x)), 2)
            x = torch.flatten(torch.tanh(self.c5(x)), 1)
            return self.output(torch.tanh(self.f6(x)))

    return LeNet5()


def _torch_charlstm(torch, V, H, E):
    nn = torch.nn

    class CharLSTM(nn.Module):  # kernels.models.CharLSTM's layers and names
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(V, E)
            self.lstm = nn.LSTM(E, H, num_layers=2, batch_first=True)
            self.decoder = nn.Linear(H, V)

        def forward(self, x):
            return self.decoder(self.lstm(self.embed(x))[0])

    return CharLSTM()


def _stepper(model, opt, loss_fn):
    """One training step of either library: zero_grad, forward and loss, backward, update."""

    def step():
        opt.zero_grad()
        loss = loss_fn(model)
        loss.backward()
        opt.step()
        return loss

    return step


def _step_case(name, build, target, size):
    """build() -> (ours_model, ours_opt, ours_loss_fn, torch_model, torch_opt, torch_loss_fn)."""

    def setup():
        km, kopt, kloss, tm, topt, tloss = build()

        ours, peer = _stepper(km, kopt, kloss), _stepper(tm, topt, tloss)

        def check():
            # One step from identical weights: the same loss, then the same gradients.
            lo, lt = ours(), peer()
            errs = [rel_err(lo.item(), lt.item())]
            kp = dict(km.named_parameters())
            errs += [rel_err(to_numpy(kp[n].grad), to_numpy(p.grad)) for n, p in tm.named_parameters()]
            return max(errs)

        return ours, peer, check

    return Case("train", name, "torch", setup, target=target, size=size, tol=5e-3)


def _copy_weights(km, tm):
    """Load our model's weights into its torch twin (same state_dict keys)."""
    import torch

    tm.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in km.state_dict().items()})


# Distinct inputs per step: trained again and again on one batch, a classifier drives its loss to 0
# within tens of steps, and from then on its gradients and momentum buffers are largely subnormal
# floats (a quarter of the MLP's first-layer gradient after 100 steps at batch 1), whose arithmetic
# is many times slower on x86 cores: the step then times subnormals, not the library. A pool of
# batches holding this many samples in all, cycled, keeps the loss of real training.
_POOL_SAMPLES = 4096


def _batch_pool(rng, B, shape, classes):
    """(x, y): float32 (n, B, *shape) inputs and int64 (n, B) labels, n batches of B samples."""
    n = max(4, _POOL_SAMPLES // B)
    x = rng.standard_normal((n, B) + tuple(shape)).astype(np.float32)
    y = rng.integers(0, classes, (n, B)).astype(np.int64)
    return x, y


def _cycling(batches):
    """A function giving the next batch of the list at each call, from the first, around."""
    state = {"i": 0}

    def next_batch():
        i = state["i"]
        state["i"] = (i + 1) % len(batches)
        return batches[i]

    return next_batch


def _classifier_pair(km, tm, x, y, device="cpu"):
    """A classifier and its torch twin, same weights, on `device`, trained by SGD with momentum on
    the cross-entropy of the batches (x[i], y[i]) in turn: the tuple _step_case's build() returns.
    Both libraries start at batch 0, so the check's first step sees the same data."""
    import torch

    import kernels

    _copy_weights(km, tm)  # on the host, then both models move
    km, tm = km.to(device), tm.to(device)
    ours = _cycling([(kernels.tensor(a, device=device), kernels.tensor(b, device=device)) for a, b in zip(x, y)])
    peer = _cycling([(torch.from_numpy(a).to(device), torch.from_numpy(b).to(device)) for a, b in zip(x, y)])
    kopt = kernels.optim.SGD(km.parameters(), lr=0.01, momentum=0.9)
    topt = torch.optim.SGD(tm.parameters(), lr=0.01, momentum=0.9)

    def kloss(m):
        kx, ky = ours()
        return kernels.functional.cross_entropy(m(kx), ky)

    def tloss(m):
        tx, ty = peer()
        return torch.nn.functional.cross_entropy(m(tx), ty)

    return km, kopt, kloss, tm, topt, tloss


def _lenet(B, device="cpu"):
    def build():
        import torch

        import kernels
        from kernels.models import LeNet5

        x, y = _batch_pool(np.random.default_rng(0), B, (1, 32, 32), 10)
        kernels.manual_seed(0)
        km = LeNet5()
        tm = _torch_lenet(torch)
        return _classifier_pair(km, tm, x, y, device)

    return _step_case(f"LeNet-5 training step, batch {B}", build, 4.0 if B == 64 else 3.0, B)


def _mlp(B, sizes=MLP):
    def build():
        import torch

        import kernels

        x, y = _batch_pool(np.random.default_rng(0), B, (sizes[0],), sizes[-1])
        kernels.manual_seed(0)
        layers, tlayers = [], []
        for a, b in zip(sizes[:-1], sizes[1:]):
            layers += [kernels.nn.Linear(a, b), kernels.nn.ReLU()]
            tlayers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
        km, tm = kernels.nn.Sequential(*layers[:-1]), torch.nn.Sequential(*tlayers[:-1])
        return _classifier_pair(km, tm, x, y)

    # overhead dominates at batch 1: the target is higher there
    return _step_case(f"MLP {'-'.join(map(str, sizes))} training step, batch {B}", build, 2.5 if B == 1 else 2.0, B)


def _charlstm(H, T=CHAR_LSTM["T"], B=CHAR_LSTM["B"], V=CHAR_LSTM["vocab"], E=CHAR_LSTM["embedding_dim"]):
    def build():
        import torch

        import kernels
        from kernels.models import CharLSTM
        from kernels.nn.utils import clip_grad_norm_

        ids = np.random.default_rng(0).integers(0, V, (B, T + 1)).astype(np.int64)
        kernels.manual_seed(0)
        km = CharLSTM(V, hidden_size=H, num_layers=2, embedding_dim=E)
        tm = _torch_charlstm(torch, V, H, E)
        _copy_weights(km, tm)
        kx, ky = kernels.tensor(ids[:, :-1]), kernels.tensor(ids[:, 1:].reshape(-1))
        tx, ty = torch.from_numpy(ids[:, :-1]), torch.from_numpy(ids[:, 1:].reshape(-1))
        kopt = kernels.optim.Adam(km.parameters(), lr=3e-3)
        topt = torch.optim.Adam(tm.parameters(), lr=3e-3)

        def kloss(m):
            loss = kernels.functional.cross_entropy(m(kx)[0].reshape(-1, V), ky)
            return _ClipOnBackward(loss, lambda: clip_grad_norm_(m.parameters(), 5.0))

        def tloss(m):
            loss = torch.nn.functional.cross_entropy(m(tx).reshape(-1, V), ty)
            return _ClipOnBackward(loss, lambda: torch.nn.utils.clip_grad_norm_(m.parameters(), 5.0))

        return km, kopt, kloss, tm, topt, tloss

    return _step_case(f"char-LSTM training step, T={T} B={B} H={H}", build, 1.8 if H == 256 else 1.5, H)


class _ClipOnBackward:
    """A loss whose backward() also clips the gradients, so the step is
    zero_grad, forward, backward, clip, optimizer step for both libraries."""

    def __init__(self, loss, clip):
        self.loss, self.clip = loss, clip

    def backward(self):
        self.loss.backward()
        self.clip()

    def item(self):
        return self.loss.item()


def cases(opts):
    return ([_mlp(B) for B in (1, 64, 256)] + [_lenet(64), _lenet(256)]
            + [_charlstm(H) for H in CHAR_LSTM["hidden_sizes"]])
