"""The window, offscreen: it opens, trains, toggles, resets, shows divergence, closes fast."""

import functools
import subprocess
import sys
import time
from pathlib import Path

from ganviz.gui.theme import configure_pyqtgraph
from ganviz.gui.window import MainWindow
from ganviz.live import force_divergence
from tests.conftest import small_config

ROOT = Path(__file__).resolve().parent.parent


def test_opens_with_one_panel_per_run(window):
    assert len(window.panels.panels) == 4
    assert window.snapshot.step == 0
    titles = [p.plot.titleLabel.text for p in window.panels.panels]
    assert "reparameterized, learned sigma(z)" in titles[2]
    assert window.status_device.text() == "cpu"


def test_play_advances_and_pause_stops(window, qtbot):
    window.toolbar.play.trigger()
    qtbot.waitUntil(lambda: window.snapshot.step >= 15, timeout=20000)
    window.toolbar.play.trigger()
    qtbot.waitUntil(lambda: not window.snapshot.running, timeout=5000)
    frozen = window.snapshot.step
    qtbot.wait(300)
    assert window.snapshot.step == frozen
    assert "step" in window.status_step.text()


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
    window.session.send("call", functools.partial(force_divergence, index=1))
    window.toolbar.step.trigger()
    qtbot.waitUntil(lambda: window.snapshot.runs[1].diverged, timeout=10000)
    qtbot.waitUntil(lambda: "DIVERGED" in window.panels.panels[1].plot.titleLabel.text,
                    timeout=5000)
    assert "diverged" in window.status_runs.text()
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


def test_closing_while_training_stops_within_a_second(qtbot):
    configure_pyqtgraph()
    w = MainWindow(small_config())
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.snapshot is not None, timeout=20000)
    w.toolbar.play.trigger()
    qtbot.waitUntil(lambda: w.snapshot.step > 5, timeout=20000)
    t0 = time.perf_counter()
    w.close()
    assert time.perf_counter() - t0 < 1.0
    assert w.thread.isFinished()


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
    assert "train.lr_d" in window.settings.error_label.text()
    window.toolbar.step.trigger()
    qtbot.waitUntil(lambda: window.snapshot.step == 1, timeout=10000)
    assert window.snapshot.config.train.lr_d == small_config().train.lr_d
