"""RAdam (``torch.optim.RAdam``, Liu et al. 2019): Adam whose adaptive step is switched on, and
scaled by a variance rectification term, once the approximated SMA length exceeds 5; optionally
decoupled weight decay (RAdamW). One fused ``_C.radam_step`` launch per parameter per step."""
from __future__ import annotations

from .. import _C
from .optimizer import Optimizer, _check_betas, _check_non_negative_options, _group_flags
from .optimizer import _group_floats, _next_step, _zeros_like

__all__ = ["RAdam"]


class RAdam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, maximize=False):
        _check_non_negative_options(lr=lr, eps=eps)
        betas = _check_betas(betas)
        _check_non_negative_options(weight_decay=weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _step_group(self, group):
        lr, eps, weight_decay = _group_floats(group, "lr", "eps", "weight_decay")
        beta1, beta2 = (float(b) for b in group["betas"])
        decoupled, maximize = _group_flags(group, "decoupled_weight_decay", "maximize")
        for p, g in self._params_with_grad(group):
            state = self.state[p]
            if len(state) == 0:
                state["step"] = 0.0
                state["exp_avg"] = _zeros_like(p)
                state["exp_avg_sq"] = _zeros_like(p)
            step = _next_step(state)
            _C.radam_step(p, g, state["exp_avg"], state["exp_avg_sq"], int(step), lr, beta1, beta2,
                          eps, weight_decay, decoupled, maximize)
