"""The setup the example scripts share: their common command-line options, the seed and the clock,
and the mnist_5k loaders. The training steps themselves stay written out in each example.

    p = _common.parser(__doc__, epochs=12)        # --epochs (and the description)
    p.add_argument("--lr", ...)                    # the example's own options
    _common.add_run_options(p, "runs/lenet5")      # --seed, --device, --out
    args, start = _common.start(p, argv)           # parse, kernels.manual_seed(args.seed), clock
"""
import argparse
import os
import time

import kernels
from kernels import data, train


def parser(doc, epochs=None, epochs_help=None):
    """An ArgumentParser described by the first line of ``doc``, with ``--epochs`` (an int,
    default ``epochs``) when ``epochs`` is given."""
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    if epochs is not None:
        p.add_argument("--epochs", type=int, default=epochs, help=epochs_help)
    return p


def add_run_options(p, out=None, out_help="folder for the PNG"):
    """``--seed`` (default 0), ``--device`` (default cpu) and, when ``out`` is given, ``--out``
    (default ``out``)."""
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    if out is not None:
        p.add_argument("--out", default=out, help=out_help)


def start(p, argv, seed=True):
    """Parse ``argv``; seed kernels' generator from ``--seed`` (unless ``seed`` is False: the
    example reseeds before each of its runs); returns (args, time.perf_counter())."""
    args = p.parse_args(argv)
    if seed:
        kernels.manual_seed(args.seed)
    return args, time.perf_counter()


def mnist_5k_augmented(batch_size=64, pad=2, shift=2):
    """mnist_5k with a ``pad``-pixel border, normalised by the training set's mean and std,
    training images randomly shifted by up to ``shift`` pixels: (train_loader (shuffled),
    test_loader (batches of 500))."""
    train_set = data.mnist_5k(train=True, pad=pad)
    test_set = data.mnist_5k(train=False, pad=pad)
    mean, std = data.mean_std(train_set)
    train_set.transform = data.Compose([data.RandomShift(shift), data.Normalize(mean, std)])
    test_set.transform = data.Normalize(mean, std)
    return (data.DataLoader(train_set, batch_size=batch_size, shuffle=True),
            data.DataLoader(test_set, batch_size=500))


def mnist_5k_subset(train_size, batch_size):
    """mnist_5k as it is ([0, 1] pixels), training on a random ``train_size`` of its 4,000 training
    images: (train_set, test_set, train_loader (shuffled), test_loader (batches of 500))."""
    train_set = data.mnist_5k(train=True)
    if train_size < len(train_set):
        # a random subset: the file's rows are sorted by class
        train_set = data.Subset(train_set, kernels.randperm(len(train_set))[:train_size].tolist())
    test_set = data.mnist_5k(train=False)
    return (train_set, test_set, data.DataLoader(train_set, batch_size=batch_size, shuffle=True),
            data.DataLoader(test_set, batch_size=500))


def print_accuracy(accuracy, epochs, start):
    """The results line of the classifiers: "test accuracy 0.9876 after 12 epochs, 34.5 s"."""
    print(f"test accuracy {accuracy:.4f} after {epochs} epochs, {time.perf_counter() - start:.1f} s")


def save_figure(fig, path):
    """Lay out a matplotlib Figure and write it to ``path``, making its folder if needed."""
    fig.tight_layout()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fig.savefig(path)


def classifier_pictures(model, history, first_layer, test_loader, args, name, filters_png,
                        filters_title):
    """The three PNGs of the image classifiers in ``args.out``: the training curves (history.png),
    the first layer's filters ``first_layer`` (``filters_png``) and the test set's confusion matrix
    (confusion.png); then the line naming the folder."""
    train.plot_history(history, f"{args.out}/history.png", title=f"{name} on mnist_5k")
    train.plot_filters(first_layer, f"{args.out}/{filters_png}", title=filters_title)
    cm = train.confusion_matrix(model, test_loader, num_classes=10, device=args.device)
    train.plot_confusion_matrix(cm, f"{args.out}/confusion.png", title=f"{name}, test set")
    print(f"pictures in {args.out}/")
