"""RMSprop (``torch.optim.RMSprop``), plain or centred, with optional momentum. One fused
``_C.rmsprop_step`` launch per parameter per step."""
from __future__ import annotations

from .. import _C
from .._args import check_non_negative
from .optimizer import Optimizer, _zeros_like

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, *, maximize=False):
        check_non_negative(lr, "learning rate")
        check_non_negative(eps, "epsilon value")
        check_non_negative(momentum, "momentum value")
        check_non_negative(weight_decay, "weight_decay value")
        check_non_negative(alpha, "alpha value")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            alpha = float(group["alpha"])
            eps = float(group["eps"])
            weight_decay = float(group["weight_decay"])
            momentum = float(group["momentum"])
            centered = bool(group["centered"])
            maximize = bool(group["maximize"])
            for p, g in self._params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0.0
                    state["square_avg"] = _zeros_like(p)
                    if momentum > 0:
                        state["momentum_buffer"] = _zeros_like(p)
                    if centered:
                        state["grad_avg"] = _zeros_like(p)
                buf = ga = None
                if momentum > 0:
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = _zeros_like(p)
                if centered:
                    ga = state.get("grad_avg")
                    if ga is None:
                        ga = state["grad_avg"] = _zeros_like(p)
                state["step"] = float(state["step"]) + 1
                _C.rmsprop_step(p, g, state["square_avg"], buf, ga, lr, alpha, eps, weight_decay,
                                momentum, centered, maximize)
        return loss
