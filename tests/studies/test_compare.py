import csv
import math

import numpy as np
import pytest
from PIL import Image

from ganviz.cli import main
from ganviz.core.settings import ConfigError
from ganviz.engine.equation1 import compute_sigma_curves
from ganviz.engine.trainer import Trainer
from ganviz.studies.compare import (
    EQ1_FIGURE_SIGMAS,
    NOISE_METRICS,
    aggregate,
    equation1_by_group,
    gradient_noise,
    group_key,
    late_modes,
    protocol_config,
    results_markdown,
)


def test_protocol_config_and_aggregate_over_seeds():
    cfg = protocol_config("pacgan-grid", seeds=3, steps=4, sigmas=[0.05, 0.2], device="cpu")
    assert cfg.runs.seeds == [0, 1, 2] and cfg.data.name == "grid25"
    cfg = cfg.with_overrides({"model": {"g_hidden": [16], "d_hidden": [16]},
                              "eval": {"samples": 200, "grad_var_batches": 2}})
    t = Trainer(cfg)
    t.train(4)
    groups = aggregate(t)
    # plugin, reparam_fixed x2 sigmas, reparam_learned, score x2 sigmas
    assert [(g["estimator"], g["sigma"]) for g in groups] == [
        ("plugin", "0"), ("reparam_fixed", "0.05"), ("reparam_fixed", "0.2"),
        ("reparam_learned", "learned"), ("score", "0.05"), ("score", "0.2")]
    for g in groups:
        assert g["seeds"] == 3 and g["modes_se"] >= 0 and 0 <= g["hq_fraction"] <= 1
    with pytest.raises(ConfigError, match="allowed: veegan-ring"):
        protocol_config("default", 1, None, None, None)


def test_gradient_noise_uses_each_runs_own_sigma():
    cfg = protocol_config("veegan-ring", seeds=2, steps=6, sigmas=[0.01, 0.1], device="cpu")
    cfg = cfg.with_overrides({"model": {"g_hidden": [16], "d_hidden": [16]},
                              "eval": {"samples": 200, "grad_var_batches": 2, "every": 3}})
    t = Trainer(cfg)
    t.train(6)
    noise = gradient_noise(t)
    final = {row["run"]: row for row in t.history.rows()}
    for spec in t.runs:
        entry = noise[spec.index]
        during = sorted(row["grad_rel_var"] for row in t.history.rows()
                        if row["run"] == spec.index and row["step"] > 0)
        assert len(during) == 2 and entry["grad_rel_var"] == pytest.approx(sum(during) / 2)
        if spec.estimator == "plugin":
            assert all(math.isnan(entry[k]) for k in NOISE_METRICS[1:])
            continue
        sigma = final[spec.index]["sigma_mean"] if spec.learned_sigma else spec.sigma
        curve = compute_sigma_curves(t, sigmas=[sigma])
        assert entry["eq1_score_std"] == pytest.approx(float(curve.score_std[spec.index, 0]),
                                                       rel=1e-5)
        assert entry["eq1_pathwise_std"] == pytest.approx(
            float(curve.pathwise_std[spec.index, 0]), rel=1e-5)
        for key, name in (("eq1_score_std_point", "score_std_point"),
                          ("eq1_score_std_mean", "score_std_mean")):
            assert entry[key] == pytest.approx(float(getattr(curve, name)[spec.index, 0]),
                                               rel=1e-5)
    # the score-function estimate's 1/sigma: ten times the sigma, a tenth of the std
    fixed = {(s.estimator, s.seed, s.sigma): s.index for s in t.runs if not s.learned_sigma}
    for seed in (0, 1):
        small = noise[fixed[("reparam_fixed", seed, 0.01)]]["eq1_score_std"]
        large = noise[fixed[("reparam_fixed", seed, 0.1)]]["eq1_score_std"]
        assert small > 3 * large
    groups = aggregate(t, noise)
    assert all(f"{m}_se" in g for g in groups for m in NOISE_METRICS)
    assert all("modes_late" not in g for g in groups)  # only what ``extra`` carries
    # the figure's curves: each row's mean over its seeds, from 1e-4 to 1, with its own sigma
    curves = compute_sigma_curves(t, sigmas=EQ1_FIGURE_SIGMAS)
    rows = equation1_by_group(t)
    assert [(g.estimator, g.sigma_label) for g in rows] == [
        (g["estimator"], g["sigma"]) for g in groups]
    for row in rows:
        idx = [s.index for s in t.runs if group_key(s) == (row.estimator, row.sigma_label)]
        assert len(idx) == 2
        np.testing.assert_allclose(row.score_std, curves.score_std[idx].mean(0), rtol=1e-6)
        assert row.sigma[0] == pytest.approx(1e-4) and row.sigma[-1] == pytest.approx(1.0)
    own = {(g.estimator, g.sigma_label): g.run_sigma for g in rows}
    assert own[("plugin", "0")] is None and own[("score", "0.1")] == pytest.approx(0.1)
    learned = [final[s.index]["sigma_mean"] for s in t.runs if s.learned_sigma]
    assert own[("reparam_learned", "learned")] == pytest.approx(sum(learned) / 2)


