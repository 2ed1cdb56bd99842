"""Loss and accuracy curves of a History, as a PNG (needs matplotlib: the ``plot`` extra)."""
from __future__ import annotations

import os

__all__ = ["plot_history"]


def plot_history(history, path, title=None, dpi=120):
    """Write the loss curves (train and validation) and, when recorded, the accuracy curves of
    ``history`` (a History or a dict of lists) side by side to the PNG file ``path``.

    Uses matplotlib's Agg canvas directly (no pyplot, no change to the global backend). Raises
    ImportError with the install command when matplotlib is missing. Returns ``path``.
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        raise ImportError("plot_history needs matplotlib, which is not installed: "
                          "pip install 'dlkernels[plot]'  (or: pip install matplotlib)") from None
    data = dict(history)
    if not data.get("loss"):
        raise ValueError("plot_history: the history has no 'loss' values to plot")
    epochs = data.get("epoch") or list(range(1, len(data["loss"]) + 1))
    panels = [("loss", "loss")]
    if any(v is not None for v in data.get("accuracy", [])) or \
            any(v is not None for v in data.get("val_accuracy", [])):
        panels.append(("accuracy", "accuracy"))
    fig = Figure(figsize=(5.5 * len(panels), 4.0), dpi=dpi)
    FigureCanvasAgg(fig)
    for i, (key, label) in enumerate(panels, 1):
        ax = fig.add_subplot(1, len(panels), i)
        for name, style in ((key, "-o"), ("val_" + key, "-s")):
            ys = data.get(name)
            if ys and any(v is not None for v in ys):
                pts = [(e, v) for e, v in zip(epochs, ys) if v is not None]
                ax.plot([p[0] for p in pts], [p[1] for p in pts], style, markersize=3,
                        label="validation" if name.startswith("val_") else "train")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
        ax.legend()
        if key == "loss" and all(v is None or v > 0 for v in data["loss"]):
            ax.set_yscale("log")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    folder = os.path.dirname(os.path.abspath(os.fspath(path)))
    os.makedirs(folder, exist_ok=True)
    fig.savefig(os.fspath(path), format="png")
    return path
