"""``kernels-train seq2seq``: an encoder-decoder learns to reverse (or sort) digit sequences.

Each example is a random sequence of ``--min-len``..``--max-len`` digits; the target is the same
digits reversed (``--task reverse``) or sorted (``--task sort``), then an end token. Training
draws fresh batches every step; the reported accuracy is whole-sequence exact match under greedy
decoding on a fixed held-out set of ``--test-size`` sequences.
"""
from __future__ import annotations

import os
import time

import numpy as np

from .. import models, optim, train
from ..cli import Command, UsageError, float_in, int_at_least
from ..functional import cross_entropy
from ..tensor import tensor
from .classify import build_optimizer

PAD, SOS, EOS, DIGIT0 = 0, 1, 2, 3
VOCAB = DIGIT0 + 10


def make_batch(rng, n, task, min_len, max_len):
    """(src (n,S), lengths list, tgt_in (n,S+1), tgt_out (n,S+1)) as int64 NumPy arrays, the rows
    sorted longest first (what a packed encoder needs)."""
    lengths = np.sort(rng.integers(min_len, max_len + 1, n))[::-1]
    S = int(lengths[0])
    src = np.full((n, S), PAD, dtype=np.int64)
    tgt_in = np.full((n, S + 1), PAD, dtype=np.int64)
    tgt_out = np.full((n, S + 1), PAD, dtype=np.int64)
    tgt_in[:, 0] = SOS
    for i, L in enumerate(lengths):
        digits = rng.integers(0, 10, L)
        out = digits[::-1] if task == "reverse" else np.sort(digits)
        src[i, :L] = digits + DIGIT0
        tgt_in[i, 1:L + 1] = out + DIGIT0
        tgt_out[i, :L] = out + DIGIT0
        tgt_out[i, L] = EOS
    return src, [int(L) for L in lengths], tgt_in, tgt_out


def sequence_accuracy(pred, tgt_out):
    """Fraction of rows whose decoded tokens equal the target up to and including its end token."""
    T = tgt_out.shape[1]
    p = np.full(tgt_out.shape, PAD, dtype=np.int64)
    p[:, :min(T, pred.shape[1])] = pred[:, :T]
    return float(np.mean(np.all(p == tgt_out, axis=1)))


def _arguments(p):
    p.add_argument("--task", choices=("reverse", "sort"), default="reverse",
                   help="what the decoder must output (default %(default)s)")
    p.add_argument("--min-len", type=int_at_least(1), default=5, help="shortest sequence (default %(default)s)")
    p.add_argument("--max-len", type=int_at_least(1), default=15, help="longest sequence (default %(default)s)")
    p.add_argument("--cell", choices=("lstm", "gru"), default="lstm", help="recurrent cell (default %(default)s)")
    p.add_argument("--hidden", type=int_at_least(1), default=256, help="hidden size (default %(default)s)")
    p.add_argument("--layers", type=int_at_least(1), default=1, help="layers in encoder and decoder (default %(default)s)")
    p.add_argument("--bidirectional", action="store_true", help="bidirectional encoder")
    p.add_argument("--teacher-forcing", type=float_in(0, 1), default=1.0,
                   help="probability of feeding the gold previous token to the decoder (default %(default)s)")
    p.add_argument("--steps", type=int_at_least(1), default=250, help="training steps per epoch (default %(default)s)")
    p.add_argument("--test-size", type=int_at_least(1), default=1000, help="held-out sequences (default %(default)s)")
    p.add_argument("--clip", type=float_in(0, lo_open=True), default=1.0, help="gradient-norm clipping (default %(default)s)")


class _Batches:
    """``steps`` fresh training batches, drawn from ``rng`` as the loop asks for them (the
    decoder's teacher forcing draws from the same generator in between)."""

    def __init__(self, rng, args):
        self.rng, self.args = rng, args

    def __len__(self):
        return self.args.steps

    def __iter__(self):
        a = self.args
        for _ in range(a.steps):
            yield make_batch(self.rng, a.batch_size, a.task, a.min_len, a.max_len)


