"""A PyTorch-style character-level language model on a few KB of Python's own documentation
(pydoc_data.topics, shipped with Python): nn.Embedding -> nn.GRU(batch_first=True) -> nn.Linear
over the vocabulary, F.cross_entropy on the flattened (batch * time, vocab) logits, truncated
backpropagation through time (the hidden state carried across batches and .detach()ed), Adam and
clip_grad_norm_; then the validation loss (nats per character) and a greedy sample.

The weights come from NumPy and the batches are contiguous slices of the text in order, so the
loss curve is the same under kernels and real torch. The last lines are machine-readable:
`LOSSES <json list>` and `METRIC <json dict>`."""
import argparse
import json
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from pydoc_data.topics import topics


class CharRNN(nn.Module):
    def __init__(self, vocab_size, embed=24, hidden=64):
        super().__init__()
        self.hidden = hidden
        self.embed = nn.Embedding(vocab_size, embed)
        self.rnn = nn.GRU(embed, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab_size)

    def forward(self, idx, h=None):
        y, h = self.rnn(self.embed(idx), h)
        return self.out(y), h


def numpy_init_(model, seed):
    rng = np.random.default_rng(seed)
    state = {}
    for k, v in model.state_dict().items():
        if k.startswith("embed"):
            w = rng.standard_normal(tuple(v.shape))
        else:
            bound = 1.0 / math.sqrt(model.hidden)
            w = rng.uniform(-bound, bound, size=tuple(v.shape))
        state[k] = torch.tensor(w.astype(np.float32))
    model.load_state_dict(state)


def batches(data, batch_size, seq_len):
    """Split `data` into batch_size contiguous streams; yield (x, y) windows of seq_len in order."""
    n = (len(data) - 1) // batch_size
    streams_x = data[:n * batch_size].view(batch_size, n)
    streams_y = data[1:n * batch_size + 1].view(batch_size, n)
    for start in range(0, n - seq_len + 1, seq_len):
        yield streams_x[:, start:start + seq_len], streams_y[:, start:start + seq_len]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--chars", type=int, default=6000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    text = "".join(topics[k] for k in ("assert", "assignment", "bltin-code-objects", "break", "class"))[:args.chars]
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
    cut = int(0.9 * len(data))
    train_data, val_data = data[:cut], data[cut:]
    print(f"{len(text)} characters, vocabulary {len(chars)}")

    model = CharRNN(len(chars))
    numpy_init_(model, args.seed + 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)

    losses = []
    for epoch in range(args.epochs):
        model.train()
        h = None
        for x, y in batches(train_data, batch_size=16, seq_len=32):
            if h is not None:
                h = h.detach()
            logits, h = model(x, h)
            loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            losses.append(loss.item())
        print(f"epoch {epoch + 1}: train loss {losses[-1]:.3f} ({len(losses)} steps)")

    model.eval()
    with torch.no_grad():
        logits, _ = model(val_data[:-1].unsqueeze(0))
        val_loss = F.cross_entropy(logits[0], val_data[1:]).item()
        idx = torch.tensor([[stoi["T"]]])
        h, out = None, ["T"]
        for _ in range(60):
            logits, h = model(idx, h)
            idx = logits[:, -1].argmax(dim=-1, keepdim=True)
            out.append(chars[idx.item()])
    print(f"validation loss {val_loss:.3f} nats/char (perplexity {math.exp(val_loss):.1f})")
    print("greedy sample: " + repr("".join(out)))
    print("LOSSES " + json.dumps(losses))
    print("METRIC " + json.dumps({"val_loss": val_loss}))


if __name__ == "__main__":
    main()
