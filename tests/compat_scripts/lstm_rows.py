"""A PyTorch-style sequence classifier: each MNIST digit read as a sequence of its 28 rows
(28 pixels each) by nn.LSTM(batch_first=True), the last hidden state into a Linear head;
nn.CrossEntropyLoss, RMSprop, gradient clipping with nn.utils.clip_grad_norm_.

The weights come from NumPy (nn.LSTM's U(-1/sqrt(hidden), 1/sqrt(hidden)) range) and the digits
are read in a fixed NumPy permutation, so the loss curve is the same under kernels and real torch.
The last lines are machine-readable: `LOSSES <json list>` and `METRIC <json dict>`."""
import argparse
import json
import math

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, transforms


class RowLSTM(nn.Module):
    def __init__(self, input_size=28, hidden_size=48, num_classes=10):
        super().__init__()
        self.hidden_size = hidden_size
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers=1, batch_first=True)
        self.head = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        # x: (batch, 1, 28, 28) -> (batch, seq=28, features=28)
        x = x.squeeze(1)
        h0 = torch.zeros(1, x.size(0), self.hidden_size)
        c0 = torch.zeros(1, x.size(0), self.hidden_size)
        out, (hn, cn) = self.lstm(x, (h0, c0))
        return self.head(out[:, -1, :])


def numpy_init_(model, seed):
    rng = np.random.default_rng(seed)
    bound = 1.0 / math.sqrt(model.hidden_size)
    state = {k: torch.tensor(rng.uniform(-bound, bound, size=tuple(v.shape)).astype(np.float32))
             for k, v in model.state_dict().items()}
    model.load_state_dict(state)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    train_set = datasets.MNIST("./data", train=True, download=True, transform=tf)
    test_set = datasets.MNIST("./data", train=False, transform=tf)
    order = np.random.default_rng(args.seed).permutation(len(train_set))[:args.steps * args.batch_size]
    train_loader = DataLoader(Subset(train_set, order.tolist()), batch_size=args.batch_size, shuffle=False)
    test_loader = DataLoader(Subset(test_set, list(range(0, 1000, 2))), batch_size=250, shuffle=False)

    model = RowLSTM()
    numpy_init_(model, args.seed + 1)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.RMSprop(model.parameters(), lr=3e-3)

    losses = []
    for step, (images, labels) in enumerate(train_loader, start=1):
        model.train()
        outputs = model(images)
        loss = criterion(outputs, labels)
        optimizer.zero_grad()
        loss.backward()
        grad_norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
        losses.append(loss.item())
        if step % 10 == 0:
            print(f"step [{step}/{args.steps}] loss {loss.item():.4f} grad norm {float(grad_norm):.3f}")

    model.eval()
    correct = total = 0
    with torch.no_grad():
        for images, labels in test_loader:
            _, predicted = torch.max(model(images).data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
    print(f"test accuracy {correct / total:.4f}")
    print("LOSSES " + json.dumps(losses))
    print("METRIC " + json.dumps({"test_accuracy": correct / total}))


if __name__ == "__main__":
    main()
