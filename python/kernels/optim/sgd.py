"""Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and weight
decay (``torch.optim.SGD``). One fused ``_C.sgd_step`` launch per parameter per step."""
from __future__ import annotations

from .. import _C
from .._args import check_non_negative
from .optimizer import Optimizer, _zeros_like

__all__ = ["SGD"]


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 *, maximize=False):
        check_non_negative(lr, "learning rate")
        check_non_negative(momentum, "momentum value")
        check_non_negative(weight_decay, "weight_decay value")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            momentum = float(group["momentum"])
            dampening = float(group["dampening"])
            weight_decay = float(group["weight_decay"])
            nesterov = bool(group["nesterov"])
            maximize = bool(group["maximize"])
            for p, g in self._params_with_grad(group):
                buf, first = None, False
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = _zeros_like(p)
                        first = True
                _C.sgd_step(p, g, buf, lr, momentum, dampening, nesterov, weight_decay, maximize,
                            first)
        return loss
