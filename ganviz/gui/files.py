"""File menu: sessions, figure and data exports, with the last-used folder remembered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QMessageBox,
    QWidget,
)

from ganviz.config import ConfigError
from ganviz.contract import (
    Command,
    Exported,
    ExportMetrics,
    ExportSummary,
    Failed,
    Notice,
    Opened,
    OpenSession,
    Saved,
    SaveSession,
)
from ganviz.datafile import Columns, inspect_columns, load_points
from ganviz.gui.export import default_export_name

FOLDER_KEY = "files/last_folder"
DATA_PATTERN = "2-D points (*.csv *.tsv *.txt *.dat *.npy);;All files (*)"


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


def ask_columns(parent: QWidget, info: Columns) -> list[str] | None:
    """A small dialog: which two numeric columns of ``info`` are x and y (None: cancelled)."""
    dialog = QDialog(parent)
    dialog.setWindowTitle("Pick the columns")
    form = QFormLayout(dialog)
    form.addRow(QLabel(f"{info.path.name} has {len(info.numeric)} numeric columns."))
    names = [info.names[i] for i in info.numeric]
    boxes = []
    for label, default in (("x", 0), ("y", 1)):
        box = QComboBox(dialog)
        box.addItems(names)
        box.setCurrentIndex(default)
        form.addRow(label, box)
        boxes.append(box)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok |
                               QDialogButtonBox.StandardButton.Cancel, parent=dialog)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    form.addRow(buttons)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return [box.currentText() for box in boxes]


class FileActions:
    """Builds the File menu and carries out its actions for one window."""

    def __init__(self, host: FileHost) -> None:
        self.host = host
        self.last_error = ""
        # which two columns of a file with more than two (tests replace the dialog)
        self.pick_columns: Callable[[Columns], list[str] | None] = \
            lambda info: ask_columns(self.host.parent, info)

    # ----------------------------------------------------------------- menu
    def build(self, menu: QMenu) -> None:
        """Add the file actions to ``menu``."""
        entries = [
            ("&Open Session…", QKeySequence.StandardKey.Open, self.open_session),
            ("&Save Session…", QKeySequence.StandardKey.Save, self.save_session),
            None,
            ("Open &Data…", QKeySequence("Ctrl+Shift+O"), self.open_data),
            None,
            ("Export Comparison as &PNG…", QKeySequence("Ctrl+E"), self.export_png),
            ("Export Comparison as S&VG…", None, self.export_svg),
            ("Export &Metrics (CSV)…", None, self.export_metrics),
            ("Export S&ummary (JSON)…", None, self.export_summary),
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

    # -------------------------------------------------------------- dialogs
    def _ask(self, title: str, name: str, pattern: str, save: bool = True) -> Path | None:
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

    def _name(self, kind: str, suffix: str) -> str:
        return default_export_name(kind, self.host.step(), suffix)

    def save_session(self) -> None:
        """Ask for a file and save the session (config, checkpoints, history, view)."""
        path = self._ask("Save session", self._name("session", ".ganviz"),
                         "ganviz sessions (*.ganviz)")
        if path is not None:
            self.save_session_to(path)

    def open_session(self) -> None:
        """Ask for a session file and open it in place of the current session."""
        path = self._ask("Open session", "", "ganviz sessions (*.ganviz)", save=False)
        if path is not None:
            self.open_session_from(path)

    def open_data(self) -> bool:
        """Ask for a file of 2-D points (and, if it has more, which two columns) and train
        on it from step 0; whether a file was taken (False: cancelled or refused)."""
        path = self._ask("Open data", "", DATA_PATTERN, save=False)
        return path is not None and self.open_data_from(path)

    def export_png(self) -> None:
        """Ask for a file and export all visible panels and curves as PNG (2x the screen)."""
        path = self._ask("Export comparison (PNG)", self._name("comparison", ".png"),
                         "PNG images (*.png)")
        if path is None:
            return
        size = self.host.figure.panels.size()
        choices = [f"{k}x  ({k * size.width()} px wide)" for k in (1, 2, 3, 4)]
        choice, ok = QInputDialog.getItem(self.host.parent, "Resolution", "Export at", choices, 1,
                                          False)
        if ok:
            self.export_figure_to(path, scale=float(choice.split("x")[0]))

    def export_svg(self) -> None:
        """Ask for a file and export all visible panels and curves as SVG."""
        path = self._ask("Export comparison (SVG)", self._name("comparison", ".svg"),
                         "SVG drawings (*.svg)")
        if path is not None:
            self.export_figure_to(path)

    def export_metrics(self) -> None:
        """Ask for a file and export the metrics history as CSV (the headless columns)."""
        path = self._ask("Export metrics", self._name("metrics", ".csv"), "CSV (*.csv)")
        if path is not None:
            self.host.send(ExportMetrics(str(path)))

    def export_summary(self) -> None:
        """Ask for a file and export the current summary as JSON (the headless schema)."""
        path = self._ask("Export summary", self._name("summary", ".json"), "JSON (*.json)")
        if path is not None:
            self.host.send(ExportSummary(str(path)))

    # -------------------------------------------------------------- actions
    def save_session_to(self, path: Path) -> None:
        """Save the session into ``path`` (the training process writes it)."""
        self.host.send(SaveSession(str(path), self.host.view_state()))

    def open_session_from(self, path: Path) -> None:
        """Open the session in ``path`` (the training process loads it) once the user agrees
        to lose the training so far."""
        if not self.host.confirm_discard("Open Session"):
            return
        self.host.before_open()
        self.host.send(OpenSession(str(path)))

    def open_data_from(self, path: Path, columns: list[str] | None = None) -> bool:
        """Train on the points of ``path`` (``columns``: the pair; None asks when the file has
        more than two numeric columns). The whole file is checked first: a bad one is one line
        in a dialog and the status bar, and nothing else changes. True when training reset."""
        if self.host.use_data is None:
            return False
        try:
            info = inspect_columns(path)
            if columns is None and len(info.numeric) > 2:
                columns = self.pick_columns(info)
                if columns is None:
                    return False
            points = load_points(path, columns or [])
            if not self.host.confirm_discard("Open Data"):
                return False
            self.host.use_data(str(Path(path).absolute()), list(columns or []))
        except ConfigError as exc:
            self._fail(str(exc))
            return False
        x, y = points.names
        self.host.status(f"training on {points.path.name}: {len(points.points):,} points "
                         f"(x = {x}, y = {y})")
        return True

    def export_figure_to(self, path: Path, scale: float = 2.0) -> None:
        """Export the comparison as PNG or SVG by suffix; a dialog says what went wrong."""
        from ganviz.gui.export import export_comparison_png, export_comparison_svg

        if path.suffix.lower() == ".svg":
            self._run_export(path, lambda: export_comparison_svg(self.host.figure, path))
        else:
            self._run_export(path, lambda: export_comparison_png(self.host.figure, path,
                                                                 scale=scale))

    def _run_export(self, path: Path, write) -> None:
        """Run one export; a failure goes to a dialog, success to the status bar."""
        from ganviz.gui.export import ExportError

        try:
            write()
        except ExportError as exc:
            self._fail(str(exc))
            return
        self.host.status(f"exported {path}")

    def handle_notice(self, notice: Notice) -> None:
        """The training process's answer to a file command."""
        match notice:
            case Failed(message=message):
                self._fail(message)
            case Opened(path=path, view=view):
                self.host.restore_view(view)
                self.host.status(f"opened {path}")
            case Saved(path=path):
                self.host.status(f"saved {path}")
            case Exported(path=path):
                self.host.status(f"exported {path}")

    def panel_menu(self, index: int, where) -> None:
        """Context menu of one run panel: export it as PNG or SVG."""
        menu = QMenu(self.host.parent)
        for suffix in (".png", ".svg"):
            action = menu.addAction(f"Export this panel as {suffix[1:].upper()}…")
            action.triggered.connect(lambda _=False, s=suffix: self.export_panel(index, s))
        menu.popup(where)

    def add_curve_menus(self) -> None:
        """Add "Export this plot" entries to every curve plot's context menu."""
        for name, plot in self.host.figure.curves.plots().items():
            menu = plot.getViewBox().menu
            menu.addSeparator()
            for suffix in (".png", ".svg"):
                action = menu.addAction(f"Export this plot as {suffix[1:].upper()}…")
                action.triggered.connect(lambda _=False, n=name, s=suffix: self.export_curve(n, s))

    def export_panel(self, index: int, suffix: str, path: Path | None = None) -> None:
        """Export run panel ``index`` (asks for a file unless ``path`` is given)."""
        from ganviz.gui.export import export_plot

        panel = self.host.figure.panels.panels[index]
        if path is None:
            path = self._ask("Export panel", self._name(f"panel-{panel.spec.estimator}", suffix),
                             f"{suffix[1:].upper()} (*{suffix})")
        if path is None:
            return
        self._run_export(path, lambda: export_plot(panel.plot, path))

    def export_curve(self, name: str, suffix: str, path: Path | None = None) -> None:
        """Export one curve plot with its legend (asks for a file unless ``path`` is given)."""
        from ganviz.gui.export import export_curve_plot

        if path is None:
            path = self._ask("Export plot", self._name(name, suffix),
                             f"{suffix[1:].upper()} (*{suffix})")
        if path is None:
            return
        self._run_export(path, lambda: export_curve_plot(self.host.figure.curves, name, path))

    def ask_gif_path(self) -> Path | None:
        """Ask where to save a recording (GIF, WebP or APNG by the suffix)."""
        from ganviz.gui.recorder import save_filter

        return self._ask("Save recording", self._name("training", ".gif"), save_filter())

    def fail(self, message: str) -> None:
        """Report a failed file operation (dialog and status bar); the app keeps running."""
        self._fail(message)

    def _fail(self, message: str) -> None:
        self.last_error = message
        self.host.status(message)
        if not self.host.quiet():
            QMessageBox.warning(self.host.parent, "ganviz", message)
