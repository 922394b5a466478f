"""What every file action shares: the application's stored settings, what the actions need
of the window (:class:`FileHost`), and :class:`FileDialogs`, which asks for a file in the
last-used folder, names files by the shown step and reports a failure in one line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QMessageBox,
    QWidget,
)

from ganviz.core.contract import Command
from ganviz.figures.export import default_export_name

FOLDER_KEY = "files/last_folder"


def settings() -> QSettings:
    """The application's persistent settings (last folder, window layout)."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "ganviz", "ganviz")


@dataclass(frozen=True)
class FileHost:
    """What the file actions need of the window, and nothing more."""

    parent: QWidget  # owns the dialogs and menus
    send: Callable[[Command], None]  # a command to the training process
    step: Callable[[], int]  # the step on screen (default file names)
    view_state: Callable[[], dict[str, Any]]  # the view a saved session stores
    restore_view: Callable[[dict[str, Any]], None]  # apply an opened session's view
    before_open: Callable[[], None]  # pause before the session is replaced
    status: Callable[[str], None]  # one line in the status bar
    quiet: Callable[[], bool]  # True: no modal dialogs (tests)
    figure: Any  # what the exports draw: ``.panels`` (run panels) and ``.curves``
    # train on a data file (path, the two columns or none): sets the data settings and
    # resets training; raises ConfigError (one line) when the settings refuse it
    use_data: Callable[[str, list[str]], None] | None = None
    # whether to go on with an action (its name) that throws the training so far away
    confirm_discard: Callable[[str], bool] = lambda action: True
    # data.scale that training multiplies a data file's points by (checked before it trains)
    data_scale: Callable[[], float] = lambda: 1.0


def ran_ok(dialog: QDialog, form: QFormLayout) -> bool:
    """Add OK and Cancel to ``form``, run ``dialog``; whether it ended with OK."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok |
                               QDialogButtonBox.StandardButton.Cancel, parent=dialog)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    form.addRow(buttons)
    return dialog.exec() == QDialog.DialogCode.Accepted


class FileDialogs:
    """The file dialogs and the failure report that the session, export and data actions
    share; tests replace :meth:`ask` (no modal dialog)."""

    def __init__(self, host: FileHost) -> None:
        self.host = host
        self.last_error = ""

    def ask(self, title: str, name: str, pattern: str, save: bool = True) -> Path | None:
        """A file to save (``name`` in the last-used folder) or to open; None: cancelled."""
        folder = str(settings().value(FOLDER_KEY, str(Path.home())))
        start = str(Path(folder) / name)
        if save:
            path, _ = QFileDialog.getSaveFileName(self.host.parent, title, start, pattern)
        else:
            path, _ = QFileDialog.getOpenFileName(self.host.parent, title, folder, pattern)
        if not path:
            return None
        settings().setValue(FOLDER_KEY, str(Path(path).parent))
        return Path(path)

    def name(self, kind: str, suffix: str) -> str:
        """The default file name of ``kind`` at the step on screen."""
        return default_export_name(kind, self.host.step(), suffix)

    def fail(self, message: str) -> None:
        """Report a failed file operation (dialog and status bar); the app keeps running."""
        self.last_error = message
        self.host.status(message)
        if not self.host.quiet():
            QMessageBox.warning(self.host.parent, "ganviz", message)
