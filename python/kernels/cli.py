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
only when that job runs. Every job shares the options of :func:`add_common_arguments`, and the
setup they ask for is done here, once, before the job runs: ``--threads``, the global seed
(``--seed``) and ``--device`` (``args.device`` is then a ``kernels.device``).

Errors: a bad option, or a bad combination of options, prints the usage and one line
``kernels-train JOB: error: ...`` naming the option and what it accepts, and exits with status 2
(argparse's convention); a job raises :class:`UsageError` for the combinations it checks. Errors
found once the job runs (missing data, a checkpoint from another run, ValueError / RuntimeError /
OSError from the library) print one line ``kernels-train: error: ...`` and exit with status 1,
before any file is written where possible; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import math
import re
import sys

from . import _C
from ._device import device as _device
from .random import manual_seed

__all__ = ["main", "Command", "SUBCOMMANDS", "add_common_arguments", "setup", "UsageError",
           "int_at_least", "float_in", "device_string"]


class UsageError(Exception):
    """A bad option or combination of options that a job finds after parsing; reported as
    argparse reports its own errors (usage, one line, exit status 2)."""


class _Exit(SystemExit):
    """SystemExit carrying argparse's status, whose text is the message it printed (so a
    caller of :func:`main` can tell what went wrong)."""

    def __init__(self, status, message=None):
        super().__init__(status)
        self.message = (message or "").strip()

    def __str__(self):
        return self.message or str(self.code)


class _ArgumentParser(argparse.ArgumentParser):
    def exit(self, status=0, message=None):
        if message:
            self._print_message(message, sys.stderr)
        raise _Exit(status, message)


# ---------------------------------------------------------------- option types
# argparse reports an ArgumentTypeError as "argument --OPT: <message>", exit status 2


def int_at_least(lo):
    """An argparse type: an integer >= lo."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer >= {lo}, got {text!r}") from None
        if value < lo:
            raise argparse.ArgumentTypeError(f"must be an integer >= {lo}, got {value}")
        return value

    return parse


def float_in(lo=None, hi=None, lo_open=False, hi_open=False):
    """An argparse type: a finite number in the interval [lo, hi] ("(" / ")" where open)."""
    left = "(" if lo_open or lo is None else "["
    right = ")" if hi_open or hi is None else "]"
    accepted = f"{left}{'-inf' if lo is None else f'{lo:g}'}, {'inf' if hi is None else f'{hi:g}'}{right}"

    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number in {accepted}, got {text!r}") from None
        ok = math.isfinite(value)
        ok = ok and (lo is None or (value > lo if lo_open else value >= lo))
        ok = ok and (hi is None or (value < hi if hi_open else value <= hi))
        if not ok:
            raise argparse.ArgumentTypeError(f"must be a number in {accepted}, got {text}")
        return value

    return parse


def device_string(text):
    """An argparse type: cpu, cuda or cuda:N."""
    if not re.fullmatch(r"cpu|cuda(:[0-9]+)?", text):
        raise argparse.ArgumentTypeError(f"expected cpu, cuda or cuda:N, got {text!r}")
    return text


class Command:
    """One subcommand: ``add_arguments(parser)`` declares its options (the common ones are
    already there; ``defaults`` overrides their defaults), ``run(args)`` does the work and returns
    the exit status. ``run`` starts with the common setup done (see :func:`setup`)."""

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
    p.add_argument("--epochs", type=int_at_least(1), default=d["epochs"],
                   help="number of epochs (default %(default)s)")
    p.add_argument("--batch-size", type=int_at_least(1), default=d["batch_size"],
                   help="batch size (default %(default)s)")
    p.add_argument("--lr", type=float_in(0, lo_open=True), default=d["lr"],
                   help="(peak) learning rate (default %(default)s)")
    p.add_argument("--optimizer", choices=("adam", "adamw", "sgd"), default=d["optimizer"],
                   help="optimizer; sgd uses Nesterov momentum 0.9 (default %(default)s)")
    p.add_argument("--weight-decay", type=float_in(0), default=d.get("weight_decay", 0.0),
                   help="weight decay (default %(default)s)")
    p.add_argument("--device", type=device_string, default=d["device"],
                   help="cpu or cuda[:N] (default %(default)s)")
    p.add_argument("--seed", type=int_at_least(0), default=d["seed"], help="random seed (default %(default)s)")
    p.add_argument("--threads", type=int_at_least(1), default=None, help="CPU threads (default: all cores)")
    p.add_argument("--checkpoint", metavar="PATH", default=None,
                   help="write the whole training state here after every epoch (atomically)")
    p.add_argument("--resume", action="store_true",
                   help="continue from --checkpoint when it exists (bit-exact continuation)")
    p.add_argument("--plot-dir", metavar="DIR", default=None,
                   help="write the job's pictures there as PNGs: loss/accuracy curves, and where the job "
                        "has them a confusion matrix and learned filters (needs matplotlib)")
    p.add_argument("--quiet", action="store_true", help="print only the final result")
    p.add_argument("--debug", action="store_true",
                   help="on an error, show the full Python traceback instead of one line")


def _check_common(args):
    """Option combinations every job shares; -> an error message or None."""
    if args.resume and not args.checkpoint:
        return "--resume needs --checkpoint PATH"
    if args.plot_dir and importlib.util.find_spec("matplotlib") is None:
        return ("--plot-dir needs matplotlib, which is not installed: pip install 'dlkernels[plot]' "
                "(or: pip install matplotlib)")
    return None


def setup(args):
    """The setup every job shares, from the common options: the CPU threads (``--threads``; all
    cores without it), the global random seed (``--seed``), and ``args.device`` turned from the
    ``--device`` string into a ``kernels.device``."""
    if args.threads:
        _C.set_num_threads(args.threads)
    manual_seed(args.seed)
    args.device = _device(args.device)


def _one_line(e):
    if isinstance(e, OSError) and e.strerror and e.filename is not None:
        text = f"{e.filename}: {e.strerror}"  # what the OS said, without "[Errno 2]"
    else:
        text = str(e) or type(e).__name__
    return " ".join(text.split())


def _load_command(name):
    target = SUBCOMMANDS[name]
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


# ---------------------------------------------------------------- entry point


def main(argv=None) -> int:
    parser = _ArgumentParser(
        prog="kernels-train",
        description="Train models with kernels' hand-written kernels.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    argv = list(sys.argv[1:] if argv is None else argv)
    # build only the chosen subcommand's parser (imports stay lazy), all of them for help
    chosen = [a for a in argv if not a.startswith("-")][:1]
    names = chosen if chosen and chosen[0] in SUBCOMMANDS else list(SUBCOMMANDS)
    commands, parsers = {}, {}
    for name in names:
        cmd = _load_command(name)
        commands[name] = cmd
        p = parsers[name] = sub.add_parser(name, help=cmd.help, description=cmd.help)
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
    problem = _check_common(args) if args.command in parsers else None
    if problem:
        parsers[args.command].error(problem)
    try:
        if args.command in parsers:
            setup(args)
        return int(commands[args.command].run(args) or 0)
    except UsageError as e:
        if args.command in parsers:
            parsers[args.command].error(str(e))
        parser.error(str(e))
    except (ValueError, RuntimeError, OSError, ImportError) as e:
        if getattr(args, "debug", False):
            raise
        print(f"kernels-train: error: {_one_line(e)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
