"""Progress display: a tqdm bar on a terminal, a plain line printer otherwise."""
from __future__ import annotations

import sys
import time

__all__ = ["ProgressBar"]


def _isatty(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class ProgressBar:
    """Per-batch progress of one epoch.

    ``bar=None`` (auto): a tqdm bar when tqdm is installed and ``file`` (stdout) is a terminal;
    a single self-overwriting line when tqdm is missing but ``file`` is a terminal; nothing per
    batch when ``file`` is not a terminal (logs, pipes). ``bar=True`` forces a display.
    """

    def __init__(self, total, desc="", file=None, bar=None, min_interval=0.1):
        self.total = total
        self.desc = desc
        self.file = file if file is not None else sys.stdout
        tty = _isatty(self.file)
        self.enabled = tty if bar is None else bool(bar)
        self._tqdm = None
        self._last = 0.0
        self.min_interval = min_interval
        self.n = 0
        if self.enabled:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self._tqdm = tqdm(total=total, desc=desc, file=self.file, leave=False,
                                  dynamic_ncols=True, unit="batch")

    def update(self, n=1, **postfix):
        self.n += n
        if not self.enabled:
            return
        if self._tqdm is not None:
            self._tqdm.update(n)
            now = time.perf_counter()
            if postfix and (now - self._last >= self.min_interval or self.n == self.total):
                self._tqdm.set_postfix(postfix, refresh=False)
                self._last = now
            return
        now = time.perf_counter()
        if now - self._last >= self.min_interval or self.n == self.total:
            self._last = now
            tail = "  ".join(f"{k}={v}" for k, v in postfix.items())
            self.file.write(f"\r{self.desc} {self.n}/{self.total}  {tail}\x1b[K")
            self.file.flush()

    def close(self):
        if self._tqdm is not None:
            self._tqdm.close()
        elif self.enabled:
            self.file.write("\r\x1b[K")
            self.file.flush()
