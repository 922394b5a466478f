"""``python main.py compare``: the four estimators under a published protocol, over seeds.

Trains every estimator (and each fixed sigma) for N seeds in one batched trainer, then
tabulates the final evaluation (2500 samples by default) as mean and standard error over
seeds: results.md, results.csv, the per-run values behind them (per_run.csv), plus the usual
summary.json and a figure of the final densities (best and worst seed of each estimator).
"""

from __future__ import annotations

import csv
import io
import math
import shlex
import statistics
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from ganviz.core.atomic import write_text_atomic
from ganviz.core.config import Config, load_preset
from ganviz.core.contract import GroupCurves, RunSpec
from ganviz.core.markdown import markdown_table
from ganviz.core.settings import ConfigError
from ganviz.engine.equation1 import compute_sigma_curves
from ganviz.engine.trainer import Trainer

PROTOCOLS = ("veegan-ring", "veegan-grid", "pacgan-ring", "pacgan-grid")
TABLE_METRICS = ("modes", "hq_fraction", "reverse_kl", "sigma_mean", "sigma_p10", "sigma_p90")
NOISE_METRICS = ("grad_rel_var", "eq1_bias", "eq1_pathwise_std", "eq1_score_std")
EXTRA_METRICS = ("modes_late", *NOISE_METRICS)
SCORE_BASELINE_METRICS = ("eq1_score_std_point", "eq1_score_std_mean")  # per run only
PER_RUN_NAME = "per_run.csv"
PER_RUN_METRICS = (*TABLE_METRICS, *EXTRA_METRICS, *SCORE_BASELINE_METRICS)
PER_RUN_COLUMNS = ("run", "estimator", "seed", "sigma", "run_sigma", "diverged",
                   *PER_RUN_METRICS)
LATE_FRACTION = 0.2  # "late": the evaluations in the last 20% of the iterations


def protocol_config(protocol: str, seeds: int, steps: int | None,
                    sigmas: list[float] | None, device: str | None) -> Config:
    """The protocol's preset with N seeds and optional steps, sigmas and device."""
    if protocol not in PROTOCOLS:
        raise ConfigError("--protocol", f"unknown protocol {protocol!r}; allowed: "
                          f"{', '.join(PROTOCOLS)}")
    over: dict[str, dict] = {"runs": {"seeds": list(range(seeds))}, "train": {}}
    if steps is not None:
        over["train"]["steps"] = steps
    if sigmas is not None:
        over["runs"]["sigmas"] = sigmas
    if device is not None:
        over["train"]["device"] = device
    return load_preset(protocol).with_overrides(over)


RESUME_FREE = {("train", "steps"), ("train", "device"), ("train", "threads")}


def resume_mismatch(cfg: Config, saved: dict[str, Any]) -> str | None:
    """Why ``cfg`` (from the command line) cannot resume a checkpoint made with ``saved``
    (its config as a dict), or None. Only steps, device and threads may change: anything
    else would make the table's command line lie about how it was made."""
    wanted = cfg.to_dict()
    for section, values in wanted.items():
        for key, value in values.items():
            if (section, key) in RESUME_FREE:
                continue
            old = saved.get(section, {}).get(key)
            if old != value:
                return f"{section}.{key} is {old!r} in the checkpoint, {value!r} here"
    return None


def group_key(spec: RunSpec) -> tuple[str, str]:
    """Runs that differ only by seed share a row: (estimator, sigma label)."""
    return spec.estimator, "learned" if spec.learned_sigma else f"{spec.sigma:g}"


def final_rows(trainer: Trainer) -> dict[int, dict[str, Any]]:
    """The last evaluation of every run (none before the first evaluation)."""
    return {r: row for r in range(trainer.n_runs)
            if (row := trainer.history.final(r)) is not None}


def run_sigma(spec: RunSpec, final: dict[str, Any]) -> float:
    """The output noise a run trained with: its fixed sigma, or its final mean sigma(z)."""
    return float(final["sigma_mean"]) if spec.learned_sigma else float(spec.sigma)


