"""Whole-training-state checkpoints: resume exactly where training stopped.

A training checkpoint (one ``.npz`` written atomically by ``kernels.save``) holds the model's,
optimizer's and scheduler's ``state_dict()``, the number of completed epochs, the global random
generator's state (``kernels.get_rng_state()``), the train DataLoader's own shuffle stream when
it has one, the History and the callbacks' state (EarlyStopping's patience counter...), the class
names of model, optimizer and scheduler, and optionally a ``config``: the options that define the
run (job name, model, optimizer, schedule). Loading it into freshly built objects and calling
``fit(..., resume_from=path)`` continues bit for bit as if training had never stopped.

:func:`load_checkpoint` first checks that the checkpoint fits the objects it is loaded into
(model keys and shapes, optimizer and scheduler kinds, parameter groups, and the ``config`` when
one is given) and refuses a mismatch with one ValueError listing every difference, before it
changes anything. :func:`resume` is that load as a run continuing (``fit(resume_from=...)``, and
every ``kernels-train`` job's ``--resume``) does it.
"""
from __future__ import annotations

import os

from .. import random as _random
from ..serialization import load, save

__all__ = ["save_checkpoint", "load_checkpoint", "resume", "training_state", "checkpoint_mismatches"]

_KIND = "kernels.train.checkpoint"
_SHOW = 4  # items listed per kind of mismatch


def _state(obj):
    return obj.state_dict() if obj is not None and hasattr(obj, "state_dict") else None


def _class(obj):
    return type(obj).__name__ if obj is not None else None


def training_state(model, optimizer=None, scheduler=None, epoch=0, history=None, train_loader=None,
                   callbacks=(), extra=None, config=None) -> dict:
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
        "classes": {"model": _class(model), "optimizer": _class(optimizer),
                    "scheduler": _class(scheduler)},
        "config": dict(config) if config is not None else None,
    }


def save_checkpoint(path, model, optimizer=None, scheduler=None, epoch=0, history=None,
                    train_loader=None, callbacks=(), extra=None, config=None) -> None:
    """Write the training state to ``path`` (atomic: an old file there survives a crash).
    ``config``: a dict of the options that define the run, checked on resume (see
    :func:`load_checkpoint`)."""
    save(training_state(model, optimizer, scheduler, epoch, history, train_loader, callbacks, extra,
                        config), path)


def _fmt(v):
    if v is _MISSING:
        return "not set"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, (list, tuple)):
        return " ".join(_fmt(x) for x in v)
    return repr(v) if isinstance(v, str) else str(v)


def _listed(keys):
    keys = sorted(keys, key=str)
    text = ", ".join(repr(k) for k in keys[:_SHOW])
    return text + (f" (+{len(keys) - _SHOW} more)" if len(keys) > _SHOW else "")


def _shape(v):
    shape = getattr(v, "shape", None)
    return tuple(int(s) for s in shape) if shape is not None else None


_MISSING = object()


def _model_mismatches(saved, model):
    if not isinstance(saved, dict):
        return ["the model state is not a dict"]
    now = model.state_dict()
    out = []
    missing = [k for k in now if k not in saved]
    unexpected = [k for k in saved if k not in now]
    if missing:
        out.append(f"model: the checkpoint lacks {_listed(missing)}")
    if unexpected:
        out.append(f"model: the checkpoint has {_listed(unexpected)}, which this model does not")
    shapes = [f"{k!r} {_shape(saved[k])} vs {_shape(v)}" for k, v in now.items()
              if k in saved and _shape(saved[k]) != _shape(v)]
    if shapes:
        more = f" (+{len(shapes) - _SHOW} more)" if len(shapes) > _SHOW else ""
        out.append(f"model shapes (checkpoint vs now): {', '.join(shapes[:_SHOW])}{more}")
    return out


