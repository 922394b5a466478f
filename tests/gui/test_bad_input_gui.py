"""Bad input typed into the window: every value is refused in the form, training goes on.

The GUI-fields share of issue 9's bad-input corpus. Each case types a bad value into one
field of the Settings dock and presses Apply, Reset and Return. It checks that the form
shows one line that names the field (and its range where it has one), that nothing reaches
the training process (the running config is unchanged), that training still steps, and that
nothing raises (pytest-qt fails a test on any exception in a Qt slot). One window serves
the whole module; every case starts from a clean form.
"""

from __future__ import annotations

import math

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QSettings, Qt

from ganviz.gui.settings_form import field_label
from ganviz.gui.window import NOTHING_TO_TRAIN
from tests.conftest import small_config, window_on_a_thread

HUGE = "9" * 400
MANY_SEEDS = ", ".join(["0"] + [str(i) for i in range(1, 40)] + ["0"])

# (field, typed text, a fragment the message must contain besides the field's name)
FIELD_CASES = [
    ("train.lr_d", "-3", "(0, 10]"),
    ("train.lr_d", "0", "(0, 10]"),
    ("train.lr_g", "11", "(0, 10]"),
    ("train.lr_d", "nan", "(0, 10]"),
    ("train.lr_g", "inf", "(0, 10]"),
    ("train.lr_d", "-inf", "(0, 10]"),
    ("train.lr_d", "", "(0, 10]"),
    ("train.lr_g", "abc", "(0, 10]"),
    ("train.lr_d", "1e999", "(0, 10]"),
    ("train.lr_g", HUGE, "(0, 10]"),
    ("train.lr_d", "1,2", "(0, 10]"),
    ("train.lr_d", "0x10", "(0, 10]"),
    ("train.lr_g", "1e-3 abc", "(0, 10]"),
    ("train.beta1", "1.5", "[0, 0.9999]"),
    ("train.beta2", "-0.1", "[0, 0.99999]"),
    ("data.radius", "0", "(0, 1000]"),
    ("data.radius", "-2", "(0, 1000]"),
    ("data.std", "0", "(0, 1000]"),
    ("data.std", "NaN", "(0, 1000]"),
    ("data.scale", "1e308", "(0, 1000]"),
    ("runs.plugin_sigma", "-1", "[0, 100]"),
    ("runs.sigma_init", "0", "100]"),
    ("runs.sigma_init", "1000", "100]"),
    ("train.sigma_min", "-1", "[0, 10]"),
    ("train.sigma_final", "-1", "[0, 100]"),
    ("runs.sigmas", "", "at least one"),
    ("runs.sigmas", "0", "sigma > 0"),
    ("runs.sigmas", "-0.1", "[0, 100]"),
    ("runs.sigmas", "nan", "[0, 100]"),
    ("runs.sigmas", "0.1, inf", "[0, 100]"),
    ("runs.sigmas", "0.1, x", "comma-separated"),
    ("runs.sigmas", "0.1, 0.1", "each once"),
    ("runs.seeds", "", "at least one"),
    ("runs.seeds", "-1", "Seeds, item 1"),
    ("runs.seeds", HUGE, "2^63"),
    ("runs.seeds", "0, 0", "each once"),
    ("runs.seeds", MANY_SEEDS, "each once"),
    ("runs.seeds", "1.5", "integers"),
    ("runs.seeds", "a", "integers"),
    ("model.g_hidden", "", "1 to 8"),
    ("model.g_hidden", "0", "[1, 4096]"),
    ("model.g_hidden", "-5", "[1, 4096]"),
    ("model.g_hidden", HUGE, "[1, 4096]"),
    ("model.g_hidden", "1, 1, 1, 1, 1, 1, 1, 1, 1", "1 to 8"),
    ("model.g_hidden", "128.5", "integers"),
    ("model.d_hidden", "100000000", "[1, 4096]"),
    ("model.d_hidden", "x", "integers"),
    ("model.d_hidden", "128; 128; abc", "integers"),
]

