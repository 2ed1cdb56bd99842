"""A PyTorch-style MNIST CNN in the other common course style (the plain one is mnist_cnn.py):
Conv2d -> BatchNorm2d -> ReLU -> MaxPool2d blocks, Dropout before the classifier, F.cross_entropy,
SGD with momentum, Nesterov and weight decay, the model switched between train() and eval() so
BatchNorm's running statistics are what the test accuracy uses.

Weights come from NumPy and the digits are read in a fixed NumPy permutation, so the loss curve
is the same under kernels and real torch when dropout is off (--dropout 0, what the comparison
runs; dropout's masks come from each library's own generator). The last lines are
machine-readable: `LOSSES <json list>` and `METRIC <json dict>`."""
import argparse
import json
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, transforms


class Net(nn.Module):
    def __init__(self, dropout=0.25):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(8),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(16),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
        )
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(16 * 7 * 7, 10)

    def forward(self, x):
        x = self.features(x)
        x = x.view(x.size(0), -1)
        return self.fc(self.dropout(x))


def numpy_init_(model, seed):
    """Kaiming-uniform-like ranges from NumPy; BatchNorm keeps its weight 1 / bias 0."""
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                fan_in = m.weight[0].numel()
                bound = 1.0 / math.sqrt(fan_in)
                m.weight.copy_(torch.tensor(rng.uniform(-bound, bound, size=tuple(m.weight.shape)).astype(np.float32)))
                if m.bias is not None:
                    m.bias.copy_(torch.tensor(rng.uniform(-bound, bound, size=tuple(m.bias.shape)).astype(np.float32)))
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)


def evaluate(model, loader):
    model.eval()
    total, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            out = model(x)
            total += F.cross_entropy(out, y, reduction="sum").item()
            correct += out.argmax(1).eq(y).sum().item()
            n += y.shape[0]
    return total / n, correct / n


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--dropout", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)

    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    train_set = datasets.MNIST("./data", train=True, download=True, transform=tf)
    test_set = datasets.MNIST("./data", train=False, transform=tf)
    order = np.random.default_rng(args.seed).permutation(len(train_set))[:args.steps * args.batch_size]
    train_loader = DataLoader(Subset(train_set, order.tolist()), batch_size=args.batch_size)
    test_loader = DataLoader(Subset(test_set, list(range(500))), batch_size=250)

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = Net(dropout=args.dropout)
    numpy_init_(model, args.seed + 1)
    model = model.to(device)
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)

    losses = []
    for step, (x, y) in enumerate(train_loader, start=1):
        model.train()
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if step % 10 == 0:
            print(f"step {step}: loss {loss.item():.4f}")

    test_loss, accuracy = evaluate(model, test_loader)
    print(f"test loss {test_loss:.4f} accuracy {accuracy:.4f}")
    print("LOSSES " + json.dumps(losses))
    print("METRIC " + json.dumps({"test_loss": test_loss, "test_accuracy": accuracy}))


if __name__ == "__main__":
    main()
