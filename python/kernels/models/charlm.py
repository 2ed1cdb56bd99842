"""A character-level language model: embedding -> multi-layer LSTM -> linear over the vocabulary.

    x (B,T) int64 ids -> embed (B,T,E) -> LSTM -> (B,T,H) -> decoder -> logits (B,T,V)

``forward(x, state)`` returns ``(logits, state)``; pass the returned state (detached) back in for
the next chunk of the same streams: truncated backpropagation through time.
"""
from __future__ import annotations

import numpy as np

from .. import nn
from ..autograd import no_grad
from ..tensor import tensor as _tensor

__all__ = ["CharLSTM", "detach_state"]


def detach_state(state):
    """The recurrent state with its history cut (a tensor or a tuple of them); None stays None."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


class CharLSTM(nn.Module):
    def __init__(self, vocab_size, hidden_size=256, num_layers=2, embedding_dim=64, dropout=0.0):
        super().__init__()
        self.vocab_size = vocab_size
        self.embed = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, num_layers=num_layers, batch_first=True,
                            dropout=dropout if num_layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.decoder = nn.Linear(hidden_size, vocab_size)

    def forward(self, x, state=None):
        out, state = self.lstm(self.embed(x), state)
        return self.decoder(self.drop(out)), state

    def sample(self, prime_ids, length, temperature=1.0, rng=None, device=None):
        """``length`` new ids continuing ``prime_ids`` (a non-empty sequence), drawn from the
        softmax of logits / temperature (temperature -> 0: greedy). ``rng``: a NumPy Generator."""
        if len(prime_ids) == 0:
            raise ValueError("CharLSTM.sample: the prime text is empty")
        if temperature < 0:
            raise ValueError(f"CharLSTM.sample: temperature must be >= 0, got {temperature}")
        rng = rng if rng is not None else np.random.default_rng()
        was_training = self.training
        self.eval()
        out = []
        try:
            with no_grad():
                x = _tensor(np.asarray(prime_ids, dtype=np.int64)[None, :], device=device)
                logits, state = self(x)
                last = logits.detach().cpu().numpy()[0, -1].astype(np.float64)
                for _ in range(length):
                    if temperature == 0:
                        nxt = int(np.argmax(last))
                    else:
                        z = last / temperature
                        p = np.exp(z - z.max())
                        nxt = int(rng.choice(len(p), p=p / p.sum()))
                    out.append(nxt)
                    logits, state = self(_tensor(np.array([[nxt]], dtype=np.int64), device=device), state)
                    last = logits.detach().cpu().numpy()[0, -1].astype(np.float64)
        finally:
            self.train(was_training)
        return out
