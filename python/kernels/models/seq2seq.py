"""An encoder-decoder for sequence-to-sequence tasks (Sutskever et al. 2014), LSTM or GRU.

    src (B,S) ids, lengths (B,) sorted longest first
      -> encoder embedding (B,S,E) -> packed RNN (optionally bidirectional) -> final state
         (bidirectional: the two directions' states are summed, layer by layer)
    tgt_in (B,T) ids, starting with the start token
      -> decoder embedding (B,T,E) -> RNN from the encoder's state -> (B,T,H) -> logits (B,T,V)

Teacher forcing: with ratio 1 the decoder reads the gold previous token at every step (one RNN
call over the whole target); with ratio r < 1 each step reads the gold token with probability r,
else its own previous prediction (a step-by-step loop). ``greedy`` decodes by arg-max.
"""
from __future__ import annotations

import numpy as np

from .. import nn
from ..autograd import no_grad
from ..nn.utils.rnn import pack_padded_sequence
from ..ops.shape import stack
from ..tensor import tensor as _tensor

__all__ = ["Seq2Seq"]

_CELLS = {"lstm": "LSTM", "gru": "GRU"}


class Seq2Seq(nn.Module):
    def __init__(self, vocab_size, sos_id, eos_id, pad_id=0, embedding_dim=32, hidden_size=256,
                 num_layers=1, cell="lstm", bidirectional_encoder=False):
        super().__init__()
        if cell not in _CELLS:
            raise ValueError(f"Seq2Seq: cell must be 'lstm' or 'gru', got {cell!r}")
        for name, v in (("sos_id", sos_id), ("eos_id", eos_id), ("pad_id", pad_id)):
            if not 0 <= v < vocab_size:
                raise ValueError(f"Seq2Seq: {name}={v} is outside the vocabulary [0, {vocab_size})")
        rnn = getattr(nn, _CELLS[cell])
        self.sos_id, self.eos_id, self.pad_id = sos_id, eos_id, pad_id
        self.cell, self.num_layers, self.bidirectional_encoder = cell, num_layers, bidirectional_encoder
        self.src_embed = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_id)
        self.encoder = rnn(embedding_dim, hidden_size, num_layers=num_layers, batch_first=True,
                           bidirectional=bidirectional_encoder)
        self.tgt_embed = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_id)
        self.decoder = rnn(embedding_dim, hidden_size, num_layers=num_layers, batch_first=True)
        self.out = nn.Linear(hidden_size, vocab_size)

    def _merge_directions(self, h):
        # (num_layers*2, B, H), index layer*2 + direction -> (num_layers, B, H)
        L, B, H = h.shape
        return h.reshape(self.num_layers, 2, B, H).sum(1)

    def encode(self, src, lengths):
        packed = pack_padded_sequence(self.src_embed(src), lengths, batch_first=True)
        _, state = self.encoder(packed)
        if self.bidirectional_encoder:
            state = tuple(self._merge_directions(s) for s in state) if isinstance(state, tuple) \
                else self._merge_directions(state)
        return state

    def _step(self, tokens, state):
        """One decoder step: tokens (B,) -> logits (B,1,V), new state."""
        out, state = self.decoder(self.tgt_embed(tokens.reshape(-1, 1)), state)
        return self.out(out), state

    def forward(self, src, lengths, tgt_in, teacher_forcing=1.0, rng=None):
        state = self.encode(src, lengths)
        if teacher_forcing >= 1.0:
            out, _ = self.decoder(self.tgt_embed(tgt_in), state)
            return self.out(out)
        rng = rng if rng is not None else np.random.default_rng()
        T = tgt_in.shape[1]
        tokens = tgt_in[:, 0]
        steps = []
        for t in range(T):
            logits, state = self._step(tokens, state)
            steps.append(logits[:, 0])
            if t + 1 < T:
                tokens = tgt_in[:, t + 1] if rng.random() < teacher_forcing else logits[:, 0].argmax(dim=-1).detach()
        return stack(steps, dim=1)

    def greedy(self, src, lengths, max_len):
        """(B, max_len) int64 NumPy array of arg-max tokens; a sequence is finished after its
        end token (the positions after it hold ``pad_id``)."""
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                state = self.encode(src, lengths)
                B = src.shape[0]
                tokens = _tensor(np.full(B, self.sos_id, dtype=np.int64), device=src.device)
                result = np.full((B, max_len), self.pad_id, dtype=np.int64)
                done = np.zeros(B, dtype=bool)
                for t in range(max_len):
                    logits, state = self._step(tokens, state)
                    nxt = logits[:, 0].argmax(dim=-1)
                    ids = nxt.cpu().numpy()
                    result[~done, t] = ids[~done]
                    done |= ids == self.eos_id
                    if done.all():
                        break
                    tokens = nxt
        finally:
            self.train(was_training)
        return result
