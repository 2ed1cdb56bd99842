"""Training: ``fit`` and the pieces it is made of, callbacks, history, checkpoints, plots.

* :func:`fit` - epochs of :func:`train_one_epoch` + :func:`evaluate`, scheduler, callbacks,
  progress bar, :class:`History`; ``resume_from=`` continues a checkpointed run exactly;
* :class:`EarlyStopping`, :class:`ModelCheckpoint`, :class:`LambdaCallback`, :class:`Callback`;
* :func:`save_checkpoint` / :func:`load_checkpoint` - the whole training state in one file;
  :func:`resume` - continue a checkpointed run (what ``--resume`` does in every job);
* :func:`plot_history` - loss / accuracy curves to a PNG (matplotlib);
* :func:`confusion_matrix`, :func:`plot_confusion_matrix`, :func:`plot_filters`.
"""
from ._common import NonFiniteLossError
from .callbacks import Callback, EarlyStopping, LambdaCallback, ModelCheckpoint, TrainState
from .checkpoint import checkpoint_mismatches, load_checkpoint, resume, save_checkpoint, training_state
from .history import History
from .loop import accuracy, evaluate, fit, to_device, train_one_epoch
from .metrics import confusion_matrix
from .plot import plot_confusion_matrix, plot_filters, plot_history
from .progress import ProgressBar

__all__ = [
    "fit", "train_one_epoch", "evaluate", "accuracy", "to_device", "History",
    "Callback", "EarlyStopping", "ModelCheckpoint", "LambdaCallback", "TrainState",
    "save_checkpoint", "load_checkpoint", "resume", "training_state", "checkpoint_mismatches",
    "plot_history", "plot_confusion_matrix", "plot_filters",
    "confusion_matrix", "ProgressBar",
    "NonFiniteLossError",
]
