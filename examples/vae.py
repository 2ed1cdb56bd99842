"""A variational autoencoder (Kingma & Welling, 2013) on mnist_5k.

    python examples/vae.py [--latent 2] [--epochs 30] [--seed 0] [--device cpu] [--out runs/vae]
                           [--train-size 4000]

The encoder gives a Gaussian q(z|x) = N(mu, exp(logvar)) over the latent code, the decoder gives
Bernoulli pixel probabilities p(x|z), and training maximises the evidence lower bound

    ELBO(x) = E_q[log p(x|z)] - KL(q(z|x) || N(0, I))   <=   log p(x)

with one sample z = mu + exp(logvar / 2) * eps, eps ~ N(0, I) (the reparameterisation trick: the
randomness is an input, so gradients flow through mu and logvar). Prints the ELBO per image, in
nats, on the training and test sets after each epoch, and writes samples.png (digits decoded from
z ~ N(0, I)), traversal.png (a grid over the first two latent dimensions, the rest at 0) and, with
a 2-D latent, latent.png (the test digits' means, coloured by class).
"""
import os
import time

import numpy as np

import _common
import kernels
from kernels import nn, optim
from kernels import functional as F


class VAE(nn.Module):
    def __init__(self, latent=2, hidden=400):
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.ReLU())
        self.mu = nn.Linear(hidden, latent)
        self.logvar = nn.Linear(hidden, latent)
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, 784),
                                     nn.Unflatten(1, (1, 28, 28)))  # logits of the pixels

    def forward(self, x):
        h = self.encoder(x)
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + (0.5 * logvar).exp() * kernels.randn_like(mu)
        return self.decoder(z), mu, logvar


def elbo_terms(model, x):
    """(reconstruction log-likelihood, KL), each summed over the batch."""
    logits, mu, logvar = model(x)
    # the grey levels in [0, 1] serve as Bernoulli targets, as is usual for MNIST
    log_lik = -F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    # KL(N(mu, s^2) || N(0, 1)) = (mu^2 + s^2 - 1 - log s^2) / 2 per latent dimension
    kl = 0.5 * (mu * mu + logvar.exp() - 1.0 - logvar).sum()
    return log_lik, kl


def train_epoch(model, optimizer, loader, device):
    model.train()
    total, n = 0.0, 0
    for x, _ in loader:
        x = x.to(device)
        log_lik, kl = elbo_terms(model, x)
        loss = (kl - log_lik) / x.shape[0]  # minus the mean ELBO
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total -= loss.item() * x.shape[0]
        n += x.shape[0]
    return total / n


@kernels.no_grad()
def evaluate(model, loader, device):
    """Mean ELBO per image (one z sample each), and its two terms."""
    model.eval()
    log_lik = kl = 0.0
    n = 0
    for x, _ in loader:
        a, b = elbo_terms(model, x.to(device))
        log_lik, kl, n = log_lik + a.item(), kl + b.item(), n + x.shape[0]
    return (log_lik - kl) / n, log_lik / n, kl / n


def save_grid(images, cols, path, title):
    """Tile images (N, 28, 28) in [0, 1] into one picture, ``cols`` per row."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    rows = len(images) // cols
    tiles = images[:rows * cols].reshape(rows, cols, 28, 28).transpose(0, 2, 1, 3)
    fig = Figure(figsize=(0.5 * cols + 0.4, 0.5 * rows + 0.7), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.imshow(tiles.reshape(rows * 28, cols * 28), cmap="gray", vmin=0, vmax=1)
    ax.set_axis_off()
    ax.set_title(title)
    _common.save_figure(fig, path)


def save_latent_scatter(model, images, labels, device, path):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    with kernels.no_grad():
        mu = model.mu(model.encoder(images.to(device))).cpu().numpy()
    fig = Figure(figsize=(6, 5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    points = ax.scatter(mu[:, 0], mu[:, 1], c=labels, cmap="tab10", s=6)
    fig.colorbar(points, ax=ax, ticks=range(10), label="digit")
    ax.set_xlabel("z1")
    ax.set_ylabel("z2")
    ax.set_title("means of q(z|x), test set")
    _common.save_figure(fig, path)


@kernels.no_grad()
def decode(model, z, device):
    model.eval()
    return model.decoder(z.to(device)).sigmoid().cpu().numpy()[:, 0]


def main(argv=None):
    p = _common.parser(__doc__)
    p.add_argument("--latent", type=int, default=2, help="size of the latent code")
    p.add_argument("--epochs", type=int, default=30)
    _common.add_run_options(p, "runs/vae", "folder for the PNGs")
    p.add_argument("--train-size", type=int, default=4000, help="train on N of the 4,000 images")
    args, start = _common.start(p, argv)
    if args.latent < 2:
        p.error("--latent must be at least 2 (the traversal walks two latent dimensions)")

    _, test_set, train_loader, test_loader = _common.mnist_5k_subset(args.train_size, batch_size=64)

    model = VAE(latent=args.latent).to(args.device)
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    history = {"train_elbo": [], "test_elbo": []}
    for epoch in range(1, args.epochs + 1):
        train_elbo = train_epoch(model, optimizer, train_loader, args.device)
        test_elbo, log_lik, kl = evaluate(model, test_loader, args.device)
        history["train_elbo"].append(train_elbo)
        history["test_elbo"].append(test_elbo)
        print(f"epoch {epoch:2d}  ELBO train {train_elbo:8.2f}  test {test_elbo:8.2f} nats "
              f"(= log-lik {log_lik:8.2f} - KL {kl:5.2f})")
    print(f"{time.perf_counter() - start:.1f} s")

    os.makedirs(args.out, exist_ok=True)
    save_grid(decode(model, kernels.randn(100, args.latent), args.device), 10,
              os.path.join(args.out, "samples.png"), "decoded z ~ N(0, I)")
    # the two axes span +-2 standard deviations of the prior
    steps = np.linspace(-2.0, 2.0, 15)
    grid = np.zeros((15 * 15, args.latent), dtype=np.float32)
    grid[:, 0] = np.tile(steps, 15)          # z1 left to right
    grid[:, 1] = np.repeat(steps[::-1], 15)  # z2 bottom to top
    save_grid(decode(model, kernels.tensor(grid), args.device), 15,
              os.path.join(args.out, "traversal.png"), "z1 (left to right), z2 (bottom to top)")
    if args.latent == 2:
        save_latent_scatter(model, test_set.tensors[0], test_set.tensors[1].numpy(), args.device,
                            os.path.join(args.out, "latent.png"))
    print(f"pictures in {args.out}/")
    return history


if __name__ == "__main__":
    main()
