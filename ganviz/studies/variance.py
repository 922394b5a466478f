"""What learned variance converges to: where a trained generator puts each mode's variance.

For every run of a trained trainer, samples x = mu(z) + L(z) eps are assigned to the mode
nearest their mean mu(z). Per mode, the variance of x along a direction d splits exactly
into the spread of the means and the learned conditional variance:

    Var(d.x) = Var(d.mu(z)) + E[d^T Sigma(z) d]     (over the draws assigned to the mode)

Directions are the ring's tangent and its radius at each mode (for ring data), so an
anisotropic mode (std 0.2 along the ring, 0.02 across) shows which part carries which axis.
Each std here is the square root of a variance averaged over modes, weighted by their draws.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ganviz.core.contract import ResponseCurve
from ganviz.core.errors import UserError
from ganviz.core.markdown import markdown_table
from ganviz.engine import covariance
from ganviz.engine.checkpoint import CheckpointError
from ganviz.engine.device import resolve_device
from ganviz.engine.draws import normal_runs
from ganviz.engine.metrics import nearest_modes
from ganviz.engine.step import fake_samples
from ganviz.engine.trainer import Trainer
from ganviz.studies.sweep.plan import read_plan

STUDY_SALT = 31
STUDY_DRAWS = 8192
MIN_DRAWS = 20  # modes with fewer assigned draws are left out of the per-mode variances
MAD_TO_STD = 1.4826  # a normal's std over its median absolute deviation
ORIENTED_RATIO = 1.05  # a draw's Sigma has an orientation when its major std is 5 % longer

RUN_COLUMNS = ("x_std", "mu_std", "x_std_t", "x_std_r", "mu_std_t", "mu_std_r", "sig_std_t",
               "sig_std_r", "mu_width", "mu_width_t", "mu_width_r", "sigma_median",
               "sigma_major", "sigma_minor", "alignment", "modes", "hq_fraction")


@dataclass(frozen=True)
class RunVariance:
    """One run's decomposition (see the module docstring); ``_t`` along the ring's tangent,
    ``_r`` along its radius, ``x_std`` and ``mu_std`` over both (sqrt of half the trace);
    ``mu_width*``: the robust (MAD) std of mu(z) within a mode, the width of its core.
    ``alignment``: mean |cos| between Sigma(z)'s major axis and the tangent over the draws
    whose Sigma is oriented (NaN if none: isotropic); ``sigma_*``: medians of eigen-stds."""

    values: dict[str, float]


def directions(means: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Unit tangent and radial directions [M, 2] at mode centres [M, 2] (around the origin)."""
    radial = means / means.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    tangent = torch.stack([-radial[:, 1], radial[:, 0]], dim=-1)
    return tangent, radial


def _mode_variance(values: torch.Tensor, idx: torch.Tensor, n_modes: int) -> torch.Tensor:
    """Within-mode variance of ``values`` [R, n] by mode ``idx`` [R, n], averaged over modes
    with at least MIN_DRAWS draws, weighted by their draws: [R]."""
    r = values.shape[0]
    ones = torch.ones_like(values)
    count = torch.zeros(r, n_modes, dtype=values.dtype, device=values.device)
    count.scatter_add_(1, idx, ones)
    total = torch.zeros_like(count).scatter_add_(1, idx, values)
    mean = total / count.clamp_min(1)
    dev = values - mean.gather(1, idx)
    sq = torch.zeros_like(count).scatter_add_(1, idx, dev * dev)
    keep = count >= MIN_DRAWS
    weights = torch.where(keep, count, torch.zeros_like(count))
    return (sq * keep).sum(1) / weights.sum(1).clamp_min(1)