# custom modes (edited by clicking panels, not typed): malformed lists the form must refuse
MODE_CASES = [
    ("data.means", [[0.0]], [], []),
    ("data.means", [[float("nan"), 0.0]], [], []),
    ("data.means", [[1e9, 0.0]], [], []),
    ("data.means", [[0.0, float("inf")], [1.0, 1.0]], [], []),
    ("data.stds", [[0.0, 0.0], [1.0, 1.0]], [0.1, 0.1, 0.1], []),
    ("data.stds", [[0.0, 0.0]], [-0.1], []),
    ("data.weights", [[0.0, 0.0], [1.0, 1.0]], [], [1.0]),
    ("data.weights", [[0.0, 0.0], [1.0, 1.0]], [], [1.0, -1.0]),
    ("data.weights", [[0.0, 0.0], [1.0, 1.0]], [], [0.0, 0.0]),
]


@pytest.fixture(scope="module")
def win(qapp, tmp_path_factory):
    """One window for the module (settings isolated like conftest's), first views drawn."""
    from ganviz.views.theme import configure_pyqtgraph

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                      str(tmp_path_factory.mktemp("qsettings-bad-input")))
    configure_pyqtgraph()
    w = window_on_a_thread(small_config())
    w.quiet_dialogs = True
    w.resize(1600, 1000)
    w.show()
    wait_until(qapp, lambda: w.snapshot is not None and w.snapshot.views is not None)
    yield w
    w.close()


def wait_until(qapp, condition, timeout: float = 20.0) -> None:
    import time

    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("condition not reached")
        qapp.processEvents()
        time.sleep(0.005)


@pytest.fixture
def window(win, qtbot):
    """The module's window with a clean form showing the running config, paused."""
    win.toolbar.play.setChecked(False)
    for button in win.toolbar.estimator_buttons.values():
        if button.isEnabled() and not button.isChecked():
            button.click()
    win.settings.set_config(win.current_config())
    win.settings.mark_applied(win.current_config())
    assert win.settings.error_label.isHidden()
    return win


def type_into(qtbot, widget, text: str) -> None:
    """Replace a line edit's text: typed key by key when short, pasted when long."""
    widget.selectAll()
    qtbot.keyClick(widget, Qt.Key.Key_Backspace)
    if len(text) <= 40:
        qtbot.keyClicks(widget, text)
    else:
        widget.insert(text)


def steps_once(window, qtbot) -> None:
    """Training goes on: one Step advances the running session by one step."""
    before = window.snapshot.step
    window.toolbar.step.trigger()
    qtbot.waitUntil(lambda: window.snapshot.step == before + 1, timeout=20000)
    assert window.thread.isRunning() and window.training.process.is_alive()


def assert_refused(window, qtbot, field: str, fragment: str) -> None:
    """Apply, Reset and Return all refuse; one line names the field; nothing is sent."""
    settings = window.settings
    running = window.snapshot.config
    for press in (settings.apply_button.click, settings.reset_button.click,
                  lambda: settings._on_return()):
        with qtbot.assertNotEmitted(settings.apply_requested), \
                qtbot.assertNotEmitted(settings.reset_requested):
            press()
        message = settings.error_label.text()
        assert settings.error_label.isVisibleTo(settings)
        assert message.startswith(field_label(field)) and fragment in message, message
        assert "\n" not in message and len(message) < 200, message
    steps_once(window, qtbot)
    assert window.snapshot.config == running
    assert settings.applied_config() == running


@pytest.mark.parametrize(("field", "text", "fragment"), FIELD_CASES,
                         ids=[f"{f}={t[:12]!r}" for f, t, _ in FIELD_CASES])
def test_bad_value_in_a_field_is_refused_and_training_goes_on(window, qtbot, field, text,
                                                               fragment):
    edit = window.settings.field_widget(field)
    if field == "train.sigma_final":  # enabled only with a schedule
        window.settings.field_widget("train.sigma_schedule").setCurrentText("linear")
    assert edit.isEnabled()
    type_into(qtbot, edit, text)
    assert edit.text() == text[: edit.maxLength()]
    assert_refused(window, qtbot, field, fragment)
    assert edit.text() == text[: edit.maxLength()], "what the user typed is kept"
    assert field in edit.toolTip(), "the field itself is marked"


