"""The window on real screen sizes: first-launch and restored geometry, docks that give way,
a toolbar that keeps every action on screen, the starting hint, and the questions asked
before training is thrown away (issue 23, items 8, 9, 10, 15 and 16)."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QRect
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLineEdit, QMainWindow, QToolButton, QWidget

from ganviz.core.config import load_preset
from ganviz.gui.screenfit import clamp_geometry, first_geometry, is_small_screen
from ganviz.gui.settings import SettingsPanel
from ganviz.gui.toolbar import TrainingToolbar
from ganviz.views.viewstate import ViewState
from tests.conftest import small_config

SCREENS = [(960, 540), (1024, 700), (1366, 768), (1920, 1080)]  # 960 x 540: 1920 x 1080 at 2x


def inside(inner: tuple, outer: tuple) -> bool:
    x, y, w, h = inner
    ax, ay, aw, ah = outer
    return ax <= x and ay <= y and x + w <= ax + aw and y + h <= ay + ah


# ------------------------------------------------------------------ pure rules (item 8)
@pytest.mark.parametrize(("screen", "size"), [
    ((0, 0, 1920, 1080), (1600, 940)),  # large: 90 %, capped at 1600 wide
    ((0, 0, 1366, 768), (1280, 736)),  # a laptop: the whole height below the title bar
    ((0, 0, 1024, 700), (1024, 668)),  # small: every pixel
    ((0, 0, 960, 540), (960, 508)),  # 1920 x 1080 at scale 2
    ((1920, 24, 2560, 1416), (1600, 1000)),  # a second screen with a top panel
])
def test_first_launch_fits_the_available_screen(screen, size):
    rect = first_geometry(screen)
    assert rect[2:] == size
    title = 32
    assert inside((rect[0], rect[1] - title, rect[2], rect[3] + title), screen)


def test_saved_geometry_is_clamped_to_a_smaller_screen():
    screen = (0, 0, 1366, 768)
    rect = clamp_geometry((100, 80, 1600, 1000), screen)
    assert rect == (0, 32, 1366, 736)
    assert inside((rect[0], rect[1] - 32, rect[2], rect[3] + 32), screen)
    # a window that fits keeps its size and only moves back onto the screen
    assert clamp_geometry((-50, 700, 800, 600), screen) == (0, 168, 800, 600)
    assert clamp_geometry((10, 40, 800, 600), screen) == (10, 40, 800, 600)
    assert is_small_screen(screen) and not is_small_screen((0, 0, 1920, 1080))


# ------------------------------------------------------------ toolbar (items 9 and 16)
def test_play_pause_does_not_shift_the_toolbar(qtbot):
    host = QMainWindow()
    host.setCentralWidget(QWidget())
    qtbot.addWidget(host)
    bar = TrainingToolbar(ViewState.default(), host)
    host.addToolBar(bar)
    bar.addAction(QAction("Record GIF", host))
    host.resize(1400, 500)
    host.show()

    def positions() -> list[int]:
        return [bar.widgetForAction(a).x() for a in bar.actions()
                if bar.widgetForAction(a) is not None and bar.widgetForAction(a).isVisible()]

    for compact in (False, True):
        bar.set_compact(compact)
        qtbot.wait(10)
        before = positions()
        bar.play.setChecked(not bar.play.isChecked())
        qtbot.wait(10)
        assert bar.play.text() in ("Play", "Pause")
        assert positions() == before, f"compact={compact}"
    assert bar.sizeHint().width() < bar.full_width() - 150, "compact saves room"


# ---------------------------------------------------------------- settings (item 15)
def test_leaving_an_invalid_field_names_it_by_its_label(qtbot):
    panel = SettingsPanel(load_preset("default"))
    qtbot.addWidget(panel)
    with qtbot.waitActive(panel):
        panel.show()
        panel.activateWindow()
    edit = panel.field_widget("train.lr_d")
    assert isinstance(edit, QLineEdit)
    edit.setFocus()
    assert edit.hasFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, "-1")
    assert panel.error_label.isHidden(), "no banner while typing"
    panel.field_widget("train.lr_g").setFocus()  # the user tabs away
    qtbot.waitUntil(lambda: panel.error_label.isVisibleTo(panel), timeout=2000)
    message = panel.error_label.text()
    assert message.startswith("LR D: ") and "(0, 10]" in message and "train." not in message
    assert not edit.hasFocus(), "leaving a field does not pull the user back"
    asked = []
    panel.confirm_reset = lambda: asked.append(1) or False
    edit.setText("2e-4")
    with qtbot.assertNotEmitted(panel.reset_requested):
        panel.reset_button.click()
    assert asked == [1], "the reset button asks before training is thrown away"


# -------------------------------------------------- the window (items 8, 9, 10 and 15)
def toolbar_hides_nothing(window) -> list[str]:
    """The toolbar's actions that are not on screen (in the overflow menu or cut off)."""
    bar = window.toolbar
    missing = []
    for action in bar.actions():
        widget = bar.widgetForAction(action)
        if action.isSeparator() or not action.isVisible():
            continue
        if widget is None or not widget.isVisible() or \
                not bar.rect().contains(widget.geometry()):
            missing.append(action.text() or type(widget).__name__)
    extension = bar.findChild(QToolButton, "qt_toolbar_ext_button")
    if extension is not None and extension.isVisible():
        missing.append("overflow button")
    return missing


