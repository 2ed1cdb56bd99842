"""Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and weight
decay (``torch.optim.SGD``). One fused ``_C.sgd_step`` launch per parameter per step."""
from __future__ import annotations

from .. import _C
from .optimizer import Optimizer, _check_non_negative_options, _group_flags, _group_floats, _state_zeros

__all__ = ["SGD"]


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 *, maximize=False):
        _check_non_negative_options(lr=lr, momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _step_group(self, group):
        lr, momentum, dampening, weight_decay = _group_floats(group, "lr", "momentum", "dampening",
                                                              "weight_decay")
        nesterov, maximize = _group_flags(group, "nesterov", "maximize")
        for p, g in self._params_with_grad(group):
            buf, first = None, False
            if momentum != 0:
                buf, first = _state_zeros(self.state[p], "momentum_buffer", p)
            _C.sgd_step(p, g, buf, lr, momentum, dampening, nesterov, weight_decay, maximize, first)
