"""The learned-variance study: the per-mode decomposition, its table, figure and command."""

from __future__ import annotations

import csv
import io
import math

import pytest
import torch

from ganviz.cli import main
from ganviz.engine.trainer import Trainer
from ganviz.studies.variance import _mode_variance, directions, run_variances
from tests.conftest import small_config


def test_directions_are_tangent_and_radial_unit_vectors():
    means = torch.tensor([[2.0, 0.0], [0.0, -3.0]], dtype=torch.float64)
    tangent, radial = directions(means)
    torch.testing.assert_close(radial, torch.tensor([[1.0, 0.0], [0.0, -1.0]],
                                                    dtype=torch.float64))
    torch.testing.assert_close(tangent, torch.tensor([[0.0, 1.0], [1.0, 0.0]],
                                                     dtype=torch.float64))


def test_mode_variance_weights_modes_by_draws_and_skips_small_ones():
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(300, generator=gen, dtype=torch.float64) * 2 + 5  # mode 0: var 4
    b = torch.randn(100, generator=gen, dtype=torch.float64) * 1 - 3  # mode 1: var 1
    c = torch.tensor([100.0, -100.0], dtype=torch.float64)  # mode 2: 2 draws, left out
    values = torch.cat([a, b, c])[None]
    idx = torch.cat([torch.zeros(300), torch.ones(100), torch.full((2,), 2)]).long()[None]
    got = float(_mode_variance(values, idx, 3))
    want = (300 * float(a.var(unbiased=False)) + 100 * float(b.var(unbiased=False))) / 400
    assert got == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("form", ["isotropic", "full"])
def test_decomposition_adds_up_and_fixed_sigma_is_known(form):
    cfg = small_config(estimators=["reparam_fixed", "reparam_learned"], seeds=[0],
                       covariance=form)
    trainer = Trainer(cfg, "cpu")
    trainer.train(30)
    fixed, learned = run_variances(trainer, draws=4096)
    for run in (fixed, learned):  # Var(x) = Var(mu) + E[Sigma] up to the sampled cross term
        v = run.values
        for d in ("t", "r"):
            assert v[f"x_std_{d}"] ** 2 == pytest.approx(
                v[f"mu_std_{d}"] ** 2 + v[f"sig_std_{d}"] ** 2, rel=0.08)
    sigma = cfg.runs.sigmas[0]
    assert fixed.values["sig_std_t"] == pytest.approx(sigma, rel=1e-6)
    assert fixed.values["sigma_median"] == pytest.approx(sigma, rel=1e-6)
    assert math.isnan(fixed.values["alignment"])  # sigma I has no orientation
    if form == "full":
        assert 0.0 <= learned.values["alignment"] <= 1.0
        assert learned.values["sigma_major"] > learned.values["sigma_minor"]
    else:
        assert math.isnan(learned.values["alignment"])
    assert learned.values["modes"] == trainer.history.final(1)["modes"]


def _finished_sweep(tmp_path, capsys, text: str) -> object:
    """The output folder of a small sweep of ``text`` (a sweep file), run to the end."""
    sweep = tmp_path / "s.toml"
    sweep.write_text(text)
    out = tmp_path / "out"
    assert main(["sweep", str(sweep), "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    return out


def test_variance_command_writes_table_csv_and_figure(tmp_path, capsys):
    out = _finished_sweep(tmp_path, capsys,
                          'protocols = ["default"]\nseeds = 2\nsteps = 6\n'
                          '[overrides.runs]\nestimators = ["reparam_learned"]\n'
                          '[overrides.model]\ng_hidden = [16]\nd_hidden = [16]\n'
                          '[overrides.eval]\nevery = 3\nsamples = 200\ngrad_var_batches = 2\n'
                          '[vary.data]\nstd = [0.05, 0.2]\n'
                          '[vary.runs]\ncovariance = ["isotropic", "full"]\n')
    combined = list(csv.DictReader(io.StringIO((out / "results.csv").read_text())))
    assert list(combined[0])[:3] == ["protocol", "data.std", "runs.covariance"]
    for row in combined:  # the swept values, one column each, as the group's name says
        assert row["protocol"] == (f"default--std={float(row['data.std']):g}"
                                   f"--covariance={row['runs.covariance']}")
    assert main(["variance", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO((out / "variance.csv").read_text())))
    assert len(rows) == 2 * 2 * 2  # groups x seeds
    assert {(r["data.std"], r["runs.covariance"]) for r in rows} == {
        ("0.05", "isotropic"), ("0.05", "full"), ("0.2", "isotropic"), ("0.2", "full")}
    table = (out / "variance.md").read_text()
    assert table.count("\n| 0.") == 4 and "python main.py variance" in table
    assert (out / "variance.png").stat().st_size > 10_000


def test_variance_command_refuses_what_is_not_a_finished_sweep(tmp_path, capsys):
    assert main(["variance", str(tmp_path / "nothing")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ganviz: error: SWEEP_OUT: ") and "\n" not in err
    sweep = tmp_path / "s.toml"  # planned but never finished: no group checkpoints
    sweep.write_text('protocols = ["default"]\nseeds = 1\nsteps = 2\n')
    out = tmp_path / "half"
    from ganviz.studies.sweep import plan as sw

    out.mkdir()
    sw.save_plan(sw.plan(sw.load_sweep(sweep)), out)
    assert main(["variance", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "has no checkpoint.pt" in err and "\n" not in err
    assert sorted(p.name for p in out.iterdir()) == ["sweep.json"]  # nothing written
    (out / "sweep.json").write_text("{")  # damaged: named as the argument, not --resume
    assert main(["variance", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ganviz: error: SWEEP_OUT: ") and "is damaged" in err
    assert main(["variance", str(out), "--device", "tpu"]) == 2
    assert "--device" in capsys.readouterr().err


def test_variance_command_refuses_data_without_a_ring(tmp_path, capsys):
    out = _finished_sweep(tmp_path, capsys,
                          'protocols = ["default"]\nseeds = 1\nsteps = 2\n'
                          '[overrides.runs]\nestimators = ["plugin"]\n'
                          '[overrides.model]\ng_hidden = [8]\nd_hidden = [8]\n'
                          '[overrides.data]\nname = "grid25"\n')
    assert main(["variance", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "grid25 data" in err and "needs ring8 data" in err and "\n" not in err
    assert not (out / "variance.md").exists()


def test_response_curves_put_the_mode_std_in_data_units():
    from ganviz.studies.variance import RUN_COLUMNS, GroupVariance, RunVariance, response_curves

    def group(std: float, scale: float, learned: float) -> GroupVariance:
        run = RunVariance({c: learned for c in RUN_COLUMNS})
        return GroupVariance(f"g{std}", {"data.std": std, "runs.covariance": "isotropic"},
                             std * scale, std * scale, [0], [run], 0.001)

    curves = response_curves([group(0.2, 3.0, 0.5), group(0.1, 3.0, 0.25)])
    (line,) = curves["sigma_median"]
    # the learned stds are in scaled data units, so the x axis (and the identity line) are too
    assert line.x == pytest.approx([0.3, 0.6]) and line.median == pytest.approx([0.25, 0.5])
