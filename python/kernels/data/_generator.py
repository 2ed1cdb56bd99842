"""A private random stream on top of the one Philox generator.

kernels has a single counter-based generator (``kernels.manual_seed`` / ``get_rng_state``): its
state is just ``(seed, number of random calls so far)``. A :class:`Generator` owns such a pair and,
while it draws, swaps it into the global generator and swaps the global state back afterwards, so
a DataLoader or a transform can have a stream of its own that neither disturbs nor depends on the
random ops of the model (dropout, initialisation).
"""
from __future__ import annotations

import contextlib

from .. import random as _random

__all__ = ["Generator"]


class Generator:
    """Its own ``(seed, call)`` stream of the project's Philox generator.

    ``Generator().manual_seed(0)`` as torch; ``get_state()`` / ``set_state()`` for checkpoints.
    Use ``with gen.active():`` around ``kernels.randperm`` / ``kernels.rand`` calls to draw from it.
    """

    def __init__(self, seed: int = 0):
        self._seed = 0
        self._call = 0
        self.manual_seed(seed)

    def manual_seed(self, seed: int) -> "Generator":
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"Generator.manual_seed: expected an int, got {type(seed).__name__}")
        self._seed = seed & 0xFFFFFFFFFFFFFFFF
        self._call = 0
        return self

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> tuple:
        return (self._seed, self._call)

    def set_state(self, state) -> None:
        seed, call = (int(v) for v in state)
        self._seed, self._call = seed, call

    @contextlib.contextmanager
    def active(self):
        """Draw from this stream inside the block; the global stream is restored afterwards."""
        saved = _random.get_rng_state()
        _random.set_rng_state((self._seed, self._call))
        try:
            yield self
        finally:
            self._seed, self._call = _random.get_rng_state()
            _random.set_rng_state(saved)

    def __repr__(self):
        return f"Generator(seed={self._seed}, call={self._call})"


def drawing_from(generator):
    """Context manager: ``generator.active()`` or a no-op (the global stream) when None."""
    if generator is None:
        return contextlib.nullcontext()
    if not hasattr(generator, "active"):
        raise TypeError(f"generator: expected a kernels.data.Generator or None, got {type(generator).__name__}")
    return generator.active()
