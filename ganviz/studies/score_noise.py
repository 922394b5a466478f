"""The score function's noise under each baseline, from finished sweep or compare folders.

Read from each group's ``per_run.csv`` (the equation-1 values of the final networks at each
run's own sigma) and ``config.toml``; no training, no Qt. Per run with a sigma (``noise.csv``):

* ``score_to_pathwise``: the score estimate's single-sample std with the baseline the group
  trained with (``runs.score_baseline``), divided by the pathwise estimate's std at the
  same sigma and networks (plan C2's endpoint, docs/study.md);
* ``mean_to_batch`` and ``point_to_batch``: the at-mean and the per-point baseline's std
  divided by the leave-one-out batch baseline's, on the same networks.

Per setting, medians with percentile-bootstrap intervals; and between groups whose configs
differ only in ``runs.score_baseline``, the per-seed ratio at_mean / leave_one_out of
``score_to_pathwise``, paired by seed (``noise.md``).
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganviz.core.config import Config
from ganviz.core.markdown import markdown_table
from ganviz.studies.analysis import (
    CONFIDENCE,
    AnalysisError,
    GroupFolder,
    config_key,
    csv_text,
    interval_text,
    median_interval,
)
from ganviz.studies.compare import PER_RUN_NAME

# What differs between the two groups of a baseline pair.
BASELINE_FIELD = {"runs": {"score_baseline": ""}}
TRAINED_COLUMN = {"leave_one_out": "eq1_score_std", "at_mean": "eq1_score_std_mean"}
EQ1_STDS = ("eq1_pathwise_std", "eq1_score_std", "eq1_score_std_point", "eq1_score_std_mean")
RUN_FIELDS = ("protocol", "score_baseline", "estimator", "sigma", "seed", "run_sigma", *EQ1_STDS)
NOISE_COLUMNS = (*RUN_FIELDS, "score_to_pathwise", "mean_to_batch", "point_to_batch")


@dataclass(frozen=True)
class RunNoise:
    """One run's equation-1 noise at its own sigma (one row of ``noise.csv``)."""

    protocol: str
    score_baseline: str
    estimator: str
    sigma: str
    seed: int
    run_sigma: float
    eq1_pathwise_std: float
    eq1_score_std: float
    eq1_score_std_point: float
    eq1_score_std_mean: float

    @property
    def score_to_pathwise(self) -> float:
        """The trained baseline's score std over the pathwise std."""
        return _ratio(getattr(self, TRAINED_COLUMN[self.score_baseline]), self.eq1_pathwise_std)

    def row(self) -> dict[str, Any]:
        """As a CSV row."""
        return {c: getattr(self, c) for c in RUN_FIELDS} | {
            "score_to_pathwise": self.score_to_pathwise,
            "mean_to_batch": _ratio(self.eq1_score_std_mean, self.eq1_score_std),
            "point_to_batch": _ratio(self.eq1_score_std_point, self.eq1_score_std)}


def _ratio(a: float, b: float) -> float:
    return a / b if math.isfinite(a) and math.isfinite(b) and b > 0 else math.nan


def read_noise(protocol: str, folder: Path, cfg: Config) -> list[RunNoise]:
    """The runs with a sigma (not the plug-in) of a group's ``per_run.csv`` (``cfg``: the
    group's config); none when the folder has no such file (folders written before it
    existed)."""
    path = folder / PER_RUN_NAME
    if not path.is_file():
        return []
    out = []
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if float(row["run_sigma"]) <= 0 or row["diverged"] == "1":
                    continue
                sigma = "learned" if cfg.runs.learns_sigma(row["estimator"]) else \
                    f"{float(row['sigma']):g}"
                out.append(RunNoise(
                    protocol, cfg.runs.score_baseline, row["estimator"], sigma,
                    int(row["seed"]), float(row["run_sigma"]),
                    *(float(row[c]) for c in EQ1_STDS)))
    except (OSError, KeyError, ValueError) as exc:
        raise AnalysisError(f"{path}: cannot read it ({exc})") from None
    return out


def _setting(r: RunNoise) -> tuple[str, str, str, str]:
    return r.protocol, r.score_baseline, r.estimator, r.sigma


