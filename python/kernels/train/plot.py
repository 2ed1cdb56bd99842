"""Loss and accuracy curves of a History, as a PNG (needs matplotlib: the ``plot`` extra)."""
from __future__ import annotations

import os

import numpy as np

__all__ = ["plot_history", "plot_confusion_matrix", "plot_filters"]


def _figure_tools(who):
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(f"{who} needs matplotlib, which is not installed: "
                          "pip install 'dlkernels[plot]'  (or: pip install matplotlib)") from None
    return Figure, FigureCanvasAgg


def _save(fig, path):
    folder = os.path.dirname(os.path.abspath(os.fspath(path)))
    os.makedirs(folder, exist_ok=True)
    fig.savefig(os.fspath(path), format="png")
    return path


def plot_history(history, path, title=None, dpi=120):
    """Write the loss curves (train and validation) and, when recorded, the accuracy curves of
    ``history`` (a History or a dict of lists) side by side to the PNG file ``path``.

    Uses matplotlib's Agg canvas directly (no pyplot, no change to the global backend). Raises
    ImportError with the install command when matplotlib is missing. Returns ``path``.
    """
    Figure, FigureCanvasAgg = _figure_tools("plot_history")
    from matplotlib.ticker import MaxNLocator
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
    return _save(fig, path)


def plot_confusion_matrix(cm, path, class_names=None, title=None, dpi=120):
    """Write the confusion matrix ``cm`` ((C,C) counts, rows = true class, columns = predicted,
    as :func:`kernels.train.confusion_matrix` returns) as a PNG heat map with the counts written
    in the cells and the per-class recall on the right. Returns ``path``."""
    Figure, FigureCanvasAgg = _figure_tools("plot_confusion_matrix")
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.shape[0] == 0:
        raise ValueError(f"plot_confusion_matrix: expected a square (C,C) matrix, got shape {cm.shape}")
    n = cm.shape[0]
    names = [str(c) for c in (class_names if class_names is not None else range(n))]
    if len(names) != n:
        raise ValueError(f"plot_confusion_matrix: {len(names)} class names for a {n}x{n} matrix")
    size = max(4.0, 0.45 * n + 2.0)
    fig = Figure(figsize=(size + 1.0, size), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    im = ax.imshow(cm, cmap="Blues")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.12)
    high = cm.max() / 2 if cm.size else 0
    for i in range(n):
        for j in range(n):
            if cm[i, j]:
                ax.text(j, i, str(int(cm[i, j])), ha="center", va="center", fontsize=7,
                        color="white" if cm[i, j] > high else "black")
    rows = cm.sum(axis=1)
    for i in range(n):
        recall = cm[i, i] / rows[i] if rows[i] else float("nan")
        ax.text(n - 0.3, i, f"{recall:.1%}", ha="left", va="center", fontsize=7)
    ax.set_xticks(range(n), names)
    ax.set_yticks(range(n), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    total = cm.sum()
    acc = np.trace(cm) / total if total else float("nan")
    ax.set_title((title + "\n" if title else "") + f"accuracy {acc:.2%} of {int(total)}")
    fig.tight_layout()
    return _save(fig, path)


def plot_filters(weight, path, title=None, dpi=120, max_filters=64):
    """Write convolution filters as a PNG grid: ``weight`` (O,I,kH,kW) (a Tensor or array); each
    output channel is one tile (its input channels side by side when I <= 3, else averaged),
    each tile scaled to its own range. Returns ``path``."""
    Figure, FigureCanvasAgg = _figure_tools("plot_filters")
    w = weight.detach().cpu().numpy() if hasattr(weight, "detach") else np.asarray(weight)
    w = np.asarray(w, dtype=np.float64)
    if w.ndim != 4 or 0 in w.shape:
        raise ValueError(f"plot_filters: expected a (out,in,kH,kW) weight, got shape {w.shape}")
    w = w[:max_filters]
    if w.shape[1] > 3:
        w = w.mean(axis=1, keepdims=True)
    o, i, kh, kw = w.shape
    cols = int(np.ceil(np.sqrt(o)))
    rows = int(np.ceil(o / cols))
    fig = Figure(figsize=(1.2 * cols * i + 0.5, 1.2 * rows + 0.6), dpi=dpi)
    FigureCanvasAgg(fig)
    for k in range(o):
        for c in range(i):
            ax = fig.add_subplot(rows, cols * i, (k // cols) * cols * i + (k % cols) * i + c + 1)
            tile = w[k, c]
            lim = np.abs(tile).max() or 1.0
            ax.imshow(tile, cmap="RdBu_r", vmin=-lim, vmax=lim, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_title(str(k), fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)