def run_variances(trainer: Trainer, draws: int = STUDY_DRAWS) -> list[RunVariance]:
    """The decomposition of every run of ``trainer`` (ring-like data with known modes)."""
    mixture = trainer.data.mixture
    form = trainer.cfg.runs.covariance
    d = trainer.cfg.model.latent_dim
    tangent, radial = directions(mixture.means.to(torch.float64))
    with torch.no_grad():
        noise = normal_runs(trainer.probe_generators(STUDY_SALT), draws, d + 2, trainer.device)
        mu, scale = trainer.generate(trainer.latent(noise[..., :d]))
        x = fake_samples(trainer.functions.spec, mu, scale, noise[..., d:])
        idx, _ = nearest_modes(mu, mixture)
        mu, x = mu.double(), x.double()
        p, q, r = (e.double() for e in covariance.covariance_entries(scale, form))
        stds, angle = covariance.eigen(scale, form)
        out: dict[str, torch.Tensor] = {}
        for name, direction in (("t", tangent), ("r", radial)):
            dv = direction.to(mu.device)[idx]  # [R, n, 2]
            out[f"x_std_{name}"] = _mode_variance((x * dv).sum(-1), idx, mixture.n_modes)
            out[f"mu_std_{name}"] = _mode_variance((mu * dv).sum(-1), idx, mixture.n_modes)
            quad = p * dv[..., 0] ** 2 + 2 * q * dv[..., 0] * dv[..., 1] + r * dv[..., 1] ** 2
            out[f"sig_std_{name}"] = _mean_by_mode(quad, idx, mixture.n_modes)
            out[f"mu_width_{name}"] = _robust_width((mu * dv).sum(-1), idx, mixture.n_modes)
        for part in ("x", "mu"):  # over both directions: sqrt(trace / 2) of the covariance
            out[f"{part}_std"] = 0.5 * (out[f"{part}_std_t"] + out[f"{part}_std_r"])
        for key in [k for k in out if "_std" in k]:
            out[key] = out[key].sqrt()
        out["mu_width"] = (0.5 * (out["mu_width_t"] ** 2 + out["mu_width_r"] ** 2)).sqrt()
        pooled = stds.flatten(1).double()
        out["sigma_median"] = pooled.median(dim=1).values
        out["sigma_major"] = stds[..., 0].double().median(dim=1).values
        out["sigma_minor"] = stds[..., 1].double().median(dim=1).values
        major = torch.stack([torch.cos(angle), torch.sin(angle)], dim=-1).double()
        cos = (major * tangent.to(mu.device)[idx]).sum(-1).abs()
        oriented = stds[..., 0] > ORIENTED_RATIO * stds[..., 1]  # else the axes are arbitrary
        count = oriented.sum(1)
        out["alignment"] = torch.where(count > 0, (cos * oriented).sum(1) / count.clamp_min(1),
                                       torch.full_like(out["sigma_median"], math.nan))
    finals = [trainer.history.final(i) or {} for i in range(trainer.n_runs)]
    return [RunVariance({**{k: float(v[i]) for k, v in out.items()},
                         "modes": float(finals[i].get("modes", math.nan)),
                         "hq_fraction": float(finals[i].get("hq_fraction", math.nan))})
            for i in range(trainer.n_runs)]


def _robust_width(values: torch.Tensor, idx: torch.Tensor, n_modes: int) -> torch.Tensor:
    """Within-mode robust std, 1.4826 x the median absolute deviation, of ``values`` [R, n]
    by mode ``idx``: the width of a mode's core, which the few draws trailing between modes
    (and inflating the variance) do not move. Averaged over modes with at least MIN_DRAWS
    draws as root mean square, weighted by draws: [R]."""
    out = torch.full((values.shape[0],), math.nan, dtype=values.dtype, device=values.device)
    for r in range(values.shape[0]):
        total, weight = 0.0, 0
        for m in range(n_modes):
            v = values[r][idx[r] == m]
            if v.numel() < MIN_DRAWS:
                continue
            mad = (v - v.median()).abs().median()
            total += float(v.numel()) * float(MAD_TO_STD * mad) ** 2
            weight += v.numel()
        if weight:
            out[r] = math.sqrt(total / weight)
    return out


