"""NAdam (``torch.optim.NAdam``, Dozat 2016): Adam with Nesterov momentum and a momentum schedule
mu_t = beta1 (1 - 0.5 * 0.96^(t * momentum_decay)); optionally decoupled weight decay (NAdamW).
One fused ``_C.nadam_step`` launch per parameter per step; the kernel's host side computes this
step's coefficients and returns the new running product ``mu_product`` that the state keeps."""
from __future__ import annotations

from .. import _C
from .optimizer import Optimizer, _check_betas, _check_non_negative_options, _group_flags
from .optimizer import _group_floats, _next_step, _zeros_like

__all__ = ["NAdam"]


class NAdam(Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, maximize=False):
        _check_non_negative_options(lr=lr, eps=eps)
        betas = _check_betas(betas)
        _check_non_negative_options(weight_decay=weight_decay, momentum_decay=momentum_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _step_group(self, group):
        lr, eps, weight_decay, momentum_decay = _group_floats(group, "lr", "eps", "weight_decay",
                                                              "momentum_decay")
        beta1, beta2 = (float(b) for b in group["betas"])
        decoupled, maximize = _group_flags(group, "decoupled_weight_decay", "maximize")
        for p, g in self._params_with_grad(group):
            state = self.state[p]
            if len(state) == 0:
                state["step"] = 0.0
                state["mu_product"] = 1.0
                state["exp_avg"] = _zeros_like(p)
                state["exp_avg_sq"] = _zeros_like(p)
            step = _next_step(state)
            state["mu_product"] = _C.nadam_step(
                p, g, state["exp_avg"], state["exp_avg_sq"], int(step), float(state["mu_product"]),
                lr, beta1, beta2, eps, weight_decay, momentum_decay, decoupled, maximize)