def gradient_noise(trainer: Trainer) -> dict[int, dict[str, float]]:
    """Per run, why an estimator trains well or badly, in the :data:`NOISE_METRICS`.

    ``grad_rel_var``: the median over training (evaluations after step 0) of the relative
    variance of the minibatch generator gradient. ``eq1_*``: the equation-1 curves of the
    final networks at the run's own sigma (:func:`run_sigma`): relative bias of the smoothed
    gradient, single-sample std of the pathwise and score-function estimates (NaN at 0); the
    score function's with the leave-one-out batch baseline, and in
    :data:`SCORE_BASELINE_METRICS` with the per-point and the at-mean baselines.
    """
    final = final_rows(trainer)
    sigmas = {spec.index: run_sigma(spec, final[spec.index]) for spec in trainer.runs}
    positive = sorted({s for s in sigmas.values() if s > 0 and math.isfinite(s)})
    curves = compute_sigma_curves(trainer, sigmas=positive) if positive else None
    out: dict[int, dict[str, float]] = {}
    trained = scheduled(trainer) & (trainer.history.steps > 0)
    rel_var = trainer.history.column("grad_rel_var")[trained]
    for spec in trainer.runs:
        r = spec.index
        during = [v for v in rel_var[:, r].tolist() if math.isfinite(v)]
        entry = {"grad_rel_var": statistics.median(during) if during else math.nan}
        s = sigmas[r]
        at = positive.index(s) if curves is not None and s in positive else None
        for key, name in (("eq1_bias", "bias"), ("eq1_pathwise_std", "pathwise_std"),
                          ("eq1_score_std", "score_std"),
                          ("eq1_score_std_point", "score_std_point"),
                          ("eq1_score_std_mean", "score_std_mean")):
            entry[key] = math.nan if at is None else float(getattr(curves, name)[r, at])
        out[r] = entry
    return out


def scheduled(trainer: Trainer) -> np.ndarray:
    """Which evaluations of the history a fresh run of this length makes too: every
    ``eval.every`` steps and at its last step. A run resumed to more steps (``compare
    --resume --steps``) also holds one at its earlier end, which the summaries leave out,
    so they equal those of a run trained to the new length at once."""
    steps = trainer.history.steps
    return (steps % trainer.cfg.eval.every == 0) | (steps == trainer.step_count)


def late_modes(trainer: Trainer) -> dict[int, dict[str, float]]:
    """Per run, ``modes_late``: modes captured averaged over the evaluations in the last
    :data:`LATE_FRACTION` of the iterations (GAN training oscillates; one step can mislead)."""
    start = (1 - LATE_FRACTION) * trainer.step_count
    steps = trainer.history.steps
    modes = trainer.history.column("modes")[(steps >= start) & (steps > 0) & scheduled(trainer)]
    out = {}
    for spec in trainer.runs:
        values = modes[:, spec.index].tolist()
        out[spec.index] = {"modes_late": sum(values) / len(values) if values else math.nan}
    return out


def aggregate(trainer: Trainer,
              extra: dict[int, dict[str, float]] | None = None) -> list[dict[str, Any]]:
    """Mean and standard error over seeds of the final metrics, one entry per group, with
    the :data:`EXTRA_METRICS` found in ``extra`` (per run, from :func:`late_modes` and
    :func:`gradient_noise`)."""
    final = final_rows(trainer)
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for spec in trainer.runs:
        groups[group_key(spec)].append({**final[spec.index], **(extra or {}).get(spec.index, {})})
    present = next(iter((extra or {}).values()), {})
    metrics = TABLE_METRICS + tuple(m for m in EXTRA_METRICS if m in present)
    out = []
    for (estimator, sigma), rows in groups.items():
        entry: dict[str, Any] = {"estimator": estimator, "sigma": sigma, "seeds": len(rows),
                                 "diverged": sum(bool(r["diverged"]) for r in rows)}
        for metric in metrics:
            values = [float(r[metric]) for r in rows if math.isfinite(float(r[metric]))]
            n = len(values)
            mean = sum(values) / n if n else math.nan
            var = sum((v - mean) ** 2 for v in values) / (n - 1) if n > 1 else math.nan
            entry[metric] = mean
            entry[f"{metric}_se"] = math.sqrt(var / n) if n > 1 else math.nan
        out.append(entry)
    return out


