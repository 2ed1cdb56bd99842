"""Adagrad (``torch.optim.Adagrad``): per-element learning rates from the running sum of squared
gradients. One fused ``_C.adagrad_step`` launch per parameter per step."""
from __future__ import annotations

from .. import _C
from .optimizer import Optimizer, _check_non_negative_options, _group_flags, _group_floats, _next_step

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, *, maximize=False):
        _check_non_negative_options(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                    initial_accumulator_value=initial_accumulator_value, eps=eps)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, maximize=maximize)
        super().__init__(params, defaults)
        # Like torch, the state exists from the start (so state_dict lists every parameter).
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p, group):
        state = self.state[p]
        state["step"] = 0.0
        state["sum"] = _C.full(list(p.shape), float(group["initial_accumulator_value"]), p.dtype,
                               p.device)
        return state

    def _step_group(self, group):
        lr, lr_decay, weight_decay, eps = _group_floats(group, "lr", "lr_decay", "weight_decay",
                                                        "eps")
        (maximize,) = _group_flags(group, "maximize")
        for p, g in self._params_with_grad(group):
            state = self.state[p]
            if "sum" not in state:
                state = self._init_state(p, group)
            step = _next_step(state)
            _C.adagrad_step(p, g, state["sum"], int(step), lr, lr_decay, weight_decay, eps, maximize)
