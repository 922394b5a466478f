"""The window, offscreen: it opens, trains, toggles, resets, shows divergence, closes fast."""

import subprocess
import sys
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt

from ganviz.core.contract import ForceDivergence, Opened, Saved
from ganviz.gui.window import MainWindow
from ganviz.views.theme import configure_pyqtgraph
from tests.conftest import small_config

ROOT = Path(__file__).resolve().parents[2]


def test_opens_with_one_panel_per_run(window):
    assert len(window.panels.panels) == 4
    assert window.snapshot.step == 0
    titles = [p.plot.titleLabel.text for p in window.panels.panels]
    assert "reparameterized, learned sigma(z)" in titles[2]
    # the suite runs with torch.compile off: the eager step, and the tooltip says why
    assert window.training_status.status_device.text().startswith("cpu · eager step")


def test_play_advances_and_pause_stops(window, qtbot):
    window.toolbar.play.trigger()
    qtbot.waitUntil(lambda: window.snapshot.step >= 15, timeout=20000)
    device = window.training_status.status_device
    qtbot.waitUntil(lambda: device.text() == "cpu · eager step", timeout=20000)
    assert "compiler unavailable" in device.toolTip()
    window.toolbar.play.trigger()
    qtbot.waitUntil(lambda: not window.snapshot.running, timeout=5000)
    frozen = window.snapshot.step
    qtbot.wait(300)
    assert window.snapshot.step == frozen
    assert "step" in window.training_status.status_step.text()


def test_estimator_toggle_hides_panel_and_freezes_run(window, qtbot):
    window.toolbar.estimator_buttons["score"].click()
    assert not window.toolbar.estimator_buttons["score"].isChecked()
    assert [p.spec.estimator for p in window.panels.visible_panels()] == [
        "plugin", "reparam_fixed", "reparam_learned"]
    window.toolbar.play.trigger()
    qtbot.waitUntil(lambda: window.snapshot.runs[0].run_step >= 10, timeout=20000)
    score = window.snapshot.runs[3]
    assert score.run_step == 0 and not score.active
    window.toolbar.estimator_buttons["score"].click()
    qtbot.waitUntil(lambda: window.snapshot.runs[3].run_step > 0, timeout=20000)
    assert len(window.panels.visible_panels()) == 4


def test_reset_returns_to_step_zero(window, qtbot):
    window.toolbar.step.trigger()
    window.toolbar.step.trigger()
    qtbot.waitUntil(lambda: window.snapshot.step == 2, timeout=10000)
    window.toolbar.reset.trigger()
    qtbot.waitUntil(lambda: window.snapshot.step == 0, timeout=10000)
    assert window.snapshot.history["step"].shape[0] == 1


def test_diverged_run_is_shown(window, qtbot):
    window.training.send(ForceDivergence(1))
    window.toolbar.step.trigger()
    qtbot.waitUntil(lambda: window.snapshot.runs[1].diverged, timeout=10000)
    qtbot.waitUntil(lambda: "DIVERGED" in window.panels.panels[1].plot.titleLabel.text,
                    timeout=5000)
    assert "diverged" in window.training_status.status_runs.text()
    assert not window.snapshot.runs[0].diverged


def test_layers_toggle_for_all_panels(window, qtbot):
    window.toolbar.layer_actions["disc"].trigger()
    assert "disc" in window.state.layers
    assert all(p.disc.isVisible() for p in window.panels.panels)
    qtbot.waitUntil(lambda: window.panels.panels[0].disc.image is not None, timeout=5000)
    window.toolbar.layer_actions["density"].trigger()
    assert not any(p.density.isVisible() for p in window.panels.panels)


def test_hover_reports_values(window, qtbot):
    panel = window.panels.panels[0]
    scene_pos = panel.plot.getViewBox().mapViewToScene(pg_point(0.5, -0.25))
    messages = []
    window.panels.hovered.connect(messages.append)
    window.panels._on_move(scene_pos)
    assert messages and "p(x) =" in messages[0] and "D(x) =" in messages[0]


def pg_point(x, y):
    from PySide6.QtCore import QPointF

    return QPointF(x, y)


def test_closing_while_training_ends_the_training_process(qtbot):
    """Close stops the thread and the process and leaves no child behind (that the child
    leaves by itself: tests/live/test_live.py; timings: scripts/timing/close_timing.py)."""
    import multiprocessing

    configure_pyqtgraph()
    w = MainWindow(small_config())
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.snapshot is not None, timeout=20000)
    w.toolbar.play.trigger()
    qtbot.waitUntil(lambda: w.snapshot.step > 5, timeout=20000)
    failures = []
    w.thread.failed.connect(failures.append)
    w.close()
    assert w.thread.isFinished()
    assert not w.training.process.is_alive()
    assert w.training.process.exitcode is not None  # ended and reaped
    assert w.training.process not in multiprocessing.active_children()
    qtbot.wait(100)
    assert failures == []  # a requested stop is not reported as a failure