def _fmt(mean: float, se: float, digits: int) -> str:
    if not math.isfinite(mean):
        return "–"
    return f"{mean:.{digits}f} ± {se:.{digits}f}" if math.isfinite(se) else f"{mean:.{digits}f}"


def results_markdown(groups: list[dict[str, Any]], cfg: Config, command: str,
                     step: int) -> str:
    """A markdown table of the aggregated results with the command that made it (and the
    late-modes column and gradient-noise table when the groups carry them)."""
    d = cfg.data
    late = bool(groups) and "modes_late" in groups[0]
    header = ["estimator", "sigma", "modes", *([f"modes, last {LATE_FRACTION:.0%}"] if late
                                               else []),
              "high-quality fraction", "reverse KL", "sigma(z) mean [p10, p90]", "diverged"]
    lines = [
        f"Protocol: {d.name} (std {d.std:g}), {len(cfg.runs.seeds)} seeds, {step} iterations, "
        f"evaluated on {cfg.eval.samples} samples; mean ± standard error over seeds.",
        "",
        f"Command: `{command}`",
        "",
    ]
    rows = []
    for g in groups:
        if g["sigma"] == "learned":
            sig = (f"{g['sigma_mean']:.4g} [{g['sigma_p10']:.3g}, {g['sigma_p90']:.3g}]"
                   if math.isfinite(g["sigma_mean"]) else "–")
        else:
            sig = "fixed"
        cells = [g["estimator"], g["sigma"], _fmt(g["modes"], g["modes_se"], 2),
                 *([_fmt(g["modes_late"], g["modes_late_se"], 2)] if late else []),
                 _fmt(g["hq_fraction"], g["hq_fraction_se"], 3),
                 _fmt(g["reverse_kl"], g["reverse_kl_se"], 3), sig,
                 f"{g['diverged']}/{g['seeds']}"]
        rows.append(cells)
    lines += markdown_table(header, rows)
    if groups and "grad_rel_var" in groups[0]:
        lines += ["", *noise_markdown(groups, cfg)]
    return "\n".join(lines) + "\n"


def noise_markdown(groups: list[dict[str, Any]], cfg: Config) -> list[str]:
    """The gradient-noise table: training-time relative variance and equation 1 at sigma."""
    lines = [
        f"Gradient noise. Training: median over the evaluations of the relative variance "
        f"E|g - mean g|^2 / |mean g|^2 of the generator's parameter gradient over "
        f"{cfg.eval.grad_var_batches} minibatches of {cfg.train.batch_size}. Equation 1 at the "
        f"run's own sigma (learned: its final mean sigma(z)), final networks, "
        f"{cfg.probe.curve_fakes} fakes x {cfg.probe.curve_draws} draws: relative bias of the "
        f"smoothed gradient against grad f(mu), and single-sample std of the pathwise and "
        f"score-function estimates, both divided by mean |grad f(mu)|.",
        "",
    ]
    header = ["estimator", "sigma", "gradient rel. variance (training)",
              "eq-1 bias at sigma", "pathwise std at sigma", "score std at sigma"]
    return lines + markdown_table(header, (
        [g["estimator"], g["sigma"], *(_fmt_g(g[m], g[f"{m}_se"]) for m in NOISE_METRICS)]
        for g in groups))


def _fmt_g(mean: float, se: float) -> str:
    """Three significant digits, for values that span decades."""
    if not math.isfinite(mean):
        return "–"
    return f"{mean:.3g} ± {se:.2g}" if math.isfinite(se) else f"{mean:.3g}"


def results_csv(groups: list[dict[str, Any]]) -> str:
    """The aggregated results as CSV (one row per estimator and sigma)."""
    cols = ["estimator", "sigma", "seeds", "diverged"]
    extra = tuple(m for m in EXTRA_METRICS if groups and m in groups[0])
    for m in TABLE_METRICS + extra:
        cols += [m, f"{m}_se"]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    writer.writeheader()
    for g in groups:
        writer.writerow({k: g[k] for k in cols})
    return buf.getvalue()


