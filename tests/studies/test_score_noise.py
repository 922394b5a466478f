"""The score function's noise table: ratios against hand-computed values, on group folders
made by hand (two groups that differ only in ``runs.score_baseline``)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ganviz.core.config import load_preset
from ganviz.studies.analysis import read_groups
from ganviz.studies.compare import PER_RUN_COLUMNS, PER_RUN_NAME
from ganviz.studies.score_noise import noise_texts


def _group(folder: Path, baseline: str, noise: dict[tuple[str, int], tuple[float, ...]],
           **overrides: dict) -> None:
    """A group folder whose runs have (pathwise, batch, per-point, at-mean) stds ``noise``."""
    folder.mkdir(parents=True)
    cfg = load_preset("default").with_overrides({"runs": {"score_baseline": baseline},
                                                 **overrides})
    cfg.save(folder / "config.toml")
    (folder / "metrics.csv").write_text("step,run\n")
    rows = []
    for run, ((estimator, seed), (path, batch, point, mean)) in enumerate(noise.items()):
        row = dict.fromkeys(PER_RUN_COLUMNS, 0.0)
        row.update(run=run, estimator=estimator, seed=seed, sigma=0.05, run_sigma=0.05,
                   diverged=0, eq1_pathwise_std=path, eq1_score_std=batch,
                   eq1_score_std_point=point, eq1_score_std_mean=mean)
        rows.append(row)
    rows.append({**rows[0], "run": len(rows), "estimator": "plugin", "sigma": 0.0,
                 "run_sigma": 0.0})  # no sigma: left out
    with (folder / PER_RUN_NAME).open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=PER_RUN_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def test_ratios_and_the_pairing_by_seed(tmp_path):
    sweep = tmp_path / "sweep"
    loo = {("score", s): (1.0, 40.0 + 10 * s, 2.0, 4.0) for s in range(3)}
    at_mean = {("score", s): (2.0, 80.0, 3.0, 2.0 * (s + 1)) for s in range(3)}
    _group(sweep / "grid--loo", "leave_one_out", loo)
    _group(sweep / "grid--at_mean", "at_mean", at_mean)
    _group(sweep / "other", "at_mean", at_mean, train={"batch_size": 64})  # not a twin
    texts = noise_texts(read_groups([sweep]), "cmd")
    with_baseline = list(csv.DictReader(texts["noise.csv"].splitlines()))
    assert len(with_baseline) == 9  # the plug-in rows left out
    one = next(r for r in with_baseline if r["protocol"] == "grid--loo" and r["seed"] == "1")
    assert float(one["score_to_pathwise"]) == pytest.approx(50.0)  # trained: batch / path
    assert float(one["mean_to_batch"]) == pytest.approx(4.0 / 50.0)
    assert float(one["point_to_batch"]) == pytest.approx(2.0 / 50.0)
    two = next(r for r in with_baseline if r["protocol"] == "grid--at_mean" and r["seed"] == "2")
    assert float(two["score_to_pathwise"]) == pytest.approx(6.0 / 2.0)  # trained: at-mean
    md = texts["noise.md"]
    # per seed: (2(s+1)/2) / (40 + 10 s): 1/40, 2/50, 3/60 -> median 0.04
    assert "| grid--at_mean | grid--loo | score | 0.05 | 3 | 0.04 [" in md
    assert "| other |" in md and "| other | grid--loo |" not in md


def test_folders_without_per_run_values_give_no_table(tmp_path):
    folder = tmp_path / "old"
    folder.mkdir()
    load_preset("default").save(folder / "config.toml")
    (folder / "metrics.csv").write_text("step,run\n")
    assert noise_texts(read_groups([folder]), "cmd") == {}


def test_a_broken_per_run_file_is_one_line_and_nothing_is_written(tmp_path, capsys):
    from ganviz.cli import main

    folder = tmp_path / "sweep" / "grid"
    _group(folder, "at_mean", {("score", 0): (1.0, 40.0, 2.0, 4.0)})
    (folder / "metrics.csv").write_text(
        "step,run,estimator,seed,sigma,loss_d,loss_g,modes,hq_fraction,reverse_kl,"
        "js_divergence,energy_distance,sigma_mean,sigma_p10,sigma_p90,grad_rel_var,diverged\n"
        "100,0,score,0,0.05,0.6,0.7,8,0.5,0.1,0.2,0.3,0.05,0.05,0.05,1.0,False\n")
    (folder / PER_RUN_NAME).write_text("run,estimator\n0,score\n")  # columns missing
    out = tmp_path / "analysis"
    assert main(["analyse", str(tmp_path / "sweep"), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "per_run.csv: cannot read it" in err, err
    assert not out.exists()
