"""The training loop: ``train_one_epoch``, ``evaluate`` and ``fit`` built from them.

A batch from the loader is ``(inputs, targets, ...)`` (extra fields are ignored); the model is
called as ``model(inputs)`` and the loss as ``loss_fn(outputs, targets)``, which returns a scalar
tensor (the batch mean, as torch's losses with ``reduction="mean"``). Metrics are names
(``"accuracy"``: argmax over dim 1 of the outputs, or ``outputs > 0`` for one output per sample)
or functions ``f(outputs, targets) -> float`` (the batch mean); they are averaged over samples.

Batches or models of another shape (sequence models with a recurrent state carried from batch to
batch, batches drawn on the fly) give a ``batch_loss(model, batch, state) -> (loss, n, state)``
instead: ``loss`` is the batch's mean loss, ``n`` what it is a mean over (it weights the epoch's
mean), ``state`` the state the next batch starts from. The loop detaches that state from the
finished batch's graph before passing it on (truncated backpropagation through time); each epoch
starts from None, and a model without state returns None.
"""
from __future__ import annotations

import math
import sys
import time

from .. import _C
from ..autograd import no_grad
from ..nn.utils import clip_grad_norm_
from ._common import NonFiniteLossError
from .callbacks import TrainState
from .checkpoint import resume
from .history import History
from .progress import ProgressBar

__all__ = ["fit", "train_one_epoch", "evaluate", "to_device", "accuracy", "NonFiniteLossError"]


def _map_tensors(fn, obj):
    """``obj`` (a tensor, or tuples, lists, named tuples and dicts of them) with ``fn`` applied to
    every tensor in it; anything else is kept as it is."""
    if isinstance(obj, _C.Tensor):
        return fn(obj)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(_map_tensors(fn, b) for b in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(_map_tensors(fn, b) for b in obj)
    if isinstance(obj, dict):
        return {k: _map_tensors(fn, v) for k, v in obj.items()}
    return obj


def to_device(batch, device):
    """Move every tensor in a (nested) batch to ``device``."""
    if device is None:
        return batch
    return _map_tensors(lambda t: t.to(device), batch)


def _detached(state):
    """A recurrent state (a tensor, or a nest of them; None) cut from the graph that made it."""
    return _map_tensors(lambda t: t.detach(), state)


def _unpack(batch):
    if isinstance(batch, (tuple, list)) and len(batch) >= 2:
        return batch[0], batch[1]
    if isinstance(batch, dict) and "input" in batch and "target" in batch:
        return batch["input"], batch["target"]
    raise TypeError("fit: a batch must be (inputs, targets, ...) or {'input': ..., 'target': ...}, "
                    f"got {type(batch).__name__}")


def _batch_size(x):
    if isinstance(x, _C.Tensor):
        return x.shape[0] if x.dim() else 1
    if isinstance(x, (tuple, list)) and x:
        return _batch_size(x[0])
    if isinstance(x, dict) and x:
        return _batch_size(next(iter(x.values())))
    return 1


def accuracy(outputs, targets) -> float:
    """Fraction of correct predictions: argmax over dim 1 for (N, C) outputs (C > 1), ``> 0`` for
    one logit per sample ((N,) or (N, 1)); targets are class indices (or 0/1 labels)."""
    n = outputs.shape[0]
    if n == 0:
        return 0.0
    if outputs.dim() >= 2 and outputs.shape[1] > 1:
        pred = outputs.argmax(1)
    else:
        pred = (outputs.reshape(n) > 0).long()
        targets = targets.reshape(n)
        if targets.dtype.is_floating_point:
            targets = (targets > 0.5).long()
    return (pred == targets).sum().item() / n


_METRICS = {"accuracy": accuracy, "acc": accuracy}


def _metric_fns(metrics):
    out = []
    for m in metrics or ():
        if isinstance(m, str):
            if m not in _METRICS:
                raise ValueError(f"fit: unknown metric {m!r}; known: {sorted(_METRICS)} or a function "
                                 "f(outputs, targets) -> float")
            out.append(("accuracy" if m == "acc" else m, _METRICS[m]))
        elif callable(m):
            out.append((getattr(m, "__name__", "metric"), m))
        else:
            raise TypeError(f"fit: a metric must be a name or a function, got {type(m).__name__}")
    return out


def _current_lr(optimizer):
    try:
        return float(optimizer.param_groups[0]["lr"])
    except (AttributeError, IndexError, KeyError, TypeError):
        return None


def _fmt_rate(x):
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}"


