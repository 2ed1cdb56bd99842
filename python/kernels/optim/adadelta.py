"""Adadelta (``torch.optim.Adadelta``, Zeiler 2012): steps scaled by the ratio of the running RMS
of past updates to that of the gradients. One fused ``_C.adadelta_step`` launch per parameter per
step."""
from __future__ import annotations

from .. import _C
from .optimizer import Optimizer, _check_non_negative_options, _group_flags, _group_floats
from .optimizer import _next_step, _zeros_like

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False):
        _check_non_negative_options(lr=lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_non_negative_options(eps=eps, weight_decay=weight_decay)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _step_group(self, group):
        lr, rho, eps, weight_decay = _group_floats(group, "lr", "rho", "eps", "weight_decay")
        (maximize,) = _group_flags(group, "maximize")
        for p, g in self._params_with_grad(group):
            state = self.state[p]
            if len(state) == 0:
                state["step"] = 0.0
                state["square_avg"] = _zeros_like(p)
                state["acc_delta"] = _zeros_like(p)
            _next_step(state)
            _C.adadelta_step(p, g, state["square_avg"], state["acc_delta"], lr, rho, eps,
                             weight_decay, maximize)
