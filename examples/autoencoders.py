"""Four autoencoders on mnist_5k: dense bottleneck, sparse, denoising and convolutional.

    python examples/autoencoders.py [--kind all] [--epochs 10] [--seed 0] [--device cpu]
                                    [--out runs/autoencoders] [--train-size 4000]

Each model maps a digit to a code and back, trained to reproduce its input (MSE):

* dense:     784 -> 256 -> 32 -> 256 -> 784, the 32-number bottleneck forces a compressed code;
* sparse:    a wider ReLU code (128) with an L1 penalty on it, so each digit uses few code units;
* denoising: the dense model fed noisy digits and asked for the clean ones;
* conv:      strided Conv2d down to 32x7x7, a 32-number code, ConvTranspose2d back up to 28x28.

Prints the test reconstruction MSE of each (and the baseline of predicting the mean training
image), how sparse each code is, and writes recon.png: per kind, a row of test inputs above
their reconstructions.
"""
import os
import time

import numpy as np

import _common
import kernels
from kernels import data, nn, optim
from kernels import functional as F

KINDS = ("dense", "sparse", "denoising", "conv")
NOISE_STD = 0.5     # denoising: Gaussian noise added to the [0, 1] pixels, then clipped
L1_WEIGHT = 1e-2    # sparse: weight of mean |code| per unit, next to a per-pixel MSE


def dense_autoencoder(code=32, hidden=256, relu_code=False):
    # a linear code for the bottleneck (ReLU units there tend to die and waste the few numbers);
    # a ReLU code for the sparse model, where the L1 penalty then gives exact zeros
    encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, code),
                            *([nn.ReLU()] if relu_code else []))
    decoder = nn.Sequential(nn.Linear(code, hidden), nn.ReLU(), nn.Linear(hidden, 784), nn.Sigmoid(),
                            nn.Unflatten(1, (1, 28, 28)))
    return encoder, decoder