def test_compare_command_writes_tables_and_figure(tmp_path, capsys, qapp):
    out = tmp_path / "cmp"
    code = main(["compare", "--protocol", "veegan-ring", "--seeds", "2", "--steps", "6",
                 "--out", str(out), "--quiet", "--device", "cpu"])
    stdout = capsys.readouterr().out
    assert code == 0
    assert "| reparam_learned | learned |" in stdout
    md = (out / "results.md").read_text()
    assert "Command: `python main.py compare" in md and "± " in md
    with open(out / "results.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 4 and {"modes", "modes_se", "hq_fraction_se"} <= set(rows[0])
    assert {"grad_rel_var", "eq1_score_std_se", "modes_late"} <= set(rows[0])
    assert "| estimator | sigma | gradient rel. variance (training) |" in md
    assert md.count("| score | 0.01 |") == 2  # both tables
    # the values behind the tables, one row per run: their means are the table's
    with open(out / "per_run.csv", newline="") as fh:
        runs = list(csv.DictReader(fh))
    assert [(r["estimator"], r["seed"]) for r in runs] == [
        (e, s) for e in ("plugin", "reparam_fixed", "reparam_learned", "score")
        for s in ("0", "1")]
    for row in rows:
        mine = [r for r in runs if r["estimator"] == row["estimator"]]
        for metric in ("modes", "hq_fraction", "grad_rel_var", "eq1_score_std"):
            values = [float(r[metric]) for r in mine]
            if all(math.isfinite(v) for v in values):
                assert float(row[metric]) == pytest.approx(sum(values) / 2, rel=1e-9)
    learned = next(r for r in runs if r["estimator"] == "reparam_learned")
    assert float(learned["run_sigma"]) == pytest.approx(float(learned["sigma_mean"]))
    assert {"eq1_score_std_point", "eq1_score_std_mean"} <= set(runs[0])
    assert (out / "summary.json").is_file() and (out / "checkpoint.pt").is_file()
    with Image.open(out / "densities.png") as im:
        assert im.size[0] > 1000 and im.size[1] > 500
    with Image.open(out / "equation1.png") as im:  # four panels in a row, at 2x
        assert im.size[0] >= 4 * 400 * 2 and im.size[1] > 600
    # resuming to more steps continues from the checkpoint
    code = main(["compare", "--protocol", "veegan-ring", "--seeds", "2", "--steps", "8",
                 "--out", str(out), "--quiet", "--resume", "--device", "cpu"])
    md = (out / "results.md").read_text()
    assert code == 0 and "8 iterations" in md and "--resume" not in md
    # resuming with other options would make the recorded command a lie: refused, untouched
    capsys.readouterr()
    code = main(["compare", "--protocol", "veegan-ring", "--seeds", "2", "--sigma", "0.05",
                 "--out", str(out), "--quiet", "--resume", "--device", "cpu"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0
    assert "sigmas is [0.01] in sweep.json, [0.05] here" in err
    assert (out / "results.md").read_text() == md


def test_late_modes_average_the_last_fifth_of_training():
    cfg = protocol_config("veegan-ring", seeds=1, steps=10, sigmas=None, device="cpu")
    cfg = cfg.with_overrides({"model": {"g_hidden": [16], "d_hidden": [16]},
                              "eval": {"samples": 200, "grad_var_batches": 2, "every": 1}})
    t = Trainer(cfg)
    t.train(10)
    late = late_modes(t)
    for spec in t.runs:
        tail = [row["modes"] for row in t.history.rows() if row["run"] == spec.index
                and row["step"] >= 8]  # steps 8, 9 and 10 of 10
        assert len(tail) == 3
        assert late[spec.index]["modes_late"] == pytest.approx(sum(tail) / 3)
    groups = aggregate(t, late)
    assert all("modes_late_se" in g for g in groups)
    md = results_markdown(groups, t.cfg, "cmd", t.step_count)
    assert "| modes | modes, last 20% | high-quality fraction |" in md
    assert md.splitlines()[5] == "|" + "---|" * 8


def test_compare_bad_input(tmp_path, capsys):
    code = main(["compare", "--protocol", "nope", "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert code == 2 and "--protocol: unknown protocol 'nope'" in err
    assert not (tmp_path / "x").exists()


def test_a_run_resumed_to_more_steps_summarises_like_one_trained_at_once():
    """The resumed run also evaluated at its earlier end (step 6, off the every-4 schedule);
    the training summaries leave that evaluation out, so they equal the straight run's."""
    from ganviz.studies.compare import gradient_noise, scheduled

    def config(steps: int):
        cfg = protocol_config("veegan-ring", seeds=1, steps=steps, sigmas=None, device="cpu")
        return cfg.with_overrides({"model": {"g_hidden": [16], "d_hidden": [16]},
                                   "eval": {"samples": 200, "grad_var_batches": 2, "every": 4},
                                   "train": {"compile": False}})

    straight = Trainer(config(10))
    straight.train(10)
    short = Trainer(config(6))
    short.train(6)
    resumed = Trainer.from_state(short.state_dict(), steps=10)
    resumed.train(4)
    assert resumed.history.steps.tolist() == [0, 4, 6, 8, 10]
    assert scheduled(resumed).tolist() == [True, True, False, True, True]
    assert straight.history.steps.tolist() == [0, 4, 8, 10]
    a, b = gradient_noise(straight), gradient_noise(resumed)
    assert {r: v["grad_rel_var"] for r, v in a.items()} == \
        {r: v["grad_rel_var"] for r, v in b.items()}
    assert late_modes(straight) == late_modes(resumed)
