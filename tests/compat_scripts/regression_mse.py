"""A PyTorch-style regression on synthetic data: y = sin(x0) * cos(x1) + noise on 2-d inputs,
held in a TensorDataset, fitted by an nn.Sequential Tanh MLP with nn.MSELoss, SGD with momentum
and a CosineAnnealingLR schedule stepped once per epoch; the fitted model's state_dict is saved
with torch.save, loaded into a fresh model with torch.load, and the reloaded model's validation
MSE and MAE are the metric.

The data and the weights come from NumPy and the batches are in a fixed order, so the loss curve
is the same under kernels and real torch. The last lines are machine-readable:
`LOSSES <json list>` and `METRIC <json dict>`."""
import argparse
import json
import math
import os
import tempfile

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


def make_data(n, rng):
    x = torch.tensor(rng.uniform(-3.0, 3.0, size=(n, 2)).astype(np.float32))
    noise = torch.tensor(rng.normal(0.0, 0.05, size=(n, 1)).astype(np.float32))
    y = torch.sin(x[:, 0:1]) * torch.cos(x[:, 1:2]) + noise
    return x, y


def build_model():
    return nn.Sequential(nn.Linear(2, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1))


def numpy_init_(model, seed):
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for layer in model:
            if isinstance(layer, nn.Linear):
                std = math.sqrt(2.0 / (layer.in_features + layer.out_features))  # Xavier normal
                layer.weight.copy_(torch.tensor(rng.normal(0.0, std, size=tuple(layer.weight.shape)).astype(np.float32)))
                layer.bias.zero_()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    x_train, y_train = make_data(512, rng)
    x_val, y_val = make_data(256, rng)
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=False)

    model = build_model()
    numpy_init_(model, args.seed + 1)
    criterion = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)

    losses = []
    for epoch in range(args.epochs):
        model.train()
        for xb, yb in loader:
            pred = model(xb)
            loss = criterion(pred, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        scheduler.step()
        with torch.no_grad():
            val = criterion(model(x_val), y_val).item()
        print(f"epoch {epoch + 1}: train loss {losses[-1]:.4f} val loss {val:.4f} lr {optimizer.param_groups[0]['lr']:.4f}")

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "regressor.pt")
        torch.save(model.state_dict(), path)
        reloaded = build_model()
        reloaded.load_state_dict(torch.load(path))
    reloaded.eval()
    with torch.no_grad():
        pred = reloaded(x_val)
        mse = nn.functional.mse_loss(pred, y_val).item()
        mae = (pred - y_val).abs().mean().item()
    print(f"reloaded model: val MSE {mse:.5f} MAE {mae:.4f}")
    print("LOSSES " + json.dumps(losses))
    print("METRIC " + json.dumps({"val_mse": mse, "val_mae": mae}))


if __name__ == "__main__":
    main()