def _optimizer_mismatches(saved, optimizer, same_class):
    if not isinstance(saved, dict) or not isinstance(saved.get("param_groups"), list) \
            or not isinstance(saved.get("state"), dict) \
            or not all(isinstance(g, dict) and isinstance(g.get("params"), list) for g in saved["param_groups"]):
        return ["the optimizer state is malformed"]
    groups, saved_groups = optimizer.param_groups, saved["param_groups"]
    sizes = [len(g["params"]) for g in groups]
    saved_sizes = [len(g["params"]) for g in saved_groups]
    if sizes != saved_sizes:
        return [f"optimizer parameter groups: sizes {saved_sizes} in the checkpoint, {sizes} now"]
    out = []
    if same_class:  # with the class recorded and different, this would only repeat it
        # the hyperparameters this optimizer's step reads (schedulers add keys of their own, so
        # only this direction tells another kind of optimizer apart)
        needed = set(getattr(optimizer, "defaults", None) or ())
        for i, s in enumerate(saved_groups):
            lacking = needed - set(s)
            if lacking:
                out.append(f"optimizer: the checkpoint's parameter group {i} lacks {_listed(lacking)}, "
                           f"which {_class(optimizer)} needs (another kind of optimizer wrote it)")
    shapes = []
    for i, (g, s) in enumerate(zip(groups, saved_groups)):
        for j, (p, pid) in enumerate(zip(g["params"], s["params"])):
            st = saved["state"].get(pid) if not isinstance(pid, (list, dict)) else None
            for name, v in (st.items() if isinstance(st, dict) else ()):
                shape = _shape(v)
                if shape and shape != _shape(p):
                    shapes.append(f"group {i} parameter {j} {name!r} {shape} vs {_shape(p)}")
    if shapes:
        more = f" (+{len(shapes) - _SHOW} more)" if len(shapes) > _SHOW else ""
        out.append(f"optimizer state shapes (checkpoint vs parameter): {', '.join(shapes[:_SHOW])}{more}")
    return out


def checkpoint_mismatches(ckpt, model, optimizer=None, scheduler=None, config=None) -> list:
    """Why the training checkpoint dict ``ckpt`` cannot be loaded into these objects: a list of
    one-line descriptions, empty when it fits.

    Always checked: the model's state_dict keys and shapes, the optimizer's and scheduler's class
    (as recorded), parameter groups and state shapes. With ``config`` (the run's defining
    options), the checkpoint's recorded config must equal it, and a checkpoint with optimizer or
    scheduler state must be loaded with one (and the other way round): resuming a scheduled run
    without its schedule would silently train with other learning rates."""
    saved = ckpt.get("config")
    if config is not None and saved is not None:
        if not isinstance(saved, dict):
            return ["its recorded configuration is malformed"]
        if saved.get("job", _MISSING) != config.get("job", _MISSING):  # another job: nothing else matters
            return [f"job: {_fmt(saved.get('job', _MISSING))} in the checkpoint, "
                    f"{_fmt(config.get('job', _MISSING))} now"]
        # options present on one side only follow from others (e.g. the schedule's length only
        # counts for a one-cycle schedule): list them only when nothing both record differs
        both = [k for k in sorted(set(saved) & set(config), key=str) if saved[k] != config[k]]
        one = sorted(set(saved) ^ set(config), key=str)
        diffs = [f"{k}: {_fmt(saved.get(k, _MISSING))} in the checkpoint, {_fmt(config.get(k, _MISSING))} now"
                 for k in (both or one)]
        if diffs:  # a different run: its state differs everywhere, and these options say why
            return diffs
    out = []
    classes = ckpt.get("classes") if isinstance(ckpt.get("classes"), dict) else {}
    same = {}
    for role, obj in (("model", model), ("optimizer", optimizer), ("scheduler", scheduler)):
        saved_state = ckpt.get(role)
        was = classes.get(role)
        if config is not None and role != "model" and (saved_state is None) != (obj is None):
            out.append(f"{role}: {was or ('saved state' if saved_state is not None else 'none')} in the "
                       f"checkpoint, {_class(obj) or 'none'} now")
        same[role] = was is None or obj is None or was == _class(obj)
        if not same[role]:
            out.append(f"{role}: {was} in the checkpoint, {_class(obj)} now")
    out += _model_mismatches(ckpt.get("model"), model)
    if optimizer is not None and ckpt.get("optimizer") is not None and same["optimizer"]:
        out += _optimizer_mismatches(ckpt["optimizer"], optimizer, same["optimizer"])
    if scheduler is not None and ckpt.get("scheduler") is not None and same["scheduler"]:
        saved = ckpt["scheduler"]
        now = set(scheduler.state_dict())
        if not isinstance(saved, dict):
            out.append("the scheduler state is malformed")
        elif set(saved) != now:
            out.append(f"scheduler state: {_listed(set(saved) - now)} only in the checkpoint, "
                       f"{_listed(now - set(saved))} only now (a different kind of schedule)")
    return out


