"""RMSprop (``torch.optim.RMSprop``), plain or centred, with optional momentum. One fused
``_C.rmsprop_step`` launch per parameter per step."""
from __future__ import annotations

from .. import _C
from .optimizer import Optimizer, _check_non_negative_options, _group_flags, _group_floats
from .optimizer import _next_step, _state_zeros, _zeros_like

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, *, maximize=False):
        _check_non_negative_options(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay,
                                    alpha=alpha)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _step_group(self, group):
        lr, alpha, eps, weight_decay, momentum = _group_floats(group, "lr", "alpha", "eps",
                                                               "weight_decay", "momentum")
        centered, maximize = _group_flags(group, "centered", "maximize")
        for p, g in self._params_with_grad(group):
            state = self.state[p]
            if len(state) == 0:
                state["step"] = 0.0
                state["square_avg"] = _zeros_like(p)
            buf = _state_zeros(state, "momentum_buffer", p)[0] if momentum > 0 else None
            ga = _state_zeros(state, "grad_avg", p)[0] if centered else None
            _next_step(state)
            _C.rmsprop_step(p, g, state["square_avg"], buf, ga, lr, alpha, eps, weight_decay,
                            momentum, centered, maximize)
