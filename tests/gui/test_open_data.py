"""File > Open Data… in the window: a good file resets training on it; a bad one is one line
and changes nothing (settings, runs and training untouched)."""

import math
import threading
import time

import numpy as np

from ganviz.core.contract import Step
from ganviz.data.datafile import ReadCancelled


def _steps(window, qtbot, n):
    target = window.snapshot.step + n
    window.training.send(Step(n))
    qtbot.waitUntil(lambda: window.snapshot.step == target, timeout=20000)


def _read(window, qtbot, path):
    """Open Data on ``path`` and wait until its read (on the worker thread) has ended."""
    window.files.data.open_data_from(path)
    qtbot.waitUntil(lambda: not window.files.data.reading(), timeout=20000)


def _ring(n=300):
    rng = np.random.default_rng(0)
    a = rng.uniform(0, 2 * np.pi, n)
    return np.c_[2 * np.cos(a), 2 * np.sin(a)] + 0.05 * rng.standard_normal((n, 2))


def test_open_data_trains_on_the_file_with_the_chosen_columns(window, qtbot, tmp_path):
    path = tmp_path / "wide.csv"
    pts = _ring()
    np.savetxt(path, np.c_[np.arange(300), pts, pts[:, 0] * 0], delimiter=",",
               header="i,x,y,zero", comments="")
    asked = []
    window.files.data.pick_columns = lambda info: asked.append(info.names) or ["x", "y"]
    _steps(window, qtbot, 3)
    _read(window, qtbot, path)
    assert asked == [("i", "x", "y", "zero")]  # four numeric columns: the user picks two
    qtbot.waitUntil(lambda: window.snapshot.config.data.name == "file"
                    and window.snapshot.step == 0, timeout=20000)
    qtbot.waitUntil(lambda: not window.files.data.read_indicator.isVisible(), timeout=5000)
    data = window.snapshot.config.data
    assert data.file == str(path) and data.columns == ["x", "y"]
    assert window.settings.applied_config().data.file == str(path)
    real = window.snapshot.real
    assert real.points is not None and real.points.shape == (300, 2) and len(real.modes) == 0
    _steps(window, qtbot, 10)
    qtbot.waitUntil(lambda: window.snapshot.history["step"].shape[0] >= 2, timeout=20000)
    last = {k: v[-1] for k, v in window.snapshot.history.items()}
    assert np.isnan(last["modes"]).all() and np.isfinite(last["energy_distance"]).all()
    plots = window.curves.plots()
    qtbot.waitUntil(lambda: "no known modes" in plots["modes"].titleLabel.text, timeout=5000)
    assert all("no known modes" in plots[name].titleLabel.text
               for name in ("hq_fraction", "reverse_kl"))
    assert "no known modes" not in plots["js_divergence"].titleLabel.text
    assert "300 points" in window.statusBar().currentMessage()


def test_a_bad_data_file_changes_nothing(window, qtbot, tmp_path):
    _steps(window, qtbot, 4)
    before = window.snapshot.config
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\nnan,3\n")
    _read(window, qtbot, bad)
    message = window.files.dialogs.last_error
    assert "bad.csv" in message and "NaN" in message and "\n" not in message
    lone = tmp_path / "lone.npy"
    np.save(lone, np.array([[1.0, 2.0]]))
    _read(window, qtbot, lone)
    assert "1 point" in window.files.dialogs.last_error
    _steps(window, qtbot, 2)  # still training the same runs from where it was
    assert window.snapshot.step == 6 and window.snapshot.config == before
    assert window.settings.applied_config() == before
    assert not math.isnan(window.snapshot.history["modes"][-1][0])


def test_choosing_file_in_the_dataset_box_asks_for_the_file(window, qtbot, tmp_path):
    box = window.settings.field_widget("data.name")
    asked = []
    window.files.dialogs.ask = lambda *a, **k: asked.append(a[0]) or None  # the user cancels
    box.setCurrentText("file")
    qtbot.waitUntil(lambda: asked == ["Open data"], timeout=5000)
    qtbot.waitUntil(lambda: box.currentText() == "ring8", timeout=5000)  # back as it was
    assert window.snapshot.config.data.name == "ring8"
    path = tmp_path / "ring.csv"
    np.savetxt(path, _ring(), delimiter=",")
    window.files.dialogs.ask = lambda *a, **k: path  # now a file is chosen
    box.setCurrentText("file")
    qtbot.waitUntil(lambda: window.snapshot.config.data.name == "file", timeout=20000)
    assert window.snapshot.config.data.file == str(path)
    assert box.currentText() == "file"
    _close_mid_read(window, qtbot, path)


def _close_mid_read(window, qtbot, path):
    """Closing the window while a data file is read: the read ends with it, promptly."""
    release = threading.Event()

    def endless(path, columns, stop):  # a read that only ends when told to
        while not release.wait(0.01):
            if stop(0.5):
                raise ReadCancelled

    window.files.data.read_job = endless
    window.files.data.open_data_from(path)
    read = window.files.data.read
    qtbot.wait(100)
    assert read.running() and window.files.data.read_indicator.isVisible()
    t0 = time.perf_counter()
    window.close()
    assert time.perf_counter() - t0 < 2.0  # training stops within ~0.7 s; the read at once
    assert not read.running() and not window.files.data.reading()
    release.set()
