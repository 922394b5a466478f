"""`python main.py train`: its outputs, resuming, bad input and the window's flags, as a
user types them."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ganviz.core.history import METRIC_COLUMNS
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parents[2]


def test_train_writes_all_outputs(small_toml, tmp_path, capsys):
    out = tmp_path / "out"
    code, stdout, _ = run_cli(["train", "--config", small_toml, "--out", out, "--quiet",
                               "--seeds", "0,1", "--estimators", "plugin,reparam_learned"],
                              capsys)
    assert code == 0
    assert f"outputs in {out}" in stdout
    for name in ("config.toml", "metrics.csv", "summary.json", "checkpoint.pt"):
        assert (out / name).is_file(), name
    assert not list(out.glob(".*"))  # no temporary files left
    with open(out / "metrics.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0].keys()) == METRIC_COLUMNS
    assert {r["step"] for r in rows} == {"0", "10", "20"}
    assert len(rows) == 3 * 4
    summary = json.loads((out / "summary.json").read_text())
    assert summary["config"]["runs"]["seeds"] == [0, 1]
    assert len(summary["runs"]) == 4
    for run in summary["runs"]:
        assert {"run", "estimator", "seed", "final", "sigma_curve"} <= set(run)
        curve = run["sigma_curve"]
        assert set(curve) == {"sigma", "bias", "pathwise_std", "score_std", "score_std_point",
                                  "score_std_mean"}
        assert len(curve["sigma"]) == len(curve["bias"]) == len(curve["score_std"])
        assert run["final"]["step"] == 20


def test_resolved_config_reruns_identically(small_toml, tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    assert run_cli(["train", "--config", small_toml, "--out", a, "--quiet", "--sigma", "0.1"],
                   capsys)[0] == 0
    assert run_cli(["train", "--config", a / "config.toml", "--out", b, "--quiet"], capsys)[0] == 0
    assert (a / "metrics.csv").read_text() == (b / "metrics.csv").read_text()
    assert "0.1" in (a / "config.toml").read_text()


def test_resume_continues_to_the_same_numbers(small_toml, tmp_path, capsys):
    straight, split = tmp_path / "straight", tmp_path / "split"
    assert run_cli(["train", "--config", small_toml, "--out", straight, "--quiet"], capsys)[0] == 0
    assert run_cli(["train", "--config", small_toml, "--out", split, "--quiet", "--steps", "10"],
                   capsys)[0] == 0
    assert run_cli(["train", "--config", small_toml, "--out", split, "--quiet", "--steps", "20",
                    "--resume"], capsys)[0] == 0
    assert (straight / "metrics.csv").read_text() == (split / "metrics.csv").read_text()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--preset", "nope"], "--preset: unknown preset 'nope'; allowed:"),
        (["--estimators", "plugin,magic"], "--estimators (runs.estimators[1]: unknown value"),
        (["--sigma", "-0.5"], "--sigma (runs.sigmas[0]: must be a finite number in [0, 100]"),
        (["--sigma", "abc"], "--sigma: every item must be a float"),
        (["--seeds", "1,x"], "--seeds: every item must be a int"),
        (["--steps", "0"], "argument --steps: must be >= 1"),
        (["--device", "tpu"], "--device (train.device: unknown value 'tpu'"),
        (["--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_no_output(args, expected, tmp_path, capsys):
    out = tmp_path / "never"
    code, _stdout, err = run_cli(["train", "--out", out, "--quiet", *args], capsys)
    assert code == 2
    assert err.startswith("ganviz: error: ") and err.count("\n") == 1, err
    assert expected in err
    assert not out.exists()


def test_bad_config_files(tmp_path, capsys):
    bad = {
        "malformed.toml": ("[train\nsteps = 3", "malformed TOML"),
        "key.toml": ("[train]\nstepz = 3", "train.stepz: unknown key"),
        "lr.toml": ("[train]\nlr_d = nan", "train.lr_d: must be a finite number in (0, 10]"),
        "neg.toml": ("[train]\nlr_g = -1e-3", "train.lr_g: must be a finite number in (0, 10]"),
        "sig.toml": ("[runs]\nsigmas = [-1.0]", "runs.sigmas[0]"),
    }
    for name, (text, expected) in bad.items():
        path = tmp_path / name
        path.write_text(text)
        out = tmp_path / f"out-{name}"
        code, _, err = run_cli(["train", "--config", path, "--out", out], capsys)
        assert code == 2 and expected in err and err.count("\n") == 1, (name, err)
        assert not out.exists()
    code, _, err = run_cli(["train", "--config", tmp_path / "missing.toml"], capsys)
    assert code == 2 and "cannot read" in err


def test_unwritable_out_leaves_nothing(tmp_path, capsys, small_toml):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run_cli(["train", "--config", small_toml, "--out", blocker / "sub" / "dir"],
                           capsys)
    assert code == 2 and "--out:" in err and err.count("\n") == 1
    code, _, err = run_cli(["train", "--config", small_toml, "--out", blocker], capsys)
    assert code == 2 and "is not a folder" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "small.toml"]


def test_resume_without_checkpoint(tmp_path, capsys, small_toml):
    code, _, err = run_cli(["train", "--config", small_toml, "--out", tmp_path, "--resume"], capsys)
    assert code == 2 and "--resume: no checkpoint.pt" in err


def test_cuda_requested_without_cuda(tmp_path, capsys, small_toml, monkeypatch):
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    code, _, err = run_cli(["train", "--config", small_toml, "--device", "cuda",
                            "--out", tmp_path / "x"], capsys)
    assert code == 2 and "no CUDA device" in err
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("how", ["main.py", "-m ganviz from another folder"])
def test_main_py_subprocess_has_no_traceback(tmp_path, how):
    """``python main.py`` in the checkout, and ``python -m ganviz`` anywhere (an installed
    wheel has no main.py)."""
    args = ["train", "--preset", "nope", "--out", str(tmp_path / "o")]
    if how == "main.py":
        command, cwd, env = [sys.executable, "main.py", *args], ROOT, None
    else:
        command, cwd = [sys.executable, "-m", "ganviz", *args], tmp_path
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("ganviz: error: --preset")
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--preset", "nope"], "--preset: unknown preset 'nope'"),
        (["--device", "tpu"], "--device (train.device: unknown value 'tpu'"),
        (["--config", "/nonexistent/x.toml"], "cannot read"),
    ],
)
def test_window_arguments_are_checked_before_opening(args, expected, capsys):
    code, _, err = run_cli(args, capsys)
    assert code == 2 and expected in err and err.count("\n") == 1, err


def test_train_figures_and_gif_use_the_window_views(small_toml, tmp_path, capsys, qapp):
    from PIL import Image

    out = tmp_path / "fig"
    code, stdout, _ = run_cli(["train", "--config", small_toml, "--out", out, "--quiet",
                               "--figures", "--gif", "--gif-every", "5"], capsys)
    assert code == 0, stdout
    with Image.open(out / "comparison.png") as im:
        assert im.size[0] > 1000 and len(im.convert("L").getcolors(1 << 16) or []) > 50
    svg = (out / "comparison.svg").read_text()
    assert "plug-in" in svg and "score function" in svg
    assert len(list(out.glob("panel-*.png"))) == 4
    with Image.open(out / "training.gif") as gif:
        assert gif.n_frames == 5  # steps 0, 5, 10, 15, 20
    assert not list(out.glob(".*"))


def test_full_disk_while_writing_outputs_is_one_line(small_toml, tmp_path, capsys, monkeypatch):
    import os

    real_fsync = os.fsync

    def full(fd):
        if os.fstat(fd).st_size > 0:
            raise OSError(28, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full)
    code, _, err = run_cli(["train", "--config", small_toml, "--out", tmp_path / "o", "--quiet"],
                           capsys)
    assert code == 2 and "No space left on device" in err and err.count("\n") == 1, err
    assert not list((tmp_path / "o").glob(".*"))
