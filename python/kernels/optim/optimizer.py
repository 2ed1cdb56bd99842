"""The Optimizer base class: parameter groups, per-parameter state, zero_grad and state_dict.

Mirrors ``torch.optim.Optimizer``. Subclasses set their defaults and implement ``_step_group``,
which calls one fused ``_C.<name>_step`` kernel per parameter (in place on the parameter and its
state); ``step`` evaluates the closure and walks the groups.
"""
from __future__ import annotations

from collections import defaultdict
from itertools import chain

from .. import _C
from .._args import check_non_negative
from ..autograd import enable_grad

Tensor = _C.Tensor

__all__ = ["Optimizer"]


class _RequiredParameter:
    """Singleton marking a hyper-parameter that every param group must give."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _zeros_like(p):
    return _C.full(list(p.shape), 0.0, p.dtype, p.device)


def _check_non_negative_options(**options):
    """ValueError "Invalid <what>: <value>" (torch's wording: "learning rate" for lr, "epsilon
    value" for eps, "<name> value" for the others) for the first option, in the order given, that
    is negative or NaN."""
    for name, value in options.items():
        what = {"lr": "learning rate", "eps": "epsilon value"}.get(name, f"{name} value")
        check_non_negative(value, what)


def _check_betas(betas):
    """``betas`` as a pair of floats, each in [0, 1): ValueError "Invalid beta parameter at index
    <i>: <value>" (torch's message) otherwise."""
    betas = tuple(betas)
    if len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas}")
    for i, b in enumerate(betas):
        if not 0.0 <= b < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {b}")
    return float(betas[0]), float(betas[1])


def _group_floats(group, *names):
    """The group's options ``names`` as Python floats, in that order."""
    return tuple(float(group[name]) for name in names)


def _group_flags(group, *names):
    """The group's options ``names`` as Python bools, in that order."""
    return tuple(bool(group[name]) for name in names)


def _state_zeros(state, key, p):
    """``state[key]``, made a zero tensor like ``p`` when it is missing (or None); returns
    (tensor, whether it was made now)."""
    buf = state.get(key)
    if buf is not None:
        return buf, False
    buf = state[key] = _zeros_like(p)
    return buf, True


def _next_step(state):
    """Count one more step in ``state["step"]`` (a float, as torch keeps it); returns the count."""
    state["step"] = step = float(state["step"]) + 1
    return step


# State entries that torch keeps as 0-d tensors and we keep as Python floats.
_SCALAR_STATE = ("step", "mu_product")


def _copy_state_value(value, param=None, key=None):
    """A copy of one state entry, moved to ``param``'s device (and dtype, for floating state
    other than ``step``) as torch does when loading."""
    if isinstance(value, Tensor):
        t = value._raw()
        src = t
        if param is not None:
            if t.device != param.device:
                t = _C.to_device(t, param.device)
            if key != "step" and t.dtype.is_floating_point and t.dtype != param.dtype:
                t = _C.to_dtype(t, param.dtype)
        return _C.clone(t) if t is src or t._same_storage(src) else t
    if isinstance(value, dict):
        return {k: _copy_state_value(v, param, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_copy_state_value(v, param, key) for v in value)
    if key in _SCALAR_STATE and hasattr(value, "item"):  # a 0-d tensor of another library
        return float(value.item())
    return value


class Optimizer:
    """Base class of all optimizers.

    Args:
        params: an iterable of Tensors, or of dicts defining parameter groups (each with a
            ``"params"`` entry and any per-group options overriding ``defaults``).
        defaults: the default hyper-parameters of every group.
    """

    def __init__(self, params, defaults: dict):
        self.defaults = defaults
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict] = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {type(params).__name__}"
            )
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ groups

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters (a dict with ``"params"`` and optional per-group options)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}"
                )
            if p.grad_fn is not None:
                raise ValueError("can't optimize a non-leaf Tensor")
            if not p.dtype.is_floating_point:
                raise TypeError(
                    f"{type(self).__name__}: can only optimize float32 or float64 tensors, got a "
                    f"{p.dtype} parameter of shape {tuple(p.shape)}"
                )
        group = dict(param_group)
        group["params"] = params
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(
                    f"parameter group didn't specify a value of required optimization parameter {name}"
                )
            group.setdefault(name, default)
        seen = set()
        for p in params:
            if id(p) in seen:
                raise ValueError(
                    f"{type(self).__name__}: a parameter of shape {tuple(p.shape)} appears twice in "
                    "one parameter group"
                )
            seen.add(id(p))
        for other in self.param_groups:
            if any(id(p) in seen for p in other["params"]):
                raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    # ------------------------------------------------------------------ gradients

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters: to None (default), or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if g.grad_fn is not None:
                        p.grad = g = g._raw()
                    g.zero_()

    def _params_with_grad(self, group):
        """(param, grad) for every parameter of the group that has a gradient, after checking that
        the gradient matches the parameter."""
        out = []
        for p in group["params"]:
            g = p.grad
            if g is None:
                continue
            if g.shape != p.shape or g.device != p.device or g.dtype != p.dtype:
                raise RuntimeError(
                    f"{type(self).__name__}: the gradient of a parameter of shape {tuple(p.shape)} "
                    f"({p.dtype} on {p.device}) has shape {tuple(g.shape)} ({g.dtype} on "
                    f"{g.device}); they must match"
                )
            out.append((p, g))
        return out

    def step(self, closure=None):
        """Perform one optimization step. ``closure`` re-evaluates the model and returns the loss."""
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            self._step_group(group)
        return loss

    def _step_group(self, group):
        """Update the parameters of one group that have a gradient (see ``_params_with_grad``)."""
        raise NotImplementedError

    def _eval_closure(self, closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # ------------------------------------------------------------------ state dict

    def state_dict(self) -> dict:
        """The optimizer's state in torch's layout: ``{"state": {index: {...}}, "param_groups":
        [{..., "params": [indices]}]}``; parameters are numbered in group order, and the state
        tensors are copies, so the dict does not change when training goes on."""
        index_of = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            ids = []
            for p in group["params"]:
                if id(p) not in index_of:
                    index_of[id(p)] = len(index_of)
                ids.append(index_of[id(p)])
            packed["params"] = ids
            groups.append(packed)
        state = {}
        for p, s in self.state.items():
            key = index_of[id(p)] if isinstance(p, Tensor) else p
            state[key] = {k: _copy_state_value(v) for k, v in s.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Load a state produced by ``state_dict`` (the tensors are copied, and moved to each
        parameter's device and dtype)."""
        groups = self.param_groups
        saved_groups = state_dict["param_groups"]
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of "
                "optimizer's group"
            )
        id_map = dict(
            zip(
                chain.from_iterable(g["params"] for g in saved_groups),
                chain.from_iterable(g["params"] for g in groups),
            )
        )
        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                p = id_map[k]
                state[p] = {key: _copy_state_value(val, p, key) for key, val in v.items()}
            else:
                state[k] = _copy_state_value(v)
        new_groups = []
        for group, saved in zip(groups, saved_groups):
            new = {k: v for k, v in saved.items() if k != "params"}
            new["params"] = group["params"]
            new_groups.append(new)
        self.state = state
        self.param_groups = new_groups

    # ------------------------------------------------------------------ misc

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
