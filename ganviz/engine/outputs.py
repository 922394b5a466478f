"""Headless outputs of a training session: metrics.csv, summary.json, config.toml."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

from ganviz.core.atomic import write_text_atomic
from ganviz.core.history import METRIC_COLUMNS, MetricHistory
from ganviz.engine.trainer import Trainer

FINAL_METRICS = ("loss_d", "loss_g", "modes", "hq_fraction", "reverse_kl", "js_divergence",
                 "energy_distance", "sigma_mean", "sigma_p10", "sigma_p90", "grad_rel_var")


def metrics_csv_text(history: MetricHistory) -> str:
    """The metrics history as CSV text: one row per (step, run), columns ``METRIC_COLUMNS``."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(METRIC_COLUMNS), extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    for row in history.rows():
        writer.writerow({k: _csv_value(row[k]) for k in METRIC_COLUMNS})
    return buf.getvalue()


def _csv_value(v: Any) -> Any:
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else str(v)
    return v


def _json_safe(v: Any) -> Any:
    """Replace non-finite floats by None so the JSON stays standard."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _json_safe(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_json_safe(x) for x in v]
    return v


def summary_dict(trainer: Trainer, curves: Any | None) -> dict[str, Any]:
    """The summary schema: config, and per run its final metrics and equation-1 sigma curve.

    ``curves`` is a ``contract.SigmaCurves`` (or None to leave the curves out).
    """
    diverged = trainer.diverged_list()
    runs = []
    for spec in trainer.runs:
        row = trainer.history.final(spec.index) or {}
        entry: dict[str, Any] = {
            "run": spec.index,
            "estimator": spec.estimator,
            "seed": spec.seed,
            "sigma": spec.sigma,
            "learned_sigma": spec.learned_sigma,
            "covariance": spec.covariance,
            "title": spec.title,
            "diverged": diverged[spec.index],
            "final": {"step": row.get("step", 0), **{k: row.get(k) for k in FINAL_METRICS}},
        }
        if curves is not None:
            entry["sigma_curve"] = {
                "sigma": [float(s) for s in curves.sigma],
                "bias": [float(v) for v in curves.bias[spec.index]],
                "pathwise_std": [float(v) for v in curves.pathwise_std[spec.index]],
                **{name: [float(v) for v in getattr(curves, name)[spec.index]]
                   for name in ("score_std", "score_std_point", "score_std_mean")},
            }
        runs.append(entry)
    return _json_safe({"config": trainer.cfg.to_dict(), "step": trainer.step_count,
                       "device": str(trainer.device), "runs": runs})


def write_run_outputs(trainer: Trainer, out: Path, curves: Any | None) -> list[Path]:
    """Write metrics.csv and summary.json into ``out`` atomically; return the paths."""
    csv_path, json_path = out / "metrics.csv", out / "summary.json"
    write_text_atomic(csv_path, metrics_csv_text(trainer.history))
    text = json.dumps(summary_dict(trainer, curves), indent=2, allow_nan=False)
    write_text_atomic(json_path, text + "\n")
    return [csv_path, json_path]
