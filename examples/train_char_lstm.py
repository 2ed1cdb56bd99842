"""A character-level LSTM language model on Python's own documentation (or --text FILE).

    python examples/train_char_lstm.py [--epochs 3] [--seed 0] [--device cpu] [--out runs/charlstm]

Truncated backpropagation through time: the text is cut into 64 parallel streams, read 100
characters at a time; the LSTM state is carried from one chunk to the next but detached, so the
gradient flows back at most 100 steps.
"""
import math
import time

import numpy as np

import _common
import kernels
from kernels import models, optim, train
from kernels.data import text as textdata
from kernels.functional import cross_entropy
from kernels.nn.utils import clip_grad_norm_


def mean_loss(model, batches):
    state, total, n = None, 0.0, 0
    with kernels.no_grad():
        for x, y in batches:
            logits, state = model(x, state)
            total += cross_entropy(logits.reshape(-1, model.vocab_size), y.reshape(-1)).item() * y.numel()
            n += y.numel()
    return total / n


def main(argv=None):
    p = _common.parser(__doc__)
    p.add_argument("--text", default=None, help="a text file (default: Python's documentation)")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--max-chars", type=int, default=None, help="use only the first N characters")
    _common.add_run_options(p, "runs/charlstm", "folder for the loss plot")
    args, start = _common.start(p, argv)

    text = textdata.load_text(args.text)[:args.max_chars]
    vocab = textdata.CharVocab.from_text(text)
    train_ids, val_ids = textdata.split_text(vocab.encode(text), 0.1)
    train_batches = textdata.TBPTTBatches(train_ids, batch_size=64, seq_len=100, device=args.device)
    val_batches = textdata.TBPTTBatches(val_ids, batch_size=16, seq_len=100, device=args.device)

    model = models.CharLSTM(len(vocab), hidden_size=args.hidden, num_layers=2).to(args.device)
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    history = train.History()
    for epoch in range(1, args.epochs + 1):
        state, losses = None, []
        for x, y in train_batches:
            state = models.detach_state(state)
            logits, state = model(x, state)
            loss = cross_entropy(logits.reshape(-1, len(vocab)), y.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            losses.append(loss.item())
        model.eval()
        val = mean_loss(model, val_batches)
        model.train()
        history.append({"epoch": epoch, "loss": float(np.mean(losses)), "val_loss": val})
        print(f"epoch {epoch}: train {np.mean(losses):.3f}, validation {val:.3f} nats/char "
              f"({val / math.log(2):.2f} bits/char)")

    sample = model.sample(vocab.encode("The "), 200, temperature=0.8, rng=np.random.default_rng(args.seed),
                          device=args.device)
    print("The " + vocab.decode(sample))
    train.plot_history(history, f"{args.out}/history.png", title="char-LSTM, nats per character")
    print(f"{time.perf_counter() - start:.1f} s; plot in {args.out}/")
    return history.records[-1]["val_loss"]


if __name__ == "__main__":
    main()
