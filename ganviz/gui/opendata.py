"""File > Open Data: train on a file of 2-D points.

The file is read and checked on a worker thread (ganviz.gui.dataread): the window keeps
drawing, the status bar shows the file being read with a Cancel button, and choosing another
file (Open Data again) or opening a session cancels the read under way: the newest choice wins.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDialog, QFormLayout, QLabel, QWidget

from ganviz.core.settings import ConfigError
from ganviz.data.datafile import Columns, Points, check_scale, inspect_columns, load_points
from ganviz.gui.dataread import BackgroundRead, ReadIndicator
from ganviz.gui.filedialogs import FileDialogs, ran_ok

DATA_PATTERN = "2-D points (*.csv *.tsv *.txt *.dat *.npy);;All files (*)"
READ_LEAVE_S = 0.5  # closing: a cancelled read ends at its next block (~0.05 s); wait this long


def read_data(path: Path, columns: list[str] | None, stop) -> Columns | Points:
    """Open Data's job (on the worker thread): the columns of ``path`` when the user must pick
    two of them (``columns`` None and more than two numeric ones), else its checked points."""
    info = inspect_columns(path)
    if columns is None and len(info.numeric) > 2:
        return info
    return load_points(path, columns or [], stop=stop)


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


def _scale_checked(outcome: Columns | Points, scale: float) -> Columns | Points:
    """Points whose reach times ``scale`` training can learn, as training checks them
    (raises DataFileError naming data.scale); anything else as it is."""
    if isinstance(outcome, Points):
        check_scale(outcome.path, outcome.points, scale)
    return outcome


class DataActions:
    """Open Data for one window: the background read, its indicator and its outcome."""

    def __init__(self, dialogs: FileDialogs) -> None:
        self.dialogs = dialogs
        self.host = dialogs.host
        # which two columns of a file with more than two (tests replace the dialog)
        self.pick_columns: Callable[[Columns], list[str] | None] = \
            lambda info: ask_columns(self.host.parent, info)
        # Open Data's read on its worker thread (None: none under way); the job is replaceable
        self.read: BackgroundRead | None = None
        self.read_job = read_data
        self.read_indicator = ReadIndicator(self.cancel_read)  # the window adds it
        self.loading: str | None = None  # the file handed to training, until it is drawn
        # told whether an Open Data ended with training on the file (False: refused, cancelled)
        self.data_ended: Callable[[bool], None] = lambda taken: None

    def open_data(self) -> bool:
        """Ask for a file of 2-D points and start reading it (:meth:`open_data_from`); whether
        a file was chosen (False: the dialog was cancelled)."""
        path = self.dialogs.ask("Open data", "", DATA_PATTERN, save=False)
        return path is not None and self.open_data_from(path)

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
        fail = self.dialogs.fail
        match outcome:
            case Columns() as info:
                picked = self.pick_columns(info)
                if picked is None:
                    self.host.status("Open Data cancelled")
                    return False
                self.open_data_from(path, picked)  # the points, in these columns
                return False
            case ConfigError() as exc:
                fail(str(exc))
                return False
            case OSError() as exc:
                fail(f"cannot read {path} ({exc.strerror or exc})")
                return False
            case MemoryError():
                fail(f"cannot read {path}: not enough memory for its points")
                return False
            case Exception() as exc:
                fail(f"cannot read {path}: {type(exc).__name__}: {exc}")
                return False
        points, use_data = outcome, self.host.use_data
        assert isinstance(points, Points) and use_data is not None
        if not self.host.confirm_discard("Open Data"):
            return False
        try:
            use_data(str(path.absolute()), list(columns or []))
        except ConfigError as exc:
            fail(str(exc))
            return False
        self.loading = str(path.absolute())
        self.read_indicator.loading(path.name)
        x, y = points.names
        self.host.status(f"training on {points.path.name}: {len(points.points):,} points "
                         f"(x = {x}, y = {y})")
        return True

    def snapshot_drawn(self, data_file: str, error: str) -> None:
        """The window drew a snapshot training on ``data_file`` ("" if none), with ``error``:
        the file handed to training is loaded (or refused), so its indicator goes."""
        if self.loading is not None and (data_file == self.loading or error):
            self.loading = None
            if self.read is None:
                self.read_indicator.end()
