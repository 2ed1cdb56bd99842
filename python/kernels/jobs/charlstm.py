"""``kernels-train charlstm``: a character-level LSTM language model.

Default text: Python's own documentation (``pydoc_data.topics``); ``--text FILE`` trains on any
text. 90/10 train/validation split, truncated BPTT over chunks of ``--seq-len`` characters from
``--batch-size`` parallel streams, gradient clipping, Adam with a cosine schedule. Reports train and
validation loss in nats per character each epoch, prints a sample, and can checkpoint / resume.
"""
from __future__ import annotations

import math
import os
import time
import zlib

import numpy as np

from .. import models, optim, train
from ..cli import Command, UsageError, float_in, int_at_least
from ..data import text as textdata
from ..functional import cross_entropy
from ..serialization import load
from .classify import build_optimizer


def _arguments(p):
    p.add_argument("--text", metavar="FILE", default=None,
                   help="text file to model (default: Python's documentation, pydoc_data.topics)")
    p.add_argument("--hidden", type=int_at_least(1), default=256, help="LSTM hidden size (default %(default)s)")
    p.add_argument("--layers", type=int_at_least(1), default=2, help="LSTM layers (default %(default)s)")
    p.add_argument("--embedding", type=int_at_least(1), default=64, help="character embedding size (default %(default)s)")
    p.add_argument("--dropout", type=float_in(0, 1, hi_open=True), default=0.0,
                   help="dropout between and after the LSTM layers (default %(default)s)")
    p.add_argument("--seq-len", type=int_at_least(1), default=100, help="BPTT truncation length (default %(default)s)")
    p.add_argument("--clip", type=float_in(0, lo_open=True), default=1.0, help="gradient-norm clipping (default %(default)s)")
    p.add_argument("--val-fraction", type=float_in(0, 1, hi_open=True), default=0.1,
                   help="the last fraction of the text used for validation (default %(default)s)")
    p.add_argument("--sample-length", type=int_at_least(0), default=300,
                   help="characters sampled after training (default %(default)s)")
    p.add_argument("--temperature", type=float_in(0, lo_open=True), default=0.8, help="sampling temperature (default %(default)s)")
    p.add_argument("--prime", default="The ", help="text the sample starts from (default %(default)r)")
    p.add_argument("--sample-only", action="store_true",
                   help="load --checkpoint and only print a sample (no training)")


def _chunk_loss(model, batch, state):
    """One chunk of truncated BPTT (the loop carries ``state`` over, detached): the mean
    cross-entropy per character, the number of characters, the state after the chunk."""
    x, y = batch
    logits, state = model(x, state)
    return cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1)), y.numel(), state