def load_checkpoint(path, model, optimizer=None, scheduler=None, train_loader=None, callbacks=(),
                    history=None, map_location=None, restore_rng=True, config=None) -> dict:
    """Load a checkpoint from :func:`save_checkpoint` into the given objects (those that are not
    None) and restore the global random state; returns the checkpoint dict (``["epoch"]`` is the
    number of completed epochs, ``["extra"]`` what was passed as ``extra``).

    Before anything is changed, the checkpoint must fit (see :func:`checkpoint_mismatches`;
    ``config`` is the run's defining options, compared with the ones the checkpoint recorded):
    otherwise one ValueError names the file and every mismatching item."""
    ckpt = load(path, map_location=map_location)
    if not isinstance(ckpt, dict) or ckpt.get("kind") != _KIND:
        raise ValueError(f"load_checkpoint: {path} is a kernels file but not a training checkpoint "
                         "(written by kernels.save, not kernels.train.save_checkpoint)")
    problems = checkpoint_mismatches(ckpt, model, optimizer, scheduler, config)
    if optimizer is not None and ckpt.get("optimizer") is None and config is None:
        problems.append("it holds no optimizer state")
    if scheduler is not None and ckpt.get("scheduler") is None and config is None:
        problems.append("it holds no scheduler state")
    if problems:
        raise ValueError(f"load_checkpoint: {path} does not match this run: " + "; ".join(problems))
    try:
        model.load_state_dict(ckpt["model"])
        if optimizer is not None:
            optimizer.load_state_dict(ckpt["optimizer"])
        if scheduler is not None:
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
    except (KeyError, TypeError, ValueError, RuntimeError, IndexError, AttributeError) as e:
        raise ValueError(f"load_checkpoint: {path} could not be restored: {type(e).__name__}: "
                         f"{' '.join(str(e).split())}") from None
    return ckpt


def resume(path, model, optimizer=None, scheduler=None, train_loader=None, callbacks=(), history=None,
           *, config=None, missing_ok=False, log=None):
    """Continue the run checkpointed at ``path``: :func:`load_checkpoint` into the objects given
    (it refuses, before changing anything, a checkpoint of another run: another ``config``, model,
    optimizer or schedule) and return the checkpoint dict (``["epoch"]``: the epochs it completed).

    ``missing_ok=True``: no file at ``path`` yet is a run starting from scratch, and returns None.
    ``log(line)`` (optional) is told which of the two happened."""
    if missing_ok and not os.path.exists(path):
        if log is not None:
            log(f"no checkpoint at {path} yet: starting from scratch")
        return None
    ckpt = load_checkpoint(path, model, optimizer, scheduler, train_loader, callbacks, history=history,
                           config=config)
    if log is not None:
        log(f"resumed from {path} after epoch {int(ckpt['epoch'])}")
    return ckpt