def best_and_worst(trainer: Trainer) -> list[tuple[str, int, int]]:
    """Per group: (label, best run, worst run) by modes, then high-quality fraction."""
    final = final_rows(trainer)
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for spec in trainer.runs:
        groups[group_key(spec)].append(spec.index)

    def score(i: int) -> tuple[float, float]:
        r = final[i]
        return (-1.0, 0.0) if r["diverged"] else (float(r["modes"]), float(r["hq_fraction"]))

    out = []
    for (estimator, sigma), idx in groups.items():
        ranked = sorted(idx, key=score, reverse=True)
        out.append((f"{estimator} σ={sigma}", ranked[0], ranked[-1]))
    return out


EQ1_FIGURE_SIGMAS = [10 ** (k / 4) for k in range(-16, 1)]  # 1e-4 .. 1, 4 per decade


def equation1_by_group(trainer: Trainer) -> list[GroupCurves]:
    """The equation-1 curves of the final networks from sigma 1e-4 to 1, per group (wide
    enough for learned sigma(z), which falls below the window's 1e-3)."""
    curves = compute_sigma_curves(trainer, sigmas=EQ1_FIGURE_SIGMAS)
    final = final_rows(trainer)
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for spec in trainer.runs:
        if not final[spec.index]["diverged"]:
            groups[group_key(spec)].append(spec.index)
    out = []
    by_index = {spec.index: spec for spec in trainer.runs}
    for (estimator, sigma), idx in groups.items():
        own = sum(run_sigma(by_index[i], final[i]) for i in idx) / len(idx)
        out.append(GroupCurves(
            estimator, sigma, own if own > 0 else None, curves.sigma.tolist(),
            *(getattr(curves, name)[idx].mean(0).tolist()
              for name in ("bias", "pathwise_std", "score_std", "score_std_mean"))))
    return out


def run_extras(trainer: Trainer) -> dict[int, dict[str, float]]:
    """Per run, its late modes and gradient noise (the :data:`EXTRA_METRICS` and
    :data:`SCORE_BASELINE_METRICS`)."""
    noise, late = gradient_noise(trainer), late_modes(trainer)
    return {r: {**late[r], **noise[r]} for r in noise}


def result_groups(trainer: Trainer,
                  extras: dict[int, dict[str, float]] | None = None) -> list[dict[str, Any]]:
    """The rows of the results table: :func:`aggregate` with late modes and gradient noise
    (``extras``: :func:`run_extras`, when already computed)."""
    return aggregate(trainer, run_extras(trainer) if extras is None else extras)


def per_run_csv(trainer: Trainer, extras: dict[int, dict[str, float]]) -> str:
    """One row per run: its settings, final metrics, late modes and gradient noise (the
    values that results.csv aggregates, and the score function at every baseline)."""
    final = final_rows(trainer)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=PER_RUN_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for spec in trainer.runs:
        row = {**final[spec.index], **extras[spec.index]}
        writer.writerow({"run": spec.index, "estimator": spec.estimator, "seed": spec.seed,
                         "sigma": spec.sigma, "run_sigma": run_sigma(spec, row),
                         "diverged": int(bool(row["diverged"])),
                         **{m: row[m] for m in PER_RUN_METRICS}})
    return buf.getvalue()


def write_results(trainer: Trainer, out: Path, command: str,
                  extras: dict[int, dict[str, float]] | None = None) -> list[Path]:
    """results.md, results.csv and per_run.csv (atomically) into ``out``, with the gradient
    noise (``extras``: :func:`run_extras`, when already computed)."""
    extras = run_extras(trainer) if extras is None else extras
    groups = result_groups(trainer, extras)
    md, csv_path, runs_path = out / "results.md", out / "results.csv", out / PER_RUN_NAME
    write_text_atomic(md, results_markdown(groups, trainer.cfg, command, trainer.step_count))
    write_text_atomic(csv_path, results_csv(groups))
    write_text_atomic(runs_path, per_run_csv(trainer, extras))
    return [md, csv_path, runs_path]


def command_line(argv: list[str] | None = None) -> str:
    """The command that reproduces the results table: as typed, without ``--resume`` (a
    resumed run gives the same numbers as an uninterrupted one)."""
    args = sys.argv[1:] if argv is None else argv
    return "python main.py " + " ".join(shlex.quote(a) for a in args if a != "--resume")
