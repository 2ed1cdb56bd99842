"""Metrics over a whole loader: the confusion matrix."""
from __future__ import annotations

import numpy as np

from ..autograd import no_grad
from .loop import _unpack, to_device

__all__ = ["confusion_matrix"]


def confusion_matrix(model, loader, num_classes, *, device=None):
    """(num_classes, num_classes) int64 NumPy array: entry [t, p] counts the samples of true class
    t that ``model`` (in eval mode, no gradients; its mode is restored) predicts as class p."""
    if num_classes < 1:
        raise ValueError(f"confusion_matrix: num_classes must be positive, got {num_classes}")
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    was_training = getattr(model, "training", True)
    model.eval()
    try:
        with no_grad():
            for batch in loader:
                inputs, targets = _unpack(to_device(batch, device))
                pred = model(inputs).argmax(dim=1).cpu().numpy().astype(np.int64)
                true = targets.cpu().numpy().astype(np.int64)
                bad = (true < 0) | (true >= num_classes) | (pred < 0) | (pred >= num_classes)
                if bad.any():
                    raise ValueError(f"confusion_matrix: class ids must lie in [0, {num_classes}), got "
                                     f"targets in [{true.min()}, {true.max()}] and predictions in "
                                     f"[{pred.min()}, {pred.max()}]")
                np.add.at(cm, (true, pred), 1)
    finally:
        model.train(was_training)
    return cm
