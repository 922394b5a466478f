"""Sweeps: a run's numbers do not depend on its batch-mates; sweep files, plans, the
in-process driver, layout independence and resuming."""

import csv
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from ganviz.cli import main
from ganviz.engine.equation1 import compute_sigma_curves
from ganviz.engine.trainer import Trainer
from ganviz.studies.compare import (
    EQ1_FIGURE_SIGMAS,
    equation1_by_group,
    gradient_noise,
    protocol_config,
)
from ganviz.studies.sweep import plan as sw
from ganviz.studies.sweep.run import DirectoryStore, InProcess, merged_trainer, run_sweep
from ganviz.studies.sweep.units import run_unit

SMALL = {"model": {"g_hidden": [16], "d_hidden": [16], "latent_dim": 4},
         "train": {"batch_size": 32},
         "eval": {"samples": 200, "grad_var_batches": 2, "every": 2},
         "probe": {"curve_fakes": 16, "curve_draws": 8, "curve_points": 5}}


# --------------------------------------------------------------- batch independence


def _trainer(estimators, seeds, threads):
    cfg = protocol_config("veegan-ring", 1, 4, [0.05, 0.1], "cpu").with_overrides({
        "runs": {"estimators": estimators, "seeds": seeds},
        "model": {"g_hidden": [64, 64], "d_hidden": [64, 64], "latent_dim": 32},
        "train": {"batch_size": 128, "compile": False},
        "eval": {"samples": 600, "grad_var_batches": 3, "every": 2}})
    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        t = Trainer(cfg)
        t.train(4)
        return t, gradient_noise(t), compute_sigma_curves(t, sigmas=EQ1_FIGURE_SIGMAS), \
            equation1_by_group(t)
    finally:
        torch.set_num_threads(old)


def _same(a, b):
    return a == b or (isinstance(a, float) and math.isnan(a) and math.isnan(b))


def test_a_runs_numbers_do_not_depend_on_its_batch_mates_or_threads():
    alone = _trainer(["score"], [1], threads=1)
    mixed = _trainer(["plugin", "reparam_learned", "score"], [0, 1, 2], threads=2)
    with_one = _trainer(["plugin", "reparam_fixed", "score"], [1], threads=2)
    for t, noise, curves, _ in (mixed, with_one):
        r = next(s.index for s in t.runs if (s.estimator, s.seed, s.sigma) == ("score", 1, 0.05))
        a, n_a, c_a, _ = alone
        for p, q in zip(a.G.parameters(), t.G.parameters(), strict=True):
            assert torch.equal(p[0], q[r])
        rows_a = [row for row in a.history.rows() if row["run"] == 0]
        rows_t = [row for row in t.history.rows() if row["run"] == r]
        assert len(rows_a) == len(rows_t) == 3
        for x, y in zip(rows_a, rows_t, strict=True):
            bad = [k for k in x if k != "run" and not _same(x[k], y[k])]
            assert not bad, bad
        assert n_a[0] == noise[r]
        for name in ("bias", "pathwise_std", "score_std", "score_std_point"):
            np.testing.assert_array_equal(getattr(c_a, name)[0], getattr(curves, name)[r])
    # the figure's curves of a group holding the same single run
    eq_alone = {(g.estimator, g.sigma_label): g for g in alone[3]}
    eq_one = {(g.estimator, g.sigma_label): g for g in with_one[3]}
    assert eq_alone[("score", "0.05")] == eq_one[("score", "0.05")]


# ----------------------------------------------------------------------- sweep files


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sweep.toml"
    path.write_text(text)
    return path


