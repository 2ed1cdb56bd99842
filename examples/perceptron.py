"""Rosenblatt's perceptron learns OR and AND but not XOR; a 2-layer MLP trained by backprop does.

    python examples/perceptron.py [--epochs 20] [--seed 0] [--device cpu] [--out runs/perceptron]

The perceptron is written out with tensors and no autograd: y = step(X·W), and after each pass
over the truth table W <- W + eta·X^T·(t - y) (the bias is the weight of a constant input 1;
step(0) = 0, so a point on the line X·W = 0 is classed 0).
The convergence theorem promises a solution in finitely many steps when the classes are
linearly separable; XOR is not, so the perceptron keeps at least one of the four points wrong.
"""
import os
import time

import numpy as np
from matplotlib.figure import Figure

import _common
import kernels
from kernels import nn, optim
from kernels.functional import binary_cross_entropy_with_logits

INPUTS = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
TARGETS = {"OR": [0.0, 1.0, 1.0, 1.0], "AND": [0.0, 0.0, 0.0, 1.0], "XOR": [0.0, 1.0, 1.0, 0.0]}


def with_bias(x):
    """(N,2) -> (N,3): a constant 1 column, so the bias is learnt as the weight W[2]."""
    return kernels.cat([x, kernels.ones(x.shape[0], 1, device=x.device)], dim=1)


def step(z):
    return kernels.where(z > 0, 1.0, 0.0)


def train_perceptron(x, t, epochs, eta=1.0, verbose=True):
    """The perceptron rule on the (N,2) inputs x and 0/1 targets t. Returns (W, accuracies per
    epoch, epochs until every point was right or None)."""
    xb = with_bias(x)
    w = kernels.zeros(3, device=x.device)
    accuracies = []
    for epoch in range(1, epochs + 1):
        y = step(xb @ w)
        errors = t - y
        w = w + eta * (xb.t() @ errors)  # dW = eta * X^T (t - y)
        acc = 1.0 - errors.abs().mean().item()
        accuracies.append(acc)
        if verbose:
            print(f"  epoch {epoch:2d}: {acc:4.0%} right, then W = {[round(v, 2) for v in w.tolist()]}")
        if acc == 1.0:
            return w, accuracies, epoch
    return w, accuracies, None


def mlp(hidden=8):
    return nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, 1))


def train_mlp(x, t, steps=500, lr=0.05):
    """Full-batch Adam on the four points; returns the model and its accuracy."""
    model = mlp().to(x.device)
    optimizer = optim.Adam(model.parameters(), lr=lr)
    target = t.reshape(-1, 1)
    for i in range(1, steps + 1):
        loss = binary_cross_entropy_with_logits(model(x), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if i % 100 == 0:
            print(f"  step {i}: loss {loss.item():.4f}")
    with kernels.no_grad():
        acc = ((model(x) > 0).float().reshape(-1) == t).float().mean().item()
    return model, acc


def plot_boundaries(panels, path):
    """One panel per (title, predict, targets): the region predicted 1 shaded, the points on top."""
    g = np.linspace(-0.5, 1.5, 201)
    gx, gy = np.meshgrid(g, g)
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)
    pts = np.array(INPUTS)
    fig = Figure(figsize=(4 * len(panels), 4), dpi=100)
    for i, (title, predict, targets) in enumerate(panels, 1):
        ax = fig.add_subplot(1, len(panels), i)
        z = predict(grid).reshape(gx.shape)
        ax.contourf(gx, gy, z, levels=[-0.5, 0.5, 1.5], colors=["#f4d6d6", "#d6e4f4"])
        ax.contour(gx, gy, z, levels=[0.5], colors="k", linewidths=1)
        targets = np.array(targets)
        for label, marker, colour in ((0, "o", "tab:red"), (1, "s", "tab:blue")):
            sel = targets == label
            ax.scatter(pts[sel, 0], pts[sel, 1], marker=marker, c=colour, s=90, edgecolors="k",
                       label=f"t = {label}")
        ax.set_title(title)
        ax.set_xlabel("x1")
        ax.set_ylabel("x2")
        ax.set_aspect("equal")
    fig.axes[0].legend(loc="center")
    _common.save_figure(fig, path)


def main(argv=None):
    p = _common.parser(__doc__, epochs=20, epochs_help="most perceptron epochs per table")
    p.add_argument("--mlp-steps", type=int, default=500)
    _common.add_run_options(p, "runs/perceptron")
    args, start = _common.start(p, argv)
    x = kernels.tensor(INPUTS, device=args.device)

    panels = []
    for name, targets in TARGETS.items():
        print(f"perceptron on {name}:")
        w, accs, converged = train_perceptron(x, kernels.tensor(targets, device=args.device),
                                              args.epochs)
        if converged:
            print(f"{name}: converged after {converged} epochs")
        else:
            print(f"{name}: no convergence in {args.epochs} epochs (best {max(accs):.0%} right)")

        def predict(grid, w=w):
            return step(with_bias(kernels.tensor(grid, device=args.device)) @ w).cpu().numpy()
        panels.append((f"perceptron, {name}", predict, targets))

    print("2-8-1 tanh MLP on XOR, trained by backprop:")
    t_xor = kernels.tensor(TARGETS["XOR"], device=args.device)
    model, acc = train_mlp(x, t_xor, args.mlp_steps)
    print(f"MLP on XOR: {acc:.0%} right")

    def predict_mlp(grid):
        with kernels.no_grad():
            return (model(kernels.tensor(grid, device=args.device)) > 0).float().cpu().numpy()
    panels.append(("MLP (2-8-1), XOR", predict_mlp, TARGETS["XOR"]))

    os.makedirs(args.out, exist_ok=True)
    plot_boundaries(panels, os.path.join(args.out, "decision_boundaries.png"))
    print(f"{time.perf_counter() - start:.1f} s; picture in {args.out}/")
    return acc


if __name__ == "__main__":
    main()
