"""A PyTorch-style MNIST classifier as a course's first lab writes it: an nn.Sequential MLP
(Flatten, Linear, ReLU), CrossEntropyLoss, Adam and a StepLR schedule stepped every iteration,
then test loss and accuracy under torch.no_grad().

The weights come from NumPy (np.random.default_rng(seed), torch's default ranges) and the
training digits are read in a fixed NumPy permutation, so the same script gives the same loss
curve under kernels (python -m kernels.compat) and under real torch. The last lines are
machine-readable: `LOSSES <json list, one per step>` and `METRIC <json dict>`."""
import argparse
import json
import math

import numpy as np
import torch
import torch.nn as nn
from torch.optim import Adam
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, transforms


def numpy_init_(model, seed):
    """U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for every weight and bias, drawn with NumPy."""
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            fan_in = p.shape[1] * math.prod(p.shape[2:]) if p.dim() > 1 else p.shape[0]
            bound = 1.0 / math.sqrt(fan_in)
            p.copy_(torch.tensor(rng.uniform(-bound, bound, size=tuple(p.shape)).astype(np.float32)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=45)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    train_set = datasets.MNIST("./data", train=True, download=True, transform=tf)
    test_set = datasets.MNIST("./data", train=False, download=True, transform=tf)
    order = np.random.default_rng(args.seed).permutation(len(train_set))[:args.steps * args.batch_size]
    train_loader = DataLoader(Subset(train_set, order.tolist()), batch_size=args.batch_size, shuffle=False)
    test_loader = DataLoader(test_set, batch_size=250, shuffle=False)

    model = nn.Sequential(
        nn.Flatten(),
        nn.Linear(28 * 28, 128),
        nn.ReLU(),
        nn.Linear(128, 64),
        nn.ReLU(),
        nn.Linear(64, 10),
    )
    numpy_init_(model, args.seed + 1)
    criterion = nn.CrossEntropyLoss()
    optimizer = Adam(model.parameters(), lr=args.lr)
    scheduler = StepLR(optimizer, step_size=15, gamma=0.5)

    losses = []
    model.train()
    for step, (images, labels) in enumerate(train_loader, start=1):
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
        if step % 15 == 0:
            print(f"step {step:3d}  loss {loss.item():.4f}  lr {scheduler.get_last_lr()[0]:.2e}")

    model.eval()
    total_loss, correct = 0.0, 0
    with torch.no_grad():
        for images, labels in test_loader:
            logits = model(images)
            total_loss += criterion(logits, labels).item() * labels.size(0)
            correct += (logits.argmax(dim=1) == labels).sum().item()
    n = len(test_loader.dataset)
    print(f"test loss {total_loss / n:.4f}  accuracy {correct / n:.4f}")
    print("LOSSES " + json.dumps(losses))
    print("METRIC " + json.dumps({"test_loss": total_loss / n, "test_accuracy": correct / n}))


if __name__ == "__main__":
    main()
