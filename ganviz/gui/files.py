"""File menu: sessions, figure and data exports, with the last-used folder remembered.

Open Data reads and checks the file on a worker thread (ganviz.gui.dataread): the window keeps
drawing, the status bar shows the file being read with a Cancel button, and choosing another
file (Open Data again) or opening a session cancels the read under way: the newest choice wins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QWidget,
)

from ganviz.core.contract import (
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
from ganviz.core.settings import ConfigError
from ganviz.data.datafile import Columns, Points, check_scale, inspect_columns, load_points
from ganviz.figures.export import comparison_pixels, default_export_name
from ganviz.gui.dataread import BackgroundRead, ReadIndicator

FOLDER_KEY = "files/last_folder"
# The PNG resolutions' choices (label, scale) for a theme's name.
ScalesFor = Callable[[str], list[tuple[str, float]]]
SCALES = (1, 2, 3, 4)  # the PNG export's resolutions, times the window's size
DEFAULT_SCALE = 2
EXPORT_THEMES = (("dark", "Dark (as the window)"), ("paper", "Paper (white, for print)"))
DATA_PATTERN = "2-D points (*.csv *.tsv *.txt *.dat *.npy);;All files (*)"
READ_LEAVE_S = 0.5  # closing: a cancelled read ends at its next block (~0.05 s); wait this long


def read_data(path: Path, columns: list[str] | None, stop) -> Columns | Points:
    """Open Data's job (on the worker thread): the columns of ``path`` when the user must pick
    two of them (``columns`` None and more than two numeric ones), else its checked points."""
    info = inspect_columns(path)
    if columns is None and len(info.numeric) > 2:
        return info
    return load_points(path, columns or [], stop=stop)


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
    if not ran_ok(dialog, form):
        return None
    return [box.currentText() for box in boxes]


def ran_ok(dialog: QDialog, form: QFormLayout) -> bool:
    """Add OK and Cancel to ``form``, run ``dialog``; whether it ended with OK."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok |
                               QDialogButtonBox.StandardButton.Cancel, parent=dialog)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    form.addRow(buttons)
    return dialog.exec() == QDialog.DialogCode.Accepted


def resolution_choices(figure: Any, theme: str = "dark") -> list[tuple[str, float]]:
    """The PNG export's resolutions as (label, scale); each label states the exact pixel size
    that export writes at that scale in ``theme`` (paper is laid out at its print width,
    whatever the window's size, so its sizes come from that layout)."""
    def choices(laid_out: Any) -> list[tuple[str, float]]:
        sizes = ((k, comparison_pixels(laid_out, k)) for k in SCALES)
        return [(f"{k}x  ({px.width()} × {px.height()} px)", float(k)) for k, px in sizes]

    if theme == "dark":
        return choices(figure)
    from ganviz.figures.comparison import themed_copy

    with themed_copy(figure, theme) as copy:
        return choices(copy)


def ask_export_options(parent: QWidget, scales_for: ScalesFor | None
                       ) -> tuple[float, str] | None:
    """A small dialog: the theme (and for PNG the resolution, whose labels ``scales_for``
    gives for the chosen theme); None: cancelled."""
    dialog = QDialog(parent)
    dialog.setWindowTitle("Export comparison")
    form = QFormLayout(dialog)
    theme_box = QComboBox(dialog)
    for name, label in EXPORT_THEMES:
        theme_box.addItem(label, name)
    size_box = None
    if scales_for is not None:
        scales = scales_for(str(theme_box.currentData()))
        size_box = QComboBox(dialog)
        for label, scale in scales:
            size_box.addItem(label, scale)
        size_box.setCurrentIndex(min(SCALES.index(DEFAULT_SCALE), len(scales) - 1))
        form.addRow("Resolution", size_box)

        def relabel() -> None:  # the sizes differ by theme: paper is laid out for print
            for i, (label, _) in enumerate(scales_for(str(theme_box.currentData()))):
                size_box.setItemText(i, label)

        theme_box.currentIndexChanged.connect(relabel)
    form.addRow("Theme", theme_box)
    if not ran_ok(dialog, form):
        return None
    scale = float(size_box.currentData()) if size_box is not None else 1.0
    return scale, str(theme_box.currentData())


def _scale_checked(outcome: Columns | Points, scale: float) -> Columns | Points:
    """Points whose reach times ``scale`` training can learn, as training checks them
    (raises DataFileError naming data.scale); anything else as it is."""
    if isinstance(outcome, Points):
        check_scale(outcome.path, outcome.points, scale)
    return outcome


