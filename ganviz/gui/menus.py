"""The window's menu bar: File (the file actions, recording, Quit), Train (the toolbar's
play, step and reset), View (layers, the docks) and Help (the help page, About)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox, QWidget

from ganviz.gui.help import add_help_action

if TYPE_CHECKING:
    from ganviz.gui.host import WindowHost
    from ganviz.gui.recording import Recording

ABOUT = ("ganviz trains GANs with four generator-gradient estimators side by side: plug-in "
         "(Goodfellow's eq. 1), reparameterized with fixed and learned sigma(z), and score "
         "function.")


def build_menus(window: WindowHost, recording: Recording) -> QAction:
    """Fill ``window``'s menu bar from the actions its parts own (``recording``: the Record
    button's); the Help entry's action."""
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    window.files.build(file_menu)
    file_menu.addSeparator()
    file_menu.addAction(recording.record_action)
    file_menu.addMenu(recording.record_fps_menu)
    file_menu.addSeparator()
    quit_action = QAction("&Quit", window)
    quit_action.setShortcut(QKeySequence.StandardKey.Quit)
    quit_action.triggered.connect(window.close)
    file_menu.addAction(quit_action)
    train_menu = bar.addMenu("&Train")
    toolbar = window.toolbar
    for action in (toolbar.play, toolbar.step, toolbar.reset):
        train_menu.addAction(action)
    view_menu = bar.addMenu("&View")
    view_menu.addMenu(toolbar.layers_menu).setText("Layers")
    view_menu.addAction(window.curves_dock.toggleViewAction())
    view_menu.addAction(window.settings_dock.toggleViewAction())
    help_menu = bar.addMenu("&Help")
    help_action = add_help_action(help_menu, window)
    about = QAction("About ganviz", window)
    about.triggered.connect(lambda: show_about(window))
    help_menu.addAction(about)
    return help_action


def show_about(parent: QWidget) -> None:
    """The About box."""
    QMessageBox.about(parent, "About ganviz", ABOUT)
