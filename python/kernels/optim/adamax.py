"""Adamax (``torch.optim.Adamax``): Adam with the infinity norm of past gradients in place of the
second moment. One fused ``_C.adamax_step`` launch per parameter per step."""
from __future__ import annotations

from .. import _C
from .optimizer import Optimizer, _check_betas, _check_non_negative_options, _group_flags
from .optimizer import _group_floats, _next_step, _zeros_like

__all__ = ["Adamax"]


class Adamax(Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *,
                 maximize=False):
        _check_non_negative_options(lr=lr, eps=eps)
        betas = _check_betas(betas)
        _check_non_negative_options(weight_decay=weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _step_group(self, group):
        lr, eps, weight_decay = _group_floats(group, "lr", "eps", "weight_decay")
        beta1, beta2 = (float(b) for b in group["betas"])
        (maximize,) = _group_flags(group, "maximize")
        for p, g in self._params_with_grad(group):
            state = self.state[p]
            if len(state) == 0:
                state["step"] = 0.0
                state["exp_avg"] = _zeros_like(p)
                state["exp_inf"] = _zeros_like(p)
            step = _next_step(state)
            _C.adamax_step(p, g, state["exp_avg"], state["exp_inf"], int(step), lr, beta1, beta2,
                           eps, weight_decay, maximize)
