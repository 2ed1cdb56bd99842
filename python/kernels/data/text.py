"""Character-level text data for language models.

* :func:`load_text` - a text file, or by default Python's own documentation
  (``pydoc_data.topics``, ~465 KB of English that ships with every Python);
* :class:`CharVocab` - the characters of a text, encode / decode, saved with a model;
* :func:`split_text` - a train / validation split at one cut point (90/10 by default);
* :class:`TBPTTBatches` - (input, target) chunks for truncated backpropagation through time: the
  text is cut into ``batch_size`` contiguous streams, and chunk ``i`` continues chunk ``i-1`` in
  every stream, so the hidden state carried between chunks is meaningful.
"""
from __future__ import annotations

import os

import numpy as np

from ..tensor import tensor as _tensor

__all__ = ["load_text", "CharVocab", "split_text", "TBPTTBatches"]


def load_text(path=None, encoding="utf-8"):
    """The text of ``path``, or of Python's documentation topics when ``path`` is None.
    Raises FileNotFoundError / ValueError (empty file) naming the path."""
    if path is None:
        from pydoc_data.topics import topics

        return "\n\n".join(topics[k] for k in sorted(topics))
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"load_text: no such file {path!r}")
    with open(path, encoding=encoding, errors="replace") as fh:
        text = fh.read()
    if not text:
        raise ValueError(f"load_text: {path!r} is empty")
    return text


class CharVocab:
    """The sorted set of characters of a text; ``encode`` maps a string to int64 ids,
    ``decode`` maps ids back. Characters not in the vocabulary raise a ValueError naming them."""

    def __init__(self, chars):
        chars = sorted(set(chars))
        if not chars:
            raise ValueError("CharVocab: no characters")
        self.chars = chars
        self.index = {c: i for i, c in enumerate(chars)}
        self._table = np.full(max(map(ord, chars)) + 1, -1, dtype=np.int64)
        self._table[[ord(c) for c in chars]] = np.arange(len(chars))

    @classmethod
    def from_text(cls, text):
        return cls(set(text))

    def __len__(self):
        return len(self.chars)

    def __repr__(self):
        return f"CharVocab({len(self)} characters)"

    def encode(self, text) -> np.ndarray:
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        ids = np.where(codes < len(self._table), self._table[np.minimum(codes, len(self._table) - 1)], -1)
        if (ids < 0).any():
            missing = sorted({text[i] for i in np.flatnonzero(ids < 0)[:100]})
            raise ValueError(f"CharVocab.encode: characters not in the vocabulary: {missing!r}")
        return ids

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in np.asarray(ids).reshape(-1))

    def state_dict(self):
        return {"chars": "".join(self.chars)}

    @classmethod
    def from_state_dict(cls, state):
        return cls(state["chars"])


def split_text(ids, val_fraction=0.1):
    """(train, validation) parts of an id array: the first 1 - val_fraction and the rest."""
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"split_text: val_fraction must be in [0, 1), got {val_fraction}")
    cut = int(round(len(ids) * (1.0 - val_fraction)))
    return ids[:cut], ids[cut:]


class TBPTTBatches:
    """Chunks of ``seq_len`` steps from ``batch_size`` parallel streams of ``ids``.

    Iterating yields ``(x, y)`` int64 tensors shaped (batch_size, seq_len) (``batch_first``) or
    (seq_len, batch_size), with ``y`` the next character after each ``x``. The last, shorter
    chunk is kept. ``len()`` is the number of chunks."""

    def __init__(self, ids, batch_size, seq_len, batch_first=True, device=None):
        ids = np.asarray(ids, dtype=np.int64)
        if batch_size < 1 or seq_len < 1:
            raise ValueError(f"TBPTTBatches: batch_size and seq_len must be positive, got "
                             f"{batch_size} and {seq_len}")
        per_stream = (len(ids) - 1) // batch_size
        if per_stream < 1:
            raise ValueError(f"TBPTTBatches: a text of {len(ids)} characters is too short for "
                             f"{batch_size} streams")
        self.streams = ids[:per_stream * batch_size + 1]
        self.inputs = self.streams[:-1].reshape(batch_size, per_stream)
        self.targets = self.streams[1:].reshape(batch_size, per_stream)
        self.batch_size, self.seq_len = batch_size, seq_len
        self.batch_first, self.device = batch_first, device

    def __len__(self):
        return -(-self.inputs.shape[1] // self.seq_len)

    @property
    def num_targets(self):
        return self.targets.size

    def __iter__(self):
        for start in range(0, self.inputs.shape[1], self.seq_len):
            x = self.inputs[:, start:start + self.seq_len]
            y = self.targets[:, start:start + self.seq_len]
            if not self.batch_first:
                x, y = x.T, y.T
            yield (_tensor(np.ascontiguousarray(x), device=self.device),
                   _tensor(np.ascontiguousarray(y), device=self.device))