def _run(args):
    log = (lambda *a, **k: None) if args.quiet else print
    device = args.device
    t_start = time.perf_counter()

    if args.sample_only:
        if not args.checkpoint:
            raise UsageError("--sample-only needs --checkpoint PATH")
        if not os.path.exists(args.checkpoint):
            raise FileNotFoundError(f"--sample-only: no checkpoint at {args.checkpoint}")
        model, vocab = _model_from_checkpoint(load(args.checkpoint), args.checkpoint, device)
        print(_sample(model, vocab, args, device))
        return 0

    text = textdata.load_text(args.text)
    vocab = textdata.CharVocab.from_text(text)
    train_ids, val_ids = textdata.split_text(vocab.encode(text), args.val_fraction)
    train_batches = textdata.TBPTTBatches(train_ids, args.batch_size, args.seq_len, device=device)
    val_batches = (textdata.TBPTTBatches(val_ids, min(args.batch_size, max(1, (len(val_ids) - 1) // args.seq_len)),
                                         args.seq_len, device=device) if len(val_ids) > 1 else None)
    config = {"hidden": args.hidden, "layers": args.layers, "embedding": args.embedding}
    # what --resume must find unchanged: the model, its vocabulary (from the text), the optimizer;
    # the cosine schedule's period comes back from the checkpoint, so --epochs may grow
    run_config = {"job": "charlstm", "--hidden": args.hidden, "--layers": args.layers,
                  "--embedding": args.embedding, "--dropout": args.dropout, "--text": _fingerprint(text),
                  "--optimizer": args.optimizer, "--lr": args.lr, "--weight-decay": args.weight_decay}
    model = models.CharLSTM(len(vocab), args.hidden, args.layers, args.embedding, args.dropout).to(device)
    optimizer = build_optimizer(args.optimizer, model.parameters(), args.lr, args.weight_decay)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs * len(train_batches))
    history = train.History()
    ckpt = train.resume(args.checkpoint, model, optimizer, scheduler, history=history, config=run_config,
                        missing_ok=True, log=log) if args.resume else None

    n_params = sum(p.numel() for p in model.parameters())
    source = args.text or "Python's documentation (pydoc_data.topics)"
    log(f"char-LSTM {args.layers}x{args.hidden} ({n_params:,} parameters) on {source}: "
        f"{len(text):,} characters, vocabulary {len(vocab)}, {len(train_ids):,} train / {len(val_ids):,} "
        f"validation; batch {args.batch_size} x seq {args.seq_len}, {len(train_batches)} steps per epoch, "
        f"{args.optimizer} lr {args.lr:g}, device {device}")
    for epoch in range(int(ckpt["epoch"]) + 1 if ckpt is not None else 1, args.epochs + 1):
        t0 = time.perf_counter()
        logs = train.train_one_epoch(model, None, optimizer, train_batches, scheduler=scheduler, metrics=(),
                                     epoch=epoch, epochs=args.epochs, progress=False if args.quiet else None,
                                     clip_grad_norm=args.clip, batch_loss=_chunk_loss)
        record = {"epoch": epoch, "loss": logs["loss"]}
        if val_batches is not None:
            record["val_loss"] = train.evaluate(model, None, val_batches, metrics=(),
                                                batch_loss=_chunk_loss)["loss"]
        record["time"] = time.perf_counter() - t0
        history.append(record)
        val = f"  val {record['val_loss']:.4f}" if "val_loss" in record else ""
        log(f"epoch {epoch}/{args.epochs}  train {record['loss']:.4f}{val} nats/char  "
            f"({record['time']:.1f} s, {logs['samples'] / record['time']:,.0f} chars/s)")
        if args.checkpoint:
            train.save_checkpoint(args.checkpoint, model, optimizer, scheduler, epoch, history,
                                  extra={"vocab": vocab.state_dict(), "config": config}, config=run_config)
    elapsed = time.perf_counter() - t_start
    if args.plot_dir and history.records:
        path = train.plot_history(history, os.path.join(args.plot_dir, "charlstm_history.png"),
                                  title="char-LSTM: nats per character")
        log(f"wrote {path}")
    if args.sample_length:
        log("--- sample ---")
        log(_sample(model, vocab, args, device))
        log("--------------")
    last = history.records[-1] if history.records else {}
    vl = last.get("val_loss", float("nan"))
    print(f"train loss: {last.get('loss', float('nan')):.4f}  validation loss: {vl:.4f} nats/char "
          f"({vl / math.log(2):.3f} bits/char)  total time: {elapsed:.1f} s")
    return 0


def _fingerprint(text):
    """What identifies the training text in a checkpoint: its length and CRC-32 (not its path,
    which may change while the text does not)."""
    return f"{len(text):,} characters, crc32 {zlib.crc32(text.encode('utf-8', 'surrogatepass')):08x}"


def _model_from_checkpoint(ckpt, path, device):
    """(model, vocab) rebuilt from a charlstm checkpoint; ValueError for any other file."""
    extra = ckpt.get("extra") if isinstance(ckpt, dict) else None
    recorded = ckpt.get("config") if isinstance(ckpt, dict) else None
    job = recorded.get("job") if isinstance(recorded, dict) else None
    if not isinstance(extra, dict) or "vocab" not in extra or not isinstance(extra.get("config"), dict) \
            or job not in (None, "charlstm"):
        what = f"a {job} checkpoint" if job else "not a charlstm training checkpoint"
        raise ValueError(f"--sample-only: {path} is {what}")
    try:
        vocab = textdata.CharVocab.from_state_dict(extra["vocab"])
        cfg = extra["config"]
        model = models.CharLSTM(len(vocab), int(cfg["hidden"]), int(cfg["layers"]), int(cfg["embedding"]))
        model.load_state_dict(ckpt["model"])
    except (KeyError, TypeError, ValueError, RuntimeError) as e:
        raise ValueError(f"--sample-only: {path} holds no usable charlstm model "
                         f"({type(e).__name__}: {' '.join(str(e).split())})") from None
    return model.to(device), vocab


def _sample(model, vocab, args, device):
    prime = "".join(c for c in args.prime if c in vocab.index) or vocab.chars[0]
    ids = model.sample(vocab.encode(prime), args.sample_length, args.temperature,
                       rng=np.random.default_rng(args.seed), device=device)
    return prime + vocab.decode(ids)


COMMAND = Command(
    "train a character-level LSTM language model (default text: Python's documentation)",
    _arguments, _run,
    defaults={"epochs": 10, "batch_size": 64, "lr": 3e-3, "optimizer": "adam"},
)
