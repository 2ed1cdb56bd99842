"""Variable-length batches for the recurrent layers, as ``torch.nn.utils.rnn``.

A ``PackedSequence`` holds the valid steps of a batch of sequences, time-major: ``data`` is
(sum of lengths, *), step t contributing ``batch_sizes[t]`` rows (the sequences still running,
longest first). ``batch_sizes`` is an int64 tensor on the CPU. When the batch was not sorted by
length, ``sorted_indices`` / ``unsorted_indices`` map between the caller's order and the sorted one.

Packing and padding are one ``index_select`` each (differentiable), so gradients flow back to the
padded input.
"""
from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np

from ... import _C
from ..._args import check_tensor, is_int
from ...ops.indexing import index_select
from ...ops.shape import cat
from ...tensor import tensor as _tensor

Tensor = _C.Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence",
           "pad_sequence", "unpad_sequence", "pack_sequence", "unpack_sequence"]


class PackedSequence(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Optional[Tensor] = None
    unsorted_indices: Optional[Tensor] = None

    def to(self, *args, **kwargs):
        """The data (and the index permutations) moved / cast; batch_sizes stays on the CPU."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        dev = data.device

        def move(t):
            return None if t is None else t.to(device=dev)

        return type(self)(data, self.batch_sizes, move(self.sorted_indices), move(self.unsorted_indices))

    def cuda(self, *args, **kwargs):
        return self.to(*(args or ("cuda",)), **kwargs)

    def cpu(self):
        return self.to("cpu")

    def double(self):
        return self.to(dtype=_C.dtype.float64)

    def float(self):
        return self.to(dtype=_C.dtype.float32)

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


def invert_permutation(permutation):
    """The inverse of a permutation given as an int64 tensor (None stays None)."""
    if permutation is None:
        return None
    p = np.asarray(permutation.cpu().numpy(), dtype=np.int64)
    inv = np.empty_like(p)
    inv[p] = np.arange(p.size, dtype=np.int64)
    return _tensor(inv, device=permutation.device)


def _lengths_array(op, lengths, batch):
    if isinstance(lengths, Tensor):
        if lengths.dtype.is_floating_point:
            raise TypeError(f"{op}: lengths must be integers, got a {lengths.dtype} tensor")
        arr = np.asarray(lengths.cpu().numpy()).reshape(-1)
    else:
        try:
            arr = np.asarray(list(lengths))
        except TypeError:
            raise TypeError(f"{op}: lengths must be a list or 1-D tensor of ints, got "
                            f"{type(lengths).__name__}") from None
        if arr.size and arr.dtype.kind not in "iu":
            raise TypeError(f"{op}: lengths must be integers, got {arr.dtype} values")
    arr = arr.astype(np.int64)
    if arr.ndim != 1 or arr.size != batch:
        raise ValueError(f"{op}: expected {batch} lengths (one per sequence), got {arr.size}")
    return arr


def _batch_sizes(lengths):
    """batch_sizes[t] = number of sequences longer than t (lengths sorted, decreasing)."""
    steps = np.arange(int(lengths[0]))
    return (lengths[None, :] > steps[:, None]).sum(1).astype(np.int64)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch (T, B, *) ((B, T, *) with batch_first) of sequences of the given lengths.

    With enforce_sorted the lengths must be non-increasing; otherwise the batch is sorted here and
    the permutation kept in the PackedSequence."""
    op = "pack_padded_sequence"
    check_tensor(op, input)
    if input.ndim < 2:
        raise ValueError(f"{op}: input must have shape (T, B, *) or (B, T, *) with batch_first, got "
                         f"{tuple(input.shape)}")
    bdim, tdim = (0, 1) if batch_first else (1, 0)
    T, B = input.shape[tdim], input.shape[bdim]
    lengths = _lengths_array(op, lengths, B)
    if B == 0:
        raise ValueError(f"{op}: cannot pack an empty batch (input {tuple(input.shape)})")
    if (lengths <= 0).any():
        raise ValueError(f"{op}: every length must be positive (an empty sequence cannot be packed), "
                         f"got lengths {lengths.tolist()}")
    if lengths.max() > T:
        raise ValueError(f"{op}: a length of {int(lengths.max())} exceeds the sequence length {T} of "
                         f"input {tuple(input.shape)} (batch_first={bool(batch_first)})")
    if enforce_sorted:
        if (np.diff(lengths) > 0).any():
            raise ValueError(f"{op}: lengths must be sorted in decreasing order when enforce_sorted=True, "
                             f"got {lengths.tolist()}; pass enforce_sorted=False to sort them here")
        sorted_indices = None
        order = np.arange(B)
    else:
        order = np.argsort(-lengths, kind="stable")
        lengths = lengths[order]
        sorted_indices = _tensor(order.astype(np.int64), device=input.device)
    bs = _batch_sizes(lengths)
    # Row of (t, j-th sorted sequence) in the flattened input.
    rows = []
    for t, n in enumerate(bs):
        b = order[:n]
        rows.append(b * T + t if batch_first else t * B + b)
    rows = np.concatenate(rows).astype(np.int64)
    flat = input.reshape(T * B, *input.shape[2:])
    data = index_select(flat, 0, _tensor(rows, device=input.device))
    return PackedSequence(data, _tensor(bs), sorted_indices, invert_permutation(sorted_indices))


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """The inverse of pack_padded_sequence: (padded (T, B, *) or (B, T, *), lengths int64 tensor),
    in the batch order the sequences had before packing."""
    op = "pad_packed_sequence"
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"{op}: expected a PackedSequence, got {type(sequence).__name__}")
    data = sequence.data
    bs = np.asarray(sequence.batch_sizes.cpu().numpy(), dtype=np.int64)
    T, B = bs.size, int(bs[0])
    if total_length is not None:
        if not is_int(total_length):
            raise TypeError(f"{op}: total_length must be an int, got {type(total_length).__name__}")
        if total_length < T:
            raise ValueError(f"{op}: total_length={total_length} is shorter than the longest sequence "
                             f"({T} steps)")
        T_out = int(total_length)
    else:
        T_out = T
    R = data.shape[0]
    # Packed row for every (t, b) of the padded output; R (an appended padding row) elsewhere.
    index = np.full((T_out, B), R, dtype=np.int64)
    start = 0
    for t, n in enumerate(bs):
        index[t, :n] = np.arange(start, start + n)
        start += n
    lengths = (index[:T] < R).sum(0).astype(np.int64)
    unsorted = sequence.unsorted_indices
    if unsorted is not None:
        perm = np.asarray(unsorted.cpu().numpy(), dtype=np.int64)
        index = index[:, perm]
        lengths = lengths[perm]
    if batch_first:
        index = index.T
    pad = _C.full([1, *data.shape[1:]], float(padding_value), data.dtype, data.device)
    ext = cat([data, pad], 0)
    out = index_select(ext, 0, _tensor(np.ascontiguousarray(index).reshape(-1), device=data.device))
    out = out.reshape(*index.shape, *data.shape[1:])
    return out, _tensor(lengths)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack sequences (L_i, *) into (max L, B, *) ((B, max L, *) with batch_first), padded."""
    op = "pad_sequence"
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    sequences = list(sequences)
    if not sequences:
        raise ValueError(f"{op}: received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise ValueError(f"{op}: padding_side must be 'left' or 'right', got {padding_side!r}")
    for k, s in enumerate(sequences):
        if not isinstance(s, Tensor):
            raise TypeError(f"{op}: sequence {k} is a {type(s).__name__}, expected a Tensor")
        if s.ndim < 1 or tuple(s.shape[1:]) != tuple(sequences[0].shape[1:]):
            raise ValueError(f"{op}: sequence {k} has shape {tuple(s.shape)}, expected (L, "
                             f"{', '.join(map(str, sequences[0].shape[1:]))}) like sequence 0")
    lens = [s.shape[0] for s in sequences]
    T, B = max(lens), len(sequences)
    R = sum(lens)
    index = np.full((T, B), R, dtype=np.int64)
    start = 0
    for b, n in enumerate(lens):
        off = 0 if padding_side == "right" else T - n
        index[off:off + n, b] = np.arange(start, start + n)
        start += n
    if batch_first:
        index = index.T
    first = sequences[0]
    pad = _C.full([1, *first.shape[1:]], float(padding_value), first.dtype, first.device)
    ext = cat(sequences + [pad], 0)
    out = index_select(ext, 0, _tensor(np.ascontiguousarray(index).reshape(-1), device=first.device))
    return out.reshape(*index.shape, *first.shape[1:])


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of sequences (L_i, *) of a padded batch."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    lengths = _lengths_array("unpad_sequence", lengths, padded_sequences.shape[0])
    return [padded_sequences[b][: int(n)] for b, n in enumerate(lengths)]


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of sequences (L_i, *) (longest first when enforce_sorted)."""
    sequences = list(sequences)
    lengths = [s.shape[0] if isinstance(s, Tensor) else 0 for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of sequences (L_i, *) of a PackedSequence, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