BAD_FILES = [
    ("seeds = 2", "protocols: missing"),
    ('protocols = ["nope"]\nseeds = 2', "protocols: unknown 'nope'; allowed: default, "),
    ('protocols = ["veegan-ring", "veegan-ring"]\nseeds = 2', "protocols: each protocol at most"),
    ('protocols = ["veegan-ring"]', "seeds: missing"),
    ('protocols = ["veegan-ring"]\nseeds = 0', "seeds: a count must be from 1"),
    ('protocols = ["veegan-ring"]\nseeds = [1, 1]', "seeds: each value at most once"),
    ('protocols = ["veegan-ring"]\nseeds = "3"', "seeds: give a count or a list"),
    ('protocols = ["veegan-ring"]\nseeds = 2\nsigmas = [0.0]', "sigmas: each must be a positive"),
    ('protocols = ["veegan-ring"]\nseeds = 2\nsteps = [10, -1]', "steps: each must be from 1"),
    ('protocols = ["veegan-ring"]\nseeds = 2\nsteps = 1.5', "steps: give a whole number"),
    ('protocols = ["veegan-ring"]\nseeds = 2\ncolour = 1', "colour: unknown field; allowed: "),
    ('protocols = ["veegan-ring"]\nseeds = 2\n[overrides.train]\nlr_g = -1',
     "overrides.train.lr_g: "),
    ('protocols = ["veegan-ring"]\nseeds = 2\n[overrides.train]\nsteps = 5',
     "overrides.train.steps: set it with the top-level field 'steps'"),
    ('protocols = ["veegan-ring"]\nseeds = 2\n[overrides.nope]\nx = 1', "overrides.nope: "),
    ('protocols = ["veegan-ring"]\nseeds = 2\n[units]\nseeds = 0', "units.seeds: give a whole"),
    ('protocols = ["veegan-ring"]\nseeds = 2\n[units]\nevery = 3', "units.every: unknown field"),
    ('protocols = ["veegan-ring"]\nseeds = 100', "seeds/sigmas: "),  # over the run limit
    ('protocols = [', "malformed TOML"),
    ('protocols = ["default"]\nseeds = 2\nvary = 3', "vary: give tables of config fields"),
    ('protocols = ["default"]\nseeds = 2\n[vary.data]\nstd = 0.1',
     "vary.data.std: give a non-empty list"),
    ('protocols = ["default"]\nseeds = 2\n[vary.data]\nstd = []',
     "vary.data.std: give a non-empty list"),
    ('protocols = ["default"]\nseeds = 2\n[vary.data]\nstd = [0.1, 0.1]',
     "vary.data.std: each value at most once"),
    ('protocols = ["default"]\nseeds = 2\n[vary.data]\nstd = [0.1, -1]',
     "vary.data.std: "),  # the value itself, checked by the config
    ('protocols = ["default"]\nseeds = 2\n[vary.runs]\ncovariance = ["full", "round"]',
     "vary.runs.covariance: "),
    ('protocols = ["default"]\nseeds = 2\n[vary.train]\nsteps = [5, 6]',
     "vary.train.steps: set it with the top-level field 'steps'"),
    ('protocols = ["default"]\nseeds = 2\n[overrides.data]\nstd = 0.1\n[vary.data]\n'
     'std = [0.2]', "vary.data.std: also set in overrides.data"),
    ('protocols = ["default"]\nseeds = 2\n[vary.data]\nstd = [0.1, 0.1000001]\n',
     "vary: two groups would share the folder name 'default--std=0.1'"),
    ('protocols = ["default"]\nseeds = 2\n[vary.data]\nstd = [1979-05-27, 1980-01-01]',
     "vary.data.std: give numbers, strings, booleans or lists"),
    ('protocols = ["default"]\nseeds = 2\n[vary.nope]\nx = [1, 2]', "vary.nope: "),
    ('protocols = ["veegan-grid"]\nseeds = 2\n[vary.data]\ntangent_std = [0, 0.2]',
     "vary.data.tangent_std: applies only when data.name is ring8; protocol veegan-grid has "
     "grid25"),
]