def _run(args):
    log = (lambda *a, **k: None) if args.quiet else print
    if args.min_len > args.max_len:
        raise UsageError(f"--min-len must be <= --max-len, got {args.min_len} and {args.max_len}")
    device = args.device
    t_start = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    test_rng = np.random.default_rng(10_000 + args.seed)  # a held-out set no training step draws
    test = make_batch(test_rng, args.test_size, args.task, args.min_len, args.max_len)

    def T(a):
        return tensor(a, device=device)

    def batch_loss(model, batch, state):  # -> (mean loss over the target tokens, 1 batch, no state)
        src, lengths, tgt_in, tgt_out = batch
        logits = model(T(src), lengths, T(tgt_in), teacher_forcing=args.teacher_forcing, rng=rng)
        return cross_entropy(logits.reshape(-1, VOCAB), T(tgt_out).reshape(-1), ignore_index=PAD), 1, None

    model = models.Seq2Seq(VOCAB, SOS, EOS, PAD, hidden_size=args.hidden, num_layers=args.layers,
                           cell=args.cell, bidirectional_encoder=args.bidirectional).to(device)
    optimizer = build_optimizer(args.optimizer, model.parameters(), args.lr, args.weight_decay)
    scheduler = optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=args.epochs * args.steps)
    history = train.History()
    # what --resume must find unchanged: the task, the model, the optimizer, and the one-cycle
    # schedule's length (fixed when it starts: epochs x steps)
    run_config = {"job": "seq2seq", "--task": args.task, "--cell": args.cell, "--hidden": args.hidden,
                  "--layers": args.layers, "--bidirectional": bool(args.bidirectional),
                  "--optimizer": args.optimizer, "--lr": args.lr, "--weight-decay": args.weight_decay,
                  "--epochs": args.epochs, "--steps": args.steps}
    ckpt = train.resume(args.checkpoint, model, optimizer, scheduler, history=history, config=run_config,
                        missing_ok=True, log=log) if args.resume else None
    if ckpt is not None:
        try:
            rng.bit_generator.state = ckpt["extra"]["data_rng"]
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"{args.checkpoint} holds no usable data_rng state for seq2seq "
                             f"({type(e).__name__}: {e})") from None

    def test_accuracy():
        src, lengths, _, tgt_out = test
        pred = []
        for i in range(0, len(src), 500):  # rows stay sorted by length inside each slice
            pred.append(model.greedy(T(src[i:i + 500]), lengths[i:i + 500], tgt_out.shape[1]))
        return sequence_accuracy(np.concatenate(pred), tgt_out)

    n_params = sum(p.numel() for p in model.parameters())
    log(f"seq2seq {args.cell.upper()} {args.layers}x{args.hidden}{' (bidirectional encoder)' if args.bidirectional else ''} "
        f"({n_params:,} parameters): {args.task} {args.min_len}-{args.max_len} digits, batch {args.batch_size}, "
        f"{args.steps} steps per epoch, teacher forcing {args.teacher_forcing:g}, device {device}")
    batches = _Batches(rng, args)
    for epoch in range(int(ckpt["epoch"]) + 1 if ckpt is not None else 1, args.epochs + 1):
        t0 = time.perf_counter()
        logs = train.train_one_epoch(model, None, optimizer, batches, scheduler=scheduler, metrics=(),
                                     epoch=epoch, epochs=args.epochs, progress=False if args.quiet else None,
                                     clip_grad_norm=args.clip, batch_loss=batch_loss)
        record = {"epoch": epoch, "loss": logs["loss"], "val_accuracy": test_accuracy(),
                  "time": time.perf_counter() - t0}
        history.append(record)
        log(f"epoch {epoch}/{args.epochs}  loss {record['loss']:.4f}  test sequence accuracy "
            f"{record['val_accuracy']:.4f}  ({record['time']:.1f} s)")
        if args.checkpoint:
            train.save_checkpoint(args.checkpoint, model, optimizer, scheduler, epoch, history,
                                  extra={"data_rng": rng.bit_generator.state}, config=run_config)
    acc = history.records[-1]["val_accuracy"] if history.records else test_accuracy()
    if args.plot_dir and history.records:
        path = train.plot_history(history, os.path.join(args.plot_dir, "seq2seq_history.png"),
                                  title=f"seq2seq: {args.task}")
        log(f"wrote {path}")
    src, lengths, _, tgt_out = test
    shown = model.greedy(T(src[:3]), lengths[:3], tgt_out.shape[1])
    for i in range(3):
        s = "".join(str(d - DIGIT0) for d in src[i, :lengths[i]])
        o = "".join(str(d - DIGIT0) for d in shown[i] if d >= DIGIT0)
        log(f"  {s} -> {o}")
    correct = round(acc * args.test_size)
    print(f"test sequence accuracy: {acc:.4f} ({correct}/{args.test_size})  "
          f"total time: {time.perf_counter() - t_start:.1f} s")
    return 0


COMMAND = Command(
    "train an encoder-decoder to reverse (or sort) sequences of 5-15 digits",
    _arguments, _run,
    defaults={"epochs": 12, "batch_size": 128, "lr": 3e-3, "optimizer": "adam"},
)