def _check_batch_loss(batch_loss, fns, who):
    if batch_loss is not None and fns:
        raise ValueError(f"{who}: metrics are computed from model(inputs) and the targets, which a "
                         "batch_loss does not give: pass metrics=() with it")


def _forward(model, loss_fn, batch, batch_loss, state):
    """One batch through the model: (loss, n, outputs, targets, state); outputs and targets are
    None with a ``batch_loss``, the state is None without one."""
    if batch_loss is not None:
        loss, n, state = batch_loss(model, batch, _detached(state))
        return loss, n, None, None, state
    inputs, targets = _unpack(batch)
    outputs = model(inputs)
    loss = loss_fn(outputs, targets) if loss_fn is not None else None
    return loss, _batch_size(targets), outputs, targets, None


def _len(loader):
    try:
        return len(loader)
    except TypeError:
        return None


def train_one_epoch(model, loss_fn, optimizer, loader, *, device=None, scheduler=None,
                    metrics=("accuracy",), epoch=1, epochs=None, progress=None, callbacks=(),
                    clip_grad_norm=None, batch_loss=None, file=None) -> dict:
    """One pass over ``loader`` in train mode: forward, loss, backward, ``optimizer.step()``.

    ``scheduler`` (optional) is stepped after every batch (per-batch schedules such as OneCycleLR;
    per-epoch schedulers belong to ``fit``). ``clip_grad_norm`` clips the global gradient norm
    before every step. ``progress``: None = a bar when stdout is a terminal, True/False force it
    on/off; ``epochs`` (the run's total, optional) is shown in it. ``batch_loss(model, batch,
    state) -> (loss, n, state)`` replaces ``loss_fn(model(inputs), targets)`` (see the module's
    docstring: truncated backpropagation through time, batches of another shape); pass
    ``metrics=()`` with it.

    Returns ``{"loss", <metric names>, "samples", "time", "samples_per_s"}`` (means over samples;
    ``samples`` is the sum of the batches' ``n``).
    Raises :class:`NonFiniteLossError` (a RuntimeError) naming the epoch and step as soon as a
    loss is nan or inf, before the optimizer applies that step.
    """
    fns = _metric_fns(metrics)
    _check_batch_loss(batch_loss, fns, "train_one_epoch")
    model.train()
    total = _len(loader)
    bar = ProgressBar(total, desc=f"epoch {epoch}" + (f"/{epochs}" if epochs else ""), file=file,
                      bar=progress)
    loss_sum, count = 0.0, 0
    metric_sums = {name: 0.0 for name, _ in fns}
    start = time.perf_counter()
    step, state = 0, None
    try:
        for step, batch in enumerate(loader, 1):
            loss, n, outputs, targets, state = _forward(model, loss_fn, to_device(batch, device),
                                                        batch_loss, state)
            value = float(loss.item())
            if not math.isfinite(value):
                raise NonFiniteLossError(
                    f"fit: the loss is {value} at epoch {epoch}, step {step}"
                    f"{'/' + str(total) if total else ''}; training stopped before applying this step "
                    "(checkpoints already written are left intact)", epoch=epoch, step=step)
            optimizer.zero_grad()
            loss.backward()
            if clip_grad_norm is not None:
                clip_grad_norm_(model.parameters(), clip_grad_norm)
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            loss_sum += value * n
            count += n
            if fns:
                with no_grad():
                    out_d = outputs.detach()
                    for name, fn in fns:
                        metric_sums[name] += float(fn(out_d, targets)) * n
            elapsed = time.perf_counter() - start
            bar.update(1, loss=f"{loss_sum / count:.4f}", samples_s=_fmt_rate(count / max(elapsed, 1e-9)))
            for cb in callbacks:
                cb.on_batch_end(step, {"loss": value, "batch_size": n, "epoch": epoch})
    finally:
        bar.close()
    return _logs(loss_sum, metric_sums, count, time.perf_counter() - start, with_loss=True)


