"""A PyTorch-style MNIST classifier, written against torch's API only (no kernels names): a small
CNN trained with SGD + momentum for a few dozen steps, printing the loss every 10 steps and the
test accuracy. Run as `python -m kernels.compat mnist_cnn.py --steps 40`."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 5)
        self.conv2 = nn.Conv2d(8, 16, 5)
        self.fc1 = nn.Linear(16 * 4 * 4, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        return F.log_softmax(self.fc2(x), dim=1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    train = DataLoader(datasets.MNIST("../data", train=True, download=True, transform=tf), batch_size=64, shuffle=True)
    test = DataLoader(datasets.MNIST("../data", train=False, transform=tf), batch_size=500)
    model = Net().to(device)
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    model.train()
    step = 0
    while step < args.steps:
        for data, target in train:
            data, target = data.to(device), target.to(device)
            optimizer.zero_grad()
            loss = F.nll_loss(model(data), target)
            loss.backward()
            optimizer.step()
            step += 1
            if step % 10 == 0:
                print(f"step {step} loss {loss.item():.4f}")
            if step == args.steps:
                break
    model.eval()
    correct = 0
    with torch.no_grad():
        for data, target in test:
            pred = model(data.to(device)).argmax(dim=1)
            correct += (pred == target.to(device)).sum().item()
    print(f"test accuracy {correct / len(test.dataset):.4f}")


if __name__ == "__main__":
    main()
