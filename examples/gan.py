"""A generative adversarial network (Goodfellow et al. 2014) learns to draw MNIST digits.

    python examples/gan.py [--epochs 20] [--seed 0] [--device cpu] [--out runs/gan]

Two small MLPs play against each other on the 5,000 digits of mnist_5k, scaled to [-1, 1]:

    generator      z (N,64) ~ N(0,1) -> 256 -> 512 -> 784, tanh -> (N,1,28,28)
                   (batch norm + ReLU between layers: it learns in far fewer steps)
    discriminator  image (N,784) -> 512 -> 256 -> 1 logit "real"

Each step first updates D on a real and a fake batch (binary cross-entropy, real=1, fake=0),
then G with the non-saturating loss -log D(G(z)) (BCE against the label "real"), which gives G
strong gradients early on, when D easily rejects its samples. A grid of samples from the same
fixed z is written every few epochs, so the pictures show the generator learning.
"""
import time

import numpy as np

import _common
import kernels
from kernels import data, nn, optim

Z_DIM = 64


def generator():
    return nn.Sequential(
        nn.Linear(Z_DIM, 256), nn.BatchNorm1d(256), nn.ReLU(),
        nn.Linear(256, 512), nn.BatchNorm1d(512), nn.ReLU(),
        nn.Linear(512, 784), nn.Tanh(),
        nn.Unflatten(1, (1, 28, 28)))


def discriminator():
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 512), nn.LeakyReLU(0.2),
        nn.Linear(512, 256), nn.LeakyReLU(0.2),
        nn.Linear(256, 1))


def save_grid(images, path, title):
    """images (N,1,28,28) in [-1,1] -> a square grid PNG."""
    from matplotlib.figure import Figure
    n = int(np.ceil(np.sqrt(len(images))))
    grid = np.ones((n * 29 + 1, n * 29 + 1), np.float32)
    for k, img in enumerate(images):
        r, c = divmod(k, n)
        grid[1 + 29 * r:29 * (r + 1), 1 + 29 * c:29 * (c + 1)] = (img[0] + 1) / 2
    fig = Figure(figsize=(5, 5.3))
    ax = fig.add_subplot(1, 1, 1)
    ax.imshow(grid, cmap="gray", vmin=0, vmax=1)
    ax.set_axis_off()
    ax.set_title(title)
    _common.save_figure(fig, path)


def main(argv=None):
    p = _common.parser(__doc__, epochs=20)
    _common.add_run_options(p, "runs/gan", "folder for the sample grids")
    p.add_argument("--every", type=int, default=5, help="write a sample grid every N epochs")
    p.add_argument("--train-size", type=int, default=5000, help="digits to learn from")
    args, start = _common.start(p, argv)
    dev = args.device

    digits = data.mnist_5k(train=None)  # no test set needed: all 5,000 images
    images = digits.tensors[0][:args.train_size] * 2 - 1  # [0,1] -> [-1,1], the range of tanh
    loader = data.DataLoader(data.TensorDataset(images), batch_size=64, shuffle=True, drop_last=True)

    G, D = generator().to(dev), discriminator().to(dev)
    # Adam with beta1 = 0.5, as DCGAN (Radford et al. 2016): less momentum, steadier game
    opt_g = optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    fixed_z = kernels.randn(64, Z_DIM, device=dev)

    d_losses, g_losses = [], []
    for epoch in range(1, args.epochs + 1):
        G.train()
        d_sum = g_sum = 0.0
        for (real,) in loader:
            real = real.to(dev)
            n = real.shape[0]
            ones = kernels.ones(n, 1, device=dev)
            zeros = kernels.zeros(n, 1, device=dev)
            fake = G(kernels.randn(n, Z_DIM, device=dev))

            # D: push real -> 1, fake -> 0; detach so this step leaves G alone
            d_loss = bce(D(real), ones) + bce(D(fake.detach()), zeros)
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()

            # G: non-saturating loss, fake -> "real" through the just-updated D
            g_loss = bce(D(fake), ones)
            opt_g.zero_grad()
            g_loss.backward()
            opt_g.step()

            d_sum += d_loss.item()
            g_sum += g_loss.item()
        d_losses.append(d_sum / len(loader))
        g_losses.append(g_sum / len(loader))
        print(f"epoch {epoch}: D loss {d_losses[-1]:.3f}, G loss {g_losses[-1]:.3f}")
        if epoch % args.every == 0 or epoch == args.epochs:
            G.eval()
            with kernels.no_grad():
                samples = G(fixed_z).cpu().numpy()
            save_grid(samples, f"{args.out}/samples_epoch{epoch:03d}.png", f"GAN samples, epoch {epoch}")

    print(f"trained {args.epochs} epochs in {time.perf_counter() - start:.1f} s; "
          f"per-pixel std across samples {samples.std(axis=0).mean():.3f}")
    print(f"pictures in {args.out}/")
    return {"d_loss": d_losses, "g_loss": g_losses, "samples": samples}


if __name__ == "__main__":
    main()
