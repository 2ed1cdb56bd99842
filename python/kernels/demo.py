"""Train a two-layer MLP on scikit-learn's 8x8 digits with nothing but kernels' own ops.

    kernels-demo [--epochs 30] [--hidden 128] [--lr 0.1] [--batch-size 64] [--seed 0] [--device cpu]

Every step (matmul, clamp as ReLU, log-sum-exp cross-entropy, indexing, the SGD update) runs the
hand-written kernels, and autograd computes the gradients. Reports loss and accuracy per epoch.
"""
from __future__ import annotations

import argparse
import math
import sys
import time

import numpy as np

import kernels
from kernels.train import accuracy  # argmax over the classes == target, as a fraction


def load_digits():
    try:
        from sklearn.datasets import load_digits as sk_load_digits
    except ImportError:
        sys.exit("kernels-demo needs scikit-learn for its data set: pip install 'dlkernels[data]'")
    d = sk_load_digits()
    return (d.data / 16.0).astype(np.float32), d.target.astype(np.int64)


def cross_entropy(logits, target):
    """Mean of log(sum(exp(logits))) - logits[target], max-subtracted for stability."""
    m = logits.detach().amax(dim=1, keepdim=True)
    lse = ((logits - m).exp().sum(dim=1, keepdim=True).log() + m).squeeze(1)
    picked = logits[kernels.arange(logits.shape[0], device=logits.device), target]
    return (lse - picked).mean()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    args = p.parse_args(argv)

    kernels.manual_seed(args.seed)
    dev = args.device
    X, y = load_digits()
    perm = kernels.randperm(len(X)).numpy()
    n_test = len(X) // 5
    test_idx, train_idx = perm[:n_test], perm[n_test:]
    Xtr, ytr = kernels.tensor(X[train_idx], device=dev), kernels.tensor(y[train_idx], device=dev)
    Xte, yte = kernels.tensor(X[test_idx], device=dev), kernels.tensor(y[test_idx], device=dev)

    d_in, d_out = X.shape[1], 10
    # He initialisation for the ReLU layer, PyTorch's Linear layout (out_features, in_features).
    W1 = (kernels.randn(args.hidden, d_in, device=dev) * math.sqrt(2.0 / d_in)).requires_grad_()
    b1 = kernels.zeros(args.hidden, device=dev, requires_grad=True)
    W2 = (kernels.randn(d_out, args.hidden, device=dev) * math.sqrt(1.0 / args.hidden)).requires_grad_()
    b2 = kernels.zeros(d_out, device=dev, requires_grad=True)
    params = [W1, b1, W2, b2]

    def model(x):
        h = kernels.linear(x, W1, b1).clamp(min=0.0)
        return kernels.linear(h, W2, b2)

    n = Xtr.shape[0]
    print(f"digits: {n} train / {Xte.shape[0]} test images of 8x8, MLP 64-{args.hidden}-10, "
          f"SGD lr={args.lr}, batch {args.batch_size}, device {dev}")
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        order = kernels.randperm(n, device=dev)
        total, batches = 0.0, 0
        for i in range(0, n, args.batch_size):
            idx = order[i:i + args.batch_size]
            loss = cross_entropy(model(Xtr[idx]), ytr[idx])
            loss.backward()
            with kernels.no_grad():
                for w in params:
                    w -= args.lr * w.grad
                    w.grad = None
            total += loss.item()
            batches += 1
        with kernels.no_grad():
            train_acc = accuracy(model(Xtr), ytr)
            test_acc = accuracy(model(Xte), yte)
        print(f"epoch {epoch:3d}  loss {total / batches:.4f}  train acc {train_acc:.3f}  "
              f"test acc {test_acc:.3f}  ({time.perf_counter() - start:.1f}s)", flush=True)
    return test_acc


if __name__ == "__main__":
    main()