@pytest.mark.parametrize(("text", "message"), BAD_FILES)
def test_bad_sweep_files_are_one_line_and_write_nothing(tmp_path, capsys, text, message):
    path = _write(tmp_path, text)
    out = tmp_path / "out"
    code = main(["sweep", str(path), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0, err
    assert err.startswith(f"ganviz: error: sweep {path}: ") and message in err, err
    assert not out.exists()


def test_missing_sweep_file_and_resume_without_plan(tmp_path, capsys):
    code = main(["sweep", str(tmp_path / "none.toml"), "--out", str(tmp_path / "o")])
    assert code == 2 and "cannot read it" in capsys.readouterr().err
    old = tmp_path / "old"  # a folder of the compare before sweeps: refused, untouched
    old.mkdir()
    (old / "checkpoint.pt").write_bytes(b"x")
    path = _write(tmp_path, 'protocols = ["veegan-ring"]\nseeds = 1')
    code = main(["sweep", str(path), "--out", str(old), "--resume"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "made by compare before sweeps" in err and err.count("\n") == 0
    assert sorted(p.name for p in old.iterdir()) == ["checkpoint.pt"]


def test_plan_groups_sigma_groups_and_seed_blocks():
    s = sw.parse_sweep({"protocols": ["veegan-ring", "pacgan-grid"], "seeds": [5, 1, 3],
                        "sigmas": [0.01, 0.05], "steps": [10, 20]})
    assert s.seeds == (1, 3, 5)
    one = sw.plan(s, workers=1)
    assert [u.key for u in one.units[:3]] == [
        "veegan-ring-10steps--free--seeds1-5", "veegan-ring-10steps--sigma0.01--seeds1-5",
        "veegan-ring-10steps--sigma0.05--seeds1-5"]
    assert len(one.units) == 2 * 2 * 3 and set(one.groups) == {
        "veegan-ring-10steps", "veegan-ring-20steps", "pacgan-grid-10steps",
        "pacgan-grid-20steps"}
    free = one.units[0].config["runs"]
    assert free["estimators"] == ["plugin", "reparam_learned"] and free["seeds"] == [1, 3, 5]
    fixed = one.units[1].config
    assert fixed["runs"]["estimators"] == ["reparam_fixed", "score"]
    assert fixed["runs"]["sigmas"] == [0.01] and fixed["train"]["compile"] is False
    many = sw.plan(s, workers=16)  # at least ~2 units per worker where the seeds allow
    assert len(many.units) == 2 * 2 * 3 * 3
    assert all(c == "-" or c.isalnum() or c == "." for u in many.units for c in u.key)
    assert len({u.key for u in many.units}) == len(many.units)
    fixed_size = sw.parse_sweep({"protocols": ["veegan-ring"], "seeds": 4,
                                 "units": {"seeds": 3}})
    assert [len(u.config["runs"]["seeds"]) for u in sw.plan(fixed_size, 16).units] == [3, 1] * 2


# ------------------------------------------------------------------- the driver, end to end


def _sweep(**extra) -> sw.Sweep:
    return sw.parse_sweep({"protocols": ["veegan-ring", "pacgan-grid"], "seeds": 2, "steps": 4,
                           "overrides": SMALL, **extra})


def _csv(path: Path) -> str:
    return path.read_text()


def test_in_process_sweep_end_to_end_and_layout_independence(tmp_path, capsys):
    path = _write(tmp_path, """
protocols = ["veegan-ring", "pacgan-grid"]
seeds = 2
steps = 4
[overrides.model]
g_hidden = [16]
d_hidden = [16]
latent_dim = 4
[overrides.train]
batch_size = 32
[overrides.eval]
samples = 200
grad_var_batches = 2
every = 2
[overrides.probe]
curve_fakes = 16
curve_draws = 8
[units]
checkpoint_every = 2
""")
    out = tmp_path / "sweep"
    assert main(["sweep", str(path), "--out", str(out), "--quiet"]) == 0
    for group in ("veegan-ring", "pacgan-grid"):
        names = {p.name for p in (out / group).iterdir()}
        assert {"results.md", "results.csv", "summary.json", "metrics.csv", "checkpoint.pt",
                "config.toml"} <= names
        merged = Trainer.from_checkpoint(out / group / "checkpoint.pt")
        assert merged.n_runs == 4 * 2 and merged.step_count == 4
    with open(out / "results.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["protocol"] for r in rows] == ["veegan-ring"] * 4 + ["pacgan-grid"] * 4
    assert all(r["seeds"] == "2" for r in rows) and "modes_late_se" in rows[0]
    assert "| pacgan-grid | score | 0.05 |" in (out / "results.md").read_text()
    log = (out / "sweep.log").read_text()
    assert log.count(" started") == 4 and log.count(" done in ") == 4
    assert capsys.readouterr().out.startswith("results in ")
    # the same sweep cut into one unit per seed: the same numbers, digit for digit
    fine = tmp_path / "fine"
    code, _ = _run(_sweep(units={"seeds": 1}), fine, workers=1)
    assert code == 0 and len(list((fine / "units").iterdir())) == 2 * 2 * 2
    for name in ("results.csv", "veegan-ring/results.csv", "pacgan-grid/results.csv",
                 "veegan-ring/metrics.csv"):
        assert _csv(fine / name) == _csv(out / name), name


def _run(sweep: sw.Sweep, out: Path, workers: int, stop=None):
    out.mkdir(parents=True, exist_ok=True)
    p = sw.plan(sweep, workers)
    sw.save_plan(p, out)
    return run_sweep(p, out, InProcess(stop), command="test", progress=False,
                     single=len(p.groups) == 1)


class StopAfter:
    """Asks to stop after ``n`` questions (a Ctrl-C in the middle of a unit)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __call__(self) -> bool:
        self.n -= 1
        return self.n < 0


def test_interrupted_sweep_resumes_to_the_uninterrupted_numbers(tmp_path):
    sweep = sw.parse_sweep({"protocols": ["pacgan-grid"], "seeds": 2, "steps": 4,
                            "overrides": SMALL, "units": {"seeds": 1, "checkpoint_every": 1}})
    whole = tmp_path / "whole"
    assert _run(sweep, whole, 1)[0] == 0
    cut = tmp_path / "cut"
    code, paths = _run(sweep, cut, 1, stop=StopAfter(11))  # two units done, one half-way
    assert code == 130 and paths == []
    cut_units = sorted((cut / "units").iterdir())
    assert len(cut_units) == 3 and (cut / "units" / "pacgan-grid--sigma0.05--seeds0"
                                    ) in cut_units
    assert code == 130 and paths == []
    assert not (cut / "results.csv").exists()
    log = (cut / "sweep.log").read_text()
    assert "stopped at step" in log and log.count(" done in ") == 2
    plan = sw.read_plan(cut)
    code, _ = run_sweep(plan, cut, InProcess(), command="test", progress=False, single=True)
    assert code == 0 and "resumed at step" in (cut / "sweep.log").read_text()
    for name in ("results.csv", "metrics.csv", "summary.json"):
        assert _csv(cut / name) == _csv(whole / name), name


def test_units_merge_into_the_trainer_of_the_whole_group(tmp_path):
    sweep = sw.parse_sweep({"protocols": ["veegan-ring"], "seeds": 2, "steps": 3,
                            "overrides": SMALL, "units": {"seeds": 1}})
    p = sw.plan(sweep, 1)
    store = DirectoryStore(tmp_path)
    states = [run_unit(u, store).state for u in p.units]
    merged = merged_trainer(p.groups["veegan-ring"], states)
    whole = Trainer(sw.Sweep(("veegan-ring",), (0, 1), steps=(3,), overrides=SMALL)
                    .group_config("veegan-ring", 3))
    whole.train(3)
    assert [s.label for s in merged.runs] == [s.label for s in whole.runs]
    for a, b in zip(merged.state_dict()["G"].values(), whole.state_dict()["G"].values(),
                    strict=True):
        assert torch.equal(a, b)
    assert merged.history.rows() == whole.history.rows() or all(
        all(_same(x[k], y[k]) for k in x)
        for x, y in zip(merged.history.rows(), whole.history.rows(), strict=True))


def test_progress_shows_state_changes_and_logs_checkpoints_too(tmp_path, capsys):
    """Above the bar: a unit's starts, resumes and ends; its (thousands of) checkpoints go
    to sweep.log only."""
    from ganviz.studies.sweep.run import LOG_NAME, Progress
    from ganviz.studies.sweep.units import CHECKPOINT_STATE, Unit

    unit = Unit("u1", "g", {"train": {"steps": 20}})
    bar = Progress([unit], DirectoryStore(tmp_path), tmp_path, enabled=True)
    bar.report("u1", "started")
    bar.report("u1", f"{CHECKPOINT_STATE} 10")
    bar.report("u1", "done in 1.0 s")
    bar.close()
    err = capsys.readouterr().err
    assert "unit u1 started" in err and "unit u1 done in 1.0 s" in err
    assert CHECKPOINT_STATE not in err
    log = (tmp_path / LOG_NAME).read_text()
    assert f"unit u1 {CHECKPOINT_STATE} 10" in log and "unit u1 started" in log


def test_vary_makes_one_group_per_combination_with_its_values():
    s = sw.parse_sweep({"protocols": ["default"], "seeds": 2, "steps": 10,
                        "overrides": {"runs": {"estimators": ["reparam_learned"]}},
                        "vary": {"data": {"std": [0.02, 0.2]},
                                 "runs": {"covariance": ["isotropic", "full"]}}})
    p = sw.plan(s, workers=1)
    assert list(p.groups) == ["default--std=0.02--covariance=isotropic",
                              "default--std=0.02--covariance=full",
                              "default--std=0.2--covariance=isotropic",
                              "default--std=0.2--covariance=full"]
    for name, cfg in p.groups.items():
        std, form = name.split("--")[1:]
        assert cfg["data"]["std"] == float(std.split("=")[1])
        assert cfg["runs"]["covariance"] == form.split("=")[1]
        assert [u.config["data"]["std"] for u in p.units_of(name)] == [cfg["data"]["std"]]
    assert len(p.units) == 4  # one free sigma group x one seed block each


def test_resume_refuses_a_sweep_that_dropped_or_added_vary():
    with_vary = sw.parse_sweep({"protocols": ["default"], "seeds": 1, "steps": 2,
                                "vary": {"data": {"std": [0.02, 0.2]}}})
    without = sw.parse_sweep({"protocols": ["default"], "seeds": 1, "steps": 2})
    assert sw.plan_mismatch(with_vary, sw.plan(with_vary, workers=1)) is None
    assert sw.plan_mismatch(without, sw.plan(without, workers=1)) is None
    assert "vary" in sw.plan_mismatch(without, sw.plan(with_vary, workers=1))
    assert "vary" in sw.plan_mismatch(with_vary, sw.plan(without, workers=1))


def test_vary_group_names_are_safe_folder_names():
    s = sw.parse_sweep({"protocols": ["default"], "seeds": 1, "steps": 2,
                        "vary": {"model": {"g_hidden": [[64, 64], [128]]},
                                 "train": {"loss": ["minimax", "nonsaturating"]}}})
    names = [g.name for g in s.groups()]
    assert names[:2] == ["default--g_hidden=64x64--loss=minimax",
                         "default--g_hidden=64x64--loss=nonsaturating"]
    assert sw._label("/data/my points.csv") == "_data_my_points.csv"
    assert all("/" not in n and " " not in n for n in names)


SWEEP_FILES = sorted((Path(__file__).resolve().parents[2] / "sweeps").glob("*.toml"))


@pytest.mark.parametrize("path", SWEEP_FILES, ids=[p.stem for p in SWEEP_FILES])
def test_every_bundled_sweep_file_loads_and_plans(path):
    """The study's sweep files are its methods: each parses, and its units train every
    (group, estimator, sigma, seed) of the file exactly once, each estimator on every seed."""
    sweep = sw.load_sweep(path)
    runs = []
    for u in sw.plan(sweep).units:
        r = u.config["runs"]
        for est in r["estimators"]:
            sigmas = r["sigmas"] if est in ("reparam_fixed", "score") else [None]
            runs += [(u.group, est, sigma, seed) for sigma in sigmas for seed in r["seeds"]]
    assert runs and len(runs) == len(set(runs))
    by_setting: dict = {}
    for group, est, sigma, seed in runs:
        by_setting.setdefault((group, est, sigma), set()).add(seed)
    assert all(seeds == set(sweep.seeds) for seeds in by_setting.values()), by_setting
