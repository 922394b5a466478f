"""What the curves dock draws, as numbers: its training plots, the arrays each line gets from
the snapshot's history, the axes' limits, the legend's entries and the titles' notes.

Pure numpy and the standard library (no Qt), so every number the dock shows is unit-tested
without a window; :mod:`ganviz.views.curves` only hands these arrays and texts to its items.
History columns are [T, R]: one row per evaluation, one column per run.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from ganviz.core.contract import RealData, RunSpec
from ganviz.views.seeds import group_runs, seed_band

# name -> (title, y label, log y); the order is the layout order (row-major, PER_ROW a row).
TIME_PLOTS: dict[str, tuple[str, str, bool]] = {
    "loss": ("Loss: D —, G --", "loss", False),
    "modes": ("Modes captured", "modes", False),
    "hq_fraction": ("High quality", "fraction", False),
    "reverse_kl": ("Reverse KL (modes)", "KL (nats)", False),
    "js_divergence": ("JS divergence", "JS (nats)", False),
    "energy_distance": ("Energy distance", "energy", False),
    "grad_rel_var": ("Gradient noise", "rel. variance", True),
    "sigma": ("σ over training", "σ", True),
}
MODE_PLOTS = ("modes", "hq_fraction", "reverse_kl")  # empty without known modes
FIXED_Y = ("modes", "hq_fraction", "reverse_kl")  # y ranges from the data's limits, not fitted
FIRST_STEPS = 10  # evaluations of room on the x axis before there is a span to fit
EMPTY = np.empty(0)


def run_label(spec: RunSpec) -> str:
    """Legend text shared by runs that differ only in seed (``RunSpec.legend``)."""
    return spec.legend


def mode_limits(real: RealData) -> tuple[int, float]:
    """Number of modes and the largest possible reverse KL, log(1 / min weight), of the
    mixture the snapshot carries."""
    w = np.asarray(real.weights, dtype=float)
    if not len(w):  # file data without centres: the mode plots stay empty
        return 0, 1.0
    return len(w), float(math.log(w.sum() / max(w.min(), 1e-12)))


def mode_tops(real: RealData, history: dict[str, np.ndarray]) -> tuple[float, float]:
    """The tops of the modes and reverse-KL axes: n_modes and log(1 / min weight), each
    widened to the largest finite value in the history (so no line runs off the top)."""
    n_modes, kl_max = mode_limits(real)
    top = {"modes": float(n_modes), "reverse_kl": kl_max}
    for name in top:
        column = history.get(name)
        if column is not None and column.size:
            with np.errstate(all="ignore"):
                finite = column[np.isfinite(column)]
            if finite.size:
                top[name] = max(top[name], float(finite.max()))
    return top["modes"], top["reverse_kl"]


def history_column(history: dict[str, np.ndarray], series: str, spec: RunSpec,
                   steps: np.ndarray | None) -> np.ndarray:
    """History column [T, R] of ``series`` for a run like ``spec`` (learned sigma: its
    mean sigma(z)); empty when missing or misshapen."""
    learned = series == "sigma" and spec.learned_sigma
    column = history.get("sigma_mean" if learned else series)
    if steps is None or column is None or column.shape != steps.shape:
        return np.empty((0, 0))
    return column


def run_curve(history: dict[str, np.ndarray], series: str, spec: RunSpec,
              r: int) -> tuple[np.ndarray, np.ndarray]:
    """Steps and values of ``series`` for run ``r`` (column ``r``); both empty when the
    history has no such column."""
    steps = history.get("step")
    y = history_column(history, series, spec, steps)
    if steps is None or r >= steps.shape[1] or not len(y):
        return EMPTY, EMPTY
    return steps[:, r], y[:, r]


def group_curve(history: dict[str, np.ndarray], series: str, spec: RunSpec,
                members: Sequence[int], *, log: bool = False,
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Steps (the median over the seeds), median, 10 % and 90 % of ``series`` over the seeds
    ``members`` (runs like ``spec``); rows where a seed had diverged leave it out (``log``: a
    log axis, see :func:`~ganviz.views.seeds.seed_band`). All four empty without data."""
    steps = history.get("step")
    cols = [i for i in members if steps is not None and i < steps.shape[1]]
    x = np.median(steps[:, cols], axis=1) if cols and len(steps) else EMPTY
    column = history_column(history, series, spec, steps)
    if not len(x) or not len(column):
        return EMPTY, EMPTY, EMPTY, EMPTY
    diverged = history.get("diverged")
    div = diverged[:, cols] if diverged is not None and diverged.shape == steps.shape else None
    med, lo, hi = seed_band(column[:, cols], div, log=log)
    return (x if len(med) else EMPTY), med, lo, hi


