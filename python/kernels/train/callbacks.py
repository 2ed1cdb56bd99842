"""Callbacks for ``fit``: EarlyStopping, ModelCheckpoint, LambdaCallback.

A callback subclasses :class:`Callback` and overrides any of ``on_train_begin(logs)``,
``on_epoch_begin(epoch, logs)``, ``on_batch_end(step, logs)``, ``on_epoch_end(epoch, logs)``,
``on_train_end(logs)``. ``self.state`` is the running :class:`TrainState` (``model``,
``optimizer``, ``scheduler``, ``history``, ``epoch``, ``stop_training`` ...); setting
``self.state.stop_training = True`` ends training after the current epoch. Callbacks with a
``state_dict()`` are saved in training checkpoints and restored on resume.
"""
from __future__ import annotations

import math
import os

from ..serialization import save
from .checkpoint import training_state

__all__ = ["Callback", "EarlyStopping", "ModelCheckpoint", "LambdaCallback", "TrainState"]


class TrainState:
    """What callbacks see of the running training."""

    def __init__(self, model, optimizer, scheduler, history, train_loader, callbacks, epochs,
                 config=None):
        self.model = model
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.history = history
        self.train_loader = train_loader
        self.callbacks = list(callbacks)
        self.epochs = epochs
        self.epoch = 0  # epochs completed
        self.stop_training = False
        self.stop_reason = None
        self.config = config  # the run's defining options, recorded in checkpoints

    def checkpoint(self, extra=None) -> dict:
        return training_state(self.model, self.optimizer, self.scheduler, self.epoch, self.history,
                              self.train_loader, self.callbacks, extra, self.config)


class Callback:
    state = None

    def set_state(self, state: TrainState):
        self.state = state

    @property
    def model(self):
        return self.state.model if self.state is not None else None

    def on_train_begin(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_batch_end(self, step, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass


def _resolve_mode(mode, monitor, who):
    if mode == "auto":
        return "max" if "acc" in monitor else "min"
    if mode not in ("min", "max"):
        raise ValueError(f"{who}: mode must be 'min', 'max' or 'auto', got {mode!r}")
    return mode


def _monitored(logs, monitor, who):
    if monitor not in logs or logs[monitor] is None:
        raise ValueError(f"{who}: monitored quantity {monitor!r} is not in the epoch's logs "
                         f"{sorted(k for k, v in logs.items() if v is not None)} "
                         "(val_* needs a val_loader)")
    return float(logs[monitor])


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    ``mode`` "min", "max" or "auto" (max for accuracies, min otherwise). With
    ``restore_best_weights=True`` the model gets the weights of its best epoch back at the end.
    """

    def __init__(self, monitor="val_loss", patience=5, min_delta=0.0, mode="auto",
                 restore_best_weights=False, verbose=0):
        if patience < 0:
            raise ValueError(f"EarlyStopping: patience must be >= 0, got {patience}")
        self.monitor = monitor
        self.patience = int(patience)
        self.min_delta = abs(float(min_delta))
        self.mode = _resolve_mode(mode, monitor, "EarlyStopping")
        self.restore_best_weights = restore_best_weights
        self.verbose = verbose
        self.best = None
        self.best_epoch = None
        self.wait = 0
        self.stopped_epoch = None
        self.best_weights = None

    def _improved(self, value):
        if self.best is None or math.isnan(self.best):
            return not math.isnan(value)
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, epoch, logs=None):
        value = _monitored(logs or {}, self.monitor, "EarlyStopping")
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait > self.patience:
            self.stopped_epoch = epoch
            self.state.stop_training = True
            self.state.stop_reason = (f"early stopping: {self.monitor} did not improve for "
                                      f"{self.wait} epochs (best {self.best:.6g} at epoch {self.best_epoch})")

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self.best_weights is not None:
            self.model.load_state_dict(self.best_weights)

    def state_dict(self):
        return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait,
                "stopped_epoch": self.stopped_epoch, "best_weights": self.best_weights}

    def load_state_dict(self, state):
        self.best = state.get("best")
        self.best_epoch = state.get("best_epoch")
        self.wait = int(state.get("wait", 0))
        self.stopped_epoch = state.get("stopped_epoch")
        self.best_weights = state.get("best_weights")


class ModelCheckpoint(Callback):
    """Save the whole training state (see ``kernels.train.checkpoint``) after each epoch.

    ``path`` may hold ``{epoch}`` and any logged key (``"ckpt-{epoch:03d}-{val_loss:.3f}.npz"``).
    With ``save_best_only=True`` only epochs that improve ``monitor`` are written. Every write is
    atomic, so a crash (or a non-finite loss) never spoils the last good checkpoint.
    ``save_weights_only=True`` writes just ``model.state_dict()`` (load it with ``kernels.load``).
    """

    def __init__(self, path, monitor="val_loss", save_best_only=False, mode="auto",
                 save_weights_only=False, verbose=0):
        self.path = os.fspath(path)
        self.monitor = monitor
        self.save_best_only = save_best_only
        self.mode = _resolve_mode(mode, monitor, "ModelCheckpoint")
        self.save_weights_only = save_weights_only
        self.verbose = verbose
        self.best = None
        self.last_saved = None

    def _better(self, value):
        if self.best is None:
            return not math.isnan(value)
        return value < self.best if self.mode == "min" else value > self.best

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.save_best_only:
            value = _monitored(logs, self.monitor, "ModelCheckpoint")
            if not self._better(value):
                return
            self.best = value
        path = self.path.format(epoch=epoch, **{k: v for k, v in logs.items() if k != "epoch"})
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            save(self.model.state_dict(), path)
        else:
            save(self.state.checkpoint(), path)  # includes this callback's updated best
        self.last_saved = path
        if self.verbose:
            print(f"epoch {epoch}: saved checkpoint {path}")

    def state_dict(self):
        return {"best": self.best}

    def load_state_dict(self, state):
        self.best = state.get("best")


class LambdaCallback(Callback):
    """A callback from plain functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``."""

    def __init__(self, on_train_begin=None, on_epoch_begin=None, on_batch_end=None,
                 on_epoch_end=None, on_train_end=None):
        for name, fn in (("on_train_begin", on_train_begin), ("on_epoch_begin", on_epoch_begin),
                         ("on_batch_end", on_batch_end), ("on_epoch_end", on_epoch_end),
                         ("on_train_end", on_train_end)):
            if fn is not None:
                setattr(self, name, fn)
