"""The Python API (ganviz.api) for scripts and notebooks: the same numbers as the command
line, history as arrays, checkpoints that resume, and the example script runs."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

from ganviz.api import Experiment
from ganviz.cli import main
from ganviz.core.settings import ConfigError
from tests.conftest import small_config

ROOT = Path(__file__).resolve().parent.parent


def _experiment(**over) -> Experiment:
    return Experiment(small_config().with_overrides({"train": {"steps": 20, **over}}),
                      device="cpu", compile=False)


def test_an_experiment_gives_the_command_lines_numbers(tmp_path, capsys):
    exp = _experiment().train()
    cfg_path = tmp_path / "c.toml"
    exp.cfg.save(cfg_path)
    assert main(["train", "--config", str(cfg_path), "--out", str(tmp_path / "o"),
                 "--quiet", "--device", "cpu"]) == 0
    capsys.readouterr()
    ours = exp.history()
    theirs = Experiment.from_checkpoint(tmp_path / "o" / "checkpoint.pt", "cpu").history()
    assert ours.keys() == theirs.keys() and len(ours["step"]) == 3  # steps 0, 10, 20
    for key in ours:
        np.testing.assert_array_equal(ours[key], theirs[key], err_msg=key)


def test_history_is_arrays_in_run_order_and_train_chains():
    exp = _experiment()
    assert exp.train(10) is exp and exp.step == 10
    h = exp.history()
    assert h["step"].tolist() == [0, 10]
    assert h["modes"].shape == (2, len(exp.runs))
    h["modes"][:] = -1  # a copy: the experiment's history is untouched
    assert (exp.history()["modes"] >= 0).all()
    assert [r.index for r in exp.runs] == list(range(len(exp.runs)))
    exp.train(15)  # past train.steps: the total grows
    assert exp.step == 25 and exp.cfg.train.steps == 25
    assert len(exp.final()) == len(exp.runs) and "modes" in exp.final()[0]


def test_overrides_are_validated_by_name():
    with pytest.raises(ConfigError, match=r"train\.lr_d"):
        Experiment.from_preset("default", train={"lr_d": -1})


def test_a_checkpoint_resumes_to_the_same_numbers(tmp_path):
    straight = _experiment().train(20)
    half = _experiment().train(10)
    half.save_checkpoint(tmp_path / "c.pt")
    resumed = Experiment.from_checkpoint(tmp_path / "c.pt", device="cpu")
    resumed.train(10)
    for key, value in straight.history().items():
        np.testing.assert_array_equal(value, resumed.history()[key], err_msg=key)


def test_the_dataframe_needs_pandas_or_says_so():
    exp = _experiment().train(10)
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="needs pandas"):
            exp.dataframe()
    else:
        df = exp.dataframe()
        assert len(df) == 2 * len(exp.runs) and {"estimator", "seed", "modes"} <= set(df)


def test_the_example_script_runs(tmp_path, qapp, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["quickstart.py", str(tmp_path / "out")])
    module = runpy.run_path(str(ROOT / "examples" / "quickstart.py"))
    means = module["main"](tmp_path / "out2", steps=20)
    assert set(means) == {"plugin", "reparam_fixed", "reparam_learned", "score"}
    assert (tmp_path / "out2" / "comparison.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "out2" / "checkpoint.pt").is_file()
    assert "modes at step 20" in capsys.readouterr().out


@pytest.mark.parametrize("suffix", [".svg", ".pdf"])
def test_save_figure_writes_vector_files_and_refuses_other_suffixes(tmp_path, qapp, suffix):
    from ganviz.figures.export import ExportError

    exp = _experiment().train(10)
    path = exp.save_figure(tmp_path / f"fig{suffix}", theme="paper")
    data = path.read_bytes()
    assert data.startswith(b"%PDF-") if suffix == ".pdf" else b"<svg" in data[:1000]
    assert len(data) > 1000
    with pytest.raises(ExportError, match=r"use \.png, \.svg or \.pdf"):
        exp.save_figure(tmp_path / "fig.jpg")
    assert not (tmp_path / "fig.jpg").exists()
    one = exp.save_figure(tmp_path / f"modes{suffix}", theme="paper", plot="modes")
    text = one.read_bytes()
    assert len(text) < len(data)  # one plot, not the comparison
    if suffix == ".svg":
        assert b"Modes captured" in text and b"Equation 1" not in text
    with pytest.raises(ExportError, match=r"no curve plot 'mode'; choose from loss, "):
        exp.save_figure(tmp_path / "x.png", plot="mode")
    assert not (tmp_path / "x.png").exists()