def setting_rows(runs: list[RunNoise]) -> list[dict[str, Any]]:
    """Per (protocol, baseline, estimator, sigma): medians and intervals of the ratios."""
    by: dict[tuple[str, str, str, str], list[RunNoise]] = defaultdict(list)
    for r in runs:
        by[_setting(r)].append(r)
    rows = []
    for (protocol, baseline, estimator, sigma), group in by.items():
        row: dict[str, Any] = {"protocol": protocol, "score_baseline": baseline,
                               "estimator": estimator, "sigma": sigma, "runs": len(group)}
        per_run = [r.row() for r in group]
        for name in ("score_to_pathwise", "mean_to_batch", "point_to_batch"):
            med, lo, hi = median_interval([values[name] for values in per_run])
            row.update({name: med, f"{name}_lo": lo, f"{name}_hi": hi})
        rows.append(row)
    return rows


def baseline_pairs(groups: list[tuple[str, Config]], runs: list[RunNoise]
                   ) -> list[dict[str, Any]]:
    """Between two groups (``groups``: name and config) that differ only in
    ``runs.score_baseline`` (leave_one_out and at_mean): per setting, the per-seed ratio
    at_mean / leave_one_out of ``score_to_pathwise``, its median and bootstrap interval."""
    twins: dict[str, dict[str, str]] = defaultdict(dict)
    for protocol, cfg in groups:
        twins[config_key(cfg, BASELINE_FIELD)][cfg.runs.score_baseline] = protocol
    rows = []
    for pair in twins.values():
        if set(pair) != set(TRAINED_COLUMN):
            continue
        loo = {(r.estimator, r.sigma, r.seed): r for r in runs
               if r.protocol == pair["leave_one_out"]}
        at_mean = [r for r in runs if r.protocol == pair["at_mean"]]
        ratios: dict[tuple[str, str], list[float]] = defaultdict(list)
        for r in at_mean:
            other = loo.get((r.estimator, r.sigma, r.seed))
            if other is not None:
                ratios[(r.estimator, r.sigma)].append(
                    _ratio(r.score_to_pathwise, other.score_to_pathwise))
        for (estimator, sigma), values in ratios.items():
            med, lo, hi = median_interval(values)
            rows.append({"at_mean": pair["at_mean"], "leave_one_out": pair["leave_one_out"],
                         "estimator": estimator, "sigma": sigma, "seeds": len(values),
                         "ratio": med, "ratio_lo": lo, "ratio_hi": hi})
    return rows


def noise_texts(groups: Sequence[GroupFolder], command: str) -> dict[str, str]:
    """``noise.csv`` and ``noise.md`` for the groups (``ganviz.studies.analysis.read_groups``;
    empty when none has per-run noise)."""
    runs = [r for g in groups for r in read_noise(g.name, g.folder, g.config)]
    if not runs:
        return {}
    rows = setting_rows(runs)
    pairs = baseline_pairs([(g.name, g.config) for g in groups], runs)
    lines = ["# The score function's noise under each baseline", "",
             f"Command: `{command}`", "",
             "Equation 1 at each run's own sigma (learned: its final mean sigma(z)), final "
             "networks. *score / pathwise*: the single-sample std of the score-function "
             "estimate with the baseline the run trained with, over the pathwise one's. "
             "*at-mean / batch* and *per-point / batch*: the at-mean (f(mu(z))) and the "
             "per-point baseline's std over the leave-one-out batch baseline's, same "
             f"networks. Medians over runs, {CONFIDENCE:.0%} percentile-bootstrap intervals.",
             ""]
    lines += markdown_table(
        ("group", "baseline", "estimator", "sigma", "runs", "score / pathwise",
         "at-mean / batch", "per-point / batch"),
        ([r["protocol"], r["score_baseline"], r["estimator"], r["sigma"], str(r["runs"]),
          *(interval_text(r[m], r[f"{m}_lo"], r[f"{m}_hi"])
            for m in ("score_to_pathwise", "mean_to_batch", "point_to_batch"))] for r in rows))
    if pairs:
        lines += ["", "## Trained with at_mean against leave_one_out, paired by seed", "",
                  "Per seed: *score / pathwise* of the group trained with the at-mean "
                  "baseline over that of the group trained with the leave-one-out one; "
                  "median and bootstrap interval.", ""]
        lines += markdown_table(
            ("at_mean group", "leave_one_out group", "estimator", "sigma", "seeds", "ratio"),
            ([p["at_mean"], p["leave_one_out"], p["estimator"], p["sigma"], str(p["seeds"]),
              interval_text(p["ratio"], p["ratio_lo"], p["ratio_hi"])] for p in pairs))
    return {"noise.csv": csv_text(NOISE_COLUMNS, [r.row() for r in runs]),
            "noise.md": "\n".join(lines) + "\n"}
