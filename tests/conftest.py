"""Shared fixtures: small, fast configurations."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The compiled step (train.compile, on by default) costs tens of seconds of compiling per new
# configuration. The suite runs its plumbing with torch.compile switched off (it then returns
# the eager functions); tests/engine/test_compiled.py switches it back on and compiles for real.
os.environ["TORCH_COMPILE_DISABLE"] = "1"

import gc

import pytest
import torch

from ganviz.core.config import Config, load_preset

# Qt objects must be destroyed on the GUI (main) thread, but Python's automatic collection
# runs in whichever thread allocates (pytest-xdist's receiver thread, the window's relay
# thread): a widget tree collected there can crash the worker. As the window does
# (pyqtgraph's GarbageCollector), the suite collects on the main thread, after every test.
GC_THRESHOLDS = gc.get_threshold()
gc.disable()


@pytest.fixture(autouse=True)
def _collect_garbage_on_the_main_thread():
    yield
    counts = gc.get_count()
    for generation in (2, 1, 0):
        if counts[generation] > GC_THRESHOLDS[generation] or generation == 0:
            gc.collect(generation)
            break


def small_config(**runs) -> Config:
    """The default preset shrunk for fast tests (widths 32, batch 64)."""
    over = {
        "model": {"g_hidden": [32, 32], "d_hidden": [32, 32]},
        "train": {"batch_size": 64, "steps": 40, "device": "cpu"},
        "eval": {"every": 10, "samples": 500, "grad_var_batches": 3},
        "probe": {"grid": 24, "field_grid": 7, "density_draws": 128, "fakes": 64,
                  "curve_points": 7, "curve_draws": 16, "curve_fakes": 16},
    }
    if runs:
        over["runs"] = runs
    return load_preset("default").with_overrides(over)


@pytest.fixture
def small_cfg() -> Config:
    return small_config()


@pytest.fixture
def small_toml(tmp_path) -> Path:
    """The small config with 20 steps, as a TOML file."""
    path = tmp_path / "small.toml"
    small_config().with_overrides({"train": {"steps": 20}}).save(path)
    return path


def run_cli(args, capsys) -> tuple[int, str, str]:
    """``python main.py ARGS`` in process: (exit code, stdout, stderr)."""
    from ganviz.cli import main

    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _isolated_qsettings(tmp_path_factory):
    """GUI tests never read or write the user's real settings."""
    try:
        from PySide6.QtCore import QSettings
    except ImportError:  # engine-only environments
        yield
        return
    folder = tmp_path_factory.mktemp("qsettings")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    yield


def window_on_a_thread(cfg: Config):
    """A MainWindow whose training runs on a thread of this process
    (:class:`tests.training_double.ThreadedTraining`) instead of a child process: the same
    loop and snapshots, without starting a process and torch in it for every test."""
    from ganviz.gui.window import MainWindow
    from tests.training_double import ThreadedTraining

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("ganviz.gui.window.TrainingProcess", ThreadedTraining)
        return MainWindow(cfg)


@pytest.fixture
def window(qtbot):
    """The main window on the small config, shown at 1600 x 1000, first views drawn; its
    training on a thread (:func:`window_on_a_thread`).

    Failures of file operations go to the status bar only (no modal dialogs in tests).
    """
    from ganviz.views.theme import configure_pyqtgraph

    configure_pyqtgraph()
    w = window_on_a_thread(small_config())
    w.quiet_dialogs = True
    qtbot.addWidget(w)
    w.resize(1600, 1000)
    w.show()
    qtbot.waitUntil(lambda: w.snapshot is not None and w.snapshot.views is not None,
                    timeout=20000)
    yield w
    w.close()
