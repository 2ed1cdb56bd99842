"""Optimizers and learning-rate schedulers, mirroring ``torch.optim``.

Every per-element optimizer step is one fused C++/CUDA kernel per parameter (``_C.sgd_step``,
``_C.adagrad_step``, ``_C.rmsprop_step``, ``_C.adam_step``, ``_C.adadelta_step``,
``_C.adamax_step``, ``_C.nadam_step``, ``_C.radam_step``), in place on the parameter and its state
tensors. LBFGS works on all parameters as one flat vector and is written over tensor ops.
"""
from . import lr_scheduler, regularization
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .regularization import l1_penalty, l2_penalty
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "Adadelta", "Adamax",
           "NAdam", "RAdam", "LBFGS", "lr_scheduler", "regularization", "l1_penalty",
           "l2_penalty"]
