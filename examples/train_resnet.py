"""Train a small ResNet (basic blocks, batch norm, global average pooling) on mnist_5k.

    python examples/train_resnet.py [--epochs 8] [--seed 0] [--device cpu] [--out runs/resnet]

Also shows a state_dict round trip: the trained weights are saved and loaded into a fresh model.
"""
import os

import _common
import kernels
from kernels import models, nn, optim, train


def main(argv=None):
    p = _common.parser(__doc__, epochs=8)
    _common.add_run_options(p, "runs/resnet", "folder for the PNGs and the weights")
    args, start = _common.start(p, argv)

    # 32x32 digits (a 2-pixel border), shifted by up to 2 pixels
    train_loader, test_loader = _common.mnist_5k_augmented(batch_size=64, pad=2, shift=2)

    model = models.resnet_small()  # 3 stages of 1 basic block: 16, 32, 64 channels
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    scheduler = optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3,
                                              total_steps=args.epochs * len(train_loader))
    history = train.fit(model, nn.CrossEntropyLoss(), optimizer, train_loader, epochs=args.epochs,
                        scheduler=scheduler, scheduler_interval="batch", device=args.device)
    result = train.evaluate(model, nn.CrossEntropyLoss(), test_loader, device=args.device)
    _common.print_accuracy(result["accuracy"], args.epochs, start)

    os.makedirs(args.out, exist_ok=True)
    kernels.save(model.state_dict(), f"{args.out}/resnet.npz")
    again = models.resnet_small()
    again.load_state_dict(kernels.load(f"{args.out}/resnet.npz"))
    check = train.evaluate(again.to(args.device), nn.CrossEntropyLoss(), test_loader, device=args.device)
    print(f"reloaded weights: test accuracy {check['accuracy']:.4f}")

    _common.classifier_pictures(model, history, model.conv1.weight, test_loader, args, "ResNet",
                                "conv1_filters.png", "first-layer filters")
    return result["accuracy"]


if __name__ == "__main__":
    main()
