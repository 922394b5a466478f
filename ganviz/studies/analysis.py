"""The study's pre-registered endpoints, computed from finished sweep or compare folders.

Read from each group's ``metrics.csv`` (every run's evaluations) and ``config.toml``; no
training, no Qt. Per run (one row of ``runs.csv``):

* ``covers_final``: all modes captured at the last evaluation (primary);
* ``covers_late``: all modes captured in at least half of the evaluations in the last
  :data:`LATE_FRACTION` of training (primary, robust to one unlucky evaluation);
* ``hq_fraction``, ``reverse_kl``, ``sigma_mean`` at the last evaluation, ``modes_late``
  the mean modes over the last fifth (secondary).

Per setting (estimator and sigma) of a group, with intervals (``endpoints.csv``,
``endpoints.md``): the proportion covering, with a Wilson interval; against the plug-in
runs of the same seeds, the paired difference with Newcombe's interval for paired
proportions and an exact McNemar test, Holm-corrected across the settings of a group;
medians of the secondary endpoints with percentile-bootstrap intervals.
"""

from __future__ import annotations

import csv
import io
import math
import tomllib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from ganviz.core.config import Config, from_dict
from ganviz.core.errors import UserError
from ganviz.core.markdown import markdown_table
from ganviz.core.settings import ConfigError

LATE_FRACTION = 0.2  # as compare's modes_late
CONFIDENCE = 0.95
BOOTSTRAP_RESAMPLES = 10_000
BOOTSTRAP_SEED = 20261206  # the intervals are reproducible digit for digit
REFERENCE = "plugin"
RUN_COLUMNS = ("protocol", "estimator", "sigma", "seed", "steps", "n_modes", "modes",
               "covers_final", "covers_late", "modes_late", "hq_fraction", "reverse_kl",
               "sigma_mean", "diverged")


class AnalysisError(UserError):
    """A folder that cannot be analysed; ``str()`` is one line naming it."""


@dataclass(frozen=True)
class RunEndpoints:
    """The endpoints of one run (one row of ``runs.csv``)."""

    protocol: str
    estimator: str
    sigma: str
    seed: int
    steps: int
    n_modes: int
    modes: float
    covers_final: bool
    covers_late: bool
    modes_late: float
    hq_fraction: float
    reverse_kl: float
    sigma_mean: float
    diverged: bool

    def row(self) -> dict[str, Any]:
        """As a CSV row (booleans as 0/1)."""
        return {c: int(v) if isinstance(v, bool) else v
                for c, v in ((c, getattr(self, c)) for c in RUN_COLUMNS)}


@dataclass(frozen=True)
class RunSeries:
    """One run's modes over training (for the figures): ``steps`` [T], ``modes`` [T]."""

    protocol: str
    estimator: str
    sigma: str
    seed: int
    n_modes: int
    steps: np.ndarray
    modes: np.ndarray


# ---------------------------------------------------------------------------- reading


def group_folders(out: Path) -> list[tuple[str, Path]]:
    """(protocol, folder) of every group in a sweep or compare output folder."""
    if (out / "metrics.csv").is_file():
        return [(out.name, out)]
    found = sorted((p.name, p) for p in out.iterdir()
                   if p.is_dir() and (p / "metrics.csv").is_file()) if out.is_dir() else []
    if not found:
        raise AnalysisError(f"{out}: no metrics.csv in it or in its group folders; give the "
                            "--out folder of a finished sweep or compare")
    return found


def group_config(folder: Path) -> Config:
    """The group's config (its config.toml)."""
    path = folder / "config.toml"
    try:
        return from_dict(tomllib.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ConfigError) as exc:
        raise AnalysisError(f"{path}: cannot read the group's config "
                            f"({str(exc).splitlines()[0]})") from None


@dataclass(frozen=True)
class GroupFolder:
    """One group of a finished sweep or compare: its name (the protocol, or the sweep's
    group), its folder and its config."""

    name: str
    folder: Path
    config: Config


