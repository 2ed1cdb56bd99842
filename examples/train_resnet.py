"""Train a small ResNet (basic blocks, batch norm, global average pooling) on mnist_5k.

    python examples/train_resnet.py [--epochs 8] [--seed 0] [--device cpu] [--out runs/resnet]

Also shows a state_dict round trip: the trained weights are saved and loaded into a fresh model.
"""
import argparse
import os
import time

import kernels
from kernels import data, models, nn, optim, train


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", default="runs/resnet", help="folder for the PNGs and the weights")
    args = p.parse_args(argv)
    kernels.manual_seed(args.seed)
    start = time.perf_counter()

    train_set = data.mnist_5k(train=True, pad=2)
    test_set = data.mnist_5k(train=False, pad=2)
    mean, std = data.mean_std(train_set)
    train_set.transform = data.Compose([data.RandomShift(2), data.Normalize(mean, std)])
    test_set.transform = data.Normalize(mean, std)
    train_loader = data.DataLoader(train_set, batch_size=64, shuffle=True)
    test_loader = data.DataLoader(test_set, batch_size=500)

    model = models.resnet_small()  # 3 stages of 1 basic block: 16, 32, 64 channels
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    scheduler = optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3,
                                              total_steps=args.epochs * len(train_loader))
    history = train.fit(model, nn.CrossEntropyLoss(), optimizer, train_loader, epochs=args.epochs,
                        scheduler=scheduler, scheduler_interval="batch", device=args.device)
    result = train.evaluate(model, nn.CrossEntropyLoss(), test_loader, device=args.device)
    print(f"test accuracy {result['accuracy']:.4f} after {args.epochs} epochs, "
          f"{time.perf_counter() - start:.1f} s")

    os.makedirs(args.out, exist_ok=True)
    kernels.save(model.state_dict(), f"{args.out}/resnet.npz")
    again = models.resnet_small()
    again.load_state_dict(kernels.load(f"{args.out}/resnet.npz"))
    check = train.evaluate(again.to(args.device), nn.CrossEntropyLoss(), test_loader, device=args.device)
    print(f"reloaded weights: test accuracy {check['accuracy']:.4f}")

    train.plot_history(history, f"{args.out}/history.png", title="ResNet on mnist_5k")
    train.plot_filters(model.conv1.weight, f"{args.out}/conv1_filters.png", title="first-layer filters")
    cm = train.confusion_matrix(model, test_loader, num_classes=10, device=args.device)
    train.plot_confusion_matrix(cm, f"{args.out}/confusion.png", title="ResNet, test set")
    print(f"pictures in {args.out}/")
    return result["accuracy"]


if __name__ == "__main__":
    main()
