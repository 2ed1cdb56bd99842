"""A small U-Net segments the discs among discs and squares drawn on noise.

    python examples/unet.py [--epochs 6] [--seed 0] [--device cpu] [--out runs/unet]

The task is generated (no download): each 32x32 image holds 1-3 bright shapes that do not touch,
discs or squares of the same areas and brightness, on Gaussian noise; the target mask marks the discs only.
A pixel's own value cannot tell a disc from a square, so the network has to look at the shape
around it: the encoder's pooled features see whole shapes, the skip connections bring back the
full-resolution detail that sharp mask edges need.

    enc1  (N,1,32,32)  -> conv block -> (N,c,32,32)  --------------------------- skip ---+
    enc2  maxpool      -> conv block -> (N,2c,16,16) ------------ skip ---+               |
    mid   maxpool      -> conv block -> (N,4c,8,8)                        |               |
    dec2  ConvTranspose2d x2 -> (N,2c,16,16), cat with enc2 -> conv block -> (N,2c,16,16)  |
    dec1  ConvTranspose2d x2 -> (N,c,32,32),  cat with enc1 -> conv block -> (N,c,32,32)
    head  1x1 conv -> (N,1,32,32) logits of "disc"

Reports the test IoU (intersection over union of the predicted and true disc pixels) and writes
a PNG of inputs, targets and predictions.
"""
import time

import numpy as np

import _common
import kernels
from kernels import data, nn, optim


def make_shapes(n, size=32, noise=0.3, seed=0):
    """n images (n,1,size,size) float32 and disc masks (n,1,size,size) float32 in {0,1}."""
    rs = np.random.RandomState(seed)
    yy, xx = np.mgrid[:size, :size]
    images = rs.normal(0.0, noise, (n, 1, size, size)).astype(np.float32)
    masks = np.zeros((n, 1, size, size), np.float32)
    for i in range(n):
        placed = []  # (cy, cx, reach): shapes do not touch, so every pixel has one true label
        for _ in range(rs.randint(1, 4)):
            r = rs.uniform(4.0, 7.5)
            disc = rs.rand() < 0.5
            h = r * np.sqrt(np.pi) / 2  # half side of the square with the disc's area
            reach = r if disc else h * np.sqrt(2)
            for _ in range(20):
                cy, cx = rs.uniform(reach, size - reach, 2)
                if all(np.hypot(cy - y, cx - x) > reach + q + 1 for y, x, q in placed):
                    break
            else:
                continue
            placed.append((cy, cx, reach))
            if disc:
                inside = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
            else:
                inside = (np.abs(yy - cy) <= h) & (np.abs(xx - cx) <= h)
            images[i, 0][inside] += rs.uniform(0.6, 1.0)
            masks[i, 0][inside] = disc
    return images, masks


def conv_block(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class UNet(nn.Module):
    def __init__(self, in_channels=1, width=8):
        super().__init__()
        c = width
        self.enc1 = conv_block(in_channels, c)
        self.enc2 = conv_block(c, 2 * c)
        self.mid = conv_block(2 * c, 4 * c)
        self.pool = nn.MaxPool2d(2)
        self.up2 = nn.ConvTranspose2d(4 * c, 2 * c, 2, stride=2)
        self.dec2 = conv_block(4 * c, 2 * c)
        self.up1 = nn.ConvTranspose2d(2 * c, c, 2, stride=2)
        self.dec1 = conv_block(2 * c, c)
        self.head = nn.Conv2d(c, 1, 1)
        # start from the prior "about 1 pixel in 10 is a disc" (logit -2.2), not 50/50: the first
        # steps then learn shapes instead of spending themselves on the background
        nn.init.constant_(self.head.bias, -2.2)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(self.pool(e1))
        m = self.mid(self.pool(e2))
        d2 = self.dec2(kernels.cat([self.up2(m), e2], dim=1))  # skip: concatenate channels
        d1 = self.dec1(kernels.cat([self.up1(d2), e1], dim=1))
        return self.head(d1)


def iou(pred, target):
    """Intersection over union of two boolean arrays, over all their pixels."""
    union = np.logical_or(pred, target).sum()
    return float(np.logical_and(pred, target).sum() / union) if union else 1.0


def predict(model, images, device, batch_size=200):
    model.eval()
    out = []
    with kernels.no_grad():
        for i in range(0, len(images), batch_size):
            x = kernels.tensor(images[i:i + batch_size], device=device)
            out.append(model(x).cpu().numpy() > 0)  # logit > 0 <=> probability > 0.5
    return np.concatenate(out)


def save_examples(images, masks, pred, path, n=6):
    from matplotlib.figure import Figure
    fig = Figure(figsize=(1.6 * n, 5.0))
    rows = (("input", images), ("target: discs", masks), ("prediction", pred))
    for r, (name, arr) in enumerate(rows):
        for j in range(n):
            ax = fig.add_subplot(3, n, r * n + j + 1)
            ax.imshow(arr[j, 0], cmap="gray")
            ax.set_xticks([])
            ax.set_yticks([])
            if j == 0:
                ax.set_ylabel(name)
    _common.save_figure(fig, path)


def main(argv=None):
    p = _common.parser(__doc__, epochs=6)
    _common.add_run_options(p, "runs/unet")
    p.add_argument("--train-size", type=int, default=2000)
    p.add_argument("--test-size", type=int, default=400)
    p.add_argument("--width", type=int, default=8, help="channels of the first level")
    args, start = _common.start(p, argv)

    train_x, train_y = make_shapes(args.train_size, seed=args.seed)
    test_x, test_y = make_shapes(args.test_size, seed=args.seed + 10_000)  # other images
    train_set = data.TensorDataset(kernels.tensor(train_x), kernels.tensor(train_y))
    loader = data.DataLoader(train_set, batch_size=16, shuffle=True)

    model = UNet(width=args.width).to(args.device)
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    scheduler = optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-2,
                                              total_steps=args.epochs * len(loader))
    for epoch in range(1, args.epochs + 1):
        model.train()
        total = 0.0
        for x, y in loader:
            x, y = x.to(args.device), y.to(args.device)
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += loss.item() * len(x)
        test_iou = iou(predict(model, test_x, args.device), test_y > 0.5)
        print(f"epoch {epoch}: train loss {total / len(train_set):.4f}, test IoU {test_iou:.3f}")

    pred = predict(model, test_x, args.device)
    test_iou = iou(pred, test_y > 0.5)
    # the two constant predictions, for scale: all background scores 0
    print(f"test IoU {test_iou:.3f} (all-foreground: {iou(np.ones_like(pred), test_y > 0.5):.3f}) "
          f"after {args.epochs} epochs, {time.perf_counter() - start:.1f} s")
    save_examples(test_x, test_y, pred, f"{args.out}/segmentation.png")
    print(f"pictures in {args.out}/")
    return test_iou


if __name__ == "__main__":
    main()