def _mean_by_mode(values: torch.Tensor, idx: torch.Tensor, n_modes: int) -> torch.Tensor:
    """Mean of ``values`` [R, n] over the draws of modes with at least MIN_DRAWS draws: [R]."""
    count = torch.zeros(values.shape[0], n_modes, dtype=values.dtype, device=values.device)
    count.scatter_add_(1, idx, torch.ones_like(values))
    keep = (count >= MIN_DRAWS).gather(1, idx)
    return (values * keep).sum(1) / keep.sum(1).clamp_min(1)


def quantile_summary(values: list[float]) -> dict[str, float]:
    """Median and 10th / 90th percentiles of ``values`` (NaN left out; all NaN: NaN)."""
    t = torch.tensor([v for v in values if math.isfinite(v)], dtype=torch.float64)
    if t.numel() == 0:
        return {"median": math.nan, "p10": math.nan, "p90": math.nan}
    q = torch.quantile(t, torch.tensor([0.5, 0.1, 0.9], dtype=torch.float64))
    return {"median": float(q[0]), "p10": float(q[1]), "p90": float(q[2])}


def group_summary(runs: list[RunVariance]) -> dict[str, Any]:
    """Every column's median and 10-90 % over the group's runs (seeds)."""
    return {key: quantile_summary([r.values[key] for r in runs]) for key in RUN_COLUMNS}


class StudyError(UserError):
    """A sweep folder the study cannot read; ``str()`` is one line."""


@dataclass(frozen=True)
class GroupVariance:
    """One sweep group: its vary values (``data.std``, ``runs.covariance``, ...), the data's
    own stds along the tangent and radius, its runs' decompositions (one per seed) and the
    floor of their learned sigma."""

    name: str
    values: dict[str, Any]
    data_std_t: float
    data_std_r: float
    seeds: list[int]
    runs: list[RunVariance]
    sigma_min: float  # the floor of its learned sigma (train.sigma_min)


def study_sweep(out: Path, device: str = "auto") -> list[GroupVariance]:
    """The decomposition of every run of a finished sweep in ``out`` (its ``sweep.json`` and
    each group's ``checkpoint.pt``), in the plan's group order, computed on ``device``
    (a ``train.device`` value: auto, cpu, cuda, cuda:N)."""
    on = resolve_device(device)
    plan = read_plan(out, "SWEEP_OUT")
    vary = plan.sweep.get("vary") or {}
    groups = []
    for name, config in plan.groups.items():
        path = out / name / "checkpoint.pt"
        if not path.is_file():
            raise StudyError(f"{out}: group {name} has no checkpoint.pt (is the sweep "
                             "finished? continue it with --resume)")
        try:
            trainer = Trainer.from_checkpoint(path, on)
        except CheckpointError as exc:
            raise StudyError(str(exc)) from None
        if trainer.cfg.data.name != "ring8":
            raise StudyError(f"{out}: group {name} trains on {trainer.cfg.data.name} data; "
                             "the study splits each mode's variance along a ring's tangent "
                             "and radius and needs ring8 data")
        data = trainer.cfg.data
        values = {}
        for dotted in vary:
            section, key = dotted.split(".", 1)
            values[dotted] = config[section][key]
        tangent_std = float(getattr(data, "tangent_std", 0.0) or 0.0) * data.scale
        radial = data.std * data.scale
        groups.append(GroupVariance(name, values, tangent_std or radial, radial,
                                    [r.seed for r in trainer.runs], run_variances(trainer),
                                    trainer.cfg.train.sigma_min))
    return groups


def study_csv(groups: list[GroupVariance]) -> str:
    """One row per run: the group, its vary values, the data's stds and the run's columns."""
    keys = list(groups[0].values) if groups else []
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["group", *keys, "seed", "data_std_t", "data_std_r", *RUN_COLUMNS])
    for g in groups:
        for seed, run in zip(g.seeds, g.runs, strict=True):
            writer.writerow([g.name, *(g.values[k] for k in keys), seed,
                             f"{g.data_std_t:.6g}", f"{g.data_std_r:.6g}",
                             *(f"{run.values[c]:.6g}" for c in RUN_COLUMNS)])
    return buf.getvalue()


