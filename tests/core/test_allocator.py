"""The allocator settings of training processes: taken on glibc, and they stop the page
faults of every step (counted, not timed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ganviz.core import allocator

ROOT = Path(__file__).resolve().parents[2]
linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")

STEPS = r"""
import resource, sys
if sys.argv[1] == "tuned":
    from ganviz.core.allocator import keep_memory_for_training
    assert keep_memory_for_training()
import torch
from ganviz.core.config import load_preset
from ganviz.engine.trainer import Trainer
torch.set_num_threads(1)
cfg = load_preset("default").with_overrides({"train": {"device": "cpu"},
                                             "eval": {"every": 1000}})
trainer = Trainer(cfg, "cpu")
for _ in range(10):
    trainer.step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(40):
    trainer.step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@linux
def test_glibc_takes_the_settings():
    assert allocator.keep_memory_for_training() is True


@linux
def test_steps_stop_faulting_memory_in():
    faults = {}
    for mode in ("plain", "tuned"):
        proc = subprocess.run([sys.executable, "-c", STEPS, mode], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        faults[mode] = int(proc.stdout.strip())
    assert faults["tuned"] * 4 < faults["plain"], faults


def test_headless_commands_use_it_and_the_window_does_not(monkeypatch, capsys):
    from ganviz import cli
    from ganviz.cli import bench, window

    calls = []
    monkeypatch.setattr(allocator, "keep_memory_for_training", lambda: calls.append(1))
    cli.main(["train", "--steps", "0"])  # refused by the parser before any training
    assert calls == []
    monkeypatch.setattr(bench, "run", lambda args: 0)
    monkeypatch.setattr(window, "run", lambda args: 0)
    assert cli.main(["bench"]) == 0 and calls == [1]
    assert cli.main([]) == 0 and calls == [1]
    capsys.readouterr()