def config_key(cfg: Config, blank: Mapping[str, Mapping[str, Any]]) -> str:
    """The config as a comparable key, with the fields in ``blank`` (section: field:
    value) set to those values: groups that differ only there get the same key."""
    values = cfg.to_dict()
    for section, fields in blank.items():
        values[section] = {**values[section], **fields}
    return repr(sorted((k, sorted(v.items())) for k, v in values.items()))


def read_groups(folders: Sequence[Path]) -> list[GroupFolder]:
    """Every group of the sweep or compare output ``folders``, each config read once."""
    groups: list[GroupFolder] = []
    seen: set[str] = set()
    for out in folders:
        for name, folder in group_folders(out):
            if name in seen:
                raise AnalysisError(f"{folder}: the group {name!r} appears twice; give "
                                    "each folder once")
            seen.add(name)
            groups.append(GroupFolder(name, folder, group_config(folder)))
    return groups


def _sigma_label(estimator: str, sigma: str, cfg: Config) -> str:
    """The setting's sigma as the tables show it ("learned" for learned-sigma runs)."""
    return "learned" if cfg.runs.learns_sigma(estimator) else f"{float(sigma):g}"


def read_group(group: GroupFolder) -> list[tuple[RunEndpoints, RunSeries]]:
    """Every run's endpoints and modes over training from a group folder's metrics.csv."""
    from ganviz.data.mixtures import build_mixture

    protocol, cfg = group.name, group.config
    n_modes = int(build_mixture(cfg.data).n_modes)
    path = group.folder / "metrics.csv"
    rows: dict[int, list[dict[str, str]]] = defaultdict(list)
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                rows[int(row["run"])].append(row)
    except (OSError, KeyError, ValueError) as exc:
        raise AnalysisError(f"{path}: cannot read it ({exc})") from None
    out: list[tuple[RunEndpoints, RunSeries]] = []
    for run in sorted(rows):
        evals = sorted(rows[run], key=lambda r: int(r["step"]))
        last = evals[-1]
        steps = int(last["step"])
        late = [r for r in evals if int(r["step"]) >= (1 - LATE_FRACTION) * steps
                and int(r["step"]) > 0]
        late_modes = [float(r["modes"]) for r in late]
        covered = [m >= n_modes for m in late_modes]
        sigma = _sigma_label(last["estimator"], last["sigma"], cfg)
        endpoints = RunEndpoints(
            protocol=protocol, estimator=last["estimator"], sigma=sigma,
            seed=int(last["seed"]), steps=steps, n_modes=n_modes, modes=float(last["modes"]),
            covers_final=float(last["modes"]) >= n_modes,
            covers_late=bool(covered) and sum(covered) >= len(covered) / 2,
            modes_late=float(np.mean(late_modes)) if late_modes else math.nan,
            hq_fraction=float(last["hq_fraction"]), reverse_kl=float(last["reverse_kl"]),
            sigma_mean=float(last["sigma_mean"]), diverged=last["diverged"] == "True")
        series = RunSeries(protocol, last["estimator"], sigma, int(last["seed"]), n_modes,
                           np.array([int(r["step"]) for r in evals]),
                           np.array([float(r["modes"]) for r in evals]))
        out.append((endpoints, series))
    return out


# ----------------------------------------------------------------------- statistics