def test_main_window_process_exits_cleanly():
    proc = subprocess.run(
        [sys.executable, "main.py", "--play", "--quit-after", "3"], cwd=ROOT,
        capture_output=True, text=True, timeout=120,
        env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert proc.returncode == 0, proc.stderr
    noise = [line for line in proc.stderr.splitlines()
             if line.strip() and "propagateSizeHints" not in line]
    assert noise == [], noise


def test_custom_dataset_edits_modes_by_clicking(window, qtbot):
    combo = window.settings.field_widget("data.name")
    combo.setCurrentText("custom")
    cfg = window.settings.current_config()
    assert cfg.data.name == "custom" and len(cfg.data.means) == 8
    window.settings.apply_button.click()
    qtbot.waitUntil(lambda: window.snapshot.config.data.name == "custom", timeout=10000)
    assert window.panels.edit_modes
    window.panels.add_mode.emit(0.1, 0.2)
    qtbot.waitUntil(lambda: len(window.snapshot.real.modes) == 9, timeout=10000)
    window.panels.remove_mode.emit(2.0, 0.0)  # nearest mode: (2, 0)
    qtbot.waitUntil(lambda: len(window.snapshot.real.modes) == 8, timeout=10000)
    assert [0.1, 0.2] in [list(map(float, m)) for m in window.snapshot.config.data.means]
    assert window.snapshot.step == 0  # data edits apply live, nothing was reset


def test_invalid_setting_is_refused_and_training_goes_on(window, qtbot):
    lr = window.settings.field_widget("train.lr_d")
    lr.setText("-3")
    window.settings.apply_button.click()
    assert window.settings.error_label.text().startswith("LR D: ")
    window.toolbar.step.trigger()
    qtbot.waitUntil(lambda: window.snapshot.step == 1, timeout=10000)
    assert window.snapshot.config.train.lr_d == small_config().train.lr_d


# ------------------------------------------ hidden estimators through resets (issue 9.10)
def type_into(qtbot, widget, text: str) -> None:
    """Replace a line edit's text by typing, as a user would."""
    widget.selectAll()
    qtbot.keyClick(widget, Qt.Key.Key_Backspace)
    qtbot.keyClicks(widget, text)


def score_runs(snap):
    return [r for r in snap.runs if r.spec.estimator == "score"]


def assert_score_hidden_and_paused(window):
    """Toolbar, panels, curves and the training process agree: score is off."""
    snap = window.snapshot
    assert not window.toolbar.estimator_buttons["score"].isChecked()
    assert "score" not in {p.spec.estimator for p in window.panels.visible_panels()}
    for run in score_runs(snap):
        assert not run.active and run.run_step == 0
        assert run.spec.index in window.curves._hidden
    others = [r for r in snap.runs if r.spec.estimator != "score"]
    assert others and all(r.active and r.run_step > 0 for r in others)


def test_hidden_estimator_stays_paused_after_reset_with_new_sigma(window, qtbot):
    window.toolbar.estimator_buttons["score"].click()
    type_into(qtbot, window.settings.field_widget("runs.sigmas"), "0.1")
    window.settings.reset_button.click()
    qtbot.waitUntil(lambda: window.snapshot.config.runs.sigmas == [0.1], timeout=20000)
    assert score_runs(window.snapshot)[0].spec.sigma == 0.1  # a new run: new label
    window.toolbar.play.trigger()
    qtbot.waitUntil(lambda: window.snapshot.runs[0].run_step >= 10, timeout=20000)
    assert_score_hidden_and_paused(window)
    # the toolbar's Reset keeps it paused too
    window.toolbar.play.trigger()
    window.toolbar.reset.trigger()
    qtbot.waitUntil(lambda: window.snapshot.step == 0, timeout=20000)
    for _ in range(3):
        window.toolbar.step.trigger()
    qtbot.waitUntil(lambda: window.snapshot.step == 3, timeout=20000)
    assert_score_hidden_and_paused(window)
    # and switching it on trains it again
    window.toolbar.estimator_buttons["score"].click()
    window.toolbar.step.trigger()
    qtbot.waitUntil(lambda: window.snapshot.step == 4, timeout=20000)
    assert all(r.active for r in window.snapshot.runs)
    assert score_runs(window.snapshot)[0].run_step == 1


def wait_for_notice(window, qtbot, kind: type) -> None:
    seen = []
    original = window.files.handle_notice

    def spy(notice):
        seen.append(type(notice))
        original(notice)

    window.files.handle_notice = spy
    qtbot.waitUntil(lambda: kind in seen, timeout=20000)
    window.files.handle_notice = original


def test_opening_a_session_takes_its_hidden_estimators(window, qtbot, tmp_path):
    window.toolbar.estimator_buttons["score"].click()  # saved hidden and paused
    window.toolbar.step.trigger()
    qtbot.waitUntil(lambda: window.snapshot.step == 1, timeout=20000)
    path = tmp_path / "hidden-score.ganviz"
    window.files.save_session_to(path)
    wait_for_notice(window, qtbot, Saved)
    window.toolbar.estimator_buttons["score"].click()  # on again before opening
    window.toolbar.estimator_buttons["plugin"].click()  # and another one off
    window.files.open_session_from(path)
    wait_for_notice(window, qtbot, Opened)
    assert not window.toolbar.estimator_buttons["score"].isChecked()
    assert window.toolbar.estimator_buttons["plugin"].isChecked()
    for _ in range(2):
        window.toolbar.step.trigger()
    qtbot.waitUntil(lambda: window.snapshot.step == 3, timeout=20000)
    assert_score_hidden_and_paused(window)
    assert window.snapshot.runs[0].run_step == 3  # plugin trains: the session says shown


# ------------------------------------- a reset while paused shows the new runs (issue 9.11)
def drawn_extent(panel) -> float:
    """Half-width of the real-data contours a panel draws."""
    x, y = panel.real.getData()
    return float(max(np.nanmax(np.abs(x)), np.nanmax(np.abs(y))))


def test_reset_while_paused_draws_the_new_run_set(window, qtbot):
    old = window.snapshot
    assert len(window.panels.panels) == 4 and old.views.density.shape[0] == 4
    ring_extent = drawn_extent(window.panels.panels[0])
    # more runs, other data, through the form (paused all along)
    window.settings.field_widget("data.name").setCurrentText("grid25")
    type_into(qtbot, window.settings.field_widget("runs.seeds"), "5, 6")
    window.settings.reset_button.click()
    qtbot.waitUntil(lambda: window.snapshot.config.data.name == "grid25", timeout=20000)
    qtbot.waitUntil(lambda: all(p.views is window.snapshot.views
                                for p in window.panels.panels), timeout=20000)
    snap = window.snapshot
    assert not snap.running
    assert len(snap.runs) == 8 and len(window.panels.panels) == 4  # one panel per two seeds
    assert [[s.seed for s in p.specs] for p in window.panels.panels] == [[5, 6]] * 4
    assert snap.views.density.shape[0] == 8 and snap.fakes.fakes.shape[0] == 8
    assert snap.real.modes.shape == (25, 2)
    assert snap.versions.views > old.versions.views
    grid_extent = drawn_extent(window.panels.panels[3])
    assert grid_extent > ring_extent + 1  # modes at +-4 instead of radius 2
    window.state.select_run(7)  # the last of the 8 runs, gone after the next reset
    # fewer runs, other estimators, the ring again
    fewer = snap.config.with_overrides({"data": {"name": "ring8"}, "runs": {
        "estimators": ["reparam_fixed", "reparam_learned"], "seeds": [3]}})
    window._reset(fewer)
    qtbot.waitUntil(lambda: len(window.snapshot.runs) == 2, timeout=20000)
    qtbot.waitUntil(lambda: all(p.views is window.snapshot.views
                                for p in window.panels.panels), timeout=20000)
    snap = window.snapshot
    assert [p.spec.estimator for p in window.panels.panels] == ["reparam_fixed",
                                                               "reparam_learned"]
    assert snap.views.density.shape[0] == 2 and snap.real.modes.shape == (8, 2)
    assert abs(drawn_extent(window.panels.panels[1]) - ring_extent) < 0.5
    assert not window.toolbar.estimator_buttons["plugin"].isEnabled()
    assert window.state.selected_run == 0  # a saved session's view stays valid


def test_the_training_process_hears_which_layers_are_drawn(window, monkeypatch):
    """Hidden layers are not computed: the window says which are shown, and panels draw
    (and hover) views that lack the D map and the smoothed field."""
    from dataclasses import replace

    from ganviz.core.contract import ShowLayers

    sent = []
    monkeypatch.setattr(window.training, "send", sent.append)
    window.state.set_layer("disc", True)
    assert sent == [ShowLayers(frozenset(window.state.layers))] and "disc" in sent[0].layers
    snap = window.snapshot
    lean = replace(snap, views=replace(snap.views, disc=None, smooth_field=None))
    window.state.set_layer("smooth", True)
    window.panels.update_snapshot(lean)
    panel = window.panels.panels[0]
    text = panel.describe(0.0, 0.0, panel.run)
    assert "p(x)" in text and "D(x)" not in text
    window.panels.update_snapshot(snap)
    assert "D(x)" in panel.describe(0.0, 0.0, panel.run)
