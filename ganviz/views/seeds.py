"""Seeds of one setting as one group: which runs belong together, and their median and band.

Pure numpy and the standard library (no Qt), so the maths of the seed bands is unit-tested
without a window. A *group* is every run whose spec agrees in all fields but ``index`` and
``seed`` (estimator, sigma, learned sigma, and whatever a later contract adds): such runs
differ only by seed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from ganviz.core.contract import RunSpec

BAND = (0.10, 0.90)  # the band's quantiles
NOT_SETTING = ("index", "seed")  # RunSpec fields that do not make a setting


def group_key(spec: RunSpec) -> tuple:
    """The setting of a run: every spec field except ``index`` and ``seed``, as (name, value)."""
    return tuple((f.name, getattr(spec, f.name)) for f in dataclasses.fields(spec)
                 if f.name not in NOT_SETTING)


def group_runs(specs: Sequence[RunSpec]) -> list[list[int]]:
    """Run indices (positions in ``specs``) grouped by setting, groups in order of first run."""
    groups: dict[tuple, list[int]] = {}
    for pos, spec in enumerate(specs):
        groups.setdefault(group_key(spec), []).append(pos)
    return list(groups.values())


def seed_title(shown: RunSpec, group: Sequence[RunSpec]) -> str:
    """``seed 7``, or ``seed 7 (2 of 5)`` in a group of several seeds: the seed's value, then
    its place among the group's runs."""
    if len(group) < 2:
        return f"seed {shown.seed}"
    place = 1 + [s.index for s in group].index(shown.index)
    return f"seed {shown.seed} ({place} of {len(group)})"


def row_quantiles(values: np.ndarray, qs: Sequence[float]) -> np.ndarray:
    """Quantiles ``qs`` of each row of ``values`` [T, k] over its finite entries, [len(qs), T].

    Linear interpolation between order statistics (numpy's default method); a row with no
    finite entry gives NaN, without the warning ``np.nanquantile`` raises for it.
    """
    v = np.asarray(values, dtype=float)
    if v.ndim != 2:
        raise ValueError(f"values must be [T, k], got shape {v.shape}")
    v = np.where(np.isfinite(v), v, np.nan)
    ordered = np.sort(v, axis=1)  # NaN sorts last
    n = np.isfinite(ordered).sum(axis=1)
    out = np.full((len(qs), v.shape[0]), np.nan)
    rows = np.flatnonzero(n)
    if not len(rows) or not v.shape[1]:
        return out
    for j, q in enumerate(qs):
        pos = q * (n[rows] - 1)
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, n[rows] - 1)
        frac = pos - lo
        a, b = ordered[rows, lo], ordered[rows, hi]
        out[j, rows] = a + (b - a) * frac
    return out


def seed_band(values: np.ndarray, diverged: np.ndarray | None = None, *,
              log: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median, 10th and 90th percentile over seeds of ``values`` [T, k] (k seeds), each [T].

    Entries that are not finite, or whose run had diverged at that row (``diverged`` [T, k],
    nonzero), are left out. With ``log`` (a series drawn on a log axis) non-positive entries
    are left out too, and the quantiles are taken of log10 values (the band a log axis
    shows); a row with nothing left gives NaN, which the plots do not draw.
    """
    v = np.array(values, dtype=float, copy=True)
    if diverged is not None:
        v[np.asarray(diverged, dtype=float) != 0] = np.nan
    if log:
        with np.errstate(divide="ignore", invalid="ignore"):
            v = np.where(v > 0, np.log10(np.where(v > 0, v, 1.0)), np.nan)
    med, lo, hi = row_quantiles(v, (0.5, *BAND))
    if log:
        med, lo, hi = 10.0 ** med, 10.0 ** lo, 10.0 ** hi
    return med, lo, hi


__all__ = ["BAND", "group_key", "group_runs", "row_quantiles", "seed_band"]
