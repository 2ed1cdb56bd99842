"""History: what ``fit`` measured, epoch by epoch."""
from __future__ import annotations

__all__ = ["History"]


class History(dict):
    """A dict of lists, one list per measured quantity, one entry per epoch (as Keras' History):
    ``history["loss"]``, ``history["val_accuracy"]``, ``history["lr"]``,
    ``history["samples_per_s"]``, ``history["epoch"]`` (1-based) ... plus ``history.records``,
    the same numbers as one dict per epoch. A quantity missing in some epoch is None there.
    """

    def __init__(self, records=()):
        super().__init__()
        self.records = []
        for r in records:
            self.append(r)

    def append(self, record: dict) -> None:
        record = dict(record)
        n = len(self.records)
        for key in record:
            if key not in self:
                self[key] = [None] * n
        for key in self:
            self[key].append(record.get(key))
        self.records.append(record)

    @property
    def epochs(self):
        return len(self.records)

    def best(self, key, mode="min"):
        """The record of the epoch where ``key`` was lowest (mode "min") or highest ("max")."""
        rows = [r for r in self.records if r.get(key) is not None]
        if not rows:
            raise KeyError(f"History.best: no epoch recorded {key!r} (keys: {sorted(self)})")
        pick = min if mode == "min" else max
        return pick(rows, key=lambda r: r[key])

    def state_dict(self):
        return {"records": [dict(r) for r in self.records]}

    def load_state_dict(self, state):
        self.clear()
        self.records = []
        for r in state.get("records", ()):
            self.append(r)

    def __repr__(self):
        keys = ", ".join(sorted(self))
        return f"History({len(self.records)} epochs: {keys})"
