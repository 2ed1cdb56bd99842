"""``kernels-train`` / ``python -m kernels``: training jobs from the command line.

    kernels-train mlp     [--epochs 40] [--batch-size 64] [--lr 2e-3] [--optimizer adam]
                          [--device cpu] [--seed 0] [--checkpoint PATH [--resume]]
                          [--plot-dir DIR] [--data MNIST_DIR] [--quiet]
    kernels-train lenet5  [--variant lecun|modern] ...
    kernels-train resnet  [--blocks 1 1 1] [--width 16] ...
    kernels-train charlstm [--text FILE] [--hidden 256] [--layers 2] [--seq-len 100] ...
    kernels-train seq2seq [--task reverse|sort] [--cell lstm|gru] [--bidirectional] ...

Subcommands live in the table ``SUBCOMMANDS`` (name -> "module:attribute" of a
:class:`Command`), so a model family adds its own job with one line and the module is imported
only when that job runs. Every job shares the options of :func:`add_common_arguments`.
"""
from __future__ import annotations

import argparse
import importlib
import sys

__all__ = ["main", "Command", "SUBCOMMANDS", "add_common_arguments"]


class Command:
    """One subcommand: ``add_arguments(parser)`` declares its options (the common ones are
    already there; ``defaults`` overrides their defaults), ``run(args)`` does the work and returns
    the exit status."""

    def __init__(self, help, add_arguments, run, defaults=None):
        self.help = help
        self.add_arguments = add_arguments
        self.run = run
        self.defaults = dict(defaults or {})


# name -> "module:attribute" of a Command (imported lazily, when the job runs or for --help)
SUBCOMMANDS = {
    "mlp": "kernels.jobs.mlp:COMMAND",
    "lenet5": "kernels.jobs.cnn:LENET5_COMMAND",
    "resnet": "kernels.jobs.cnn:RESNET_COMMAND",
    "charlstm": "kernels.jobs.charlstm:COMMAND",
    "seq2seq": "kernels.jobs.seq2seq:COMMAND",
}


def add_common_arguments(p, defaults=None):
    d = {"epochs": 10, "batch_size": 64, "lr": 1e-3, "optimizer": "adam", "device": "cpu", "seed": 0}
    d.update(defaults or {})
    p.add_argument("--epochs", type=int, default=d["epochs"], help="number of epochs (default %(default)s)")
    p.add_argument("--batch-size", type=int, default=d["batch_size"], help="batch size (default %(default)s)")
    p.add_argument("--lr", type=float, default=d["lr"],
                   help="(peak) learning rate (default %(default)s)")
    p.add_argument("--optimizer", choices=("adam", "adamw", "sgd"), default=d["optimizer"],
                   help="optimizer; sgd uses Nesterov momentum 0.9 (default %(default)s)")
    p.add_argument("--weight-decay", type=float, default=d.get("weight_decay", 0.0),
                   help="weight decay (default %(default)s)")
    p.add_argument("--device", default=d["device"], help="cpu or cuda[:N] (default %(default)s)")
    p.add_argument("--seed", type=int, default=d["seed"], help="random seed (default %(default)s)")
    p.add_argument("--threads", type=int, default=None, help="CPU threads (default: all cores)")
    p.add_argument("--checkpoint", metavar="PATH", default=None,
                   help="write the whole training state here after every epoch (atomically)")
    p.add_argument("--resume", action="store_true",
                   help="continue from --checkpoint when it exists (bit-exact continuation)")
    p.add_argument("--plot-dir", metavar="DIR", default=None,
                   help="write the job's pictures there as PNGs: loss/accuracy curves, and where the job "
                        "has them a confusion matrix and learned filters (needs matplotlib)")
    p.add_argument("--quiet", action="store_true", help="print only the final result")


def _load_command(name):
    target = SUBCOMMANDS[name]
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


# ---------------------------------------------------------------- entry point


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="kernels-train",
        description="Train models with kernels' hand-written kernels.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    argv = list(sys.argv[1:] if argv is None else argv)
    # build only the chosen subcommand's parser (imports stay lazy), all of them for help
    chosen = [a for a in argv if not a.startswith("-")][:1]
    names = chosen if chosen and chosen[0] in SUBCOMMANDS else list(SUBCOMMANDS)
    commands = {}
    for name in names:
        cmd = _load_command(name)
        commands[name] = cmd
        p = sub.add_parser(name, help=cmd.help, description=cmd.help)
        add_common_arguments(p, cmd.defaults)
        cmd.add_arguments(p)
    if not names or set(names) != set(SUBCOMMANDS):
        for name in SUBCOMMANDS:
            if name not in names:
                sub.add_parser(name, help="(see kernels-train %s --help)" % name)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if args.command not in commands:
        commands[args.command] = _load_command(args.command)
    return int(commands[args.command].run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