def test_window_fits_screens_hints_and_asks_before_discarding(qtbot, tmp_path):
    from ganviz.gui.hint import STARTING
    from ganviz.gui.window import MainWindow
    from ganviz.views.theme import configure_pyqtgraph

    configure_pyqtgraph()
    w = MainWindow(small_config())
    w.quiet_dialogs = True
    qtbot.addWidget(w)
    w.fit_to_screen(QRect(0, 0, 1024, 700))
    w.show()
    # item 10: a hint over the blank panel area until the first snapshot
    assert w.starting_hint.isVisible() and w.starting_hint.text() == STARTING
    hint = w.starting_hint.geometry()
    assert w.centralWidget().geometry().contains(hint.center())
    qtbot.waitUntil(lambda: w.snapshot is not None and w.snapshot.views is not None,
                    timeout=20000)
    assert w.starting_hint.isHidden()

    # items 8 and 9: each screen size, first launch
    for width, height in SCREENS:
        w.settings_dock.show()
        w.fit_to_screen(QRect(0, 0, width, height), first_launch=True)
        qtbot.wait(50)
        assert w.width() <= width and w.height() + 32 <= height
        central = w.centralWidget().geometry()
        assert central.width() >= 0.6 * w.width(), (width, central)
        assert central.height() >= 0.3 * w.height(), (width, central)
        docks = [d for d in (w.curves_dock, w.settings_dock) if d.isVisible()]
        assert w.curves_dock in docks
        for dock in docks:
            assert not dock.isFloating()
            assert not dock.geometry().intersects(central), (width, dock.objectName())
        assert w.settings_dock.isVisible() == (width >= 1500), width
        assert not toolbar_hides_nothing(w), (width, toolbar_hides_nothing(w))
        status = w.statusBar().geometry()
        assert w.rect().contains(status) and status.height() > 0
        assert 0.25 * w.height() <= w.curves_dock.height() <= 0.45 * w.height()
        if width < 1500:  # View > Settings brings the hidden dock back
            view = next(m.menu() for m in w.menuBar().actions() if m.text() == "&View")
            toggle = w.settings_dock.toggleViewAction()
            assert toggle in view.actions() and not toggle.isChecked()
            toggle.trigger()
            assert w.settings_dock.isVisible()
            toggle.trigger()

    # item 8: a saved 1600 x 1000 comes back inside a 1366 x 768 screen
    w.restored_geometry = w.restored_layout = True
    w.setGeometry(QRect(40, 40, 1600, 1000))
    w.fit_to_screen(QRect(0, 0, 1366, 768))
    g = w.geometry()
    assert inside((g.x(), g.y(), g.width(), g.height()), (0, 0, 1366, 768))
    assert g.width() == 1366 and g.height() <= 768 - 32
    # ... and with no layout saved for a small screen, the docks give way there too
    w.restored_layout = False
    w.settings_dock.show()
    w.fit_to_screen(QRect(0, 0, 1366, 768))
    assert not w.settings_dock.isVisible() and w.geometry() == g

    # item 15: Reset, Open Data and Open Session ask once training has run
    w.quiet_dialogs = False
    asked = []
    answer = [False]

    def question(title: str, text: str) -> bool:
        asked.append(title)
        return answer[0]

    w.confirm_question = question
    w.toolbar.step.trigger()
    qtbot.waitUntil(lambda: w.snapshot.step >= 1, timeout=20000)
    data = tmp_path / "points.csv"
    data.write_text("x,y\n" + "\n".join(f"{i % 7},{i % 5}" for i in range(50)) + "\n")
    w.files.data.open_data_from(data)  # read on a worker thread; asks once it is read
    qtbot.waitUntil(lambda: not w.files.data.reading(), timeout=20000)
    w.toolbar.reset.trigger()
    w.files.open_session_from(tmp_path / "none.ganviz")
    assert asked == ["Open Data?", "Reset?", "Open Session?"]
    qtbot.wait(300)
    assert w.snapshot.step >= 1 and w.snapshot.config.data.name != "file"
    answer[0] = True
    w.toolbar.reset.trigger()
    qtbot.waitUntil(lambda: w.snapshot.step == 0, timeout=20000)
    assert len(asked) == 4
    w.toolbar.reset.trigger()  # at step 0 there is nothing to lose: no question
    assert len(asked) == 4
    w.close()

