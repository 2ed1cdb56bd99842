"""Vanishing gradients made visible: a deep plain network against the same one with skips.

    python examples/resnet_vs_plain.py [--epochs 15] [--seed 0] [--device cpu] [--out runs/resnet_vs_plain]

Two MLPs of 20 Linear layers (64 -> 64 x 18 -> 10, ReLU) learn scikit-learn's 8x8 digits with
the same data, initialisation (PyTorch's default), optimizer (SGD with momentum) and seed. The
only difference is one "+ h" per hidden layer:

    plain     h = W relu(h) + b           (an ordinary MLP: Linear, ReLU, Linear, ReLU, ...)
    residual  h = h + W relu(h) + b       (pre-activation residual, He et al. 2016)

In the plain network every layer shrinks the signal going forward and the gradient going back,
so the first layers receive almost no gradient and barely move: the loss stays near log(10).
The identity path gives the gradient a route around every layer (dL/dh_i = dL/dh_{i+1} (I + ...)),
so the residual network's first layer learns as fast as its last. One PNG shows the gradient norm
of every layer's weight over the first steps, and the two training-loss curves.
(Careful initialisation - He et al. 2015 - or batch norm also rescue a plain net of this depth;
skip connections are what keep working as depth grows further.)
"""
import time

import numpy as np

import _common
import kernels
from kernels import data, nn, optim


class DeepMLP(nn.Module):
    def __init__(self, depth=20, width=64, in_features=64, num_classes=10, residual=True):
        super().__init__()
        self.residual = residual
        self.inp = nn.Linear(in_features, width)
        self.hidden = nn.ModuleList([nn.Linear(width, width) for _ in range(depth - 2)])
        self.out = nn.Linear(width, num_classes)
        self.relu = nn.ReLU()

    def forward(self, x):
        h = self.inp(x)
        for layer in self.hidden:
            h = h + layer(self.relu(h)) if self.residual else layer(self.relu(h))
        return self.out(self.relu(h))

    def layers(self):
        return [self.inp, *self.hidden, self.out]


def grad_norms(model):
    return [float(np.linalg.norm(layer.weight.grad.cpu().numpy())) for layer in model.layers()]


def train(model, loader, epochs, lr, probe_steps, device):
    """SGD; returns (mean weight-gradient norm per layer over the first probe_steps steps,
    training loss per step)."""
    optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    norms, losses = [], []
    for _ in range(epochs):
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            if len(norms) < probe_steps:
                norms.append(grad_norms(model))
            optimizer.step()
            losses.append(loss.item())
    return np.mean(norms, axis=0), np.array(losses)


def plot(results, path, epochs):
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator
    fig = Figure(figsize=(11, 4))
    ax1, ax2 = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    for name, style in (("plain", "-o"), ("residual", "-s")):
        norms, losses = results[name]
        ax1.semilogy(range(1, len(norms) + 1), norms, style, markersize=3, label=name)
        steps_per_epoch = len(losses) / epochs
        ax2.plot(np.arange(1, len(losses) + 1) / steps_per_epoch, losses, alpha=0.35, linewidth=0.8)
        smooth = np.convolve(losses, np.ones(10) / 10, mode="valid")  # running mean of 10 steps
        ax2.plot(np.arange(10, len(losses) + 1) / steps_per_epoch, smooth,
                 color=ax2.lines[-1].get_color(), label=name)
    ax1.set(xlabel="layer (1 = input side)", ylabel="||dL/dW|| over the first steps",
            title="gradient norm per layer")
    ax1.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax2.set(xlabel="epoch", ylabel="training loss", title="training loss")
    for ax in (ax1, ax2):
        ax.grid(True, alpha=0.3)
        ax.legend()
    _common.save_figure(fig, path)


def main(argv=None):
    p = _common.parser(__doc__, epochs=15)
    _common.add_run_options(p, "runs/resnet_vs_plain")
    p.add_argument("--depth", type=int, default=20, help="Linear layers in each network")
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--probe-steps", type=int, default=5,
                   help="average the gradient norms over this many first steps")
    args, start = _common.start(p, argv, seed=False)  # seeded before each network

    train_set = data.digits(train=True, flatten=True)
    x, y = train_set.tensors
    x = (x - float(x.mean())) / float(x.std())  # one mean and std for all pixels
    results = {}
    for name in ("plain", "residual"):
        kernels.manual_seed(args.seed)  # same initial weights and batches for both
        loader = data.DataLoader(data.TensorDataset(x, y), batch_size=64, shuffle=True)
        model = DeepMLP(args.depth, args.width, residual=name == "residual").to(args.device)
        norms, losses = train(model, loader, args.epochs, args.lr, args.probe_steps, args.device)
        results[name] = (norms, losses)
        last = losses[-len(loader):].mean()
        print(f"{name:8s}: gradient norm layer 1 {norms[0]:.2e}, layer {args.depth} {norms[-1]:.2e} "
              f"(ratio {norms[0] / norms[-1]:.1e}); training loss last epoch {last:.4f}")

    plot(results, f"{args.out}/resnet_vs_plain.png", args.epochs)
    print(f"{time.perf_counter() - start:.1f} s; pictures in {args.out}/")
    return {name: {"grad_norms": list(norms), "losses": list(losses)}
            for name, (norms, losses) in results.items()}


if __name__ == "__main__":
    main()
