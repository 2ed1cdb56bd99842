"""``kernels.multinomial(input, num_samples, replacement=False)`` and ``Tensor.multinomial``, as
torch's: indices drawn from the categories of each row of input (1-D or 2-D, non-negative
weights, not necessarily normalised), int64 of shape (rows, num_samples) or (num_samples,).

Composed from kernels ops, the randoms from the Philox generator (``kernels.manual_seed``):
* with replacement: inverse CDF. The row CDFs come from a Hillis-Steele scan (log2(n) shifted
  adds, float64), u = rand * total, and the sample is the number of CDF entries <= u, found by a
  binary search done as log2(n) rounds of ``gather`` (a zero-weight category has an empty
  interval and is never drawn). Work O(rows * (n log n + s log n)).
* without replacement: the exponential race. With E_i ~ Exp(1), the categories in decreasing
  order of p_i / E_i are distributed as successive draws without replacement; the s largest
  keys log p_i - log E_i are taken by s rounds of argmax and masking, O(rows * s * n) (kernels
  has no sort/topk kernel; for s close to n this is quadratic in n). Zero-weight categories rank
  after every positive one, as in torch.
The numbers drawn differ from torch's (another generator), the distribution is the same.
"""
from __future__ import annotations

import math

from .. import _C
from .._args import as_int, check_tensor
from ..autograd import no_grad
from . import elementwise as E
from .embedding import one_hot
from .indexing import gather
from .reduce import argmax, sum as _sum
from .shape import cat

Tensor = _C.Tensor
_F64, _INT = _C.dtype.float64, _C.dtype.int64

__all__ = ["multinomial"]

_BAD = "probability tensor contains either `inf`, `nan` or element < 0"


def _cumsum_rows(p):
    """Inclusive prefix sums along dim 1 of a 2-D tensor, by doubling shifts."""
    rows, n = p.shape
    shift = 1
    while shift < n:
        pad = _C.full([rows, shift], 0.0, p.dtype, p.device)
        p = E.add(p, cat([pad, p.narrow(1, 0, n - shift)], 1))
        shift *= 2
    return p


def _with_replacement(p, s):
    rows, n = p.shape
    cdf = _cumsum_rows(p)
    total = cdf.narrow(1, n - 1, 1)
    u = E.mul(_C.rand([rows, s], 0.0, 1.0, _F64, p.device), total)
    pos = _C.full([rows, s], 0, _INT, p.device)
    step = 1 << (n.bit_length() - 1)
    while step:
        cand = E.add(pos, step)
        # cdf[cand - 1] <= u, only where cand <= n (the clamp keeps gather in range)
        val = gather(cdf, 1, E.clamp(E.sub(cand, 1), 0, n - 1))
        take = E.logical_and(E.le(cand, n), E.le(val, u))
        pos = E.where(take, cand, pos)
        step >>= 1
    return E.clamp(pos, max=n - 1)  # u rounded up to total (probability ~1e-16)


def _without_replacement(p, s):
    rows, n = p.shape
    e = E.neg(E.log(_C.rand([rows, n], 0.0, 1.0, _F64, p.device)))  # Exp(1); log(0) = -inf -> e = inf
    keys = E.sub(E.log(p), E.log(e))
    # zero weights: below every positive key (those are >= log(min double) - log(e) > -1e4) but
    # above the -inf that marks a category already taken
    keys = E.where(E.gt(p, 0.0), keys, -1e300)
    picks = []
    for _ in range(s):
        idx = argmax(keys, 1)
        picks.append(idx.unsqueeze(1))
        keys = E.where(_C.to_dtype(one_hot(idx, n), _C.dtype.bool), -math.inf, keys)
    return cat(picks, 1)


def multinomial(input, num_samples, replacement=False, *, generator=None):
    check_tensor("multinomial", input)
    if generator is not None:
        raise NotImplementedError("multinomial: generator= is not supported; seed with kernels.manual_seed "
                                  "or draw inside kernels.data.Generator.active()")
    s = as_int("multinomial", "num_samples", num_samples)
    if not isinstance(replacement, bool):
        raise TypeError(f"multinomial: replacement must be a bool, got {type(replacement).__name__}")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"multinomial: multinomial only supports floating-point dtypes for input, got: "
                           f"{input.dtype}")
    if input.dim() not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got shape {tuple(input.shape)}")
    n = input.shape[-1]
    if s <= 0:
        raise RuntimeError(f"multinomial: cannot sample n_sample <= 0 samples (num_samples={s})")
    if not replacement and s > n:
        raise RuntimeError(f"multinomial: cannot sample n_sample > prob_dist.size(-1) samples without "
                           f"replacement (num_samples={s}, {n} categories)")
    with no_grad():
        p = _C.to_dtype(input.detach(), _F64) if input.dtype != _F64 else input.detach()
        p = p.reshape(1, n) if input.dim() == 1 else p
        if n == 0 or p.shape[0] == 0:
            raise RuntimeError("multinomial: invalid multinomial distribution (sum of probabilities <= 0)")
        ok = E.logical_and(E.ge(p, 0.0), E.lt(p, math.inf))  # False for NaN as well
        if _sum(_C.to_dtype(E.logical_not(ok), _F64)).item() > 0:
            raise RuntimeError(f"multinomial: {_BAD}")
        if _sum(_C.to_dtype(E.le(_sum(p, 1), 0.0), _F64)).item() > 0:
            raise RuntimeError("multinomial: invalid multinomial distribution (sum of probabilities <= 0)")
        out = _with_replacement(p, s) if replacement else _without_replacement(p, s)
    return out.reshape(s) if input.dim() == 1 else out
