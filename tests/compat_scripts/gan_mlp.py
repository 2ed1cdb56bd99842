"""A PyTorch-style GAN step loop on MNIST: an MLP generator (Tanh output) and discriminator
(LeakyReLU, Sigmoid output), nn.BCELoss against torch.ones / torch.zeros labels, two Adam
optimizers with betas=(0.5, 0.999), the fake batch .detach()ed for the discriminator's step and
reused for the generator's (non-saturating loss).

The weights come from NumPy and the digits are read in a fixed NumPy permutation. The latent
noise is torch.randn by default; --numpy-noise draws it from NumPy, which makes the loss curves
the same under kernels and real torch. The last lines are machine-readable:
`LOSSES <json list of [d_loss, g_loss] per step>` and `METRIC <json dict>`."""
import argparse
import json
import math

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, transforms

LATENT = 16


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.Linear(LATENT, 128), nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(128, 784), nn.Tanh())

    def forward(self, z):
        return self.main(z).view(-1, 1, 28, 28)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.Flatten(), nn.Linear(784, 128), nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(128, 1), nn.Sigmoid())

    def forward(self, x):
        return self.main(x).view(-1)


def numpy_init_(model, rng):
    """DCGAN-style N(0, 0.02) weights, zero biases, from NumPy."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Linear):
                m.weight.copy_(torch.tensor(rng.normal(0.0, 0.02 * math.sqrt(784 / m.in_features),
                                                       size=tuple(m.weight.shape)).astype(np.float32)))
                nn.init.constant_(m.bias, 0.0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--numpy-noise", action="store_true")
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    noise_rng = np.random.default_rng(args.seed + 2) if args.numpy_noise else None

    def sample_noise(n):
        if noise_rng is None:
            return torch.randn(n, LATENT)
        return torch.from_numpy(noise_rng.standard_normal((n, LATENT)).astype(np.float32))

    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    dataset = datasets.MNIST("./data", train=True, download=True, transform=tf)
    order = np.random.default_rng(args.seed).permutation(len(dataset))[:args.steps * args.batch_size]
    loader = DataLoader(Subset(dataset, order.tolist()), batch_size=args.batch_size, shuffle=False)

    init_rng = np.random.default_rng(args.seed + 1)
    netG, netD = Generator(), Discriminator()
    numpy_init_(netG, init_rng)
    numpy_init_(netD, init_rng)
    criterion = nn.BCELoss()
    optimizerD = optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optimizerG = optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    fixed_noise = torch.from_numpy(np.random.default_rng(99).standard_normal((64, LATENT)).astype(np.float32))

    losses = []
    for step, (real, _) in enumerate(loader, start=1):
        b = real.size(0)
        real_label = torch.ones(b)
        fake_label = torch.zeros(b)

        # (1) discriminator: maximise log D(x) + log(1 - D(G(z)))
        netD.zero_grad()
        out_real = netD(real)
        err_real = criterion(out_real, real_label)
        err_real.backward()
        fake = netG(sample_noise(b))
        out_fake = netD(fake.detach())
        err_fake = criterion(out_fake, fake_label)
        err_fake.backward()
        errD = err_real + err_fake
        optimizerD.step()

        # (2) generator: maximise log D(G(z))
        netG.zero_grad()
        errG = criterion(netD(fake), real_label)
        errG.backward()
        optimizerG.step()

        losses.append([errD.item(), errG.item()])
        if step % 10 == 0:
            print(f"[{step}/{args.steps}] Loss_D {errD.item():.4f} Loss_G {errG.item():.4f} "
                  f"D(x) {out_real.mean().item():.4f} D(G(z)) {out_fake.mean().item():.4f}")

    with torch.no_grad():
        samples = netG(fixed_noise)
        d_fake = netD(samples).mean().item()
        real_batch = torch.stack([dataset[i][0] for i in range(64)])
        d_real = netD(real_batch).mean().item()
    print(f"D on real digits {d_real:.4f}, on samples {d_fake:.4f}, sample pixel std {samples.std().item():.4f}")
    print("LOSSES " + json.dumps(losses))
    print("METRIC " + json.dumps({"d_real": d_real, "d_fake": d_fake}))


if __name__ == "__main__":
    main()