def _logs(loss_sum, metric_sums, count, elapsed, with_loss):
    logs = {"loss": loss_sum / count if count else float("nan")} if with_loss else {}
    for name, total in metric_sums.items():
        logs[name] = total / count if count else float("nan")
    logs.update(samples=count, time=elapsed, samples_per_s=count / elapsed if elapsed > 0 else float("nan"))
    return logs


def evaluate(model, loss_fn, loader, *, device=None, metrics=("accuracy",), progress=False,
             batch_loss=None, file=None) -> dict:
    """Mean loss and metrics over ``loader`` in eval mode, without gradients (the model's
    train/eval mode is restored afterwards). ``loss_fn=None`` skips the loss. ``batch_loss``:
    as in :func:`train_one_epoch` (the state is carried through the whole pass).
    Returns ``{"loss", <metric names>, "samples", "time", "samples_per_s"}``."""
    fns = _metric_fns(metrics)
    _check_batch_loss(batch_loss, fns, "evaluate")
    with_loss = loss_fn is not None or batch_loss is not None
    was_training = getattr(model, "training", True)
    model.eval()
    loss_sum, count, state = 0.0, 0, None
    metric_sums = {name: 0.0 for name, _ in fns}
    start = time.perf_counter()
    bar = ProgressBar(_len(loader), desc="eval", file=file, bar=progress)
    try:
        with no_grad():
            for batch in loader:
                loss, n, outputs, targets, state = _forward(model, loss_fn, to_device(batch, device),
                                                            batch_loss, state)
                if loss is not None:
                    loss_sum += float(loss.item()) * n
                for name, fn in fns:
                    metric_sums[name] += float(fn(outputs, targets)) * n
                count += n
                bar.update(1)
    finally:
        bar.close()
        model.train(was_training)
    return _logs(loss_sum, metric_sums, count, time.perf_counter() - start, with_loss)


def _step_scheduler(scheduler, record):
    if type(scheduler).__name__ == "ReduceLROnPlateau":
        value = record.get("val_loss")
        scheduler.step(value if value is not None else record["loss"])
    else:
        scheduler.step()


def _summary(record, epochs):
    parts = [f"epoch {record['epoch']}/{epochs}"]
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        if record.get(key) is not None:
            parts.append(f"{key} {record[key]:.4f}")
    for key, val in record.items():
        if key not in ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr",
                       "samples_per_s", "time") and isinstance(val, float):
            parts.append(f"{key} {val:.4f}")
    if record.get("lr") is not None:
        parts.append(f"lr {record['lr']:.3g}")
    parts.append(f"{_fmt_rate(record['samples_per_s'])} samples/s")
    parts.append(f"{record['time']:.1f} s")
    return "  ".join(parts)