def wilson(k: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson's score interval for a proportion k / n (Wilson 1927)."""
    if n == 0:
        return math.nan, math.nan
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe_paired(a: int, b: int, c: int, d: int, confidence: float = CONFIDENCE
                    ) -> tuple[float, float, float]:
    """Difference p1 - p2 of two paired proportions and its interval, Newcombe (1998,
    Stat. Med. 17:2635, method 10: Wilson intervals combined with the correlation phi).

    a: both succeed, b: only the first, c: only the second, d: neither.
    """
    n = a + b + c + d
    if n == 0:
        return math.nan, math.nan, math.nan
    p1, p2 = (a + b) / n, (a + c) / n
    l1, u1 = wilson(a + b, n, confidence)
    l2, u2 = wilson(a + c, n, confidence)
    denom = (a + b) * (c + d) * (a + c) * (b + d)
    phi = (a * d - b * c) / math.sqrt(denom) if denom > 0 else 0.0
    delta = math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2)
                          + (u2 - p2) ** 2))
    eps = math.sqrt(max(0.0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2)
                        + (p2 - l2) ** 2))
    diff = p1 - p2
    return diff, max(-1.0, diff - delta), min(1.0, diff + eps)


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value: the discordant pairs against a fair coin."""
    return 1.0 if b + c == 0 else float(stats.binomtest(b, b + c, 0.5).pvalue)


def holm(pvalues: list[float]) -> list[float]:
    """Holm's step-down adjustment (Holm 1979) of a family of p-values (NaN left out)."""
    order = sorted((p, i) for i, p in enumerate(pvalues) if math.isfinite(p))
    adjusted = [math.nan] * len(pvalues)
    running, m = 0.0, len(order)
    for rank, (p, i) in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[i] = running
    return adjusted


def median_interval(values: list[float], confidence: float = CONFIDENCE
                    ) -> tuple[float, float, float]:
    """Median and a percentile-bootstrap interval (NaN values left out; fewer than 3
    values: no interval)."""
    x = np.array([v for v in values if math.isfinite(v)], dtype=float)
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    median = float(np.median(x))
    if len(x) < 3 or np.all(x == x[0]):
        return median, (median if len(x) >= 3 else math.nan), \
            (median if len(x) >= 3 else math.nan)
    res = stats.bootstrap((x,), np.median, confidence_level=confidence, method="percentile",
                          n_resamples=BOOTSTRAP_RESAMPLES,
                          rng=np.random.default_rng(BOOTSTRAP_SEED))
    return median, float(res.confidence_interval.low), float(res.confidence_interval.high)


# -------------------------------------------------------------------------- tables


def setting_rows(runs: list[RunEndpoints]) -> list[dict[str, Any]]:
    """One row per (protocol, estimator, sigma): the endpoints with intervals, and the
    paired comparison with the same protocol's plug-in runs (Holm across its settings)."""
    by_setting: dict[tuple[str, str, str], list[RunEndpoints]] = defaultdict(list)
    for r in runs:
        by_setting[(r.protocol, r.estimator, r.sigma)].append(r)
    rows = []
    for (protocol, estimator, sigma), group in by_setting.items():
        reference = {r.seed: r for key, rs in by_setting.items()
                     if key[0] == protocol and key[1] == REFERENCE for r in rs}
        row: dict[str, Any] = {"protocol": protocol, "estimator": estimator, "sigma": sigma,
                               "runs": len(group), "diverged": sum(r.diverged for r in group)}
        for endpoint in ("covers_final", "covers_late"):
            k = sum(getattr(r, endpoint) for r in group)
            lo, hi = wilson(k, len(group))
            row.update({endpoint: k / len(group), f"{endpoint}_lo": lo, f"{endpoint}_hi": hi})
            paired = [(getattr(r, endpoint), getattr(reference[r.seed], endpoint))
                      for r in group if r.seed in reference]
            a = sum(x and y for x, y in paired)
            b = sum(x and not y for x, y in paired)
            c = sum(y and not x for x, y in paired)
            d = len(paired) - a - b - c
            diff, dlo, dhi = newcombe_paired(a, b, c, d) if estimator != REFERENCE else \
                (math.nan,) * 3
            row.update({f"{endpoint}_diff": diff, f"{endpoint}_diff_lo": dlo,
                        f"{endpoint}_diff_hi": dhi, f"{endpoint}_pairs": len(paired),
                        f"{endpoint}_p": mcnemar_exact(b, c) if estimator != REFERENCE
                        else math.nan})
        covering = [r for r in group if r.covers_final]
        for name, values in (("hq_fraction", [r.hq_fraction for r in group]),
                             ("hq_covering", [r.hq_fraction for r in covering]),
                             ("reverse_kl", [r.reverse_kl for r in group]),
                             ("sigma_mean", [r.sigma_mean for r in group])):
            med, lo, hi = median_interval(values)
            row.update({name: med, f"{name}_lo": lo, f"{name}_hi": hi})
        rows.append(row)
    for protocol in {r["protocol"] for r in rows}:
        family = [r for r in rows if r["protocol"] == protocol]
        for endpoint in ("covers_final", "covers_late"):
            adjusted = holm([r[f"{endpoint}_p"] for r in family])
            for r, p in zip(family, adjusted, strict=True):
                r[f"{endpoint}_p_holm"] = p
    return rows