class FileActions:
    """Builds the File menu and carries out its actions for one window."""

    def __init__(self, host: FileHost) -> None:
        self.host = host
        self.last_error = ""
        # which two columns of a file with more than two (tests replace the dialog)
        self.pick_columns: Callable[[Columns], list[str] | None] = \
            lambda info: ask_columns(self.host.parent, info)
        # the export's theme and, for PNG, resolution (tests replace the dialog)
        self.pick_export: Callable[[ScalesFor | None], tuple[float, str] | None] = \
            lambda scales_for: ask_export_options(self.host.parent, scales_for)
        # Open Data's read on its worker thread (None: none under way); the job is replaceable
        self.read: BackgroundRead | None = None
        self.read_job = read_data
        self.read_indicator = ReadIndicator(self.cancel_read)  # the window adds it
        self.loading: str | None = None  # the file handed to training, until it is drawn
        # told whether an Open Data ended with training on the file (False: refused, cancelled)
        self.data_ended: Callable[[bool], None] = lambda taken: None

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
            ("Export Comparison as P&DF…", None, self.export_pdf),
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
        """Ask for a file of 2-D points and start reading it (:meth:`open_data_from`); whether
        a file was chosen (False: the dialog was cancelled)."""
        path = self._ask("Open data", "", DATA_PATTERN, save=False)
        return path is not None and self.open_data_from(path)

    def export_png(self) -> None:
        """Ask for a file, the resolution and the theme, and export all visible panels and
        curves as PNG."""
        path = self._ask("Export comparison (PNG)", self._name("comparison", ".png"),
                         "PNG images (*.png)")
        if path is None:
            return
        options = self.pick_export(lambda theme: resolution_choices(self.host.figure, theme))
        if options is not None:
            scale, theme = options
            self.export_figure_to(path, scale=scale, theme=theme)

    def export_svg(self) -> None:
        """Ask for a file and the theme, and export all visible panels and curves as SVG."""
        self._export_vector(".svg", "SVG drawings (*.svg)")

    def export_pdf(self) -> None:
        """Ask for a file and the theme, and export all visible panels and curves as PDF."""
        self._export_vector(".pdf", "PDF documents (*.pdf)")

    def _export_vector(self, suffix: str, pattern: str) -> None:
        path = self._ask(f"Export comparison ({suffix[1:].upper()})",
                         self._name("comparison", suffix), pattern)
        if path is None:
            return
        options = self.pick_export(None)
        if options is not None:
            self.export_figure_to(path, theme=options[1])

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
        self.cancel_read()  # the session replaces whatever data was being read
        self.host.before_open()
        self.host.send(OpenSession(str(path)))

    def open_data_from(self, path: Path, columns: list[str] | None = None) -> bool:
        """Start reading ``path`` on a worker thread to train on its points (``columns``: the
        pair; None asks when the file has more than two numeric columns); a read under way is
        cancelled first. The whole file is checked: a bad one is one line in a dialog and the
        status bar, and nothing else changes; a good one resets training on it.
        :attr:`data_ended` hears which. False: there is nothing to train on a file with."""
        if self.host.use_data is None:
            return False
        if self.read is not None:  # the newest choice wins
            self.read.cancel()
        path = Path(path)
        self.loading = None
        self.read_indicator.begin(str(path), path.name)
        self.host.parent.setCursor(Qt.CursorShape.BusyCursor)
        job, scale = self.read_job, self.host.data_scale()
        self.read = BackgroundRead(
            lambda stop: _scale_checked(job(path, columns, stop), scale),
            lambda outcome: self._data_read(path, columns, outcome),
            self.read_indicator.set_fraction, name="open-data").start()
        return True

    def reading(self) -> bool:
        """Whether an Open Data read is under way."""
        return self.read is not None

    def cancel_read(self) -> None:
        """Stop the Open Data read under way, if any (nothing changes)."""
        read = self.read
        if read is None:
            return
        read.cancel()
        self._read_ended()
        self.host.status("Open Data cancelled")
        self.data_ended(False)

    def close_read(self, timeout: float = READ_LEAVE_S) -> bool:
        """Closing: cancel the read under way and wait up to ``timeout`` s for its thread to
        end; whether no read thread is left (a read stuck in the system is a daemon thread,
        which never holds the application up)."""
        read = self.read
        if read is None:
            return True
        self.cancel_read()
        return read.wait(timeout)

    def _read_ended(self) -> None:
        self.read = None
        self.read_indicator.end()
        self.host.parent.unsetCursor()

    def _data_read(self, path: Path, columns: list[str] | None, outcome: object) -> None:
        """On the GUI thread: what the read of ``path`` gave (points, the columns to pick
        from, or the exception it raised)."""
        self._read_ended()
        taken = False
        try:
            taken = self._take_data(path, columns, outcome)
        finally:
            if self.read is None:  # no new read started (picking the columns starts one)
                self.data_ended(taken)

    def _take_data(self, path: Path, columns: list[str] | None, outcome: object) -> bool:
        match outcome:
            case Columns() as info:
                picked = self.pick_columns(info)
                if picked is None:
                    self.host.status("Open Data cancelled")
                    return False
                self.open_data_from(path, picked)  # the points, in these columns
                return False
            case ConfigError() as exc:
                self._fail(str(exc))
                return False
            case OSError() as exc:
                self._fail(f"cannot read {path} ({exc.strerror or exc})")
                return False
            case MemoryError():
                self._fail(f"cannot read {path}: not enough memory for its points")
                return False
            case Exception() as exc:
                self._fail(f"cannot read {path}: {type(exc).__name__}: {exc}")
                return False
        points, use_data = outcome, self.host.use_data
        assert isinstance(points, Points) and use_data is not None
        if not self.host.confirm_discard("Open Data"):
            return False
        try:
            use_data(str(path.absolute()), list(columns or []))
        except ConfigError as exc:
            self._fail(str(exc))
            return False
        self.loading = str(path.absolute())
        self.read_indicator.loading(path.name)
        x, y = points.names
        self.host.status(f"training on {points.path.name}: {len(points.points):,} points "
                         f"(x = {x}, y = {y})")
        return True

    def export_figure_to(self, path: Path, scale: float = 2.0, theme: str = "dark") -> None:
        """Export the comparison as PNG, SVG or PDF by suffix, in ``theme`` (dark: as shown;
        paper: an offscreen copy in the light theme); a dialog says what went wrong."""
        from ganviz.figures.comparison import themed_copy
        from ganviz.figures.export import (
            export_comparison_pdf,
            export_comparison_png,
            export_comparison_svg,
        )

        def write(figure) -> Path:
            match path.suffix.lower():
                case ".svg":
                    return export_comparison_svg(figure, path)
                case ".pdf":
                    return export_comparison_pdf(figure, path)
                case _:
                    return export_comparison_png(figure, path, scale=scale)

        def themed() -> Path:
            if theme == "dark":
                return write(self.host.figure)
            try:
                with themed_copy(self.host.figure, theme) as copy:
                    return write(copy)
            except ValueError as exc:
                from ganviz.figures.export import ExportError

                raise ExportError(f"cannot write {path}: {exc}") from exc

        self._run_export(path, themed)

    def _run_export(self, path: Path, write) -> None:
        """Run one export; a failure goes to a dialog, success to the status bar."""
        from ganviz.figures.export import ExportError

        try:
            write()
        except ExportError as exc:
            self._fail(str(exc))
            return
        self.host.status(f"exported {path}")

    def snapshot_drawn(self, data_file: str, error: str) -> None:
        """The window drew a snapshot training on ``data_file`` ("" if none), with ``error``:
        the file handed to training is loaded (or refused), so its indicator goes."""
        if self.loading is not None and (data_file == self.loading or error):
            self.loading = None
            if self.read is None:
                self.read_indicator.end()

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
        from ganviz.figures.export import export_plot

        panel = self.host.figure.panels.panels[index]
        if path is None:
            path = self._ask("Export panel", self._name(f"panel-{panel.spec.estimator}", suffix),
                             f"{suffix[1:].upper()} (*{suffix})")
        if path is None:
            return
        self._run_export(path, lambda: export_plot(panel.plot, path))

    def export_curve(self, name: str, suffix: str, path: Path | None = None) -> None:
        """Export one curve plot with its legend (asks for a file unless ``path`` is given)."""
        from ganviz.figures.export import export_curve_plot

        if path is None:
            path = self._ask("Export plot", self._name(name, suffix),
                             f"{suffix[1:].upper()} (*{suffix})")
        if path is None:
            return
        self._run_export(path, lambda: export_curve_plot(self.host.figure.curves, name, path))

    def ask_gif_path(self) -> Path | None:
        """Ask where to save a recording (GIF, WebP or APNG by the suffix)."""
        from ganviz.figures.recorder import save_filter

        return self._ask("Save recording", self._name("training", ".gif"), save_filter())

    def fail(self, message: str) -> None:
        """Report a failed file operation (dialog and status bar); the app keeps running."""
        self._fail(message)

    def _fail(self, message: str) -> None:
        self.last_error = message
        self.host.status(message)
        if not self.host.quiet():
            QMessageBox.warning(self.host.parent, "ganviz", message)