def fit(model, loss_fn, optimizer, train_loader, val_loader=None, epochs=1, scheduler=None,
        callbacks=(), device=None, metrics=("accuracy",), *, scheduler_interval="epoch",
        verbose=1, initial_epoch=0, history=None, resume_from=None, clip_grad_norm=None,
        batch_loss=None, file=None, config=None) -> History:
    """Train ``model`` for ``epochs`` epochs (in total: a resumed run continues up to ``epochs``).

    Each epoch: :func:`train_one_epoch`, then :func:`evaluate` on ``val_loader`` (logged as
    ``val_loss``, ``val_accuracy`` ...), then ``scheduler.step()`` (``scheduler_interval="epoch"``;
    ``"batch"`` steps it after every batch instead; ReduceLROnPlateau gets ``val_loss``, or
    ``loss`` without validation), then the callbacks' ``on_epoch_end``.

    ``device`` moves the model and every batch there. ``verbose``: 0 silent, 1 a progress bar
    (only when stdout is a terminal) and a line per epoch, 2 the lines only.
    ``resume_from=path`` loads a checkpoint written by ModelCheckpoint / ``save_checkpoint`` into
    model, optimizer, scheduler, loader, callbacks and the random state, and continues from its
    epoch (a checkpoint that does not fit them raises ValueError before anything changes).
    ``config``: a dict of the options that define this run (job name, model, optimizer,
    schedule); ModelCheckpoint records it in every checkpoint, and ``resume_from`` refuses a
    checkpoint whose recorded config differs. ``clip_grad_norm`` and ``batch_loss``: as in
    :func:`train_one_epoch` (``batch_loss`` serves the validation too). Returns the
    :class:`History` (train loss and metrics, val_*, lr at the start of the epoch, samples_per_s
    of training, time of the whole epoch).

    Raises :class:`NonFiniteLossError` (a RuntimeError naming the epoch and step) when a loss
    becomes nan or inf; nothing is saved after that, so the last checkpoint stays the good one.
    """
    if scheduler_interval not in ("epoch", "batch"):
        raise ValueError(f"fit: scheduler_interval must be 'epoch' or 'batch', got {scheduler_interval!r}")
    callbacks = list(callbacks or ())
    out = file if file is not None else sys.stdout
    if device is not None and hasattr(model, "to"):
        model.to(device)
    history = history if history is not None else History()
    if resume_from is not None:
        ckpt = resume(resume_from, model, optimizer, scheduler, train_loader, callbacks, history,
                      config=config, log=(lambda line: print(line, file=out)) if verbose else None)
        initial_epoch = int(ckpt["epoch"])
    state = TrainState(model, optimizer, scheduler, history, train_loader, callbacks, epochs, config)
    state.epoch = initial_epoch
    for cb in callbacks:
        cb.set_state(state)
    for cb in callbacks:
        cb.on_train_begin({})
    batch_sched = scheduler if scheduler_interval == "batch" else None
    for epoch in range(initial_epoch + 1, epochs + 1):
        for cb in callbacks:
            cb.on_epoch_begin(epoch, {})
        t0 = time.perf_counter()
        lr = _current_lr(optimizer)
        logs = train_one_epoch(model, loss_fn, optimizer, train_loader, device=device,
                               scheduler=batch_sched, metrics=metrics, epoch=epoch, epochs=epochs,
                               progress=None if verbose == 1 else False, callbacks=callbacks,
                               clip_grad_norm=clip_grad_norm, batch_loss=batch_loss, file=file)
        record = {"epoch": epoch}
        record.update({k: v for k, v in logs.items() if k not in ("samples", "time")})
        if val_loader is not None:
            val = evaluate(model, loss_fn, val_loader, device=device, metrics=metrics,
                           batch_loss=batch_loss)
            record.update({"val_" + k: v for k, v in val.items()
                           if k not in ("samples", "time", "samples_per_s")})
        if scheduler is not None and scheduler_interval == "epoch":
            _step_scheduler(scheduler, record)
        record["lr"] = lr
        record["time"] = time.perf_counter() - t0
        history.append(record)
        state.epoch = epoch
        if verbose:
            print(_summary(record, epochs), file=out, flush=True)
        for cb in callbacks:
            cb.on_epoch_end(epoch, record)
        if state.stop_training:
            if verbose and state.stop_reason:
                print(state.stop_reason, file=out)
            break
    for cb in callbacks:
        cb.on_train_end({"epoch": state.epoch})
    return history
