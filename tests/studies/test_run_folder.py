"""Headless runs lose no work: Ctrl-C between steps, folders never overwritten, resume flags
checked, progress written as it goes, debris of killed runs cleaned up."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from ganviz.engine.optim import BatchedOptimizer
from ganviz.studies.rundir import LOCK_NAME, RunDir, RunDirError
from tests.conftest import run_cli as cli
from tests.conftest import small_config

ROOT = Path(__file__).resolve().parents[2]


def assert_same_state(a: Path, b: Path) -> None:
    """Two checkpoints hold the same weights, optimiser state, RNG and history."""
    sa = torch.load(a, weights_only=True)
    sb = torch.load(b, weights_only=True)
    assert sa["step"] == sb["step"]
    for net in ("G", "D"):
        for k in sa[net]:
            assert torch.equal(sa[net][k], sb[net][k]), (net, k)
    for opt in ("opt_g", "opt_d"):
        for ta, tb in zip(_tensors(sa[opt]), _tensors(sb[opt]), strict=True):
            assert torch.equal(ta, tb), opt
    for ga, gb in zip(sa["noise"], sb["noise"], strict=True):
        assert torch.equal(ga, gb)
    assert sa["history"].keys() == sb["history"].keys()
    for k in sa["history"]:  # NaN losses at step 0 compare equal
        torch.testing.assert_close(sa["history"][k], sb["history"][k], rtol=0, atol=0,
                                   equal_nan=True)


def _tensors(obj):
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, dict):
        for k in sorted(obj, key=str):
            yield from _tensors(obj[k])
    elif isinstance(obj, list | tuple):
        for v in obj:
            yield from _tensors(v)


def test_ctrl_c_in_the_middle_of_a_step_saves_a_whole_step(small_toml, tmp_path, capsys,
                                                           monkeypatch):
    """SIGINT arriving between D's and G's update: the step completes, then training stops;
    the checkpoint equals a run trained to that step, and resuming equals an uninterrupted run."""
    real_step = BatchedOptimizer.step
    calls = {"n": 0}

    def step_then_interrupt(self, grads, mask):
        result = real_step(self, grads, mask)
        calls["n"] += 1
        if calls["n"] == 2 * 13 + 1:  # D's update of the 14th step
            signal.raise_signal(signal.SIGINT)
        return result

    monkeypatch.setattr(BatchedOptimizer, "step", step_then_interrupt)
    a = tmp_path / "a"
    code, _, err = cli(["train", "--config", small_toml, "--out", a, "--quiet"], capsys)
    monkeypatch.setattr(BatchedOptimizer, "step", real_step)
    assert code == 130
    assert "SIGINT: stopping after this step" in err
    assert "interrupted at step 14 (last evaluation at step 10)" in err
    with open(a / "metrics.csv", newline="") as fh:
        assert {r["step"] for r in csv.DictReader(fh)} == {"0", "10"}  # no off-grid row

    b = tmp_path / "b"
    assert cli(["train", "--config", small_toml, "--out", b, "--quiet", "--steps", "14"],
               capsys)[0] == 0
    sb = torch.load(b / "checkpoint.pt", weights_only=True)
    keep = sb["history"]["step"] != 14  # b evaluates its last step
    sb["history"] = {k: v[keep] for k, v in sb["history"].items()}
    torch.save(sb, b / "cmp.pt")
    assert_same_state(a / "checkpoint.pt", b / "cmp.pt")

    straight = tmp_path / "straight"
    assert cli(["train", "--config", small_toml, "--out", straight, "--quiet"], capsys)[0] == 0
    assert cli(["train", "--out", a, "--quiet", "--resume"], capsys)[0] == 0
    assert (a / "metrics.csv").read_text() == (straight / "metrics.csv").read_text()
    assert_same_state(a / "checkpoint.pt", straight / "checkpoint.pt")


def test_real_sigint_to_the_process_then_resume_matches(small_toml, tmp_path):
    """The whole program under real Ctrl-Cs, pressed again and again until it has ended
    (during saving and interpreter exit too), then --resume: same numbers."""
    cfg = small_config().with_overrides({"train": {"steps": 3000}})
    cfg.save(tmp_path / "long.toml")
    out = tmp_path / "a"
    cmd = [sys.executable, "main.py", "train", "--config", str(tmp_path / "long.toml"),
           "--out", str(out), "--checkpoint-every", "50"]
    log = tmp_path / "stderr.txt"
    with open(log, "w") as stderr:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=stderr)
        deadline = time.monotonic() + 120
        while not (out / "checkpoint.pt").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        while proc.poll() is None and time.monotonic() < deadline:
            proc.send_signal(signal.SIGINT)
            time.sleep(0.005)
        proc.wait(timeout=10)
    err = log.read_text()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    step = torch.load(out / "checkpoint.pt", weights_only=True)["step"]
    assert 50 <= step < 3000
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    with open(out / "metrics.csv", newline="") as fh:
        steps = {int(r["step"]) for r in csv.DictReader(fh)}
    assert all(s % 10 == 0 for s in steps)  # eval.every = 10: nothing off the grid

    total = str(step + 7)
    assert subprocess.run([*cmd[:-2], "--steps", total, "--resume", "--quiet"], cwd=ROOT,
                          capture_output=True, timeout=120).returncode == 0
    straight = tmp_path / "straight"
    assert subprocess.run([*cmd[:5], "--out", str(straight), "--steps", total, "--quiet"],
                          cwd=ROOT, capture_output=True, timeout=120).returncode == 0
    assert (out / "metrics.csv").read_text() == (straight / "metrics.csv").read_text()
    assert_same_state(out / "checkpoint.pt", straight / "checkpoint.pt")


def test_out_holding_a_run_is_refused_without_resume(small_toml, tmp_path, capsys):
    out = tmp_path / "run"
    assert cli(["train", "--config", small_toml, "--out", out, "--quiet"], capsys)[0] == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    code, _, err = cli(["train", "--config", small_toml, "--out", out, "--quiet",
                        "--steps", "30"], capsys)
    assert code == 2 and err.count("\n") == 1
    assert "already holds a run" in err and "--resume" in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_default_out_is_numbered_instead_of_overwritten(small_toml, tmp_path, capsys,
                                                        monkeypatch):
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        assert cli(["train", "--config", small_toml, "--quiet", "--steps", "5"], capsys)[0] == 0
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["small", "small-2"]


@pytest.mark.parametrize("out", ["", " ", "  runs/x", "runs/x "])
def test_blank_out_is_refused(out, tmp_path, capsys, monkeypatch, small_toml):
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(["train", "--config", small_toml, "--out", out], capsys)
    assert code == 2 and "--out" in err and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.toml"]


@pytest.fixture
def trained(small_toml, tmp_path, capsys) -> Path:
    out = tmp_path / "t"
    assert cli(["train", "--config", small_toml, "--out", out, "--quiet", "--seeds", "0,1",
                "--sigma", "0.1"], capsys)[0] == 0
    return out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--sigma", "0.5"], "--sigma: the checkpoint's runs have sigmas [0.1], not [0.5]"),
        (["--seeds", "0"], "--seeds: the checkpoint's runs have seeds [0, 1], not [0]"),
        (["--estimators", "plugin"], "--estimators: the checkpoint's runs have estimators"),
        (["--steps", "5"], "--steps: the checkpoint is already at step 20; give the total to "
                           "reach, at least 20"),
        (["--preset", "veegan-ring"], "--preset: the checkpoint was made with another config"),
        (["--device", "tpu"], "--device (train.device: unknown value 'tpu'"),
    ],
)
def test_resume_refuses_flags_that_disagree_with_the_checkpoint(trained, args, expected, capsys):
    before = {p.name: p.read_bytes() for p in trained.iterdir()}
    code, _, err = cli(["train", "--out", trained, "--resume", "--quiet", *args], capsys)
    assert code == 2 and err.count("\n") == 1, err
    assert expected in err
    assert {p.name: p.read_bytes() for p in trained.iterdir()} == before


def test_resume_accepts_the_same_flags_and_keeps_the_checkpoint_total(trained, small_toml,
                                                                     capsys):
    code, _, err = cli(["train", "--config", small_toml, "--out", trained, "--resume", "--quiet",
                        "--seeds", "0,1", "--sigma", "0.1"], capsys)
    assert code == 0, err
    assert "steps = 20\n" in (trained / "config.toml").read_text()
    assert cli(["train", "--out", trained, "--resume", "--quiet", "--steps", "30"],
               capsys)[0] == 0
    assert "steps = 30\n" in (trained / "config.toml").read_text()


def test_metrics_are_written_with_every_checkpoint(small_toml, tmp_path, capsys, monkeypatch):
    """A run killed between checkpoints still has its metrics up to the last one."""
    import ganviz.studies.train as runner

    seen = []
    real = runner.save_progress

    def spy(trainer, out):
        real(trainer, out)
        with open(out / "metrics.csv", newline="") as fh:
            seen.append((trainer.step_count, max(int(r["step"]) for r in csv.DictReader(fh))))

    monkeypatch.setattr(runner, "save_progress", spy)
    assert cli(["train", "--config", small_toml, "--out", tmp_path / "m", "--quiet",
                "--checkpoint-every", "10"], capsys)[0] == 0
    assert seen == [(10, 10), (20, 20)]


def test_stale_temporaries_of_a_killed_run_are_removed(trained, capsys):
    stale = [trained / ".checkpoint.pt.ab12cd34.tmp", trained / ".metrics.csv.x_9y8z7w.tmp"]
    for p in stale:
        p.write_bytes(b"half")
    keep = trained / ".notes.txt"
    keep.write_text("mine")
    assert cli(["train", "--out", trained, "--resume", "--quiet", "--steps", "25"],
               capsys)[0] == 0
    assert not any(p.exists() for p in stale)
    assert keep.read_text() == "mine"


def test_a_folder_in_use_is_refused(tmp_path):
    first = RunDir(tmp_path / "busy", resume=False).open()
    try:
        if os.name == "nt":
            pytest.skip("no advisory locks on Windows")
        with pytest.raises(RunDirError, match="in use by another ganviz run"):
            RunDir(tmp_path / "busy", resume=False).open()
    finally:
        first.close()
    assert not (tmp_path / "busy" / LOCK_NAME).exists()
    RunDir(tmp_path / "busy", resume=False).open().close()


def test_a_run_that_fails_after_its_first_checkpoint_keeps_it(small_toml, tmp_path, capsys,
                                                             monkeypatch):
    import ganviz.studies.train as runner

    def broken(*_args, **_kw):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(runner, "write_run_outputs", broken)
    out = tmp_path / "new" / "deep"
    code, _, err = cli(["train", "--config", small_toml, "--out", out, "--quiet",
                        "--checkpoint-every", "10"], capsys)
    assert code == 2 and "No space left on device" in err and err.count("\n") == 1
    assert (out / "checkpoint.pt").is_file()  # 20 steps of work are not thrown away


def test_stale_temporaries_in_group_and_unit_folders_are_removed(tmp_path):
    out = tmp_path / "sweep"
    (out / "units" / "g--free--seeds0").mkdir(parents=True)
    (out / "g").mkdir()
    (out / "sweep.json").write_text("{}")
    stale = [out / "units" / "g--free--seeds0" / ".checkpoint.pt.ab12cd34.tmp",
             out / "g" / ".results.md.zz12cd34.tmp", out / ".sweep.json.q1w2e3r4.tmp"]
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    far = outside / ".checkpoint.pt.ab12cd34.tmp"  # reached only through a link: kept
    (out / "g" / "link").symlink_to(outside, target_is_directory=True)
    deep = out / "g" / "a" / "b"
    deep.mkdir(parents=True)
    for p in [*stale, far, deep / ".x.ab12cd34.tmp"]:
        p.write_bytes(b"half")
    keep = out / "units" / "g--free--seeds0" / "checkpoint.pt"
    keep.write_bytes(b"whole")
    run = RunDir(out, resume=True, resume_file="sweep.json").open()
    run.close()
    assert not any(p.exists() for p in stale)
    assert far.exists() and keep.read_bytes() == b"whole"
    assert (deep / ".x.ab12cd34.tmp").exists()  # deeper than ganviz writes: not its own


def test_a_lock_file_that_cannot_be_removed_hides_nothing(tmp_path, monkeypatch):
    import errno

    run = RunDir(tmp_path / "ro", resume=False).open()
    real_unlink = os.unlink

    def read_only(path, *args, **kwargs):
        if str(path).endswith(LOCK_NAME):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", read_only)
    run.close()  # no error: the lock goes with its descriptor
    monkeypatch.setattr(os, "unlink", real_unlink)
    RunDir(tmp_path / "ro", resume=False).open().close()  # and the folder is free again
