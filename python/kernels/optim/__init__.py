"""Optimizers and learning-rate schedulers, mirroring ``torch.optim``.

Every optimizer step is one fused C++/CUDA kernel per parameter (``_C.sgd_step``,
``_C.adagrad_step``, ``_C.rmsprop_step``, ``_C.adam_step``), in place on the parameter and its
state tensors.
"""
from . import lr_scheduler, regularization
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .regularization import l1_penalty, l2_penalty
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "lr_scheduler",
           "regularization", "l1_penalty", "l2_penalty"]
