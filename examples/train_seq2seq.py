"""An LSTM encoder-decoder that learns to reverse (or sort) sequences of 5-15 digits.

    python examples/train_seq2seq.py [--steps 3000] [--task reverse|sort] [--min-len 5] [--max-len 15]
                                     [--hidden 256] [--seed 0] [--device cpu]

Batches are generated on the fly; the decoder is trained with teacher forcing and evaluated by
greedy decoding (whole-sequence exact match) on 1,000 held-out sequences.
"""
import time

import numpy as np

import _common
import kernels
from kernels import models, optim
from kernels.functional import cross_entropy
from kernels.jobs.seq2seq import EOS, PAD, SOS, VOCAB, make_batch, sequence_accuracy
from kernels.nn.utils import clip_grad_norm_


def main(argv=None):
    p = _common.parser(__doc__)
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--task", choices=("reverse", "sort"), default="reverse")
    p.add_argument("--min-len", type=int, default=5)
    p.add_argument("--max-len", type=int, default=15)
    p.add_argument("--hidden", type=int, default=256)
    _common.add_run_options(p)  # --seed, --device
    args, start = _common.start(p, argv)
    rng = np.random.default_rng(args.seed)

    def T(a):
        return kernels.tensor(a, device=args.device)

    model = models.Seq2Seq(VOCAB, SOS, EOS, PAD, hidden_size=args.hidden).to(args.device)
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    scheduler = optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=args.steps)
    for step in range(1, args.steps + 1):
        src, lengths, tgt_in, tgt_out = make_batch(rng, 128, args.task, args.min_len, args.max_len)
        logits = model(T(src), lengths, T(tgt_in))
        loss = cross_entropy(logits.reshape(-1, VOCAB), T(tgt_out).reshape(-1), ignore_index=PAD)
        optimizer.zero_grad()
        loss.backward()
        clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        if step % 250 == 0 or step == args.steps:
            print(f"step {step}: loss {loss.item():.4f}")

    src, lengths, _, tgt_out = make_batch(np.random.default_rng(12345), 1000, args.task,
                                         args.min_len, args.max_len)
    pred = model.greedy(T(src), lengths, tgt_out.shape[1])
    acc = sequence_accuracy(pred, tgt_out)
    print(f"whole-sequence accuracy on 1,000 new sequences: {acc:.3f}  ({time.perf_counter() - start:.1f} s)")
    return acc


if __name__ == "__main__":
    main()
