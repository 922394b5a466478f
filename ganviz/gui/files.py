"""The File menu: sessions (save and open), and the entries of its two collaborators, the
exports (:mod:`ganviz.gui.exports`) and Open Data (:mod:`ganviz.gui.opendata`); the training
process's answers to file commands come back here.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from ganviz.core.contract import (
    Exported,
    Failed,
    Notice,
    Opened,
    OpenSession,
    Saved,
    SaveSession,
)
from ganviz.gui.exports import ExportActions
from ganviz.gui.filedialogs import FileDialogs, FileHost
from ganviz.gui.opendata import DataActions

SESSION_PATTERN = "ganviz sessions (*.ganviz)"


class FileActions:
    """Builds the File menu and carries out its actions for one window: the sessions here,
    the exports in :attr:`exports`, Open Data in :attr:`data`; the dialogs and the failure
    report they share in :attr:`dialogs`."""

    def __init__(self, host: FileHost) -> None:
        self.host = host
        self.dialogs = FileDialogs(host)
        self.exports = ExportActions(self.dialogs)
        self.data = DataActions(self.dialogs)

    def build(self, menu: QMenu) -> None:
        """Add the file actions to ``menu``."""
        exports = self.exports
        entries = [
            ("&Open Session…", QKeySequence.StandardKey.Open, self.open_session),
            ("&Save Session…", QKeySequence.StandardKey.Save, self.save_session),
            None,
            ("Open &Data…", QKeySequence("Ctrl+Shift+O"), self.data.open_data),
            None,
            ("Export Comparison as &PNG…", QKeySequence("Ctrl+E"), exports.export_png),
            ("Export Comparison as S&VG…", None, exports.export_svg),
            ("Export Comparison as P&DF…", None, exports.export_pdf),
            ("Export &Metrics (CSV)…", None, exports.export_metrics),
            ("Export S&ummary (JSON)…", None, exports.export_summary),
        ]
        for entry in entries:
            if entry is None:
                menu.addSeparator()
                continue
            text, shortcut, slot = entry
            action = QAction(text, self.host.parent)
            if shortcut is not None:
                action.setShortcut(shortcut)
            action.triggered.connect(slot)
            menu.addAction(action)

    def save_session(self) -> None:
        """Ask for a file and save the session (config, checkpoints, history, view)."""
        path = self.dialogs.ask("Save session", self.dialogs.name("session", ".ganviz"),
                                SESSION_PATTERN)
        if path is not None:
            self.save_session_to(path)

    def open_session(self) -> None:
        """Ask for a session file and open it in place of the current session."""
        path = self.dialogs.ask("Open session", "", SESSION_PATTERN, save=False)
        if path is not None:
            self.open_session_from(path)

    def save_session_to(self, path: Path) -> None:
        """Save the session into ``path`` (the training process writes it)."""
        self.host.send(SaveSession(str(path), self.host.view_state()))

    def open_session_from(self, path: Path) -> None:
        """Open the session in ``path`` (the training process loads it) once the user agrees
        to lose the training so far."""
        if not self.host.confirm_discard("Open Session"):
            return
        self.data.cancel_read()  # the session replaces whatever data was being read
        self.host.before_open()
        self.host.send(OpenSession(str(path)))

    def handle_notice(self, notice: Notice) -> None:
        """The training process's answer to a file command."""
        match notice:
            case Failed(message=message):
                self.dialogs.fail(message)
            case Opened(path=path, view=view):
                self.host.restore_view(view)
                self.host.status(f"opened {path}")
            case Saved(path=path):
                self.host.status(f"saved {path}")
            case Exported(path=path):
                self.host.status(f"exported {path}")
