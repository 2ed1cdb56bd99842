"""A PyTorch-style variational autoencoder on MNIST, as the classic course example writes it:
fc encoder to (mu, logvar), the reparameterisation trick with torch.randn_like, a sigmoid decoder,
the loss F.binary_cross_entropy(recon, x, reduction='sum') + the Gaussian KL term, Adam.

The weights come from NumPy and the digits are read in a fixed NumPy permutation. The noise is
torch.randn_like by default; --numpy-noise draws it from NumPy instead, which is what makes the
loss curve the same under kernels and real torch (their generators differ). The last lines are
machine-readable: `LOSSES <json list, loss per digit per step>` and `METRIC <json dict>`."""
import argparse
import json
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import optim
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, transforms


class VAE(nn.Module):
    def __init__(self, hidden=128, latent=8):
        super().__init__()
        self.fc1 = nn.Linear(784, hidden)
        self.fc_mu = nn.Linear(hidden, latent)
        self.fc_logvar = nn.Linear(hidden, latent)
        self.fc3 = nn.Linear(latent, hidden)
        self.fc4 = nn.Linear(hidden, 784)
        self.noise = None  # None: torch.randn_like; else a NumPy Generator

    def encode(self, x):
        h = F.relu(self.fc1(x))
        return self.fc_mu(h), self.fc_logvar(h)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        if self.noise is None:
            eps = torch.randn_like(std)
        else:
            eps = torch.from_numpy(self.noise.standard_normal(tuple(std.shape)).astype(np.float32))
        return mu + eps * std

    def decode(self, z):
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 784))
        z = self.reparameterize(mu, logvar) if self.training else mu
        return self.decode(z), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    bce = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def numpy_init_(model, seed):
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            fan_in = p.shape[1] if p.dim() > 1 else p.shape[0]
            bound = 1.0 / math.sqrt(fan_in)
            p.copy_(torch.tensor(rng.uniform(-bound, bound, size=tuple(p.shape)).astype(np.float32)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--numpy-noise", action="store_true")
    args = parser.parse_args()
    torch.manual_seed(args.seed)

    train_set = datasets.MNIST("./data", train=True, download=True, transform=transforms.ToTensor())
    test_set = datasets.MNIST("./data", train=False, transform=transforms.ToTensor())
    order = np.random.default_rng(args.seed).permutation(len(train_set))[:args.steps * args.batch_size]
    train_loader = DataLoader(Subset(train_set, order.tolist()), batch_size=args.batch_size, shuffle=False)
    test_loader = DataLoader(Subset(test_set, list(range(0, 1000, 2))), batch_size=250)

    model = VAE()
    numpy_init_(model, args.seed + 1)
    if args.numpy_noise:
        model.noise = np.random.default_rng(args.seed + 2)
    optimizer = optim.Adam(model.parameters(), lr=1e-3)

    losses = []
    model.train()
    for step, (data, _) in enumerate(train_loader, start=1):
        optimizer.zero_grad()
        recon, mu, logvar = model(data)
        loss = loss_function(recon, data, mu, logvar)
        loss.backward()
        optimizer.step()
        losses.append(loss.item() / len(data))
        if step % 10 == 0:
            print(f"step {step}  loss per digit {loss.item() / len(data):.2f}")

    model.eval()
    test_loss = 0.0
    with torch.no_grad():
        for data, _ in test_loader:
            recon, mu, logvar = model(data)
            test_loss += loss_function(recon, data, mu, logvar).item()
        samples = model.decode(torch.zeros(4, 8))
    test_loss /= len(test_loader.dataset)
    print(f"test loss per digit (z = mu) {test_loss:.2f}; decoded prior mean: mean pixel {samples.mean().item():.3f}")
    print("LOSSES " + json.dumps(losses))
    print("METRIC " + json.dumps({"test_loss": test_loss}))


if __name__ == "__main__":
    main()
