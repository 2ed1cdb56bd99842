"""Adam and AdamW (``torch.optim.Adam`` / ``torch.optim.AdamW``), with optional AMSGrad. One fused
``_C.adam_step`` launch per parameter per step; AdamW is Adam with decoupled weight decay."""
from __future__ import annotations

from .. import _C
from .optimizer import Optimizer, _check_betas, _check_non_negative_options, _group_flags
from .optimizer import _group_floats, _next_step, _state_zeros, _zeros_like

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False, decoupled_weight_decay=False):
        _check_non_negative_options(lr=lr, eps=eps)
        betas = _check_betas(betas)
        _check_non_negative_options(weight_decay=weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _step_group(self, group):
        lr = float(group["lr"])
        beta1, beta2 = (float(b) for b in group["betas"])
        eps, weight_decay = _group_floats(group, "eps", "weight_decay")
        amsgrad, maximize, decoupled = _group_flags(group, "amsgrad", "maximize",
                                                    "decoupled_weight_decay")
        for p, g in self._params_with_grad(group):
            state = self.state[p]
            if len(state) == 0:
                state["step"] = 0.0
                state["exp_avg"] = _zeros_like(p)
                state["exp_avg_sq"] = _zeros_like(p)
            vmax = _state_zeros(state, "max_exp_avg_sq", p)[0] if amsgrad else None
            step = _next_step(state)
            _C.adam_step(p, g, state["exp_avg"], state["exp_avg_sq"], vmax, int(step), lr,
                         beta1, beta2, eps, weight_decay, amsgrad, decoupled, maximize)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): ``p *= 1 - lr * weight_decay``
    before the Adam update, instead of adding ``weight_decay * p`` to the gradient."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize, decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