def analyse(groups: Sequence[GroupFolder]
            ) -> tuple[list[RunEndpoints], list[dict[str, Any]], list[RunSeries]]:
    """Every run's endpoints from the groups (:func:`read_groups`), the per-setting table,
    and every run's modes over training."""
    runs: list[RunEndpoints] = []
    series: list[RunSeries] = []
    for group in groups:
        for endpoints, one in read_group(group):
            runs.append(endpoints)
            series.append(one)
    return runs, setting_rows(runs), series


def csv_text(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def runs_csv(runs: list[RunEndpoints]) -> str:
    """``runs.csv``: one row per run."""
    return csv_text(RUN_COLUMNS, [r.row() for r in runs])


def endpoints_csv(rows: list[dict[str, Any]]) -> str:
    """``endpoints.csv``: one row per setting, every column."""
    return csv_text(list(rows[0]), rows)


def interval_text(value: float, lo: float, hi: float, percent: bool = False) -> str:
    if not math.isfinite(value):
        return "–"
    f = (lambda v: f"{100 * v:.0f}") if percent else (lambda v: f"{v:.3g}")
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return f(value)
    return f"{f(value)} [{f(lo)}, {f(hi)}]"


def _p(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{value:.3g}"


def endpoints_markdown(rows: list[dict[str, Any]], command: str) -> str:
    """``endpoints.md``: the primary and secondary tables."""
    lines = ["# Endpoints", "", f"Command: `{command}`", "",
             f"Intervals are {CONFIDENCE:.0%}. Coverage: Wilson intervals; the difference "
             "from the plug-in runs of the same seeds: Newcombe's interval for paired "
             "proportions, exact McNemar p, Holm-adjusted within each protocol. Medians: "
             "percentile bootstrap.", "",
             "## Primary: runs covering every mode (%)", ""]

    def primary(r: dict[str, Any]) -> list[str]:
        cells = [r["protocol"], r["estimator"], r["sigma"], str(r["runs"])]
        for e in ("covers_final", "covers_late"):
            cells += [interval_text(r[e], r[f"{e}_lo"], r[f"{e}_hi"], True),
                      interval_text(r[f"{e}_diff"], r[f"{e}_diff_lo"], r[f"{e}_diff_hi"], True),
                      _p(r[f"{e}_p_holm"])]
        return cells

    lines += markdown_table(
        ("protocol", "estimator", "sigma", "runs", "at the end", "minus plug-in", "p (Holm)",
         "over the last 20 %", "minus plug-in", "p (Holm)"), map(primary, rows))
    lines += ["", "## Secondary: medians", ""]
    lines += markdown_table(
        ("protocol", "estimator", "sigma", "high-quality fraction", "among covering runs",
         "reverse KL", "sigma (learned: mean sigma(z))", "diverged"),
        ([r["protocol"], r["estimator"], r["sigma"],
          *(interval_text(r[m], r[f"{m}_lo"], r[f"{m}_hi"])
            for m in ("hq_fraction", "hq_covering", "reverse_kl", "sigma_mean")),
          f"{r['diverged']}/{r['runs']}"] for r in rows))
    return "\n".join(lines) + "\n"