def first_x_range(steps: np.ndarray | None, every: int) -> tuple[float, float] | None:
    """The x range to show while the history spans no steps yet (room for the first
    evaluations, ``every`` steps apart); None once there is a span to fit."""
    rows = 0 if steps is None else steps.shape[0]
    first = float(steps[0].min()) if rows else 0.0
    if rows and float(steps[-1].max()) > first:
        return None
    return first, first + FIRST_STEPS * every


@dataclass(frozen=True)
class LegendEntry:
    """One legend entry: a setting (its runs ``members``, in run order) and how it is drawn."""

    label: str
    members: tuple[int, ...]
    diverged: tuple[bool, ...]  # per member
    hidden: bool  # every member's estimator is switched off
    band: bool  # drawn as a median in a band over several seeds

    @property
    def text(self) -> str:
        """The entry's text: the setting, its number of seeds in a band, how many diverged."""
        n, n_div = len(self.members), sum(self.diverged)
        text = self.label + (f" · {n} seeds" if self.band else "")
        if n_div:
            text += " (diverged)" if n_div == n else f" ({n_div}/{n} diverged)"
        return text


def legend_entries(specs: Sequence[RunSpec], diverged: Sequence[bool],
                   hidden: Collection[int], banded: bool) -> tuple[LegendEntry, ...]:
    """One entry per group of seeds (the setting, not the run), in order of first run."""
    return tuple(LegendEntry(run_label(specs[idx[0]]), tuple(idx),
                             tuple(diverged[i] if i < len(diverged) else False for i in idx),
                             all(i in hidden for i in idx), banded and len(idx) > 1)
                 for idx in group_runs(specs))


def sigma_notes(shown: Sequence[RunSpec]) -> list[str]:
    """What the sigma plot's title must add for the runs shown: a learned covariance is
    summarised by its eigen-stds, and sigma = 0 has no place on a log axis."""
    notes = []
    if any(s.learned_sigma and s.covariance != "isotropic" for s in shown):
        notes.append("learned Σ: its eigen-stds")
    if any(not s.learned_sigma and s.sigma <= 0 for s in shown):
        notes.append("σ = 0 not drawn")
    return notes


def eq1_run(n_runs: int, selected: int, hidden: Collection[int]) -> int | None:
    """The run the equation-1 plot shows: the selected one, or the first shown run when the
    selected run's estimator is hidden; None when every run is hidden (or there is none)."""
    if not n_runs:
        return None
    index = selected if 0 <= selected < n_runs else 0
    if index not in hidden:
        return index
    return next((i for i in range(n_runs) if i not in hidden), None)


def eq1_label(specs: Sequence[RunSpec], index: int) -> str:
    """The equation-1 plot's name for run ``index``: its setting, and its seed when the
    setting has several."""
    spec = specs[index]
    seeds = sum(run_label(s) == run_label(spec) for s in specs) > 1
    return run_label(spec) + (f", seed {spec.seed}" if seeds else "")


def current_sigma(history: dict[str, np.ndarray], spec: RunSpec, r: int) -> float | None:
    """Run ``r``'s sigma now (its spec ``spec``): the history's last value (mean sigma(z) if
    learned), else the spec's; None if not positive (it has no place on the log axis)."""
    value = spec.sigma
    column = history.get("sigma_mean" if spec.learned_sigma else "sigma")
    if column is not None and column.shape[0] and r < column.shape[1]:
        value = float(column[-1, r])
    return value if math.isfinite(value) and value > 0 else None