@pytest.mark.parametrize(("field", "means", "stds", "weights"), MODE_CASES,
                         ids=[f"{f}-{i}" for i, (f, *_) in enumerate(MODE_CASES)])
def test_malformed_custom_modes_are_refused(window, qtbot, field, means, stds, weights):
    window.settings.field_widget("data.name").setCurrentText("custom")
    window.settings.set_modes(means, stds, weights)
    assert_refused(window, qtbot, field, "")


@pytest.mark.parametrize("field", ["train.batch_size", "eval.every", "model.latent_dim"])
@pytest.mark.parametrize("text", ["abc", "-5", "1e3", HUGE])
def test_spin_boxes_take_only_integers_in_range(window, qtbot, field, text):
    """Integer fields are spin boxes: letters and signs are not taken, digits are capped
    at the field's range (not applied here: a batch of the maximum size is slow)."""
    box = window.settings.field_widget(field)
    lo, hi = box.minimum(), box.maximum()
    before = box.value()
    box.selectAll()
    qtbot.keyClicks(box.lineEdit(), text[:40])
    box.interpretText()
    assert lo <= box.value() <= hi
    if not any(c.isdigit() for c in text):
        assert box.value() == before
    window.settings.current_config()  # whatever the box holds is a valid config
    steps_once(window, qtbot)


def test_step_and_play_with_every_estimator_off_say_why(window, qtbot):
    for button in window.toolbar.estimator_buttons.values():
        if button.isEnabled():
            button.click()
    qtbot.waitUntil(lambda: not any(r.active for r in window.snapshot.runs), timeout=20000)
    before = window.snapshot.step
    window.toolbar.step.trigger()
    assert window.statusBar().currentMessage() == NOTHING_TO_TRAIN
    window.toolbar.play.trigger()
    assert window.statusBar().currentMessage() == NOTHING_TO_TRAIN
    qtbot.wait(300)
    window.toolbar.play.trigger()
    assert window.snapshot.step == before and window.training.process.is_alive()
    window.toolbar.estimator_buttons["plugin"].click()
    steps_once(window, qtbot)


@pytest.mark.parametrize(("x", "y"), [(math.nan, 0.0), (math.inf, 1.0), (1e9, 0.0)])
def test_clicking_a_mode_at_a_bad_place_is_refused(window, qtbot, x, y):
    window.settings.field_widget("data.name").setCurrentText("custom")
    window.settings.apply_button.click()
    qtbot.waitUntil(lambda: window.snapshot.config.data.name == "custom", timeout=20000)
    running = window.snapshot.config
    window.panels.add_mode.emit(x, y)
    assert window.statusBar().currentMessage().startswith(field_label("data.means"))
    steps_once(window, qtbot)
    assert window.snapshot.config == running


def test_removing_the_last_custom_mode_is_refused(window, qtbot):
    window.settings.field_widget("data.name").setCurrentText("custom")
    window.settings.set_modes([[0.5, 0.5]])
    window.settings.apply_button.click()
    qtbot.waitUntil(lambda: len(window.snapshot.config.data.means) == 1, timeout=20000)
    window.panels.remove_mode.emit(0.5, 0.5)
    assert "at least one mode" in window.statusBar().currentMessage()
    steps_once(window, qtbot)
    assert len(window.snapshot.config.data.means) == 1


def test_many_resets_in_a_row_end_in_one_consistent_state(window, qtbot):
    cfg = window.current_config()
    for i in range(8):
        window.settings.field_widget("runs.sigmas").setText(f"0.{i + 1}")
        window.settings.reset_button.click()
    qtbot.waitUntil(lambda: window.snapshot.config.runs.sigmas == [0.8], timeout=30000)
    snap = window.snapshot
    assert snap.step == 0 and len(window.panels.panels) == len(snap.runs)
    assert snap.views.density.shape[0] == len(snap.runs)
    steps_once(window, qtbot)
    window._reset(cfg)
    qtbot.waitUntil(lambda: window.snapshot.config == cfg, timeout=20000)