def conv_autoencoder(code=32):
    encoder = nn.Sequential(nn.Conv2d(1, 16, 3, stride=2, padding=1), nn.ReLU(),   # 16x14x14
                            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),  # 32x7x7
                            nn.Flatten(), nn.Linear(32 * 7 * 7, code))
    # output_padding=1 makes each stride-2 layer exactly double the size: 7 -> 14 -> 28
    decoder = nn.Sequential(nn.Linear(code, 32 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (32, 7, 7)),
                            nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
                            nn.ConvTranspose2d(16, 1, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid())
    return encoder, decoder


def build(kind):
    if kind == "conv":
        return conv_autoencoder()
    if kind == "sparse":
        return dense_autoencoder(code=128, relu_code=True)
    return dense_autoencoder(code=32)


def add_noise(x):
    return (x + NOISE_STD * kernels.randn_like(x)).clamp(0.0, 1.0)


def training_loss(kind, encoder, decoder, x):
    """The loss of one batch of clean images x."""
    code = encoder(add_noise(x) if kind == "denoising" else x)
    loss = F.mse_loss(decoder(code), x)  # the target is always the clean image
    if kind == "sparse":
        loss = loss + L1_WEIGHT * code.abs().mean()
    return loss


def train(kind, train_loader, epochs, device):
    encoder, decoder = build(kind)
    encoder.to(device)
    decoder.to(device)
    params = list(encoder.parameters()) + list(decoder.parameters())
    optimizer = optim.Adam(params, lr=2e-3)
    for epoch in range(1, epochs + 1):
        total, n = 0.0, 0
        for x, _ in train_loader:
            x = x.to(device)
            loss = training_loss(kind, encoder, decoder, x)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * x.shape[0]
            n += x.shape[0]
        if epoch == 1 or epoch % 5 == 0 or epoch == epochs:
            print(f"  {kind:9s} epoch {epoch:2d}  train loss {total / n:.5f}")
    return encoder, decoder


@kernels.no_grad()
def evaluate(kind, encoder, decoder, test_loader, device):
    """Test MSE against the clean images (for 'denoising' also the MSE of the noisy input itself)
    and the code's sparsity: the fraction of code entries below 1% of the largest |code| on the
    test set (relative, because the decoder can undo any rescaling of the code)."""
    encoder.eval()
    decoder.eval()
    mse = noisy_mse = 0.0
    codes = []
    for x, _ in test_loader:
        x = x.to(device)
        inp = add_noise(x) if kind == "denoising" else x
        code = encoder(inp)
        mse += F.mse_loss(decoder(code), x).item() * x.shape[0]
        noisy_mse += F.mse_loss(inp, x).item() * x.shape[0]
        codes.append(code.abs())
    codes = kernels.cat(codes)
    n = codes.shape[0]
    out = {"mse": mse / n, "sparsity": (codes < 0.01 * codes.max()).float().mean().item()}
    if kind == "denoising":
        out["noisy_mse"] = noisy_mse / n
    return out


@kernels.no_grad()
def show(kind, encoder, decoder, x):
    """(inputs, reconstructions) of the images x as NumPy (N, 28, 28)."""
    inp = add_noise(x) if kind == "denoising" else x
    return inp.cpu().numpy()[:, 0], decoder(encoder(inp)).cpu().numpy()[:, 0]


def plot_rows(rows, path):
    """rows: [(label, images (N, 28, 28)), ...], tiled into one picture, one row of tiles each."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    tiles = np.stack([images for _, images in rows])  # (rows, N, 28, 28)
    n_rows, cols = tiles.shape[:2]
    picture = np.pad(tiles, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=1.0)  # white frames
    picture = picture.transpose(0, 2, 1, 3).reshape(n_rows * 30, cols * 30)
    fig = Figure(figsize=(0.6 * cols + 1.2, 0.6 * n_rows + 0.3), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.imshow(picture, cmap="gray", vmin=0, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([30 * r + 14.5 for r in range(n_rows)], [label for label, _ in rows], fontsize=8)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, bbox_inches="tight")


def main(argv=None):
    p = _common.parser(__doc__)
    p.add_argument("--kind", choices=KINDS + ("all",), default="all")
    p.add_argument("--epochs", type=int, default=10)
    _common.add_run_options(p, "runs/autoencoders")
    p.add_argument("--train-size", type=int, default=4000, help="train on N of the 4,000 images")
    args, start = _common.start(p, argv)

    train_set, test_set, train_loader, test_loader = _common.mnist_5k_subset(args.train_size,
                                                                            batch_size=32)

    # the baseline every autoencoder must beat: predict the mean training image for every digit
    mean_image = next(iter(data.DataLoader(train_set, batch_size=len(train_set))))[0].mean(0)
    test_images = test_set.tensors[0]
    baseline = F.mse_loss(mean_image.expand_as(test_images), test_images).item()
    print(f"mean-image baseline: test MSE {baseline:.4f}")

    # one test digit of each class for the picture
    labels = test_set.tensors[1].tolist()
    picks = kernels.tensor([labels.index(d) for d in range(10)])
    examples = test_images.index_select(0, picks).to(args.device)

    results = {"mean_image_mse": baseline}
    rows = []
    for kind in (KINDS if args.kind == "all" else (args.kind,)):
        encoder, decoder = train(kind, train_loader, args.epochs, args.device)
        r = evaluate(kind, encoder, decoder, test_loader, args.device)
        extra = f", noisy input MSE {r['noisy_mse']:.4f}" if kind == "denoising" else ""
        print(f"{kind:9s} test MSE {r['mse']:.4f}, code sparsity {r['sparsity']:.1%}{extra}")
        results[kind] = r
        inputs, recons = show(kind, encoder, decoder, examples)
        rows += [(f"{kind} input", inputs), (f"{kind} output", recons)]

    path = os.path.join(args.out, "recon.png")
    plot_rows(rows, path)
    print(f"{time.perf_counter() - start:.1f} s; picture in {path}")
    return results


if __name__ == "__main__":
    main()
