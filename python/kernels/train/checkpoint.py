"""Whole-training-state checkpoints: resume exactly where training stopped.

A training checkpoint (one ``.npz`` written atomically by ``kernels.save``) holds the model's,
optimizer's and scheduler's ``state_dict()``, the number of completed epochs, the global random
generator's state (``kernels.get_rng_state()``), the train DataLoader's own shuffle stream when
it has one, the History and the callbacks' state (EarlyStopping's patience counter...). Loading it
into freshly built objects and calling ``fit(..., resume_from=path)`` continues bit for bit as if
training had never stopped.
"""
from __future__ import annotations

from .. import random as _random
from ..serialization import load, save

__all__ = ["save_checkpoint", "load_checkpoint", "training_state"]

_KIND = "kernels.train.checkpoint"


def _state(obj):
    return obj.state_dict() if obj is not None and hasattr(obj, "state_dict") else None


def training_state(model, optimizer=None, scheduler=None, epoch=0, history=None, train_loader=None,
                   callbacks=(), extra=None) -> dict:
    """The dict that :func:`save_checkpoint` writes."""
    cbs = {}
    for i, cb in enumerate(callbacks):
        st = cb.state_dict() if hasattr(cb, "state_dict") else None
        if st is not None:
            cbs[f"{i}:{type(cb).__name__}"] = st
    return {
        "kind": _KIND,
        "epoch": int(epoch),
        "model": model.state_dict(),
        "optimizer": _state(optimizer),
        "scheduler": _state(scheduler),
        "rng_state": list(_random.get_rng_state()),
        "train_loader": _state(train_loader),
        "history": _state(history),
        "callbacks": cbs,
        "extra": extra,
    }


def save_checkpoint(path, model, optimizer=None, scheduler=None, epoch=0, history=None,
                    train_loader=None, callbacks=(), extra=None) -> None:
    """Write the training state to ``path`` (atomic: an old file there survives a crash)."""
    save(training_state(model, optimizer, scheduler, epoch, history, train_loader, callbacks, extra), path)


def load_checkpoint(path, model, optimizer=None, scheduler=None, train_loader=None, callbacks=(),
                    history=None, map_location=None, restore_rng=True) -> dict:
    """Load a checkpoint from :func:`save_checkpoint` into the given objects (those that are not
    None) and restore the global random state; returns the checkpoint dict (``["epoch"]`` is the
    number of completed epochs, ``["extra"]`` what was passed as ``extra``)."""
    ckpt = load(path, map_location=map_location)
    if not isinstance(ckpt, dict) or ckpt.get("kind") != _KIND:
        raise ValueError(f"load_checkpoint: {path} is a kernels file but not a training checkpoint "
                         "(written by kernels.save, not kernels.train.save_checkpoint)")
    model.load_state_dict(ckpt["model"])
    if optimizer is not None:
        if ckpt.get("optimizer") is None:
            raise ValueError(f"load_checkpoint: {path} holds no optimizer state")
        optimizer.load_state_dict(ckpt["optimizer"])
    if scheduler is not None:
        if ckpt.get("scheduler") is None:
            raise ValueError(f"load_checkpoint: {path} holds no scheduler state")
        scheduler.load_state_dict(ckpt["scheduler"])
    if train_loader is not None and ckpt.get("train_loader") is not None \
            and hasattr(train_loader, "load_state_dict"):
        train_loader.load_state_dict(ckpt["train_loader"])
    if history is not None and ckpt.get("history") is not None:
        history.load_state_dict(ckpt["history"])
    saved_cbs = ckpt.get("callbacks") or {}
    for i, cb in enumerate(callbacks):
        st = saved_cbs.get(f"{i}:{type(cb).__name__}")
        if st is not None and hasattr(cb, "load_state_dict"):
            cb.load_state_dict(st)
    if restore_rng:
        _random.set_rng_state(ckpt["rng_state"])
    return ckpt
