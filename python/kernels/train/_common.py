"""Small shared pieces of the training package."""
from __future__ import annotations


class NonFiniteLossError(RuntimeError):
    """The loss became nan or inf; ``epoch`` and ``step`` say where."""

    def __init__(self, message, epoch=None, step=None):
        super().__init__(message)
        self.epoch = epoch
        self.step = step
