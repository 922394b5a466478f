"""File menu actions, driven without dialogs: sessions, metrics and summary exports."""

import csv
import json

import numpy as np

from ganviz.core.contract import ExportMetrics, ExportSummary, Step
from ganviz.core.history import METRIC_COLUMNS
from ganviz.gui.window import MainWindow
from ganviz.views.theme import configure_pyqtgraph
from tests.conftest import small_config


def steps(window, qtbot, n):
    target = window.snapshot.step + n
    window.training.send(Step(n))
    qtbot.waitUntil(lambda: window.snapshot.step == target, timeout=20000)


def test_save_and_open_session_restores_state_and_view(window, qtbot, tmp_path):
    steps(window, qtbot, 12)
    window.toolbar.layer_actions["manifold"].trigger()
    window.toolbar.estimator_buttons["score"].click()
    saved_history = window.snapshot.history["loss_g"].copy()
    path = tmp_path / "lab.ganviz"
    window.files.save_session_to(path)
    qtbot.waitUntil(lambda: path.is_file(), timeout=10000)
    # move on, then restore: step, history and view come back
    window.toolbar.layer_actions["manifold"].trigger()
    window.toolbar.estimator_buttons["score"].click()
    steps(window, qtbot, 5)
    window.files.open_session_from(path)
    qtbot.waitUntil(lambda: window.snapshot.step == 12, timeout=10000)
    assert np.array_equal(window.snapshot.history["loss_g"], saved_history, equal_nan=True)
    qtbot.waitUntil(lambda: "manifold" in window.state.layers, timeout=5000)
    assert "score" in window.state.hidden_estimators
    assert not window.snapshot.runs[3].active


def test_export_metrics_and_summary(window, qtbot, tmp_path):
    steps(window, qtbot, 10)
    csv_path, json_path = tmp_path / "m.csv", tmp_path / "s.json"
    window.training.send(ExportMetrics(str(csv_path)))
    window.training.send(ExportSummary(str(json_path)))
    qtbot.waitUntil(lambda: csv_path.is_file() and json_path.is_file(), timeout=10000)
    with open(csv_path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == METRIC_COLUMNS and len(rows) == 2 * 4
    summary = json.loads(json_path.read_text())
    assert len(summary["runs"]) == 4 and "sigma_curve" in summary["runs"][0]


def test_failed_file_operations_report_and_keep_running(window, qtbot, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    window.files.save_session_to(blocker / "x.ganviz")
    qtbot.waitUntil(lambda: bool(window.files.dialogs.last_error), timeout=10000)
    assert "cannot write" in window.files.dialogs.last_error
    window.files.dialogs.last_error = ""
    bad = tmp_path / "bad.ganviz"
    bad.write_text("not a session")
    window.files.open_session_from(bad)
    qtbot.waitUntil(lambda: bool(window.files.dialogs.last_error), timeout=10000)
    assert "bad.ganviz" in window.files.dialogs.last_error
    steps(window, qtbot, 2)  # still training, state intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.ganviz", "file"]


def test_recording_writes_an_animated_gif(window, qtbot, tmp_path):
    from PIL import Image

    window.recording.record_action.setChecked(True)
    window.toolbar.play.trigger()
    qtbot.waitUntil(lambda: len(set(window.recording.recorder.steps)) >= 3, timeout=20000)
    recorder = window.recording.recorder
    window.recording.recorder = None
    window.recording.record_action.blockSignals(True)
    window.recording.record_action.setChecked(False)
    window.recording.record_action.blockSignals(False)
    path = tmp_path / "train.gif"
    window.recording.save_recording(recorder, path)
    window.recording.finish_saving()
    with Image.open(path) as gif:
        assert gif.n_frames >= 3
    window.recording.save_recording(recorder, tmp_path / "missing" / "x.gif")
    window.recording.finish_saving()
    assert "cannot write" in window.files.dialogs.last_error
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.gif"]


def test_single_panel_and_curve_plot_exports(window, qtbot, tmp_path):
    from PIL import Image

    steps(window, qtbot, 5)
    qtbot.wait(200)
    window.files.exports.export_panel(2, ".png", tmp_path / "panel.png")
    window.files.exports.export_curve("modes", ".svg", tmp_path / "modes.svg")
    window.files.exports.export_figure_to(tmp_path / "all.png")
    with Image.open(tmp_path / "panel.png") as im:
        assert im.size[0] > 300
    assert "Modes captured" in (tmp_path / "modes.svg").read_text()
    with Image.open(tmp_path / "all.png") as im:
        assert im.size[0] >= 2 * window.panels.width() - 2
    entries = [a.text() for a in window.curves.plots()["loss"].getViewBox().menu.actions()]
    assert "Export this plot as PNG…" in entries


def test_reopened_session_continues_with_identical_losses(window, qtbot, tmp_path):
    steps(window, qtbot, 10)
    path = tmp_path / "at10.ganviz"
    window.files.save_session_to(path)
    qtbot.waitUntil(lambda: path.is_file(), timeout=10000)
    steps(window, qtbot, 10)
    straight = {k: v.copy() for k, v in window.snapshot.history.items()}
    window.files.open_session_from(path)
    qtbot.waitUntil(lambda: window.snapshot.step == 10, timeout=10000)
    steps(window, qtbot, 10)
    for key in ("loss_d", "loss_g", "modes", "grad_rel_var"):
        assert np.array_equal(window.snapshot.history[key], straight[key], equal_nan=True), key


def test_window_layout_is_remembered(qtbot):
    from ganviz.gui.filedialogs import settings

    configure_pyqtgraph()
    first = MainWindow(small_config())
    qtbot.addWidget(first)
    first.show()
    first.settings_dock.close()
    first.close()
    assert settings().value(first.layout_key()) is not None  # the layout of this screen size
    second = MainWindow(small_config())
    qtbot.addWidget(second)
    second.show()
    assert second.settings_dock.isHidden()
    second.close()