MARKDOWN_COLUMNS = (("data std t / r", None), ("x std t", "x_std_t"), ("x std r", "x_std_r"),
                    ("mu spread t", "mu_std_t"), ("mu spread r", "mu_std_r"),
                    ("mu core width t", "mu_width_t"), ("mu core width r", "mu_width_r"),
                    ("learned std t", "sig_std_t"), ("learned std r", "sig_std_r"),
                    ("eigen-std median", "sigma_median"), ("major / minor", None),
                    ("major along ring", "alignment"), ("modes", "modes"),
                    ("high quality", "hq_fraction"))


def _cell(q: dict[str, float]) -> str:
    if not math.isfinite(q["median"]):
        return "–"
    return f"{q['median']:.3g} [{q['p10']:.2g}, {q['p90']:.2g}]"


def study_markdown(groups: list[GroupVariance], command: str) -> str:
    """One table row per group: median [10 %, 90 %] over seeds of every column."""
    keys = list(groups[0].values) if groups else []
    header = [*(k.split(".", 1)[1] for k in keys), "seeds", *(c for c, _ in MARKDOWN_COLUMNS)]
    lines = ["Where each mode's variance goes: Var(d.x) = Var(d.mu(z)) + E[d^T Sigma(z) d], "
             "along the ring's tangent (t) and radius (r) (x std, mu spread, learned std: "
             "square roots of those terms over all draws assigned to a mode); mu core "
             "width: 1.4826 x the median absolute deviation of d.mu(z) within a mode; "
             "median [10 %, 90 %] over seeds.",
             "", f"Command: `{command}`", ""]
    rows = []
    for g in groups:
        summary = group_summary(g.runs)
        cells = [str(g.values[k]) for k in keys] + [str(len(g.runs))]
        for title, key in MARKDOWN_COLUMNS:
            if title == "data std t / r":
                cells.append(f"{g.data_std_t:g} / {g.data_std_r:g}")
            elif title == "major / minor":
                major, minor = summary["sigma_major"]["median"], summary["sigma_minor"]["median"]
                cells.append(f"{major:.3g} / {minor:.3g}")
            else:
                cells.append(_cell(summary[key]))
        rows.append(cells)
    return "\n".join(lines + markdown_table(header, rows)) + "\n"


FIGURE_METRICS = ("sigma_median", "mu_width", "modes", "hq_fraction")


def _x_value(group: GroupVariance, x_field: str) -> float:
    """The group's x in data units: a mode std is scaled by ``data.scale`` like the learned
    stds it is drawn against; any other field is its value as given."""
    if x_field == "data.std" or x_field not in group.values:
        return group.data_std_r
    if x_field == "data.tangent_std":
        return group.data_std_t
    return float(group.values[x_field])


def response_curves(groups: list[GroupVariance], x_field: str = "data.std",
                    line_field: str = "runs.covariance") -> dict[str, list[ResponseCurve]]:
    """Per metric of :data:`FIGURE_METRICS`, one curve per ``line_field`` value over the
    ``x_field`` values (sorted), median and 10-90 % over seeds."""
    lines = list(dict.fromkeys(g.values.get(line_field, "") for g in groups))
    out: dict[str, list[ResponseCurve]] = {}
    for metric in FIGURE_METRICS:
        curves = []
        for label in lines:
            mine = sorted((g for g in groups if g.values.get(line_field, "") == label),
                          key=lambda g: _x_value(g, x_field))
            q = [quantile_summary([r.values[metric] for r in g.runs]) for g in mine]
            curves.append(ResponseCurve(
                str(label), [_x_value(g, x_field) for g in mine],
                [v["median"] for v in q], [v["p10"] for v in q], [v["p90"] for v in q]))
        out[metric] = curves
    return out
