"""One MLP, four initialisations and five optimizers: the training-loss curves side by side.

    python examples/init_and_optimizers.py [--epochs 15] [--seed 0] [--device cpu] [--out runs/init_and_optimizers]

The model is a 64-128-128-128-10 ReLU MLP on scikit-learn's 8x8 digits.

* Initialisation (all trained with SGD + momentum): zero weights give every hidden unit the same
  output, here 0, so no gradient reaches the hidden layers and only the last bias learns; tiny
  weights (normal, std 1e-3) shrink the signal 1000-fold per layer and the gradients with it;
  Xavier (variance 2/(fan_in+fan_out)) and He (2/fan_in, made for ReLU) keep the variance of the
  activations and gradients about the same from layer to layer.
* Optimizers (all from He initialisation), each at a learning rate usual for it: SGD,
  SGD + momentum, Adagrad, RMSprop, Adam.
"""
import os
import time

from matplotlib.figure import Figure

import _common
import kernels
from kernels import data, nn, optim, train

INITS = {
    "zero": nn.init.zeros_,
    "normal, std 1e-3": lambda w: nn.init.normal_(w, 0.0, 1e-3),
    "Xavier": nn.init.xavier_normal_,
    "He": lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"),
}
MOMENTUM = "SGD + momentum 0.9, lr 0.01"
OPTIMIZERS = {
    "SGD, lr 0.01": lambda p: optim.SGD(p, lr=0.01),
    MOMENTUM: lambda p: optim.SGD(p, lr=0.01, momentum=0.9),
    "Adagrad, lr 0.01": lambda p: optim.Adagrad(p, lr=0.01),
    "RMSprop, lr 0.001": lambda p: optim.RMSprop(p, lr=0.001),
    "Adam, lr 0.001": lambda p: optim.Adam(p, lr=0.001),
}


def mlp(init, widths=(64, 128, 128, 128, 10)):
    layers = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        lin = nn.Linear(fan_in, fan_out)
        init(lin.weight)
        nn.init.zeros_(lin.bias)
        layers += [lin, nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def run(init, make_optimizer, loader, epochs, seed, device):
    """Train one model from the same seed; returns the mean training loss of every epoch."""
    kernels.manual_seed(seed)
    model = mlp(INITS[init]).to(device)
    history = train.fit(model, nn.CrossEntropyLoss(), make_optimizer(model.parameters()), loader,
                        epochs=epochs, device=device, verbose=0)
    return history["loss"]


def plot(panels, path):
    fig = Figure(figsize=(12, 4.5), dpi=100)
    for i, (title, curves) in enumerate(panels, 1):
        ax = fig.add_subplot(1, len(panels), i)
        for (name, losses), style in zip(curves.items(), ("--o", "-s", "-^", "-d", "-v")):
            ax.plot(range(1, len(losses) + 1), losses, style, markersize=3, label=name)
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss (cross-entropy)")
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
        ax.legend()
    _common.save_figure(fig, path)


def main(argv=None):
    p = _common.parser(__doc__, epochs=15)
    _common.add_run_options(p, "runs/init_and_optimizers")
    args, start = _common.start(p, argv, seed=False)  # seeded before each run
    # the loader's shuffle comes from the global generator, reseeded before every run
    loader = data.DataLoader(data.digits(train=True, flatten=True), batch_size=32, shuffle=True)

    by_init = {}
    for name in INITS:
        by_init[name] = run(name, OPTIMIZERS[MOMENTUM], loader, args.epochs,
                            args.seed, args.device)
        print(f"init {name:>17}: loss {by_init[name][0]:.4f} -> {by_init[name][-1]:.4f}")
    by_optimizer = {}
    for name, make in OPTIMIZERS.items():
        if name == MOMENTUM:  # the He run above: same model, seed and optimizer
            by_optimizer[name] = by_init["He"]
        else:
            by_optimizer[name] = run("He", make, loader, args.epochs, args.seed, args.device)
        print(f"{name:>27}: loss {by_optimizer[name][0]:.4f} -> {by_optimizer[name][-1]:.4f}")

    os.makedirs(args.out, exist_ok=True)
    plot([("initialisation (SGD + momentum)", by_init), ("optimizer (He init)", by_optimizer)],
         os.path.join(args.out, "loss_curves.png"))
    print(f"{time.perf_counter() - start:.1f} s; picture in {args.out}/")
    return {"init": {k: v[-1] for k, v in by_init.items()},
            "optimizer": {k: v[-1] for k, v in by_optimizer.items()}}


if __name__ == "__main__":
    main()
