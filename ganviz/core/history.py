"""The metric history of a trainer's runs, stored by column (numpy and the standard library only).

One evaluation adds one row to every column: ``step`` and ``diverged`` and the metric values of
all R runs. A column is a float64 array [T, R] (``step`` is also kept exactly as int64 [T]);
a run's estimator and seed come from its run spec and are not stored per row. The long format
of ``metrics.csv`` (one row per (step, run), :data:`METRIC_COLUMNS`) is :meth:`rows`.

Arrays handed out by :meth:`MetricHistory.arrays` are read-only views of rows that are never
written again: a full buffer is replaced by a larger copy, never resized in place, so a
snapshot can hold them while training appends.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

# The columns of metrics.csv, in order.
METRIC_COLUMNS = (
    "step", "run", "estimator", "seed", "sigma", "loss_d", "loss_g", "modes", "hq_fraction",
    "reverse_kl", "js_divergence", "energy_distance", "sigma_mean", "sigma_p10", "sigma_p90",
    "grad_rel_var",
    "diverged",
)
# Columns added after checkpoint version 2: a history stored without them reads them as NaN.
LATER_COLUMNS = ("energy_distance",)
RUN_COLUMNS = ("run", "estimator", "seed")  # per run, from the run specs
ARRAY_COLUMNS = tuple(c for c in METRIC_COLUMNS if c not in RUN_COLUMNS)  # [T, R] each
VALUE_COLUMNS = tuple(c for c in ARRAY_COLUMNS if c not in ("step", "diverged"))  # floats
APPEND_COLUMNS = (*VALUE_COLUMNS, "diverged")  # what one evaluation gives per run

_START = 64  # rows of a new buffer; doubled when full


class MetricHistory:
    """Per-evaluation metrics of R runs as columns [T, R]; appended to, never rewritten."""

    def __init__(self, estimators: Sequence[str], seeds: Sequence[int]) -> None:
        if len(estimators) != len(seeds) or not estimators:
            raise ValueError("a metric history needs one estimator and one seed per run")
        self.estimators = tuple(str(e) for e in estimators)
        self.seeds = tuple(int(s) for s in seeds)
        self.length = 0
        self._steps = np.empty(_START, dtype=np.int64)
        self._data = {c: np.empty((_START, self.n_runs)) for c in ARRAY_COLUMNS}

    @property
    def n_runs(self) -> int:
        """Number of runs R."""
        return len(self.estimators)

    def __len__(self) -> int:
        """Number of evaluations T."""
        return self.length

    # -------------------------------------------------------------- writing
    def append(self, step: int, columns: Mapping[str, Any]) -> None:
        """Add one evaluation at ``step``: ``columns`` maps each of :data:`APPEND_COLUMNS` to
        R values (``diverged`` true/false). Steps never decrease."""
        if set(columns) != set(APPEND_COLUMNS):
            missing = [c for c in APPEND_COLUMNS if c not in columns]
            extra = sorted(str(c) for c in columns if c not in APPEND_COLUMNS)
            raise ValueError(f"history row: missing {', '.join(missing)}" if missing else
                             f"history row: unknown {', '.join(extra)}")
        step = int(step)
        if step < 0 or (self.length and step < self.last_step):
            raise ValueError(f"history step {step} comes before step {self.last_step}")
        values = {c: np.asarray(columns[c], dtype=np.float64).reshape(-1) for c in columns}
        for c, v in values.items():
            if v.shape != (self.n_runs,):
                raise ValueError(f"history column {c} has {v.size} values for {self.n_runs} runs")
        if self.length == self._steps.shape[0]:
            self._grow()
        t = self.length
        self._steps[t] = step
        self._data["step"][t] = step
        for c, v in values.items():
            self._data[c][t] = v
        self.length += 1

    def _grow(self) -> None:
        """Replace the buffers by copies twice as long (views handed out keep the old ones)."""
        self._steps = np.concatenate([self._steps, np.empty_like(self._steps)])
        self._data = {c: np.concatenate([a, np.empty_like(a)]) for c, a in self._data.items()}

    # -------------------------------------------------------------- reading
    @property
    def steps(self) -> np.ndarray:
        """The step of every evaluation, int64 [T] (a copy)."""
        return self._steps[: self.length].copy()

    @property
    def last_step(self) -> int | None:
        """The step of the last evaluation, or None before the first."""
        return int(self._steps[self.length - 1]) if self.length else None

    def column(self, name: str) -> np.ndarray:
        """One column, read-only [T, R] (``diverged`` as 0.0/1.0)."""
        view = self._data[name][: self.length]
        view.flags.writeable = False
        return view

    def arrays(self) -> dict[str, np.ndarray]:
        """Read-only views [T, R] of every column in :data:`ARRAY_COLUMNS` (for snapshots)."""
        return {c: self.column(c) for c in ARRAY_COLUMNS}

    def row(self, t: int, run: int) -> dict[str, Any]:
        """Evaluation ``t`` of run ``run`` as one metrics.csv row (plain Python values)."""
        out: dict[str, Any] = {"step": int(self._steps[t]), "run": run,
                               "estimator": self.estimators[run], "seed": self.seeds[run]}
        for c in VALUE_COLUMNS:
            out[c] = float(self._data[c][t, run])
        out["diverged"] = bool(self._data["diverged"][t, run])
        return out

    def rows(self, start: int = 0) -> list[dict[str, Any]]:
        """The long format from evaluation ``start`` on: one row per (step, run), in step then
        run order, columns :data:`METRIC_COLUMNS`."""
        return [self.row(t, r) for t in range(start, self.length) for r in range(self.n_runs)]

    def final(self, run: int) -> dict[str, Any] | None:
        """Run ``run``'s row of the last evaluation (a diverged run's frozen values with
        ``diverged`` true), or None before the first evaluation."""
        return self.row(self.length - 1, run) if self.length else None

    def last(self) -> list[dict[str, Any]]:
        """The rows of the last evaluation, one per run (empty before the first)."""
        return self.rows(self.length - 1) if self.length else []

    # ------------------------------------------------------------- storing
    def to_state(self) -> dict[str, np.ndarray]:
        """Plain arrays (copies): ``step`` int64 [T], ``diverged`` bool [T, R], the other
        columns float64 [T, R]."""
        t = self.length
        state: dict[str, np.ndarray] = {"step": self._steps[:t].copy()}
        for c in VALUE_COLUMNS:
            state[c] = self._data[c][:t].copy()
        state["diverged"] = self._data["diverged"][:t] != 0
        return state

    @classmethod
    def from_state(cls, state: Mapping[str, Any], estimators: Sequence[str],
                   seeds: Sequence[int]) -> MetricHistory:
        """The history stored by :meth:`to_state` (any array-likes, e.g. CPU tensors)."""
        out = cls(estimators, seeds)
        state = with_later_columns(state)
        if set(state) != set(ARRAY_COLUMNS):
            raise ValueError(f"history state must hold the columns {', '.join(ARRAY_COLUMNS)}")
        steps = np.asarray(state["step"])
        columns = {c: np.asarray(state[c]) for c in APPEND_COLUMNS}
        t = steps.shape[0] if steps.ndim == 1 else -1
        if t < 0 or any(a.shape != (t, out.n_runs) for a in columns.values()):
            raise ValueError(f"history columns must be [T, {out.n_runs}] with step [T]")
        if t and (steps.min() < 0 or (np.diff(steps) < 0).any()):
            raise ValueError("history steps must be >= 0 and never decrease")
        if t > _START:
            out._steps = np.empty(t, dtype=np.int64)
            out._data = {c: np.empty((t, out.n_runs)) for c in ARRAY_COLUMNS}
        out._steps[:t] = steps
        out._data["step"][:t] = steps[:, None]
        for c, a in columns.items():
            out._data[c][:t] = a
        out.length = t
        return out

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]], estimators: Sequence[str],
                  seeds: Sequence[int]) -> MetricHistory:
        """The history of long-format rows (R per evaluation, in run order), as version-1
        checkpoints stored it; ``estimator``, ``seed`` and ``run`` of the rows are not kept."""
        out = cls(estimators, seeds)
        n = out.n_runs
        if len(rows) % n:
            raise ValueError(f"history must hold {n} rows per evaluation (got {len(rows)})")
        rows = [with_later_columns(r) for r in rows]
        for t in range(0, len(rows), n):
            group = rows[t: t + n]
            out.append(group[0]["step"], {c: [r[c] for r in group] for c in APPEND_COLUMNS})
        return out


def with_later_columns(table: Mapping[str, Any]) -> Mapping[str, Any]:
    """``table`` (a history state or a metrics row) with the :data:`LATER_COLUMNS` it lacks
    added as NaN (shaped like its ``diverged`` entry); unchanged when it has them all."""
    missing = [c for c in LATER_COLUMNS if c not in table]
    if not missing or "diverged" not in table:
        return table
    nan = np.full(np.shape(table["diverged"]), np.nan) if np.ndim(table["diverged"]) else \
        float("nan")
    return {**table, **dict.fromkeys(missing, nan)}
